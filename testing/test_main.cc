// SPDX-License-Identifier: Apache-2.0
// main() for gssx tests: gtest plus an fd-leak check around every test.
#include "gtest/gtest.h"
#include "testing/fd_leak.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gssx::testing::InstallFdLeakCheck();
  return RUN_ALL_TESTS();
}
