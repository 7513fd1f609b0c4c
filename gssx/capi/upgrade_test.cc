// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of upgrade_test.c (<gssx/live_upgrade.h>), one gtest
// case each.
#include "gssx/capi/testing/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(CApiUpgrade, fn)
#include "gssx/capi/upgrade_tests.inc"
#undef X
