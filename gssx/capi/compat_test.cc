// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of compat_test.c, one gtest case each.
#include "gssx/capi/testing/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(CApiCompat, fn)
#include "gssx/capi/compat_tests.inc"
#undef X
