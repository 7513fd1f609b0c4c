/* SPDX-License-Identifier: Apache-2.0 */
/* c_check.h: checks for tests written in C, reported to gtest. testonly.
 *
 *     void oids_round_trip(void) {
 *       int child = c_check_start_child(body, NULL);
 *       REQUIRE(child >= 0);
 *       CHECK_EQ_U64(c_check_wait_child(child, 30), 0);
 *     }
 *
 * Each test is a `void name(void)` function; the C++ driver
 * (c_check_gtest.h) runs each as one gtest case. CHECK* record a failure
 * (with the C file and line, in the gtest report) and go on; REQUIRE*
 * record it and return from the test function. The layers add their own
 * status checks on top (gssx/capi/testing/c_check.h,
 * gssx/krb5_bridge/c/testing/check.h). Strict C99 plus POSIX.
 */
#ifndef GSSX_TESTING_C_CHECK_C_CHECK_H_
#define GSSX_TESTING_C_CHECK_C_CHECK_H_

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Records a failed check in the running gtest case. */
void c_check_failed(const char *file, int line, const char *message);
void c_check_u64_failed(const char *file, int line, const char *expr,
                        unsigned long long actual,
                        unsigned long long expected);

/* Runs body(arg) in a forked child: start returns an id (>= 0) or -1;
   wait returns the child's exit code, 128+signal if killed, -1 on error
   or after timeout_seconds (then the child is killed), once per id; kill
   SIGKILLs and reaps it (returns as wait); pid gives its pid. Children
   never waited for are killed when the test ends (and die of SIGALRM 60
   seconds after they started in any case). */
int c_check_start_child(int (*body)(void *), void *arg);
int c_check_wait_child(int id, int timeout_seconds);
int c_check_kill_child(int id);
pid_t c_check_child_pid(int id);

/* The number of open fds of this process (for leak checks in children). */
int c_check_count_open_fds(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) c_check_failed(__FILE__, __LINE__, #cond);  \
  } while (0)

#define REQUIRE(cond)                                        \
  do {                                                       \
    if (!(cond)) {                                           \
      c_check_failed(__FILE__, __LINE__, #cond);             \
      return;                                                \
    }                                                        \
  } while (0)

#define CHECK_EQ_U64(expr, expected)                                       \
  do {                                                                     \
    unsigned long long c_check_a_ = (unsigned long long)(expr);            \
    unsigned long long c_check_e_ = (unsigned long long)(expected);        \
    if (c_check_a_ != c_check_e_)                                          \
      c_check_u64_failed(__FILE__, __LINE__, #expr, c_check_a_,            \
                         c_check_e_);                                      \
  } while (0)

#endif /* GSSX_TESTING_C_CHECK_C_CHECK_H_ */
