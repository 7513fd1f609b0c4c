// SPDX-License-Identifier: Apache-2.0
// ForkedChild's non-blocking Exited(), which testing/krb5 polls while it
// waits for a KDC to come up.
#include "testing/child.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace gssx::testing {
namespace {

TEST(ForkedChildTest, ExitedIsEmptyWhileRunningThenGivesTheCode) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    char c;
    return ::read(p[0], &c, 1) == 1 ? 7 : 1;  // runs until told to stop
  }));
  ::close(p[0]);
  EXPECT_FALSE(child.Exited().has_value());
  ASSERT_EQ(::write(p[1], "x", 1), 1);
  ::close(p[1]);
  std::optional<int> code;
  for (int i = 0; i < 10000 && !code; ++i) {
    code = child.Exited();
    if (!code) ::usleep(1000);
  }
  EXPECT_EQ(code, std::optional<int>(7));
  EXPECT_EQ(child.pid(), -1);  // reaped
  EXPECT_FALSE(child.Exited().has_value());
}

}  // namespace
}  // namespace gssx::testing
