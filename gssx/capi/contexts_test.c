/* SPDX-License-Identifier: Apache-2.0 */
/* Security contexts of the C ABI: establishment, per-message calls,
   inquiry, deletion, export and import, tested from C with the identities
   of gssx_c_use_test_identities() ($GSSX_KEYTAB, $GSSX_TRUST). */
#include <gssapi/gssapi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gssx/capi/testing/c_check.h"
#include "gssx/capi/testing/gss_helpers.h"

#define X(fn) void fn(void);
#include "gssx/capi/contexts_tests.inc"
#undef X

#define ALL_FLAGS                                                   \
  (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |    \
   GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)

static gss_name_t import_name(const char *text, gss_OID type) {
  OM_uint32 minor = 0;
  gss_buffer_desc buf = GSSX_C_BUF(text);
  gss_name_t name = GSS_C_NO_NAME;
  if (gss_import_name(&minor, &buf, type, &name) != GSS_S_COMPLETE) {
    return GSS_C_NO_NAME;
  }
  return name;
}

static int name_is(gss_name_t name, const char *expected) {
  OM_uint32 minor = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  int same;
  if (gss_display_name(&minor, name, &text, NULL) != GSS_S_COMPLETE) return 0;
  same = gssx_c_buffer_is(&text, expected);
  gss_release_buffer(&minor, &text);
  return same;
}

/* Runs the whole handshake with the given credentials (GSS_C_NO_CREDENTIAL:
   the defaults) and bindings. Returns GSS_S_COMPLETE or the first failing
   major status (contexts made so far are deleted then). */
static OM_uint32 establish_with(gss_cred_id_t init_cred,
                                gss_cred_id_t accept_cred, OM_uint32 flags,
                                OM_uint32 time_req,
                                gss_channel_bindings_t init_cb,
                                gss_channel_bindings_t accept_cb,
                                gss_ctx_id_t *init, gss_ctx_id_t *acc) {
  OM_uint32 minor = 0, major, ignored;
  gss_name_t target = import_name(GSSX_C_SERVICE, GSS_C_NT_HOSTBASED_SERVICE);
  gss_buffer_desc first = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc reply = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc last = GSS_C_EMPTY_BUFFER;
  *init = GSS_C_NO_CONTEXT;
  *acc = GSS_C_NO_CONTEXT;
  if (gssx_c_use_test_identities() != 0 || target == GSS_C_NO_NAME) {
    return GSS_S_FAILURE;
  }
  major = gss_init_sec_context(&minor, init_cred, init, target, GSS_C_NO_OID,
                               flags, time_req, init_cb, GSS_C_NO_BUFFER,
                               NULL, &first, NULL, NULL);
  if (major != GSS_S_CONTINUE_NEEDED) goto done;
  major = gss_accept_sec_context(&minor, acc, accept_cred, &first, accept_cb,
                                 NULL, NULL, &reply, NULL, NULL, NULL);
  if (major != GSS_S_COMPLETE) goto done;
  major = gss_init_sec_context(&minor, init_cred, init, target, GSS_C_NO_OID,
                               flags, time_req, init_cb, &reply, NULL, &last,
                               NULL, NULL);
done:
  if (major != GSS_S_COMPLETE) {
    gss_delete_sec_context(&ignored, init, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&ignored, acc, GSS_C_NO_BUFFER);
  }
  gss_release_buffer(&ignored, &first);
  gss_release_buffer(&ignored, &reply);
  gss_release_buffer(&ignored, &last);
  gss_release_name(&ignored, &target);
  return major;
}

static OM_uint32 establish(OM_uint32 flags, gss_ctx_id_t *init,
                           gss_ctx_id_t *acc) {
  return establish_with(GSS_C_NO_CREDENTIAL, GSS_C_NO_CREDENTIAL, flags, 0,
                        GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_CHANNEL_BINDINGS,
                        init, acc);
}

