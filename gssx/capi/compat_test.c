/* SPDX-License-Identifier: Apache-2.0 */
/* MIT krb5 compatibility of the C ABI, tested from C (see README.md,
   "Differences from MIT krb5"):
   - outputs set on entry: for every call with outputs, the outputs are
     filled with garbage, the call is made to fail, every output must then
     hold its empty value, and releasing every output is safe (ASan / UBSan
     watch the releases);
   - a name buffer counting its trailing NUL (strlen + 1), per name type;
   - the MIT extensions C servers call: gss_acquire_cred_from,
     gss_inquire_sec_context_by_oid, gss_inquire_cred_by_oid,
     gss_set_sec_context_option, gss_pname_to_uid, gss_localname;
   - <gssapi/gssapi_ext.h> and <gssapi/gssapi_generic.h> (the legacy
     gss_nt_* names). */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_generic.h>
#include <gssx/gssx.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "gssx/capi/testing/c_check.h"
#include "gssx/capi/testing/gss_helpers.h"

#define X(fn) void fn(void);
#include "gssx/capi/compat_tests.inc"
#undef X

/* Fills an output variable with a non-zero pattern, as the stack of a C
   program that left it uninitialised would. */
#define GARBAGE(x) memset(&(x), 0xa5, sizeof(x))

/* Handles no call ever made: every lookup answers "not live". */
#define FAKE_CTX ((gss_ctx_id_t)(uintptr_t)0x5a5a5a5aul)
#define FAKE_CRED ((gss_cred_id_t)(uintptr_t)0x5a5a5a5aul)
#define FAKE_NAME ((gss_name_t)(uintptr_t)0x5a5a5a5aul)
#define FAKE_CHANNEL ((gssx_channel_t)(uintptr_t)0x5a5a5a5aul)

#define CHECK_EMPTY_BUFFER(b) CHECK((b).length == 0 && (b).value == NULL)

/* Releases every kind of output the way a careless C program does after
   an error: whatever it holds. Each must be harmless once emptied. */
static void release_buffer(gss_buffer_desc *b) {
  OM_uint32 minor = 0;
  CHECK_GSS(gss_release_buffer(&minor, b), GSS_S_COMPLETE);
}
static void release_name(gss_name_t *n) {
  OM_uint32 minor = 0;
  CHECK_GSS(gss_release_name(&minor, n), GSS_S_COMPLETE);
}
static void release_cred(gss_cred_id_t *c) {
  OM_uint32 minor = 0;
  CHECK_GSS(gss_release_cred(&minor, c), GSS_S_COMPLETE);
}
static void release_oid_set(gss_OID_set *s) {
  OM_uint32 minor = 0;
  CHECK_GSS(gss_release_oid_set(&minor, s), GSS_S_COMPLETE);
}
static void release_oid(gss_OID *o) {
  OM_uint32 minor = 0;
  CHECK_GSS(gss_release_oid(&minor, o), GSS_S_COMPLETE);
}
static void release_buffer_set(gss_buffer_set_t *s) {
  OM_uint32 minor = 0;
  CHECK_GSS(gss_release_buffer_set(&minor, s), GSS_S_COMPLETE);
}
static void delete_context(gss_ctx_id_t *c) {
  OM_uint32 minor = 0;
  /* Deleting GSS_C_NO_CONTEXT is GSS_S_NO_CONTEXT (RFC 2744). */
  CHECK_GSS(gss_delete_sec_context(&minor, c, GSS_C_NO_BUFFER),
            GSS_S_NO_CONTEXT);
}

/* ---------------------------------------------- outputs set on entry */

void outputs_cleared_acquire_cred(void) {
  OM_uint32 minor, time_rec;
  gss_cred_id_t cred;
  gss_OID_set mechs;
  GARBAGE(cred), GARBAGE(mechs), GARBAGE(time_rec);
  CHECK_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET, 99,
                             &cred, &mechs, &time_rec),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
  CHECK(mechs == GSS_C_NO_OID_SET);
  CHECK(time_rec == 0);
  release_cred(&cred);
  release_oid_set(&mechs);
}

void outputs_cleared_add_cred(void) {
  OM_uint32 minor, init_rec, acc_rec;
  gss_cred_id_t cred;
  gss_OID_set mechs;
  GARBAGE(cred), GARBAGE(mechs), GARBAGE(init_rec), GARBAGE(acc_rec);
  CHECK_GSS(gss_add_cred(&minor, FAKE_CRED, GSS_C_NO_NAME, GSS_C_NO_OID,
                         GSS_C_INITIATE, 0, 0, &cred, &mechs, &init_rec,
                         &acc_rec),
            GSS_S_NO_CRED);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
  CHECK(mechs == GSS_C_NO_OID_SET);
  CHECK(init_rec == 0 && acc_rec == 0);
  release_cred(&cred);
  release_oid_set(&mechs);
}

void outputs_cleared_inquire_cred(void) {
  OM_uint32 minor, lifetime;
  gss_name_t name;
  gss_cred_usage_t usage;
  gss_OID_set mechs;
  GARBAGE(name), GARBAGE(lifetime), GARBAGE(usage), GARBAGE(mechs);
  CHECK_GSS(gss_inquire_cred(&minor, FAKE_CRED, &name, &lifetime, &usage,
                             &mechs),
            GSS_S_NO_CRED);
  CHECK(name == GSS_C_NO_NAME);
  CHECK(lifetime == 0 && usage == 0);
  CHECK(mechs == GSS_C_NO_OID_SET);
  release_name(&name);
  release_oid_set(&mechs);
}

void outputs_cleared_inquire_cred_by_mech(void) {
  OM_uint32 minor, init_life, acc_life;
  gss_name_t name;
  gss_cred_usage_t usage;
  GARBAGE(name), GARBAGE(init_life), GARBAGE(acc_life), GARBAGE(usage);
  CHECK_GSS(gss_inquire_cred_by_mech(&minor, FAKE_CRED, GSS_C_NO_OID, &name,
                                     &init_life, &acc_life, &usage),
            GSS_S_NO_CRED);
  CHECK(name == GSS_C_NO_NAME);
  CHECK(init_life == 0 && acc_life == 0 && usage == 0);
  release_name(&name);
}

