// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of display_status_test.c, one gtest case each.
#include "gssx/capi/testing/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(CApiDisplayStatus, fn)
#include "gssx/capi/display_status_tests.inc"
#undef X