void handshake_with_default_credentials(void) {
  OM_uint32 minor = 0;
  gss_name_t target;
  gss_ctx_id_t init = GSS_C_NO_CONTEXT, acc = GSS_C_NO_CONTEXT;
  gss_buffer_desc first = GSS_C_EMPTY_BUFFER, reply = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc last = GSS_C_EMPTY_BUFFER;
  gss_OID mech = GSS_C_NO_OID, acc_mech = GSS_C_NO_OID;
  OM_uint32 flags = 0, acc_flags = 0, time_rec = 0, acc_time = 0;
  gss_name_t src = GSS_C_NO_NAME;
  gss_cred_id_t delegated = (gss_cred_id_t)&flags;
  const OM_uint32 granted = ALL_FLAGS | GSS_C_TRANS_FLAG |
                            GSS_C_PROT_READY_FLAG;
  REQUIRE(gssx_c_use_test_identities() == 0);
  target = import_name(GSSX_C_SERVICE, GSS_C_NT_HOSTBASED_SERVICE);
  REQUIRE(target != GSS_C_NO_NAME);
  REQUIRE_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &init, target,
                                   GSS_C_NO_OID, ALL_FLAGS, 0,
                                   GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
                                   &mech, &first, &flags, &time_rec),
              GSS_S_CONTINUE_NEEDED);
  CHECK(init != GSS_C_NO_CONTEXT);
  CHECK(first.length > 0);
  CHECK(mech == GSS_GSSX_MECHANISM);
  CHECK((flags & GSS_C_PROT_READY_FLAG) == 0);
  REQUIRE_GSS(gss_accept_sec_context(&minor, &acc, GSS_C_NO_CREDENTIAL, &first,
                                     GSS_C_NO_CHANNEL_BINDINGS, &src,
                                     &acc_mech, &reply, &acc_flags, &acc_time,
                                     &delegated),
              GSS_S_COMPLETE);
  CHECK(name_is(src, GSSX_C_CLIENT));
  CHECK(acc_mech == GSS_GSSX_MECHANISM);
  CHECK(reply.length > 0);
  CHECK_EQ_U64(acc_flags & granted, granted);
  CHECK((acc_flags & (GSS_C_DELEG_FLAG | GSS_C_ANON_FLAG)) == 0);
  CHECK_EQ_U64(acc_time, GSS_C_INDEFINITE);
  CHECK(delegated == GSS_C_NO_CREDENTIAL);
  REQUIRE_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &init, target,
                                   GSS_C_NO_OID, ALL_FLAGS, 0,
                                   GSS_C_NO_CHANNEL_BINDINGS, &reply, &mech,
                                   &last, &flags, &time_rec),
              GSS_S_COMPLETE);
  CHECK_EQ_U64(last.length, 0);
  CHECK_EQ_U64(flags & granted, granted);
  CHECK_EQ_U64(time_rec, GSS_C_INDEFINITE);
  CHECK(gssx_c_round_trip(init, acc, "first words"));
  gss_release_buffer(&minor, &first);
  gss_release_buffer(&minor, &reply);
  gss_release_buffer(&minor, &last);
  gss_release_name(&minor, &src);
  gss_release_name(&minor, &target);
  CHECK_GSS(gss_delete_sec_context(&minor, &init, GSS_C_NO_BUFFER),
            GSS_S_COMPLETE);
  CHECK(init == GSS_C_NO_CONTEXT);
  CHECK_GSS(gss_delete_sec_context(&minor, &acc, &last), GSS_S_COMPLETE);
  CHECK(last.length == 0 && last.value == NULL);
}

void handshake_with_explicit_credentials(void) {
  OM_uint32 minor = 0;
  gss_cred_id_t client = GSS_C_NO_CREDENTIAL, server = GSS_C_NO_CREDENTIAL;
  gss_name_t service;
  gss_ctx_id_t init, acc;
  gss_name_t src = GSS_C_NO_NAME, targ = GSS_C_NO_NAME;
  REQUIRE(gssx_c_use_test_identities() == 0);
  service = import_name(GSSX_C_SERVICE, GSS_C_NT_HOSTBASED_SERVICE);
  REQUIRE_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                               GSS_C_INITIATE, &client, NULL, NULL),
              GSS_S_COMPLETE);
  REQUIRE_GSS(gss_acquire_cred(&minor, service, 0, GSS_C_NO_OID_SET,
                               GSS_C_ACCEPT, &server, NULL, NULL),
              GSS_S_COMPLETE);
  REQUIRE_GSS(establish_with(client, server, ALL_FLAGS, 0,
                             GSS_C_NO_CHANNEL_BINDINGS,
                             GSS_C_NO_CHANNEL_BINDINGS, &init, &acc),
              GSS_S_COMPLETE);
  REQUIRE_GSS(gss_inquire_context(&minor, acc, &src, &targ, NULL, NULL, NULL,
                                  NULL, NULL),
              GSS_S_COMPLETE);
  CHECK(name_is(src, GSSX_C_CLIENT));
  CHECK(name_is(targ, GSSX_C_SERVER));
  /* An initiate-only credential cannot accept. */
  {
    gss_ctx_id_t i2, a2;
    CHECK_GSS(establish_with(client, client, ALL_FLAGS, 0,
                             GSS_C_NO_CHANNEL_BINDINGS,
                             GSS_C_NO_CHANNEL_BINDINGS, &i2, &a2),
              GSS_S_NO_CRED);
  }
  gss_release_name(&minor, &src);
  gss_release_name(&minor, &targ);
  gss_release_name(&minor, &service);
  gss_release_cred(&minor, &client);
  gss_release_cred(&minor, &server);
  gssx_c_delete_both(&init, &acc);
}