void outputs_cleared_acquire_cred_with_password(void) {
  OM_uint32 minor, time_rec;
  gss_buffer_desc password = GSSX_C_BUF("secret");
  gss_cred_id_t cred;
  gss_OID_set mechs;
  GARBAGE(cred), GARBAGE(mechs), GARBAGE(time_rec);
  CHECK_GSS(gss_acquire_cred_with_password(&minor, GSS_C_NO_NAME, &password,
                                           0, GSS_C_NO_OID_SET,
                                           GSS_C_INITIATE, &cred, &mechs,
                                           &time_rec),
            GSS_S_UNAVAILABLE);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
  CHECK(mechs == GSS_C_NO_OID_SET);
  CHECK(time_rec == 0);
  release_cred(&cred);
  release_oid_set(&mechs);
}

void outputs_cleared_init_sec_context(void) {
  OM_uint32 minor, flags, time_rec;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_OID mech;
  gss_buffer_desc out;
  GARBAGE(mech), GARBAGE(out), GARBAGE(flags), GARBAGE(time_rec);
  /* First call without a target: a calling error. */
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx,
                                 GSS_C_NO_NAME, GSS_C_NO_OID, 0, 0,
                                 GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
                                 &mech, &out, &flags, &time_rec),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  CHECK(mech == GSS_C_NO_OID);
  CHECK_EMPTY_BUFFER(out);
  CHECK(flags == 0 && time_rec == 0);
  release_buffer(&out);
  delete_context(&ctx);
}

void init_sec_context_leaves_the_callers_context_handle(void) {
  OM_uint32 minor, flags, time_rec;
  gss_ctx_id_t ctx = FAKE_CTX; /* input/output: the caller's */
  gss_OID mech;
  gss_buffer_desc out;
  gss_buffer_desc reply = GSSX_C_BUF("reply");
  GARBAGE(mech), GARBAGE(out), GARBAGE(flags), GARBAGE(time_rec);
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx,
                                 GSS_C_NO_NAME, GSS_C_NO_OID, 0, 0,
                                 GSS_C_NO_CHANNEL_BINDINGS, &reply, &mech,
                                 &out, &flags, &time_rec),
            GSS_S_NO_CONTEXT);
  CHECK(ctx == FAKE_CTX);
  CHECK(mech == GSS_C_NO_OID);
  CHECK_EMPTY_BUFFER(out);
  CHECK(flags == 0 && time_rec == 0);
  release_buffer(&out);
}

void outputs_cleared_accept_sec_context(void) {
  OM_uint32 minor, flags, time_rec;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc in = GSSX_C_BUF("not a token");
  gss_name_t src;
  gss_OID mech;
  gss_buffer_desc out;
  gss_cred_id_t delegated;
  GARBAGE(src), GARBAGE(mech), GARBAGE(out), GARBAGE(flags),
      GARBAGE(time_rec), GARBAGE(delegated);
  CHECK_GSS(gss_accept_sec_context(&minor, &ctx, FAKE_CRED, &in,
                                   GSS_C_NO_CHANNEL_BINDINGS, &src, &mech,
                                   &out, &flags, &time_rec, &delegated),
            GSS_S_NO_CRED);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  CHECK(src == GSS_C_NO_NAME);
  CHECK(mech == GSS_C_NO_OID);
  CHECK_EMPTY_BUFFER(out);
  CHECK(flags == 0 && time_rec == 0);
  CHECK(delegated == GSS_C_NO_CREDENTIAL);
  release_name(&src);
  release_buffer(&out);
  release_cred(&delegated);
  delete_context(&ctx);
}

void outputs_cleared_delete_sec_context(void) {
  OM_uint32 minor;
  gss_ctx_id_t ctx = FAKE_CTX;
  gss_buffer_desc out;
  GARBAGE(out);
  CHECK_GSS(gss_delete_sec_context(&minor, &ctx, &out), GSS_S_NO_CONTEXT);
  CHECK(ctx == FAKE_CTX);
  CHECK_EMPTY_BUFFER(out);
  release_buffer(&out);
}

void outputs_cleared_context_time(void) {
  OM_uint32 minor, time_rec;
  GARBAGE(time_rec);
  CHECK_GSS(gss_context_time(&minor, FAKE_CTX, &time_rec), GSS_S_NO_CONTEXT);
  CHECK(time_rec == 0);
}

void outputs_cleared_get_mic_and_sign(void) {
  OM_uint32 minor;
  gss_buffer_desc msg = GSSX_C_BUF("message");
  gss_buffer_desc mic;
  GARBAGE(mic);
  CHECK_GSS(gss_get_mic(&minor, FAKE_CTX, 0, &msg, &mic), GSS_S_NO_CONTEXT);
  CHECK_EMPTY_BUFFER(mic);
  release_buffer(&mic);
  GARBAGE(mic);
  CHECK_GSS(gss_sign(&minor, FAKE_CTX, 0, &msg, &mic), GSS_S_NO_CONTEXT);
  CHECK_EMPTY_BUFFER(mic);
  release_buffer(&mic);
}

void outputs_cleared_verify_mic_and_verify(void) {
  OM_uint32 minor;
  gss_buffer_desc msg = GSSX_C_BUF("message");
  gss_buffer_desc mic = GSSX_C_BUF("mic");
  gss_qop_t qop;
  int old_qop;
  GARBAGE(qop);
  CHECK_GSS(gss_verify_mic(&minor, FAKE_CTX, &msg, &mic, &qop),
            GSS_S_NO_CONTEXT);
  CHECK(qop == 0);
  GARBAGE(old_qop);
  CHECK_GSS(gss_verify(&minor, FAKE_CTX, &msg, &mic, &old_qop),
            GSS_S_NO_CONTEXT);
  CHECK(old_qop == 0);
}

void outputs_cleared_wrap_and_seal(void) {
  OM_uint32 minor;
  gss_buffer_desc msg = GSSX_C_BUF("message");
  gss_buffer_desc out;
  int conf;
  GARBAGE(out), GARBAGE(conf);
  CHECK_GSS(gss_wrap(&minor, FAKE_CTX, 1, 0, &msg, &conf, &out),
            GSS_S_NO_CONTEXT);
  CHECK_EMPTY_BUFFER(out);
  CHECK(conf == 0);
  release_buffer(&out);
  GARBAGE(out), GARBAGE(conf);
  CHECK_GSS(gss_seal(&minor, FAKE_CTX, 1, 0, &msg, &conf, &out),
            GSS_S_NO_CONTEXT);
  CHECK_EMPTY_BUFFER(out);
  CHECK(conf == 0);
  release_buffer(&out);
}

