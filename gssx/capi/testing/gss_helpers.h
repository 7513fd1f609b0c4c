/* SPDX-License-Identifier: Apache-2.0 */
/* gss_helpers.h: what the C ABI's C tests (gssx/capi/..._test.c) share, on
 * top of c_check.h. testonly.
 *
 *     gss_ctx_id_t init, acc;
 *     REQUIRE(gssx_c_establish(&init, &acc));
 *     CHECK(gssx_c_round_trip(acc, init, "hello"));
 *     gssx_c_delete_both(&init, &acc);
 */
#ifndef GSSX_CAPI_TESTING_GSS_HELPERS_H_
#define GSSX_CAPI_TESTING_GSS_HELPERS_H_

#include <gssapi/gssapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The flags the tests' contexts ask for: mutual, replay, sequence, conf,
   integ. */
#define GSSX_C_ALL_FLAGS                                            \
  (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |    \
   GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)

/* The whole handshake with the default credentials
   (gssx_c_use_test_identities) and GSSX_C_ALL_FLAGS. 1 on success, with
   both contexts established; 0 otherwise. */
int gssx_c_establish(gss_ctx_id_t *init, gss_ctx_id_t *acc);
/* Deletes both contexts (either may be GSS_C_NO_CONTEXT). */
void gssx_c_delete_both(gss_ctx_id_t *a, gss_ctx_id_t *b);
/* 1 if `to` unwraps what `from` wrapped (with confidentiality) as `text`. */
int gssx_c_round_trip(gss_ctx_id_t from, gss_ctx_id_t to, const char *text);
/* 1 if gss_display_status of the minor code contains `words`. */
int gssx_c_minor_mentions(OM_uint32 minor_code, const char *words);
/* CLOCK_MONOTONIC in milliseconds. */
long long gssx_c_now_ms(void);
/* 1 if fd is an open descriptor. */
int gssx_c_fd_is_open(int fd);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSX_CAPI_TESTING_GSS_HELPERS_H_ */
