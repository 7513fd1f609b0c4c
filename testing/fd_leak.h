// SPDX-License-Identifier: Apache-2.0
// Fd-leak checks: the set of open descriptors from /proc/self/fd.
//
//   FdSnapshot before = FdSnapshot::Take();
//   ... code under test ...
//   EXPECT_EQ(before.LeakedSince(), "");   // "" or "fd 7 -> /memfd:..."
//
// InstallFdLeakCheck() (called by //testing:test_main) checks around every
// test of the binary and fails the test that leaked.
#ifndef GSSX_TESTING_FD_LEAK_H_
#define GSSX_TESTING_FD_LEAK_H_

#include <set>
#include <string>

namespace gssx::testing {

class FdSnapshot {
 public:
  static FdSnapshot Take();
  const std::set<int>& fds() const { return fds_; }
  // Describes fds open now that were not open at the snapshot; "" if none.
  std::string LeakedSince() const;

 private:
  std::set<int> fds_;
};

// The number of open fds of this process.
int CountOpenFds();

// Adds a gtest listener that fails any test leaving new fds open.
void InstallFdLeakCheck();

}  // namespace gssx::testing

#endif  // GSSX_TESTING_FD_LEAK_H_
