// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of version_test.c, one gtest case each.
#include "gssx/capi/testing/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(CApiVersion, fn)
#include "gssx/capi/version_tests.inc"
#undef X
