// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of names_test.c, one gtest case each.
#include "gssx/capi/testing/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(CApiNames, fn)
#include "gssx/capi/names_tests.inc"
#undef X
