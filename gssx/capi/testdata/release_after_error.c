/* SPDX-License-Identifier: Apache-2.0 */
/* The case of issue 12: a C program calls gss_localname, gets an error,
   and releases the output buffer it never initialised, which is legal and
   safe with MIT krb5 (every output is set on entry). Run under valgrind
   (uninitialised reads, invalid frees) and built with ASan; the Bazel test
   release_after_error_test runs it both ways, tools/dist_test runs it
   under valgrind against the distribution. Exits 0 and prints
   "release_after_error: OK", or says what failed and exits 1. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <stdio.h>
#include <string.h>

/* Leaves a stack full of 0xa5 below main's frame, so that under ASan (which
   does not track uninitialised memory) the uninitialised outputs of the
   next calls hold garbage rather than, by luck, zeros. */
static void dirty_stack(void) {
  volatile unsigned char junk[8192];
  size_t i;
  for (i = 0; i < sizeof junk; ++i) junk[i] = 0xa5;
}

static int localname_then_release(gss_name_t name, OM_uint32 expected) {
  OM_uint32 major, minor;
  gss_buffer_desc buf; /* uninitialised, on purpose */
  major = gss_localname(&minor, name, GSS_C_NO_OID, &buf);
  if (major != expected) {
    fprintf(stderr, "release_after_error: gss_localname: 0x%08x, not 0x%08x\n",
            (unsigned)major, (unsigned)expected);
    return 1;
  }
  gss_release_buffer(&minor, &buf); /* after the error */
  return 0;
}

static int uid_then_release(gss_name_t name) {
  OM_uint32 major, minor;
  uid_t uid; /* uninitialised, on purpose */
  gss_buffer_desc shown;
  gss_OID type;
  major = gss_pname_to_uid(&minor, name, GSS_C_NO_OID, &uid);
  if (major == GSS_S_COMPLETE || uid != (uid_t)-1) {
    fprintf(stderr, "release_after_error: gss_pname_to_uid of a service\n");
    return 1;
  }
  major = gss_display_name(&minor, GSS_C_NO_NAME, &shown, &type);
  gss_release_buffer(&minor, &shown);
  return major == GSS_S_BAD_NAME ? 0 : 1;
}

int main(void) {
  OM_uint32 major, minor;
  gss_buffer_desc text;
  gss_name_t service = GSS_C_NO_NAME;
  int failed = 0;
  text.value = (void *)"http@web1";
  text.length = strlen("http@web1") + 1; /* the NUL counted, as C programs do */
  major = gss_import_name(&minor, &text, GSS_C_NT_HOSTBASED_SERVICE, &service);
  if (major != GSS_S_COMPLETE) {
    fprintf(stderr, "release_after_error: gss_import_name: 0x%08x\n",
            (unsigned)major);
    return 1;
  }
  dirty_stack();
  /* A service has no local account: GSS_S_UNAVAILABLE. */
  failed |= localname_then_release(service, GSS_S_UNAVAILABLE);
  dirty_stack();
  /* No name at all: GSS_S_BAD_NAME. */
  failed |= localname_then_release(GSS_C_NO_NAME, GSS_S_BAD_NAME);
  dirty_stack();
  failed |= uid_then_release(service);
  gss_release_name(&minor, &service);
  if (failed) return 1;
  printf("release_after_error: OK\n");
  return 0;
}