void wrap_and_unwrap_both_ways(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  gss_buffer_desc hello = GSSX_C_BUF("hello, acceptor");
  gss_buffer_desc reply = GSSX_C_BUF("hello, initiator");
  gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
  int conf = -1;
  gss_qop_t qop = 99;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_wrap(&minor, init, 1, GSS_C_QOP_DEFAULT, &hello, &conf,
                       &wrapped),
              GSS_S_COMPLETE);
  CHECK(conf == 1);
  CHECK(wrapped.length > hello.length);
  /* Confidential: the plaintext is not in the token. */
  {
    size_t i;
    int found = 0;
    for (i = 0; i + hello.length <= wrapped.length; ++i) {
      if (memcmp((char *)wrapped.value + i, hello.value, hello.length) == 0) {
        found = 1;
      }
    }
    CHECK(!found);
  }
  REQUIRE_GSS(gss_unwrap(&minor, acc, &wrapped, &out, &conf, &qop),
              GSS_S_COMPLETE);
  CHECK(gssx_c_buffer_is(&out, "hello, acceptor"));
  CHECK(conf == 1);
  CHECK(qop == GSS_C_QOP_DEFAULT);
  gss_release_buffer(&minor, &wrapped);
  gss_release_buffer(&minor, &out);
  /* Integrity only, the other way. */
  REQUIRE_GSS(gss_wrap(&minor, acc, 0, GSS_C_QOP_DEFAULT, &reply, &conf,
                       &wrapped),
              GSS_S_COMPLETE);
  CHECK(conf == 0);
  REQUIRE_GSS(gss_unwrap(&minor, init, &wrapped, &out, &conf, NULL),
              GSS_S_COMPLETE);
  CHECK(gssx_c_buffer_is(&out, "hello, initiator"));
  CHECK(conf == 0);
  /* Released before `out` is passed again: every call empties its
     outputs on entry (as MIT's do), so a result left in one would leak. */
  gss_release_buffer(&minor, &out);
  /* A token does not verify in the direction it was made for. */
  CHECK(GSS_ERROR(gss_unwrap(&minor, acc, &wrapped, &out, NULL, NULL)));
  gss_release_buffer(&minor, &wrapped);
  gss_release_buffer(&minor, &out);
  /* An empty message. */
  {
    gss_buffer_desc empty = GSS_C_EMPTY_BUFFER;
    REQUIRE_GSS(gss_wrap(&minor, init, 1, 0, &empty, NULL, &wrapped),
                GSS_S_COMPLETE);
    REQUIRE_GSS(gss_unwrap(&minor, acc, &wrapped, &out, NULL, NULL),
                GSS_S_COMPLETE);
    CHECK_EQ_U64(out.length, 0);
    gss_release_buffer(&minor, &wrapped);
    gss_release_buffer(&minor, &out);
  }
  gssx_c_delete_both(&init, &acc);
}

void get_mic_and_verify_mic(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  gss_buffer_desc message = GSSX_C_BUF("signed, not sealed");
  gss_buffer_desc other = GSSX_C_BUF("signed, not sealeD");
  gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
  gss_qop_t qop = 99;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_get_mic(&minor, acc, GSS_C_QOP_DEFAULT, &message, &mic),
              GSS_S_COMPLETE);
  CHECK(mic.length > 0);
  CHECK_GSS(gss_verify_mic(&minor, init, &other, &mic, &qop), GSS_S_BAD_MIC);
  CHECK(qop == 0); /* set on entry, as MIT */
  CHECK_GSS(gss_verify_mic(&minor, init, &message, &mic, &qop),
            GSS_S_COMPLETE);
  CHECK(qop == GSS_C_QOP_DEFAULT);
  gss_release_buffer(&minor, &mic);
  /* Only the default QOP. */
  CHECK_GSS(gss_get_mic(&minor, acc, 5, &message, &mic), GSS_S_BAD_QOP);
  CHECK(mic.value == NULL);
  gssx_c_delete_both(&init, &acc);
}

void replays_and_gaps_are_supplementary_bits(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  gss_buffer_desc m = GSSX_C_BUF("m");
  gss_buffer_desc mic[131];
  int i;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  for (i = 0; i < 131; ++i) {
    mic[i].length = 0;
    mic[i].value = NULL;
    REQUIRE_GSS(gss_get_mic(&minor, init, 0, &m, &mic[i]), GSS_S_COMPLETE);
  }
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic[0], NULL), GSS_S_COMPLETE);
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic[0], NULL),
            GSS_S_DUPLICATE_TOKEN);
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic[2], NULL), GSS_S_GAP_TOKEN);
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic[1], NULL),
            GSS_S_UNSEQ_TOKEN);
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic[130], NULL),
            GSS_S_GAP_TOKEN);
  /* 130 - 1 - 1 = 128 numbers back: beyond the window. */
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic[1], NULL), GSS_S_OLD_TOKEN);
  /* The supplementary bits are not errors. */
  CHECK(!GSS_ERROR(GSS_S_OLD_TOKEN | GSS_S_GAP_TOKEN));
  for (i = 0; i < 131; ++i) gss_release_buffer(&minor, &mic[i]);
  gssx_c_delete_both(&init, &acc);
  /* Without REPLAY or SEQUENCE nothing is reported. */
  REQUIRE_GSS(establish(GSS_C_MUTUAL_FLAG, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_get_mic(&minor, init, 0, &m, &mic[0]), GSS_S_COMPLETE);
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic[0], NULL), GSS_S_COMPLETE);
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic[0], NULL), GSS_S_COMPLETE);
  gss_release_buffer(&minor, &mic[0]);
  gssx_c_delete_both(&init, &acc);
}

void tampered_tokens_are_refused(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  gss_buffer_desc in = GSSX_C_BUF("payload");
  gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc garbage = GSSX_C_BUF("definitely not a token");
  gss_buffer_desc empty = GSS_C_EMPTY_BUFFER;
  OM_uint32 major;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_wrap(&minor, init, 1, 0, &in, NULL, &wrapped),
              GSS_S_COMPLETE);
  ((unsigned char *)wrapped.value)[wrapped.length - 1] ^= 1;
  CHECK_GSS(gss_unwrap(&minor, acc, &wrapped, &out, NULL, NULL),
            GSS_S_BAD_MIC);
  CHECK(out.value == NULL);
  /* The failure changed nothing: the repaired token still unwraps. */
  ((unsigned char *)wrapped.value)[wrapped.length - 1] ^= 1;
  CHECK_GSS(gss_unwrap(&minor, acc, &wrapped, &out, NULL, NULL),
            GSS_S_COMPLETE);
  gss_release_buffer(&minor, &out);
  major = gss_unwrap(&minor, acc, &garbage, &out, NULL, NULL);
  CHECK(major == GSS_S_DEFECTIVE_TOKEN || major == GSS_S_BAD_MIC);
  CHECK_GSS(gss_unwrap(&minor, acc, &empty, &out, NULL, NULL),
            GSS_S_DEFECTIVE_TOKEN);
  major = gss_verify_mic(&minor, acc, &in, &garbage, NULL);
  CHECK(major == GSS_S_DEFECTIVE_TOKEN || major == GSS_S_BAD_MIC);
  gss_release_buffer(&minor, &wrapped);
  gssx_c_delete_both(&init, &acc);
}

