// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of contexts_test.c, one gtest case each.
#include "gssx/capi/testing/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(CApiContexts, fn)
#include "gssx/capi/contexts_tests.inc"
#undef X
