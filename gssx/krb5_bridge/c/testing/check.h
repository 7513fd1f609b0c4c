/* SPDX-License-Identifier: Apache-2.0 */
/* check.h: checks for libgssx-handoff's tests, written in C. testonly.
 *
 *     void send_moves_the_context(void) {
 *       OM_uint32 minor;
 *       REQUIRE_GSS(gssx_chan_open(&minor, fd, NULL, &chan), GSS_S_COMPLETE);
 *       CHECK(ctx == GSS_C_NO_CONTEXT);
 *     }
 *
 * Each test is a `void name(void)` function listed in handoff_tests.inc;
 * handoff_test.cc runs each as one gtest case, with a real KDC started
 * once for the suite (//testing/krb5: KRB5_CONFIG, KRB5CCNAME and
 * KRB5_KTNAME point into it). CHECK, REQUIRE, CHECK_EQ_U64, forked
 * children and fd counts are the generic C harness
 * (testing/c_check/c_check.h); this file adds the *_GSS checks, which
 * expect a variable `minor` (OM_uint32) in scope and print the minor's
 * text (gssx_handoff_strerror, or MIT's gss_display_status).
 *
 * Links MIT's GSS-API only (never gssx's C ABI, whose <gssapi/gssapi.h>
 * and gss_* names would shadow MIT's).
 */
#ifndef GSSX_KRB5_BRIDGE_C_TESTING_CHECK_H_
#define GSSX_KRB5_BRIDGE_C_TESTING_CHECK_H_

#include <gssapi/gssapi.h>
#include <stddef.h>
#include <sys/types.h>

#include "testing/c_check/c_check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A status mismatch in the running gtest case. */
void hc_check_major_failed(const char *file, int line, const char *call,
                           OM_uint32 actual, OM_uint32 expected,
                           OM_uint32 minor);

/* The test realm's service principal ("echo/localhost@GSSX.TEST"): its
   keys are in the default keytab, the default ccache holds a TGT for a
   client that can reach it. NULL if the realm could not be started. */
const char *hc_service(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#define CHECK_GSS(call, expected)                                         \
  do {                                                                    \
    OM_uint32 hc_m_ = (call);                                             \
    if (hc_m_ != (OM_uint32)(expected))                                   \
      hc_check_major_failed(__FILE__, __LINE__, #call, hc_m_,             \
                            (OM_uint32)(expected), minor);                \
  } while (0)

#define REQUIRE_GSS(call, expected)                                       \
  do {                                                                    \
    OM_uint32 hc_m_ = (call);                                             \
    if (hc_m_ != (OM_uint32)(expected)) {                                 \
      hc_check_major_failed(__FILE__, __LINE__, #call, hc_m_,             \
                            (OM_uint32)(expected), minor);                \
      return;                                                             \
    }                                                                     \
  } while (0)

#endif /* GSSX_KRB5_BRIDGE_C_TESTING_CHECK_H_ */
