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
 * KRB5_KTNAME point into it). CHECK* record a failure (file and line in the
 * gtest report) and go on; REQUIRE* record it and return. The *_GSS checks
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

#ifdef __cplusplus
extern "C" {
#endif

void hc_check_failed(const char *file, int line, const char *message);
void hc_check_major_failed(const char *file, int line, const char *call,
                           OM_uint32 actual, OM_uint32 expected,
                           OM_uint32 minor);
void hc_check_u64_failed(const char *file, int line, const char *expr,
                         unsigned long long actual,
                         unsigned long long expected);

/* The test realm's service principal ("echo/localhost@GSSX.TEST"): its
   keys are in the default keytab, the default ccache holds a TGT for a
   client that can reach it. NULL if the realm could not be started. */
const char *hc_service(void);

/* Runs body(arg) in a forked child: start returns an id (>= 0) or -1;
   wait returns the child's exit code, 128+signal if killed, -1 on error
   or after timeout_seconds (then the child is killed); kill SIGKILLs and
   reaps it (returns as wait); pid gives its pid. Children never waited
   for are killed when the test ends. */
int hc_start_child(int (*body)(void *), void *arg);
int hc_wait_child(int id, int timeout_seconds);
int hc_kill_child(int id);
pid_t hc_child_pid(int id);

/* The number of open fds of this process. */
int hc_count_open_fds(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) hc_check_failed(__FILE__, __LINE__, #cond);     \
  } while (0)

#define REQUIRE(cond)                                            \
  do {                                                           \
    if (!(cond)) {                                               \
      hc_check_failed(__FILE__, __LINE__, #cond);                \
      return;                                                    \
    }                                                            \
  } while (0)

#define CHECK_EQ_U64(expr, expected)                                      \
  do {                                                                    \
    unsigned long long hc_a_ = (unsigned long long)(expr);                \
    unsigned long long hc_e_ = (unsigned long long)(expected);            \
    if (hc_a_ != hc_e_)                                                   \
      hc_check_u64_failed(__FILE__, __LINE__, #expr, hc_a_, hc_e_);       \
  } while (0)

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