void outputs_cleared_unwrap_and_unseal(void) {
  OM_uint32 minor;
  gss_buffer_desc token = GSSX_C_BUF("token");
  gss_buffer_desc out;
  int conf, old_qop;
  gss_qop_t qop;
  GARBAGE(out), GARBAGE(conf), GARBAGE(qop);
  CHECK_GSS(gss_unwrap(&minor, FAKE_CTX, &token, &out, &conf, &qop),
            GSS_S_NO_CONTEXT);
  CHECK_EMPTY_BUFFER(out);
  CHECK(conf == 0 && qop == 0);
  release_buffer(&out);
  GARBAGE(out), GARBAGE(conf), GARBAGE(old_qop);
  CHECK_GSS(gss_unseal(&minor, FAKE_CTX, &token, &out, &conf, &old_qop),
            GSS_S_NO_CONTEXT);
  CHECK_EMPTY_BUFFER(out);
  CHECK(conf == 0 && old_qop == 0);
  release_buffer(&out);
}

void outputs_cleared_wrap_size_limit(void) {
  OM_uint32 minor, max_in;
  GARBAGE(max_in);
  CHECK_GSS(gss_wrap_size_limit(&minor, FAKE_CTX, 1, 0, 1000, &max_in),
            GSS_S_NO_CONTEXT);
  CHECK(max_in == 0);
}

void outputs_cleared_inquire_context(void) {
  OM_uint32 minor, lifetime, flags;
  gss_name_t src, targ;
  gss_OID mech;
  int local, open;
  GARBAGE(src), GARBAGE(targ), GARBAGE(lifetime), GARBAGE(mech),
      GARBAGE(flags), GARBAGE(local), GARBAGE(open);
  CHECK_GSS(gss_inquire_context(&minor, FAKE_CTX, &src, &targ, &lifetime,
                                &mech, &flags, &local, &open),
            GSS_S_NO_CONTEXT);
  CHECK(src == GSS_C_NO_NAME && targ == GSS_C_NO_NAME);
  CHECK(mech == GSS_C_NO_OID);
  CHECK(lifetime == 0 && flags == 0 && local == 0 && open == 0);
  release_name(&src);
  release_name(&targ);
}

void outputs_cleared_export_sec_context(void) {
  OM_uint32 minor;
  gss_ctx_id_t ctx = FAKE_CTX;
  gss_buffer_desc token;
  GARBAGE(token);
  CHECK_GSS(gss_export_sec_context(&minor, &ctx, &token), GSS_S_NO_CONTEXT);
  CHECK(ctx == FAKE_CTX); /* input/output: left alone on error */
  CHECK_EMPTY_BUFFER(token);
  release_buffer(&token);
}

void outputs_cleared_import_sec_context(void) {
  OM_uint32 minor;
  gss_buffer_desc token = GSSX_C_BUF("not an exported context");
  gss_ctx_id_t ctx;
  GARBAGE(ctx);
  CHECK_GSS(gss_import_sec_context(&minor, &token, &ctx),
            GSS_S_DEFECTIVE_TOKEN);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  delete_context(&ctx);
}

void outputs_cleared_display_status(void) {
  OM_uint32 minor, message_context = 0;
  gss_buffer_desc text;
  GARBAGE(text);
  CHECK_GSS(gss_display_status(&minor, 0, 99, GSS_C_NO_OID, &message_context,
                               &text),
            GSS_S_BAD_STATUS);
  CHECK_EMPTY_BUFFER(text);
  release_buffer(&text);
}

/* Calls that cannot fail otherwise fail here for want of minor_status:
   their outputs are emptied all the same. */
