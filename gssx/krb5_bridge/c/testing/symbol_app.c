/* SPDX-License-Identifier: Apache-2.0 */
/* An application linking libgssx-handoff.so and MIT's -lgssapi_krb5 (as
   `pkg-config --libs gssx-handoff krb5-gssapi` gives): every gss_* name
   given on the command line resolves into MIT's libgssapi_krb5, and the
   gssx_* names into libgssx-handoff. Prints "symbol_app: OK" and exits 0,
   or names each wrong one and exits 1. Run by symbol_test.sh. */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#include <dlfcn.h>
#include <gssapi/gssapi.h>
#include <gssx/handoff.h>
#include <stdio.h>
#include <string.h>

static int resolves_into(const char *name, const char *library) {
  Dl_info info;
  void *sym = dlsym(RTLD_DEFAULT, name);
  if (sym == NULL) {
    fprintf(stderr, "symbol_app: %s is not defined\n", name);
    return 0;
  }
  if (dladdr(sym, &info) == 0 || info.dli_fname == NULL ||
      strstr(info.dli_fname, library) == NULL) {
    fprintf(stderr, "symbol_app: %s resolves into %s, not %s\n", name,
            info.dli_fname != NULL ? info.dli_fname : "?", library);
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  OM_uint32 minor = 0, count = 0;
  gss_OID_set mechs = GSS_C_NO_OID_SET;
  int i, ok = 1;
  /* Linked, and used: one call of each library. */
  if (strcmp(gssx_handoff_strerror(GSSX_HANDOFF_E_TIMEOUT), "timed out") != 0) {
    ok = 0;
  }
  if (gss_indicate_mechs(&minor, &mechs) != GSS_S_COMPLETE) {
    fprintf(stderr, "symbol_app: gss_indicate_mechs failed\n");
    ok = 0;
  } else {
    count = (OM_uint32)mechs->count; /* MIT: Kerberos 5 at least */
    gss_release_oid_set(&minor, &mechs);
    if (count == 0) ok = 0;
  }
  ok &= resolves_into("gssx_handoff_send", "libgssx-handoff.so");
  ok &= resolves_into("gss_indicate_mechs", "libgssapi_krb5.so");
  for (i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "gss_", 4) == 0) {
      ok &= resolves_into(argv[i], "libgssapi_krb5.so");
    } else {
      ok &= resolves_into(argv[i], "libgssx-handoff.so");
    }
  }
  if (!ok) return 1;
  printf("symbol_app: OK (%d names checked, %u mechanisms)\n", argc + 1,
         (unsigned)count);
  return 0;
}
