// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of channel_ex_test.c, one gtest case each.
#include "gssx/capi/testing/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(CApiChannelEx, fn)
#include "gssx/capi/channel_ex_tests.inc"
#undef X