void outputs_cleared_without_minor_status(void) {
  gss_OID_set set;
  gss_buffer_set_t buffers;
  gss_buffer_desc text;
  GARBAGE(set);
  CHECK(gss_indicate_mechs(NULL, &set) == GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(set == GSS_C_NO_OID_SET);
  release_oid_set(&set);
  GARBAGE(set);
  CHECK(gss_create_empty_oid_set(NULL, &set) ==
        GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(set == GSS_C_NO_OID_SET);
  release_oid_set(&set);
  GARBAGE(buffers);
  CHECK(gss_create_empty_buffer_set(NULL, &buffers) ==
        GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(buffers == GSS_C_NO_BUFFER_SET);
  release_buffer_set(&buffers);
  GARBAGE(text);
  CHECK(gss_localname(NULL, FAKE_NAME, GSS_C_NO_OID, &text) ==
        GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_EMPTY_BUFFER(text);
  release_buffer(&text);
}

void outputs_cleared_test_oid_set_member(void) {
  OM_uint32 minor;
  int present;
  GARBAGE(present);
  CHECK_GSS(gss_test_oid_set_member(&minor, GSS_GSSX_MECHANISM,
                                    GSS_C_NO_OID_SET, &present),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK(present == 0);
}

void outputs_cleared_compare_name(void) {
  OM_uint32 minor;
  int equal;
  GARBAGE(equal);
  CHECK_GSS(gss_compare_name(&minor, FAKE_NAME, FAKE_NAME, &equal),
            GSS_S_BAD_NAME);
  CHECK(equal == 0);
}

void outputs_cleared_display_name(void) {
  OM_uint32 minor;
  gss_buffer_desc text;
  gss_OID type;
  GARBAGE(text), GARBAGE(type);
  CHECK_GSS(gss_display_name(&minor, FAKE_NAME, &text, &type),
            GSS_S_BAD_NAME);
  CHECK_EMPTY_BUFFER(text);
  CHECK(type == GSS_C_NO_OID);
  release_buffer(&text);
  release_oid(&type);
}

void outputs_cleared_import_name(void) {
  OM_uint32 minor;
  gss_buffer_desc text;
  gss_name_t name;
  text.value = (void *)"ali\0ce";
  text.length = 6;
  GARBAGE(name);
  CHECK_GSS(gss_import_name(&minor, &text, GSS_C_NT_USER_NAME, &name),
            GSS_S_BAD_NAME);
  CHECK(name == GSS_C_NO_NAME);
  release_name(&name);
}

void outputs_cleared_export_name(void) {
  OM_uint32 minor;
  gss_buffer_desc exported;
  GARBAGE(exported);
  CHECK_GSS(gss_export_name(&minor, FAKE_NAME, &exported), GSS_S_BAD_NAME);
  CHECK_EMPTY_BUFFER(exported);
  release_buffer(&exported);
}

void outputs_cleared_canonicalize_and_duplicate_name(void) {
  OM_uint32 minor;
  gss_name_t out;
  GARBAGE(out);
  CHECK_GSS(gss_canonicalize_name(&minor, FAKE_NAME, GSS_GSSX_MECHANISM,
                                  &out),
            GSS_S_BAD_NAME);
  CHECK(out == GSS_C_NO_NAME);
  release_name(&out);
  GARBAGE(out);
  CHECK_GSS(gss_duplicate_name(&minor, FAKE_NAME, &out), GSS_S_BAD_NAME);
  CHECK(out == GSS_C_NO_NAME);
  release_name(&out);
}

void outputs_cleared_names_for_mech_and_mechs_for_name(void) {
  OM_uint32 minor;
  gss_OID_desc other = {3, (void *)"\x2a\x03\x04"};
  gss_OID_set set;
  GARBAGE(set);
  CHECK_GSS(gss_inquire_names_for_mech(&minor, &other, &set),
            GSS_S_BAD_MECH);
  CHECK(set == GSS_C_NO_OID_SET);
  release_oid_set(&set);
  GARBAGE(set);
  CHECK_GSS(gss_inquire_mechs_for_name(&minor, FAKE_NAME, &set),
            GSS_S_BAD_NAME);
  CHECK(set == GSS_C_NO_OID_SET);
  release_oid_set(&set);
}

void outputs_cleared_oid_to_str_and_str_to_oid(void) {
  OM_uint32 minor;
  gss_buffer_desc text;
  gss_buffer_desc bad = GSSX_C_BUF("one.two");
  gss_OID oid;
  GARBAGE(text);
  CHECK_GSS(gss_oid_to_str(&minor, GSS_C_NO_OID, &text),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_EMPTY_BUFFER(text);
  release_buffer(&text);
  GARBAGE(oid);
  CHECK_GSS(gss_str_to_oid(&minor, &bad, &oid), GSS_S_FAILURE);
  CHECK(oid == GSS_C_NO_OID);
  release_oid(&oid);
}

void outputs_cleared_inquire_name(void) {
  OM_uint32 minor;
  int is_mn;
  gss_OID mech;
  gss_buffer_set_t attrs;
  GARBAGE(is_mn), GARBAGE(mech), GARBAGE(attrs);
  CHECK_GSS(gss_inquire_name(&minor, FAKE_NAME, &is_mn, &mech, &attrs),
            GSS_S_BAD_NAME);
  CHECK(is_mn == 0);
  CHECK(mech == GSS_C_NO_OID);
  CHECK(attrs == GSS_C_NO_BUFFER_SET);
  release_oid(&mech);
  release_buffer_set(&attrs);
}

void outputs_cleared_get_name_attribute(void) {
  OM_uint32 minor;
  gss_buffer_desc attr = GSSX_C_BUF("urn:example");
  int authenticated, complete, more = -1;
  gss_buffer_desc value, display_value;
  GARBAGE(authenticated), GARBAGE(complete), GARBAGE(value),
      GARBAGE(display_value);
  CHECK_GSS(gss_get_name_attribute(&minor, FAKE_NAME, &attr, &authenticated,
                                   &complete, &value, &display_value, &more),
            GSS_S_BAD_NAME);
  CHECK(authenticated == 0 && complete == 0);
  CHECK_EMPTY_BUFFER(value);
  CHECK_EMPTY_BUFFER(display_value);
  CHECK(more == -1); /* input/output (RFC 6680) */
  release_buffer(&value);
  release_buffer(&display_value);
}

void outputs_cleared_localname(void) {
  OM_uint32 minor;
  gss_buffer_desc local;
  GARBAGE(local);
  CHECK_GSS(gss_localname(&minor, FAKE_NAME, GSS_C_NO_OID, &local),
            GSS_S_BAD_NAME);
  CHECK_EMPTY_BUFFER(local);
  release_buffer(&local);
}

void outputs_cleared_channel_open(void) {
  OM_uint32 minor;
  gssx_channel_t channel;
  GARBAGE(channel);
  CHECK_GSS(gssx_channel_open(&minor, -1, &channel), GSS_S_FAILURE);
  CHECK(channel == GSSX_NO_CHANNEL);
}

void outputs_cleared_import_from_channel(void) {
  OM_uint32 minor;
  gss_ctx_id_t ctx;
  int fds[3];
  size_t n = 3;
  GARBAGE(ctx), GARBAGE(fds);
  CHECK_GSS(gssx_import_sec_context_from(&minor, FAKE_CHANNEL, &ctx, fds, &n),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  /* No fds received: a loop closing fds[0..n) closes nothing. */
  CHECK(n == 0);
  CHECK(fds[0] == -1 && fds[1] == -1 && fds[2] == -1);
  delete_context(&ctx);
}

void outputs_cleared_export_and_import_fd(void) {
  OM_uint32 minor;
  gss_ctx_id_t ctx = FAKE_CTX;
  int fd;
  GARBAGE(fd);
  CHECK_GSS(gssx_export_sec_context_fd(&minor, &ctx, &fd), GSS_S_NO_CONTEXT);
  CHECK(ctx == FAKE_CTX);
  CHECK(fd == -1); /* never 0: closing it would close stdin */
  GARBAGE(ctx);
  CHECK_GSS(gssx_import_sec_context_fd(&minor, -1, &ctx), GSS_S_FAILURE);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  delete_context(&ctx);
}

/* ------------------------------------------------ helpers for below */

static gss_name_t import_bytes(const void *bytes, size_t n, gss_OID type,
                               OM_uint32 *major) {
  OM_uint32 minor = 0;
  gss_buffer_desc buf;
  gss_name_t name = GSS_C_NO_NAME;
  buf.value = (void *)bytes;
  buf.length = n;
  *major = gss_import_name(&minor, &buf, type, &name);
  return name;
}

/* Imports `n` bytes with and without one more NUL byte (n + 1) as `type`,
   and checks both give the same name; then that two NULs are refused. */
static void check_trailing_nul(const void *bytes, size_t n, gss_OID type) {
  OM_uint32 minor = 0, major;
  unsigned char with[256];
  gss_name_t plain, nul, two;
  gss_buffer_desc a, b;
  int equal = 0;
  REQUIRE(n + 2 <= sizeof with);
  memcpy(with, bytes, n);
  with[n] = 0;
  with[n + 1] = 0;
  plain = import_bytes(bytes, n, type, &major);
  CHECK_GSS(major, GSS_S_COMPLETE);
  nul = import_bytes(with, n + 1, type, &major);
  CHECK_GSS(major, GSS_S_COMPLETE);
  two = import_bytes(with, n + 2, type, &major);
  CHECK_GSS(major, GSS_S_BAD_NAME);
  CHECK(two == GSS_C_NO_NAME);
  if (plain != GSS_C_NO_NAME && nul != GSS_C_NO_NAME) {
    CHECK_GSS(gss_compare_name(&minor, plain, nul, &equal), GSS_S_COMPLETE);
    CHECK(equal == 1);
    CHECK_GSS(gss_display_name(&minor, plain, &a, NULL), GSS_S_COMPLETE);
    CHECK_GSS(gss_display_name(&minor, nul, &b, NULL), GSS_S_COMPLETE);
    CHECK(a.length == b.length && memcmp(a.value, b.value, a.length) == 0);
    release_buffer(&a);
    release_buffer(&b);
  }
  release_name(&plain);
  release_name(&nul);
}

static void check_trailing_nul_string(const char *text, gss_OID type) {
  check_trailing_nul(text, strlen(text), type);
}

/* ------------------------------------------- names with a trailing NUL */

void trailing_nul_user_names(void) {
  check_trailing_nul_string("alice", GSS_C_NO_OID);
  check_trailing_nul_string("alice", GSS_C_NT_USER_NAME);
  check_trailing_nul_string("alice", gss_nt_user_name);
}

void trailing_nul_host_based_names(void) {
  check_trailing_nul_string("echo@testhost", GSS_C_NT_HOSTBASED_SERVICE);
  check_trailing_nul_string("echo@testhost", GSS_C_NT_HOSTBASED_SERVICE_X);
  check_trailing_nul_string("echo@testhost", gss_nt_service_name);
  check_trailing_nul_string("echo@testhost", gss_nt_service_name_v2);
  check_trailing_nul_string("echo", GSS_C_NT_HOSTBASED_SERVICE);
}

void trailing_nul_uid_names(void) {
  char text[32];
  uid_t uid = getuid();
  REQUIRE(getpwuid(uid) != NULL);
  snprintf(text, sizeof text, "%lu", (unsigned long)uid);
  check_trailing_nul_string(text, GSS_C_NT_STRING_UID_NAME);
  check_trailing_nul_string(text, gss_nt_string_uid_name);
  /* A uid_t may end in a zero byte of its own (uid 0; uid 1000 on a
     little-endian machine): both sizeof(uid_t) and sizeof(uid_t) + 1
     bytes import. */
  check_trailing_nul(&uid, sizeof uid, GSS_C_NT_MACHINE_UID_NAME);
  check_trailing_nul(&uid, sizeof uid, gss_nt_machine_uid_name);
}

void trailing_nul_exported_names(void) {
  OM_uint32 minor = 0, major;
  gss_name_t name = import_bytes("echo@testhost", 13,
                                 GSS_C_NT_HOSTBASED_SERVICE, &major);
  gss_name_t mn = GSS_C_NO_NAME;
  gss_buffer_desc exported;
  REQUIRE_GSS(major, GSS_S_COMPLETE);
  REQUIRE_GSS(gss_canonicalize_name(&minor, name, GSS_GSSX_MECHANISM, &mn),
              GSS_S_COMPLETE);
  REQUIRE_GSS(gss_export_name(&minor, mn, &exported), GSS_S_COMPLETE);
  check_trailing_nul(exported.value, exported.length, GSS_C_NT_EXPORT_NAME);
  check_trailing_nul(exported.value, exported.length, gss_nt_exported_name);
  release_buffer(&exported);
  release_name(&mn);
  release_name(&name);
}

void embedded_nul_stays_malformed(void) {
  static const gss_OID *types[] = {&GSS_C_NT_USER_NAME,
                                   &GSS_C_NT_HOSTBASED_SERVICE,
                                   &GSS_C_NT_HOSTBASED_SERVICE_X,
                                   &GSS_C_NT_STRING_UID_NAME};
  size_t i;
  OM_uint32 major;
  gss_name_t name;
  for (i = 0; i < sizeof types / sizeof types[0]; ++i) {
    OM_uint32 minor = 0;
    name = import_bytes("ec\0ho@testhost", 14, *types[i], &major);
    CHECK_GSS(major, GSS_S_BAD_NAME);
    CHECK(name == GSS_C_NO_NAME);
    name = import_bytes("ec\0ho@testhost", 15, *types[i], &major);
    CHECK_GSS(major, GSS_S_BAD_NAME);
    name = import_bytes("\0", 1, *types[i], &major);
    CHECK_GSS(major, GSS_S_BAD_NAME);
    (void)minor;
  }
  name = import_bytes("al\0ice", 7, GSS_C_NO_OID, &major);
  CHECK(major == GSS_S_BAD_NAME && name == GSS_C_NO_NAME);
}

void str_to_oid_takes_a_trailing_nul(void) {
  OM_uint32 minor = 0;
  const char *text = "1.2.840.113554.1.2.2";
  gss_buffer_desc buf;
  gss_OID oid = GSS_C_NO_OID;
  buf.value = (void *)text;
  buf.length = strlen(text) + 1;
  REQUIRE_GSS(gss_str_to_oid(&minor, &buf, &oid), GSS_S_COMPLETE);
  CHECK(oid->length == 9);
  release_oid(&oid);
}

void legacy_name_types_are_the_rfc_2744_ones(void) {
  CHECK(gss_nt_user_name == GSS_C_NT_USER_NAME);
  CHECK(gss_nt_machine_uid_name == GSS_C_NT_MACHINE_UID_NAME);
  CHECK(gss_nt_string_uid_name == GSS_C_NT_STRING_UID_NAME);
  CHECK(gss_nt_service_name == GSS_C_NT_HOSTBASED_SERVICE);
  CHECK(gss_nt_service_name_v2 == GSS_C_NT_HOSTBASED_SERVICE);
  CHECK(gss_nt_exported_name == GSS_C_NT_EXPORT_NAME);
  {
    gss_buffer_desc empty = GSS_C_EMPTY_BUFFER;
    gss_buffer_desc full = GSSX_C_BUF("x");
    CHECK(GSS_EMPTY_BUFFER(&empty));
    CHECK(GSS_EMPTY_BUFFER(GSS_C_NO_BUFFER));
    CHECK(!GSS_EMPTY_BUFFER(&full));
  }
}

/* -------------------------------------------- gss_acquire_cred_from */

/* The test key files' paths, with $GSSX_KEYTAB / $GSSX_TRUST unset while
   a test runs (restore_env puts them back). */
static char saved_keytab[4096], saved_trust[4096];

static int hide_env(void) {
  const char *k, *t;
  if (gssx_c_use_test_identities() != 0) return -1;
  k = getenv("GSSX_KEYTAB");
  t = getenv("GSSX_TRUST");
  if (k == NULL || t == NULL || strlen(k) >= sizeof saved_keytab ||
      strlen(t) >= sizeof saved_trust) {
    return -1;
  }
  strcpy(saved_keytab, k);
  strcpy(saved_trust, t);
  unsetenv("GSSX_KEYTAB");
  unsetenv("GSSX_TRUST");
  return 0;
}

static void restore_env(void) {
  setenv("GSSX_KEYTAB", saved_keytab, 1);
  setenv("GSSX_TRUST", saved_trust, 1);
}

static OM_uint32 acquire_from(gss_key_value_element_desc *elements,
                              OM_uint32 count, gss_cred_usage_t usage,
                              const char *name_text, gss_cred_id_t *cred,
                              OM_uint32 *minor) {
  gss_key_value_set_desc store;
  OM_uint32 major, ignored;
  gss_OID_set mechs;
  OM_uint32 time_rec;
  gss_name_t name = GSS_C_NO_NAME;
  store.count = count;
  store.elements = elements;
  if (name_text != NULL) {
    name = import_bytes(name_text, strlen(name_text),
                        GSS_C_NT_HOSTBASED_SERVICE, &major);
    if (major != GSS_S_COMPLETE) return major;
  }
  GARBAGE(mechs), GARBAGE(time_rec);
  major = gss_acquire_cred_from(minor, name, 0, GSS_C_NO_OID_SET, usage,
                                &store, cred, &mechs, &time_rec);
  if (major != GSS_S_COMPLETE) {
    CHECK(*cred == GSS_C_NO_CREDENTIAL);
    CHECK(mechs == GSS_C_NO_OID_SET);
    CHECK(time_rec == 0);
  }
  gss_release_oid_set(&ignored, &mechs);
  gss_release_name(&ignored, &name);
  return major;
}

void acquire_cred_from_reads_keytab_and_trust(void) {
  OM_uint32 minor = 0, ignored;
  gss_key_value_element_desc store[2];
  gss_cred_id_t init_cred = GSS_C_NO_CREDENTIAL;
  gss_cred_id_t acc_cred = GSS_C_NO_CREDENTIAL;
  gss_ctx_id_t init = GSS_C_NO_CONTEXT, acc = GSS_C_NO_CONTEXT;
  gss_buffer_desc first, reply, last;
  gss_name_t target;
  OM_uint32 major;
  REQUIRE(hide_env() == 0);
  store[0].key = "keytab";
  store[0].value = saved_keytab;
  store[1].key = "trust";
  store[1].value = saved_trust;
  /* Without the store (and without the environment): no credential. */
  CHECK_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                             GSS_C_INITIATE, &init_cred, NULL, NULL),
            GSS_S_NO_CRED);
  CHECK_GSS(acquire_from(store, 0, GSS_C_INITIATE, NULL, &init_cred, &minor),
            GSS_S_NO_CRED);
  CHECK_GSS(acquire_from(store, 2, GSS_C_INITIATE, NULL, &init_cred, &minor),
            GSS_S_COMPLETE);
  CHECK_GSS(acquire_from(store, 2, GSS_C_ACCEPT, GSSX_C_SERVER, &acc_cred,
                         &minor),
            GSS_S_COMPLETE);
  /* A handshake between the two: the trust file came from the store too
     (without it nobody is trusted and the handshake fails). */
  target = import_bytes(GSSX_C_SERVICE, strlen(GSSX_C_SERVICE),
                        GSS_C_NT_HOSTBASED_SERVICE, &major);
  CHECK_GSS(gss_init_sec_context(&minor, init_cred, &init, target,
                                 GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 GSS_C_NO_BUFFER, NULL, &first, NULL, NULL),
            GSS_S_CONTINUE_NEEDED);
  CHECK_GSS(gss_accept_sec_context(&minor, &acc, acc_cred, &first,
                                   GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL,
                                   &reply, NULL, NULL, NULL),
            GSS_S_COMPLETE);
  CHECK_GSS(gss_init_sec_context(&minor, init_cred, &init, target,
                                 GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 &reply, NULL, &last, NULL, NULL),
            GSS_S_COMPLETE);
  release_buffer(&first);
  release_buffer(&reply);
  release_buffer(&last);
  release_name(&target);
  gss_delete_sec_context(&ignored, &init, GSS_C_NO_BUFFER);
  gss_delete_sec_context(&ignored, &acc, GSS_C_NO_BUFFER);
  release_cred(&init_cred);
  release_cred(&acc_cred);
  /* One key from the store, the other from the environment. */
  setenv("GSSX_TRUST", saved_trust, 1);
  CHECK_GSS(acquire_from(store, 1, GSS_C_INITIATE, NULL, &init_cred, &minor),
            GSS_S_COMPLETE);
  release_cred(&init_cred);
  restore_env();
}

void acquire_cred_from_refuses_bad_stores(void) {
  OM_uint32 minor = 0;
  gss_key_value_element_desc store[2];
  gss_cred_id_t cred;
  REQUIRE(hide_env() == 0);
  store[0].key = "keytab";
  store[0].value = saved_keytab;
  /* An unknown key (MIT's "ccache", "client_keytab"...): a clear error. */
  store[1].key = "ccache";
  store[1].value = "FILE:/tmp/krb5cc_0";
  GARBAGE(cred);
  CHECK_GSS(acquire_from(store, 2, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_FAILURE);
  CHECK(gssx_c_minor_mentions(minor, "credential store has a key other than"));
  /* A key twice. */
  store[1].key = "keytab";
  store[1].value = saved_keytab;
  CHECK_GSS(acquire_from(store, 2, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_FAILURE);
  CHECK(gssx_c_minor_mentions(minor, "argument is invalid"));
  /* An empty or missing value. */
  store[1].key = "trust";
  store[1].value = "";
  CHECK_GSS(acquire_from(store, 2, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_FAILURE);
  store[1].value = NULL;
  CHECK_GSS(acquire_from(store, 2, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_FAILURE);
  /* A NULL key, or elements missing: a calling error. */
  store[1].key = NULL;
  CHECK_GSS(acquire_from(store, 2, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK_GSS(acquire_from(NULL, 1, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_CALL_BAD_STRUCTURE);
  /* A keytab that is not there. */
  store[0].value = "/nonexistent/gssx/keytab";
  CHECK_GSS(acquire_from(store, 1, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_NO_CRED);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
  restore_env();
}

/* ---------------------------------------- inquiries and options by OID */

static OM_uint32 establish(gss_ctx_id_t *init, gss_ctx_id_t *acc) {
  OM_uint32 minor = 0, major, ignored;
  gss_name_t target;
  gss_buffer_desc first, reply, last;
  *init = GSS_C_NO_CONTEXT;
  *acc = GSS_C_NO_CONTEXT;
  if (gssx_c_use_test_identities() != 0) return GSS_S_FAILURE;
  target = import_bytes(GSSX_C_SERVICE, strlen(GSSX_C_SERVICE),
                        GSS_C_NT_HOSTBASED_SERVICE, &major);
  if (major != GSS_S_COMPLETE) return major;
  major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, init, target,
                               GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                               GSS_C_NO_BUFFER, NULL, &first, NULL, NULL);
  if (major == GSS_S_CONTINUE_NEEDED) {
    major = gss_accept_sec_context(&minor, acc, GSS_C_NO_CREDENTIAL, &first,
                                   GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL,
                                   &reply, NULL, NULL, NULL);
  }
  if (major == GSS_S_COMPLETE) {
    major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, init, target,
                                 GSS_C_NO_OID, 0, 0,
                                 GSS_C_NO_CHANNEL_BINDINGS, &reply, NULL,
                                 &last, NULL, NULL);
  }
  /* Released whatever happened: every output was set on entry. */
  gss_release_buffer(&ignored, &first);
  gss_release_buffer(&ignored, &reply);
  gss_release_buffer(&ignored, &last);
  gss_release_name(&ignored, &target);
  return major;
}

/* 1.2.840.113554.1.2.2.5.5, MIT's GSS_C_INQ_SSPI_SESSION_KEY. */
static gss_OID_desc session_key_oid = {
    11, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x05\x05"};

void inquire_sec_context_by_oid_is_unavailable(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  gss_buffer_set_t data;
  REQUIRE_GSS(establish(&init, &acc), GSS_S_COMPLETE);
  GARBAGE(data);
  CHECK_GSS(gss_inquire_sec_context_by_oid(&minor, init, &session_key_oid,
                                           &data),
            GSS_S_UNAVAILABLE);
  CHECK(gssx_c_minor_mentions(minor, "does not support"));
  CHECK(data == GSS_C_NO_BUFFER_SET);
  release_buffer_set(&data);
  GARBAGE(data);
  CHECK_GSS(gss_inquire_sec_context_by_oid(&minor, FAKE_CTX, &session_key_oid,
                                           &data),
            GSS_S_NO_CONTEXT);
  CHECK(data == GSS_C_NO_BUFFER_SET);
  CHECK_GSS(gss_inquire_sec_context_by_oid(&minor, GSS_C_NO_CONTEXT,
                                           &session_key_oid, &data),
            GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_inquire_sec_context_by_oid(&minor, init, GSS_C_NO_OID, &data),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_inquire_sec_context_by_oid(&minor, init, &session_key_oid,
                                           NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  gss_delete_sec_context(&minor, &init, GSS_C_NO_BUFFER);
  gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);
}

void inquire_cred_by_oid_is_unavailable(void) {
  OM_uint32 minor = 0;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_buffer_set_t data;
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                               GSS_C_INITIATE, &cred, NULL, NULL),
              GSS_S_COMPLETE);
  GARBAGE(data);
  CHECK_GSS(gss_inquire_cred_by_oid(&minor, cred, &session_key_oid, &data),
            GSS_S_UNAVAILABLE);
  CHECK(gssx_c_minor_mentions(minor, "does not support"));
  CHECK(data == GSS_C_NO_BUFFER_SET);
  release_buffer_set(&data);
  GARBAGE(data);
  CHECK_GSS(gss_inquire_cred_by_oid(&minor, FAKE_CRED, &session_key_oid,
                                    &data),
            GSS_S_NO_CRED);
  CHECK(data == GSS_C_NO_BUFFER_SET);
  CHECK_GSS(gss_inquire_cred_by_oid(&minor, GSS_C_NO_CREDENTIAL,
                                    &session_key_oid, &data),
            GSS_S_NO_CRED);
  CHECK_GSS(gss_inquire_cred_by_oid(&minor, cred, GSS_C_NO_OID, &data),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_inquire_cred_by_oid(&minor, cred, &session_key_oid, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  release_cred(&cred);
}

void set_sec_context_option_is_unavailable(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, none = GSS_C_NO_CONTEXT, before;
  gss_buffer_desc value = GSSX_C_BUF("1");
  gss_buffer_desc msg = GSSX_C_BUF("still usable");
  gss_buffer_desc token, out;
  REQUIRE_GSS(establish(&init, &acc), GSS_S_COMPLETE);
  before = init;
  CHECK_GSS(gss_set_sec_context_option(&minor, &init, &session_key_oid,
                                       &value),
            GSS_S_UNAVAILABLE);
  CHECK(gssx_c_minor_mentions(minor, "does not support"));
  CHECK(init == before);
  /* The context is as it was. */
  CHECK_GSS(gss_wrap(&minor, init, 1, 0, &msg, NULL, &token), GSS_S_COMPLETE);
  CHECK_GSS(gss_unwrap(&minor, acc, &token, &out, NULL, NULL),
            GSS_S_COMPLETE);
  CHECK(out.length == msg.length);
  release_buffer(&token);
  release_buffer(&out);
  CHECK_GSS(gss_set_sec_context_option(&minor, &none, &session_key_oid,
                                       GSS_C_NO_BUFFER),
            GSS_S_NO_CONTEXT);
  CHECK(none == GSS_C_NO_CONTEXT);
  CHECK_GSS(gss_set_sec_context_option(&minor, &init, GSS_C_NO_OID, &value),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_set_sec_context_option(&minor, NULL, &session_key_oid,
                                       &value),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  gss_delete_sec_context(&minor, &init, GSS_C_NO_BUFFER);
  gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);
}

/* ------------------------------------------ gss_pname_to_uid / localname */

void pname_to_uid_maps_to_the_account_of_the_same_name(void) {
  OM_uint32 minor = 0, major;
  struct passwd *pw = getpwuid(getuid());
  gss_name_t user, svc, nobody;
  gss_buffer_desc local;
  uid_t uid;
  gss_OID_desc other = {3, (void *)"\x2a\x03\x04"};
  REQUIRE(pw != NULL);
  /* strlen + 1: the NUL counted, as C programs do. */
  user = import_bytes(pw->pw_name, strlen(pw->pw_name) + 1,
                      GSS_C_NT_USER_NAME, &major);
  REQUIRE_GSS(major, GSS_S_COMPLETE);
  GARBAGE(uid);
  CHECK_GSS(gss_pname_to_uid(&minor, user, GSS_C_NO_OID, &uid),
            GSS_S_COMPLETE);
  CHECK(uid == getuid());
  GARBAGE(local);
  CHECK_GSS(gss_localname(&minor, user, GSS_GSSX_MECHANISM, &local),
            GSS_S_COMPLETE);
  CHECK(gssx_c_buffer_is(&local, pw->pw_name));
  release_buffer(&local);

  svc = import_bytes("http@web1", 9, GSS_C_NT_HOSTBASED_SERVICE, &major);
  nobody = import_bytes("no-such-account-xq7", 19, GSS_C_NT_USER_NAME, &major);
  GARBAGE(uid);
  CHECK_GSS(gss_pname_to_uid(&minor, svc, GSS_C_NO_OID, &uid),
            GSS_S_UNAVAILABLE);
  CHECK(uid == (uid_t)-1); /* never 0 (root) */
  GARBAGE(uid);
  CHECK_GSS(gss_pname_to_uid(&minor, nobody, GSS_C_NO_OID, &uid),
            GSS_S_UNAVAILABLE);
  CHECK(gssx_c_minor_mentions(minor, "No local account"));
  CHECK(uid == (uid_t)-1);
  GARBAGE(local);
  CHECK_GSS(gss_localname(&minor, nobody, GSS_C_NO_OID, &local),
            GSS_S_UNAVAILABLE);
  CHECK(gssx_c_minor_mentions(minor, "No local account"));
  CHECK_EMPTY_BUFFER(local);
  release_buffer(&local);
  CHECK_GSS(gss_pname_to_uid(&minor, FAKE_NAME, GSS_C_NO_OID, &uid),
            GSS_S_BAD_NAME);
  CHECK_GSS(gss_pname_to_uid(&minor, user, &other, &uid), GSS_S_BAD_MECH);
  CHECK(uid == (uid_t)-1);
  CHECK_GSS(gss_pname_to_uid(&minor, user, GSS_C_NO_OID, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  release_name(&user);
  release_name(&svc);
  release_name(&nobody);
}

/* ------------------------------------------ minor codes keep the detail */

/* The text gss_display_status gives for a minor code. */
static void minor_text(OM_uint32 code, char *out, size_t n) {
  OM_uint32 minor = 0, context = 0;
  gss_buffer_desc text;
  out[0] = '\0';
  if (gss_display_status(&minor, code, GSS_C_MECH_CODE, GSS_C_NO_OID,
                         &context, &text) != GSS_S_COMPLETE) {
    return;
  }
  snprintf(out, n, "%.*s", (int)text.length, (const char *)text.value);
  gss_release_buffer(&minor, &text);
}

void minor_status_says_which_keytab_and_why(void) {
  OM_uint32 minor = 0;
  gss_key_value_element_desc store[1];
  gss_cred_id_t cred;
  char text[512];
  REQUIRE(hide_env() == 0);
  store[0].key = "keytab";
  store[0].value = "/nonexistent/gssx/keytab";
  CHECK_GSS(acquire_from(store, 1, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_NO_CRED);
  CHECK_EQ_U64(minor, GSSX_MINOR_KEYTAB_UNREADABLE);
  minor_text(minor, text, sizeof text);
  CHECK(strstr(text, "The keytab cannot be read") != NULL);
  CHECK(strstr(text, "cannot open the keytab /nonexistent/gssx/keytab: "
                     "No such file or directory") != NULL);
  /* The next error of the same code brings its own detail. */
  store[0].value = "/nonexistent/other";
  CHECK_GSS(acquire_from(store, 1, GSS_C_INITIATE, NULL, &cred, &minor),
            GSS_S_NO_CRED);
  minor_text(minor, text, sizeof text);
  CHECK(strstr(text, "/nonexistent/other") != NULL);
  CHECK(strstr(text, "/nonexistent/gssx/keytab") == NULL);
  /* No keytab at all. */
  CHECK_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                             GSS_C_INITIATE, &cred, NULL, NULL),
            GSS_S_NO_CRED);
  CHECK_EQ_U64(minor, GSSX_MINOR_NO_KEYTAB);
  minor_text(minor, text, sizeof text);
  CHECK(strstr(text, "GSSX_KEYTAB") != NULL);
  restore_env();
}

void minor_status_says_gssx_trust_is_unset(void) {
  OM_uint32 minor = 0, major;
  gss_key_value_element_desc store[1];
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_name_t target;
  gss_buffer_desc out;
  char text[512];
  REQUIRE(hide_env() == 0);
  store[0].key = "keytab";
  store[0].value = saved_keytab;
  REQUIRE_GSS(acquire_from(store, 1, GSS_C_INITIATE, NULL, &cred, &minor),
              GSS_S_COMPLETE);
  target = import_bytes(GSSX_C_SERVICE, strlen(GSSX_C_SERVICE),
                        GSS_C_NT_HOSTBASED_SERVICE, &major);
  CHECK_GSS(gss_init_sec_context(&minor, cred, &ctx, target, GSS_C_NO_OID, 0,
                                 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 GSS_C_NO_BUFFER, NULL, &out, NULL, NULL),
            GSS_S_BAD_NAME);
  CHECK_EQ_U64(minor, GSSX_MINOR_UNKNOWN_TARGET);
  minor_text(minor, text, sizeof text);
  CHECK(strstr(text, "GSSX_TRUST is not set") != NULL);
  release_buffer(&out);
  delete_context(&ctx);
  release_name(&target);
  release_cred(&cred);
  restore_env();
}

void minor_code_constants_are_the_library_s(void) {
  OM_uint32 minor = 0, time_rec;
  gss_buffer_desc buf = GSSX_C_BUF("has space");
  gss_name_t name;
  CHECK_GSS(gss_import_name(&minor, &buf, GSS_C_NT_USER_NAME, &name),
            GSS_S_BAD_NAME);
  CHECK_EQ_U64(minor, GSSX_MINOR_NAME_MALFORMED);
  CHECK_GSS(gss_context_time(&minor, GSS_C_NO_CONTEXT, &time_rec),
            GSS_S_NO_CONTEXT);
  CHECK_EQ_U64(minor, GSSX_MINOR_NO_CONTEXT_HANDLE);
  CHECK_EQ_U64(GSSX_MINOR_BASE, 0x67737800ul);
  CHECK_EQ_U64(GSSX_MINOR_TRANSPORT_ALREADY_CONSUMED,
               GSSX_MINOR_TRANSPORT_BASE + 7);
}