void version_1_calls_are_the_version_2_calls(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  gss_buffer_desc in = GSSX_C_BUF("old school");
  gss_buffer_desc sealed = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc sig = GSS_C_EMPTY_BUFFER;
  int conf = -1, qop = -1;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_seal(&minor, init, 1, 0, &in, &conf, &sealed),
              GSS_S_COMPLETE);
  CHECK(conf == 1);
  REQUIRE_GSS(gss_unseal(&minor, acc, &sealed, &out, &conf, &qop),
              GSS_S_COMPLETE);
  CHECK(gssx_c_buffer_is(&out, "old school"));
  CHECK(qop == 0);
  gss_release_buffer(&minor, &out); /* before `out` is passed again */
  REQUIRE_GSS(gss_sign(&minor, acc, 0, &in, &sig), GSS_S_COMPLETE);
  qop = -1;
  CHECK_GSS(gss_verify(&minor, init, &in, &sig, &qop), GSS_S_COMPLETE);
  CHECK(qop == 0);
  CHECK_GSS(gss_verify(&minor, init, &in, &sig, &qop), GSS_S_DUPLICATE_TOKEN);
  CHECK_GSS(gss_sign(&minor, acc, -1, &in, &out), GSS_S_BAD_QOP);
  gss_release_buffer(&minor, &sealed);
  gss_release_buffer(&minor, &out);
  gss_release_buffer(&minor, &sig);
  gssx_c_delete_both(&init, &acc);
}

void wrap_size_limit_bounds_the_token(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  OM_uint32 limit = 0;
  char *message;
  gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_wrap_size_limit(&minor, init, 1, 0, 1000, &limit),
              GSS_S_COMPLETE);
  REQUIRE(limit > 0 && limit < 1000);
  message = calloc(limit + 1, 1);
  REQUIRE(message != NULL);
  in.value = message;
  in.length = limit;
  CHECK_GSS(gss_wrap(&minor, init, 1, 0, &in, NULL, &out), GSS_S_COMPLETE);
  CHECK(out.length <= 1000);
  gss_release_buffer(&minor, &out);
  in.length = limit + 1;
  CHECK_GSS(gss_wrap(&minor, init, 1, 0, &in, NULL, &out), GSS_S_COMPLETE);
  CHECK(out.length > 1000);
  gss_release_buffer(&minor, &out);
  free(message);
  CHECK_GSS(gss_wrap_size_limit(&minor, init, 1, 0, 3, &limit),
            GSS_S_COMPLETE);
  CHECK_EQ_U64(limit, 0);
  CHECK_GSS(gss_wrap_size_limit(&minor, init, 1, 0, 1000, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  gssx_c_delete_both(&init, &acc);
}

void context_time_and_inquire_context(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  OM_uint32 time_rec = 0, lifetime = 0, flags = 0;
  gss_name_t src = GSS_C_NO_NAME, targ = GSS_C_NO_NAME;
  gss_OID mech = GSS_C_NO_OID;
  int local = -1, open = -1;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  CHECK_GSS(gss_context_time(&minor, init, &time_rec), GSS_S_COMPLETE);
  CHECK_EQ_U64(time_rec, GSS_C_INDEFINITE);
  REQUIRE_GSS(gss_inquire_context(&minor, init, &src, &targ, &lifetime, &mech,
                                  &flags, &local, &open),
              GSS_S_COMPLETE);
  CHECK(name_is(src, GSSX_C_CLIENT));
  CHECK(name_is(targ, GSSX_C_SERVER));
  CHECK_EQ_U64(lifetime, GSS_C_INDEFINITE);
  CHECK(mech == GSS_GSSX_MECHANISM);
  CHECK((flags & GSS_C_TRANS_FLAG) != 0);
  CHECK(local == 1);
  CHECK(open == 1);
  gss_release_name(&minor, &src);
  gss_release_name(&minor, &targ);
  REQUIRE_GSS(gss_inquire_context(&minor, acc, NULL, NULL, NULL, NULL, NULL,
                                  &local, &open),
              GSS_S_COMPLETE);
  CHECK(local == 0);
  CHECK(open == 1);
  gssx_c_delete_both(&init, &acc);
}

void requested_lifetime_is_granted(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  OM_uint32 a = 0, b = 0;
  REQUIRE_GSS(establish_with(GSS_C_NO_CREDENTIAL, GSS_C_NO_CREDENTIAL,
                             ALL_FLAGS, 3600, GSS_C_NO_CHANNEL_BINDINGS,
                             GSS_C_NO_CHANNEL_BINDINGS, &init, &acc),
              GSS_S_COMPLETE);
  CHECK_GSS(gss_context_time(&minor, init, &a), GSS_S_COMPLETE);
  CHECK_GSS(gss_context_time(&minor, acc, &b), GSS_S_COMPLETE);
  CHECK(a > 3500 && a <= 3600);
  CHECK(b > 3500 && b <= 3600);
  gssx_c_delete_both(&init, &acc);
}

void channel_bindings_must_match(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  struct gss_channel_bindings_struct a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.initiator_addrtype = GSS_C_AF_LOCAL;
  a.application_data = GSSX_C_BUF("tls-unique:abc");
  b = a;
  REQUIRE_GSS(establish_with(GSS_C_NO_CREDENTIAL, GSS_C_NO_CREDENTIAL,
                             ALL_FLAGS, 0, &a, &b, &init, &acc),
              GSS_S_COMPLETE);
  gssx_c_delete_both(&init, &acc);
  b.application_data = GSSX_C_BUF("tls-unique:abd");
  CHECK_GSS(establish_with(GSS_C_NO_CREDENTIAL, GSS_C_NO_CREDENTIAL,
                           ALL_FLAGS, 0, &a, &b, &init, &acc),
            GSS_S_BAD_BINDINGS);
  /* The acceptor without bindings accepts whatever the initiator used. */
  CHECK_GSS(establish_with(GSS_C_NO_CREDENTIAL, GSS_C_NO_CREDENTIAL,
                           ALL_FLAGS, 0, &a, GSS_C_NO_CHANNEL_BINDINGS, &init,
                           &acc),
            GSS_S_COMPLETE);
  gssx_c_delete_both(&init, &acc);
  /* A buffer with a length and no value cannot be read. */
  b = a;
  b.acceptor_address.length = 4;
  b.acceptor_address.value = NULL;
  CHECK_GSS(establish_with(GSS_C_NO_CREDENTIAL, GSS_C_NO_CREDENTIAL,
                           ALL_FLAGS, 0, &b, &b, &init, &acc),
            GSS_S_CALL_INACCESSIBLE_READ);
}

void unknown_target_is_bad_name(void) {
  OM_uint32 minor = 0;
  gss_name_t nobody;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  REQUIRE(gssx_c_use_test_identities() == 0);
  nobody = import_name("nobody@nowhere", GSS_C_NT_HOSTBASED_SERVICE);
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, nobody,
                                 GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 GSS_C_NO_BUFFER, NULL, &out, NULL, NULL),
            GSS_S_BAD_NAME);
  CHECK(gssx_c_minor_mentions(minor, "trust file"));
  CHECK(ctx == GSS_C_NO_CONTEXT);
  CHECK(out.value == NULL);
  gss_release_name(&minor, &nobody);
}

