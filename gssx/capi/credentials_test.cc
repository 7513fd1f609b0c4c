// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of credentials_test.c, one gtest case each.
#include "gssx/capi/testing/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(CApiCredentials, fn)
#include "gssx/capi/credentials_tests.inc"
#undef X
