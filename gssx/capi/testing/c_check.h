/* SPDX-License-Identifier: Apache-2.0 */
/* c_check.h: checks for the C ABI's tests, written in C. testonly.
 *
 *     void oids_round_trip(void) {
 *       OM_uint32 minor;
 *       gss_OID oid = GSS_C_NO_OID;
 *       REQUIRE_GSS(gss_str_to_oid(&minor, &text, &oid), GSS_S_COMPLETE);
 *       CHECK(oid->length == 6);
 *     }
 *
 * Each test is a `void name(void)` function listed in its *_tests.inc; the
 * C++ driver (c_check_gtest.h) runs each as one gtest case. CHECK, REQUIRE,
 * CHECK_EQ_U64, forked children and fd counts are the generic C harness
 * (testing/c_check/c_check.h); this file adds the *_GSS checks, which
 * expect a variable `minor` (OM_uint32) in scope and print both statuses
 * with gss_display_status, and the C ABI's test identities.
 */
#ifndef GSSX_CAPI_TESTING_C_CHECK_H_
#define GSSX_CAPI_TESTING_C_CHECK_H_

#include <gssapi/gssapi.h>
#include <gssx/gssx.h>
#include <stddef.h>

#include "testing/c_check/c_check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A status mismatch in the running gtest case: the message names both
   majors (and the minor). */
void gssx_c_check_major_failed(const char *file, int line, const char *call,
                               OM_uint32 actual, OM_uint32 expected,
                               OM_uint32 minor);

/* Makes (once per process) a keytab and trust file in $TEST_TMPDIR with
   the identities GSSX_C_CLIENT (first: the default initiator) and
   GSSX_C_SERVER, trusting each other, and points $GSSX_KEYTAB and
   $GSSX_TRUST at them. Returns 0 on success. */
int gssx_c_use_test_identities(void);
#define GSSX_C_CLIENT "alice"
#define GSSX_C_SERVICE "echo@testhost" /* host-based service name */
#define GSSX_C_SERVER "echo@testhost"  /* its identity */

/* Contexts the C API cannot make: built with the C++ API and registered as
   C handles, for status-mapping tests. The initiator's half of an
   established pair, NULL on failure. */
gss_ctx_id_t gssx_c_make_expired_context(void);
gss_ctx_id_t gssx_c_make_untransferable_context(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#define CHECK_GSS(call, expected)                                          \
  do {                                                                     \
    OM_uint32 gssx_m_ = (call);                                            \
    if (gssx_m_ != (OM_uint32)(expected))                                  \
      gssx_c_check_major_failed(__FILE__, __LINE__, #call, gssx_m_,        \
                                (OM_uint32)(expected), minor);             \
  } while (0)

#define REQUIRE_GSS(call, expected)                                        \
  do {                                                                     \
    OM_uint32 gssx_m_ = (call);                                            \
    if (gssx_m_ != (OM_uint32)(expected)) {                                \
      gssx_c_check_major_failed(__FILE__, __LINE__, #call, gssx_m_,        \
                                (OM_uint32)(expected), minor);             \
      return;                                                              \
    }                                                                      \
  } while (0)

/* A buffer over a C string literal (not NUL-counted). */
#define GSSX_C_BUF(s) gssx_c_buffer(s)
static inline gss_buffer_desc gssx_c_buffer(const char *s) {
  gss_buffer_desc b;
  size_t n = 0;
  while (s[n] != '\0') ++n;
  b.length = n;
  b.value = (void *)s;
  return b;
}

/* Whether buffer b holds exactly the C string s. */
static inline int gssx_c_buffer_is(const gss_buffer_desc *b, const char *s) {
  size_t n = 0;
  size_t i;
  while (s[n] != '\0') ++n;
  if (b->length != n) return 0;
  for (i = 0; i < n; ++i) {
    if (((const char *)b->value)[i] != s[i]) return 0;
  }
  return 1;
}

#endif /* GSSX_CAPI_TESTING_C_CHECK_H_ */