void garbage_init_token_creates_no_context(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t acc = GSS_C_NO_CONTEXT;
  gss_buffer_desc garbage = GSSX_C_BUF("\x60\x05garbage");
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  gss_name_t src = GSS_C_NO_NAME;
  REQUIRE(gssx_c_use_test_identities() == 0);
  CHECK_GSS(gss_accept_sec_context(&minor, &acc, GSS_C_NO_CREDENTIAL,
                                   &garbage, GSS_C_NO_CHANNEL_BINDINGS, &src,
                                   NULL, &out, NULL, NULL, NULL),
            GSS_S_DEFECTIVE_TOKEN);
  CHECK(acc == GSS_C_NO_CONTEXT);
  CHECK(src == GSS_C_NO_NAME);
  CHECK(out.value == NULL);
}

void failed_continuation_leaves_an_empty_handle(void) {
  OM_uint32 minor = 0;
  gss_name_t target;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc first = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc garbage = GSSX_C_BUF("not the acceptor's reply");
  int open = -1;
  REQUIRE(gssx_c_use_test_identities() == 0);
  target = import_name(GSSX_C_SERVICE, GSS_C_NT_HOSTBASED_SERVICE);
  REQUIRE_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, target,
                                   GSS_C_NO_OID, 0, 0,
                                   GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
                                   NULL, &first, NULL, NULL),
              GSS_S_CONTINUE_NEEDED);
  /* Half-established: inquire works, open is 0. */
  CHECK_GSS(gss_inquire_context(&minor, ctx, NULL, NULL, NULL, NULL, NULL,
                                NULL, &open),
            GSS_S_COMPLETE);
  CHECK(open == 0);
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, target,
                                 GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 &garbage, NULL, &out, NULL, NULL),
            GSS_S_DEFECTIVE_TOKEN);
  CHECK(ctx != GSS_C_NO_CONTEXT); /* untouched: the caller deletes it */
  CHECK_GSS(gss_inquire_context(&minor, ctx, NULL, NULL, NULL, NULL, NULL,
                                NULL, &open),
            GSS_S_NO_CONTEXT);
  CHECK(gssx_c_minor_mentions(minor, "handshake failed"));
  CHECK_GSS(gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER),
            GSS_S_COMPLETE);
  gss_release_buffer(&minor, &first);
  gss_release_name(&minor, &target);
}

void accept_on_an_established_handle_fails(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, same;
  gss_buffer_desc token = GSSX_C_BUF("x");
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  same = acc;
  CHECK_GSS(gss_accept_sec_context(&minor, &same, GSS_C_NO_CREDENTIAL, &token,
                                   GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &out,
                                   NULL, NULL, NULL),
            GSS_S_FAILURE);
  CHECK(same == acc);
  /* And an initiator that is already established refuses more tokens. */
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &init,
                                 GSS_C_NO_NAME, GSS_C_NO_OID, 0, 0,
                                 GSS_C_NO_CHANNEL_BINDINGS, &token, NULL, &out,
                                 NULL, NULL),
            GSS_S_FAILURE);
  CHECK(gssx_c_round_trip(init, acc, "still fine"));
  gssx_c_delete_both(&init, &acc);
}

