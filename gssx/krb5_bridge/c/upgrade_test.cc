// SPDX-License-Identifier: Apache-2.0
// Runs the C tests of upgrade_test.c (<gssx/handoff_upgrade.h>), one gtest
// case each, against a real KDC started once for the suite
// (testing/check_gtest.cc).
#include "testing/c_check/c_check_gtest.h"

#define X(fn) GSSX_C_TEST(HandoffUpgradeC, fn)
#include "gssx/krb5_bridge/c/upgrade_tests.inc"
#undef X
