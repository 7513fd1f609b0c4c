/* SPDX-License-Identifier: Apache-2.0 */
/* The version macros of <gssx/gssx.h> and gssx_version(), tested from C. */
#include <gssx/gssx.h>
#include <stdio.h>
#include <string.h>

#include "gssx/capi/testing/c_check.h"

#define X(fn) void fn(void);
#include "gssx/capi/version_tests.inc"
#undef X

void version_macros_spell_the_version_string(void) {
  char spelled[64];
  snprintf(spelled, sizeof spelled, "%d.%d.%d", GSSX_VERSION_MAJOR,
           GSSX_VERSION_MINOR, GSSX_VERSION_PATCH);
  if (strcmp(spelled, GSSX_VERSION_STRING) != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "MAJOR.MINOR.PATCH is %s, the string is %s",
             spelled, GSSX_VERSION_STRING);
    c_check_failed(__FILE__, __LINE__, msg);
  }
  /* The numbers are plain integers, usable in #if comparisons. */
#if !(GSSX_VERSION_MAJOR >= 0 && GSSX_VERSION_MINOR >= 0 && \
      GSSX_VERSION_PATCH >= 0)
#error "GSSX_VERSION_MAJOR/MINOR/PATCH are not integers >= 0"
#endif
}

void runtime_version_is_the_header_version(void) {
  const char *v = gssx_version();
  REQUIRE(v != NULL);
  if (strcmp(v, GSSX_VERSION_STRING) != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "gssx_version() is \"%s\", the header says %s",
             v, GSSX_VERSION_STRING);
    c_check_failed(__FILE__, __LINE__, msg);
  }
  /* A static string: the same pointer every time. */
  CHECK(gssx_version() == v);
}