void deleted_and_made_up_handles_are_no_context(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, stale;
  gss_ctx_id_t made_up = (gss_ctx_id_t)(uintptr_t)0x4242;
  gss_buffer_desc in = GSSX_C_BUF("m");
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  OM_uint32 time_rec = 0;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  stale = init;
  REQUIRE_GSS(gss_delete_sec_context(&minor, &init, GSS_C_NO_BUFFER),
              GSS_S_COMPLETE);
  CHECK(init == GSS_C_NO_CONTEXT);
  CHECK_GSS(gss_wrap(&minor, stale, 1, 0, &in, NULL, &out), GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_get_mic(&minor, stale, 0, &in, &out), GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_context_time(&minor, stale, &time_rec), GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_inquire_context(&minor, stale, NULL, NULL, NULL, NULL, NULL,
                                NULL, NULL),
            GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_export_sec_context(&minor, &stale, &out), GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_delete_sec_context(&minor, &stale, GSS_C_NO_BUFFER),
            GSS_S_NO_CONTEXT);
  CHECK(stale != GSS_C_NO_CONTEXT); /* untouched on failure */
  CHECK_GSS(gss_unwrap(&minor, made_up, &in, &out, NULL, NULL),
            GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_wrap(&minor, GSS_C_NO_CONTEXT, 1, 0, &in, NULL, &out),
            GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_delete_sec_context(&minor, &made_up, GSS_C_NO_BUFFER),
            GSS_S_NO_CONTEXT);
  CHECK(out.value == NULL);
  gssx_c_delete_both(&init, &acc);
}

void process_context_token_has_nothing_to_process(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, stale;
  gss_buffer_desc token = GSSX_C_BUF("\x60\x01\x00");
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  CHECK_GSS(gss_process_context_token(&minor, init, &token),
            GSS_S_DEFECTIVE_TOKEN);
  CHECK_GSS(gss_process_context_token(&minor, init, GSS_C_NO_BUFFER),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK(gssx_c_round_trip(init, acc, "unchanged"));
  stale = init;
  gssx_c_delete_both(&init, &acc);
  CHECK_GSS(gss_process_context_token(&minor, stale, &token),
            GSS_S_NO_CONTEXT);
}

void export_import_continues_the_context(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, imported = GSS_C_NO_CONTEXT;
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc m = GSSX_C_BUF("m");
  gss_buffer_desc mic_before = GSS_C_EMPTY_BUFFER;
  gss_name_t src = GSS_C_NO_NAME;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  /* The acceptor sees one MIC before the export. */
  REQUIRE_GSS(gss_get_mic(&minor, init, 0, &m, &mic_before), GSS_S_COMPLETE);
  CHECK_GSS(gss_verify_mic(&minor, acc, &m, &mic_before, NULL),
            GSS_S_COMPLETE);
  CHECK(gssx_c_round_trip(init, acc, "before export"));
  REQUIRE_GSS(gss_export_sec_context(&minor, &acc, &token), GSS_S_COMPLETE);
  CHECK(acc == GSS_C_NO_CONTEXT);
  CHECK(token.length > 0 && token.value != NULL);
  REQUIRE_GSS(gss_import_sec_context(&minor, &token, &imported),
              GSS_S_COMPLETE);
  CHECK(imported != GSS_C_NO_CONTEXT);
  /* It continues where the exporter stopped: both directions work, and
     the replay window came along. */
  CHECK(gssx_c_round_trip(init, imported, "after import"));
  CHECK(gssx_c_round_trip(imported, init, "and back"));
  CHECK_GSS(gss_verify_mic(&minor, imported, &m, &mic_before, NULL),
            GSS_S_DUPLICATE_TOKEN);
  REQUIRE_GSS(gss_inquire_context(&minor, imported, &src, NULL, NULL, NULL,
                                  NULL, NULL, NULL),
              GSS_S_COMPLETE);
  CHECK(name_is(src, GSSX_C_CLIENT));
  /* gss_release_buffer wipes and frees the token. */
  CHECK_GSS(gss_release_buffer(&minor, &token), GSS_S_COMPLETE);
  CHECK(token.length == 0 && token.value == NULL);
  gss_release_buffer(&minor, &mic_before);
  gss_release_name(&minor, &src);
  gssx_c_delete_both(&init, &imported);
}

void exported_handle_copies_are_no_context(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, copy;
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER, again = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc in = GSSX_C_BUF("m"), out = GSS_C_EMPTY_BUFFER;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  copy = init;
  REQUIRE_GSS(gss_export_sec_context(&minor, &init, &token), GSS_S_COMPLETE);
  CHECK(init == GSS_C_NO_CONTEXT);
  CHECK_GSS(gss_wrap(&minor, copy, 1, 0, &in, NULL, &out), GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_export_sec_context(&minor, &copy, &again), GSS_S_NO_CONTEXT);
  CHECK_GSS(gss_export_sec_context(&minor, &init, &again), GSS_S_NO_CONTEXT);
  CHECK(again.value == NULL);
  gss_release_buffer(&minor, &token);
  gssx_c_delete_both(&init, &acc);
}

void export_token_imports_once_per_process(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, first = GSS_C_NO_CONTEXT, second = GSS_C_NO_CONTEXT;
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_export_sec_context(&minor, &acc, &token), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_import_sec_context(&minor, &token, &first), GSS_S_COMPLETE);
  CHECK_GSS(gss_import_sec_context(&minor, &token, &second), GSS_S_NO_CONTEXT);
  CHECK(second == GSS_C_NO_CONTEXT);
  CHECK(gssx_c_minor_mentions(minor, "already imported"));
  CHECK(gssx_c_round_trip(init, first, "one live copy"));
  gss_release_buffer(&minor, &token);
  gssx_c_delete_both(&init, &first);
}

