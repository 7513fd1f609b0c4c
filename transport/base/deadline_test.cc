// SPDX-License-Identifier: Apache-2.0
#include "transport/base/deadline.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/base/errors.h"
#include "transport/base/syscalls.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;

TEST(DeadlineTest, PollTimeoutRoundsUpAndNeverZeroBeforeTheDeadline) {
  const absl::Time now = absl::FromUnixSeconds(1000000);
  EXPECT_EQ(PollTimeoutMs(absl::InfiniteFuture(), now), -1);
  EXPECT_EQ(PollTimeoutMs(now, now), 0);
  EXPECT_EQ(PollTimeoutMs(now - absl::Seconds(1), now), 0);
  EXPECT_EQ(PollTimeoutMs(absl::InfinitePast(), now), 0);
  EXPECT_EQ(PollTimeoutMs(now + absl::Nanoseconds(1), now), 1);
  EXPECT_EQ(PollTimeoutMs(now + absl::Microseconds(999), now), 1);
  EXPECT_EQ(PollTimeoutMs(now + absl::Milliseconds(1), now), 1);
  EXPECT_EQ(PollTimeoutMs(now + absl::Microseconds(1001), now), 2);
  EXPECT_EQ(PollTimeoutMs(now + absl::Seconds(3), now), 3000);
  EXPECT_EQ(PollTimeoutMs(now + absl::Hours(24 * 365), now), 1 << 30);
}

TEST(DeadlineTest, DeadlineAfterSaturates) {
  EXPECT_EQ(DeadlineAfter(absl::InfiniteDuration()), absl::InfiniteFuture());
  const absl::Time before = absl::Now();
  const absl::Time d = DeadlineAfter(absl::Seconds(5));
  EXPECT_GE(d, before + absl::Seconds(5));
  EXPECT_LE(d, absl::Now() + absl::Seconds(5));
  EXPECT_LT(DeadlineAfter(-absl::Seconds(1)), absl::Now());
}

struct Pipe {
  UniqueFd r, w;
};
Pipe MakePipe() {
  int p[2];
  EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
  return {UniqueFd(p[0]), UniqueFd(p[1])};
}

TEST(DeadlineTest, WaitUntilReadyTimesOutOrReturnsReady) {
  Pipe p = MakePipe();
  absl::Status s = WaitUntilReady(p.r.get(), POLLIN,
                                  absl::Now() + absl::Milliseconds(20), "read");
  EXPECT_THAT(s, HasErrorKind(ErrorKind::kTimeout));
  EXPECT_EQ(s.message(), "timed out waiting to read");
  // A deadline already past still looks once.
  ASSERT_EQ(::write(p.w.get(), "x", 1), 1);
  EXPECT_THAT(WaitUntilReady(p.r.get(), POLLIN, absl::InfinitePast(), "read"),
              IsOk());
  EXPECT_THAT(WaitUntilReady(p.w.get(), POLLOUT, absl::InfiniteFuture(), "w"),
              IsOk());
}

std::atomic<int> g_interrupts{0};
TEST(DeadlineTest, WaitUntilReadyRetriesEintrThroughTheSeam) {
  Pipe p = MakePipe();
  ASSERT_EQ(::write(p.w.get(), "x", 1), 1);
  internal::Syscalls table = internal::RealSyscalls();
  table.poll = [](pollfd* fds, nfds_t n, int timeout) {
    if (g_interrupts.fetch_sub(1) > 0) {
      errno = EINTR;
      return -1;
    }
    if (g_interrupts.load() < -5) {  // after the retries: a real failure
      errno = ENOMEM;
      return -1;
    }
    return internal::RealSyscalls().poll(fds, n, timeout);
  };
  internal::ScopedSyscalls scoped(table);
  g_interrupts = 2;
  EXPECT_THAT(WaitUntilReady(p.r.get(), POLLIN, absl::InfiniteFuture(), "r"),
              IsOk());
  EXPECT_EQ(g_interrupts.load(), -1);  // two EINTRs, then the real poll
  g_interrupts = -10;
  absl::Status s =
      WaitUntilReady(p.r.get(), POLLIN, absl::InfiniteFuture(), "r");
  EXPECT_THAT(s, HasErrorKind(ErrorKind::kOs));
  EXPECT_EQ(ErrnoOf(s), ENOMEM);
}

}  // namespace
}  // namespace gssx::transport