void reexport_of_an_imported_context_imports_again(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  int round;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_export_sec_context(&minor, &acc, &token), GSS_S_COMPLETE);
  for (round = 0; round < 3; ++round) {
    /* Untouched between export and import: byte-identical tokens. */
    REQUIRE_GSS(gss_import_sec_context(&minor, &token, &ctx), GSS_S_COMPLETE);
    gss_release_buffer(&minor, &token);
    REQUIRE_GSS(gss_export_sec_context(&minor, &ctx, &token), GSS_S_COMPLETE);
  }
  REQUIRE_GSS(gss_import_sec_context(&minor, &token, &ctx), GSS_S_COMPLETE);
  CHECK(gssx_c_round_trip(init, ctx, "after three moves"));
  gss_release_buffer(&minor, &token);
  gssx_c_delete_both(&init, &ctx);
}

void malformed_export_tokens_are_defective(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER, bad;
  unsigned char copy[4096];
  size_t i;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_export_sec_context(&minor, &acc, &token), GSS_S_COMPLETE);
  REQUIRE(token.length <= sizeof copy);
  memcpy(copy, token.value, token.length);
  bad.value = copy;
  /* Every truncation, and one flipped bit at every position: defective,
     and the failures do not spend the token. */
  for (i = 0; i < token.length; ++i) {
    bad.length = i;
    CHECK_GSS(gss_import_sec_context(&minor, &bad, &ctx),
              GSS_S_DEFECTIVE_TOKEN);
  }
  bad.length = token.length;
  for (i = 0; i < token.length; ++i) {
    copy[i] ^= 0x10;
    CHECK_GSS(gss_import_sec_context(&minor, &bad, &ctx),
              GSS_S_DEFECTIVE_TOKEN);
    copy[i] ^= 0x10;
  }
  CHECK(ctx == GSS_C_NO_CONTEXT);
  CHECK_GSS(gss_import_sec_context(&minor, &token, &ctx), GSS_S_COMPLETE);
  CHECK(gssx_c_round_trip(init, ctx, "intact"));
  CHECK_GSS(gss_import_sec_context(&minor, GSS_C_NO_BUFFER, &ctx),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_import_sec_context(&minor, &token, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  gss_release_buffer(&minor, &token);
  gssx_c_delete_both(&init, &ctx);
}

static unsigned next_random(unsigned *state) {
  unsigned x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

void random_export_tokens_never_crash(void) {
  OM_uint32 minor = 0;
  unsigned state = 0x5eed5eedu;
  unsigned char bytes[600];
  int round;
  for (round = 0; round < 3000; ++round) {
    gss_buffer_desc buf;
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    size_t i, n = next_random(&state) % sizeof bytes;
    for (i = 0; i < n; ++i) bytes[i] = (unsigned char)next_random(&state);
    if (n >= 4 && (round & 1)) memcpy(bytes, "GSXC", 4); /* right magic */
    buf.length = n;
    buf.value = bytes;
    CHECK_GSS(gss_import_sec_context(&minor, &buf, &ctx),
              GSS_S_DEFECTIVE_TOKEN);
    CHECK(ctx == GSS_C_NO_CONTEXT);
  }
}

void export_of_an_unestablished_context_is_unavailable(void) {
  OM_uint32 minor = 0;
  gss_name_t target;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT, before;
  gss_buffer_desc first = GSS_C_EMPTY_BUFFER, token = GSS_C_EMPTY_BUFFER;
  REQUIRE(gssx_c_use_test_identities() == 0);
  target = import_name(GSSX_C_SERVICE, GSS_C_NT_HOSTBASED_SERVICE);
  REQUIRE_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, target,
                                   GSS_C_NO_OID, 0, 0,
                                   GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
                                   NULL, &first, NULL, NULL),
              GSS_S_CONTINUE_NEEDED);
  before = ctx;
  CHECK_GSS(gss_export_sec_context(&minor, &ctx, &token), GSS_S_UNAVAILABLE);
  CHECK(ctx == before);
  CHECK(token.value == NULL);
  CHECK(gssx_c_minor_mentions(minor, "not fully established"));
  gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
  gss_release_buffer(&minor, &first);
  gss_release_name(&minor, &target);
}

void export_of_an_untransferable_context_is_unavailable(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t ctx = gssx_c_make_untransferable_context(), before = ctx;
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc in = GSSX_C_BUF("m"), out = GSS_C_EMPTY_BUFFER;
  OM_uint32 flags = 0;
  int fd = -1;
  REQUIRE(ctx != GSS_C_NO_CONTEXT);
  CHECK_GSS(gss_inquire_context(&minor, ctx, NULL, NULL, NULL, NULL, &flags,
                                NULL, NULL),
            GSS_S_COMPLETE);
  CHECK((flags & GSS_C_TRANS_FLAG) == 0);
  CHECK_GSS(gss_export_sec_context(&minor, &ctx, &token), GSS_S_UNAVAILABLE);
  CHECK(gssx_c_minor_mentions(minor, "non-transferable"));
  CHECK_GSS(gssx_export_sec_context_fd(&minor, &ctx, &fd), GSS_S_UNAVAILABLE);
  CHECK(fd == -1);
  CHECK(ctx == before);
  /* Still usable. */
  CHECK_GSS(gss_wrap(&minor, ctx, 1, 0, &in, NULL, &out), GSS_S_COMPLETE);
  gss_release_buffer(&minor, &out);
  gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
}

void expired_context_is_context_expired(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t ctx = gssx_c_make_expired_context(), before = ctx;
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc in = GSSX_C_BUF("m"), out = GSS_C_EMPTY_BUFFER;
  OM_uint32 time_rec = 7;
  int open = -1;
  REQUIRE(ctx != GSS_C_NO_CONTEXT);
  CHECK_GSS(gss_export_sec_context(&minor, &ctx, &token),
            GSS_S_CONTEXT_EXPIRED);
  CHECK(ctx == before);
  CHECK_GSS(gss_context_time(&minor, ctx, &time_rec), GSS_S_CONTEXT_EXPIRED);
  CHECK_GSS(gss_wrap(&minor, ctx, 1, 0, &in, NULL, &out),
            GSS_S_CONTEXT_EXPIRED);
  CHECK_GSS(gss_get_mic(&minor, ctx, 0, &in, &out), GSS_S_CONTEXT_EXPIRED);
  /* Inquiry still works. */
  CHECK_GSS(gss_inquire_context(&minor, ctx, NULL, NULL, NULL, NULL, NULL,
                                NULL, &open),
            GSS_S_COMPLETE);
  CHECK(open == 1);
  CHECK(token.value == NULL && out.value == NULL);
  gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
}

void init_and_accept_calling_errors(void) {
  static const unsigned char krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                       0x12, 0x01, 0x02, 0x02};
  OM_uint32 minor = 0;
  gss_OID_desc other;
  gss_name_t target;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc token = GSSX_C_BUF("unexpected");
  REQUIRE(gssx_c_use_test_identities() == 0);
  other.length = sizeof krb5;
  other.elements = (void *)krb5;
  target = import_name(GSSX_C_SERVICE, GSS_C_NT_HOSTBASED_SERVICE);
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, NULL, target,
                                 GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 GSS_C_NO_BUFFER, NULL, &out, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, target,
                                 GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 GSS_C_NO_BUFFER, NULL, GSS_C_NO_BUFFER, NULL,
                                 NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx,
                                 GSS_C_NO_NAME, GSS_C_NO_OID, 0, 0,
                                 GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
                                 NULL, &out, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, target,
                                 &other, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 GSS_C_NO_BUFFER, NULL, &out, NULL, NULL),
            GSS_S_BAD_MECH);
  CHECK_GSS(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, target,
                                 GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 &token, NULL, &out, NULL, NULL),
            GSS_S_DEFECTIVE_TOKEN);
  CHECK_GSS(gss_init_sec_context(&minor, (gss_cred_id_t)(uintptr_t)0x5,
                                 &ctx, target, GSS_C_NO_OID, 0, 0,
                                 GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
                                 NULL, &out, NULL, NULL),
            GSS_S_NO_CRED);
  CHECK_GSS(gss_accept_sec_context(&minor, &ctx, GSS_C_NO_CREDENTIAL,
                                   GSS_C_NO_BUFFER, GSS_C_NO_CHANNEL_BINDINGS,
                                   NULL, NULL, &out, NULL, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_accept_sec_context(&minor, NULL, GSS_C_NO_CREDENTIAL, &token,
                                   GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &out,
                                   NULL, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  CHECK(out.value == NULL);
  gss_release_name(&minor, &target);
}

struct hammer {
  gss_ctx_id_t ctx;
  int calls;
  int no_context;
  int other;
};

static void *hammer_wrap(void *arg) {
  struct hammer *h = (struct hammer *)arg;
  gss_buffer_desc in = GSSX_C_BUF("concurrent");
  int i;
  for (i = 0; i < 20000; ++i) {
    OM_uint32 minor = 0;
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    OM_uint32 major = gss_wrap(&minor, h->ctx, 1, 0, &in, NULL, &out);
    ++h->calls;
    if (major == GSS_S_COMPLETE) {
      gss_release_buffer(&minor, &out);
    } else if (major == GSS_S_NO_CONTEXT) {
      if (++h->no_context > 100) break;
    } else {
      ++h->other;
    }
  }
  return NULL;
}

void concurrent_use_and_delete_never_crash(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  struct hammer h[3];
  pthread_t threads[3];
  int i;
  REQUIRE_GSS(establish(ALL_FLAGS, &init, &acc), GSS_S_COMPLETE);
  for (i = 0; i < 3; ++i) {
    h[i].ctx = init;
    h[i].calls = h[i].no_context = h[i].other = 0;
    REQUIRE(pthread_create(&threads[i], NULL, hammer_wrap, &h[i]) == 0);
  }
  /* Delete while they wrap: later calls see GSS_S_NO_CONTEXT. */
  CHECK_GSS(gss_delete_sec_context(&minor, &init, GSS_C_NO_BUFFER),
            GSS_S_COMPLETE);
  for (i = 0; i < 3; ++i) {
    pthread_join(threads[i], NULL);
    CHECK(h[i].other == 0);
    CHECK(h[i].calls > 0);
  }
  gssx_c_delete_both(&init, &acc);
}
