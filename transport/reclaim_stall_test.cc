// SPDX-License-Identifier: Apache-2.0
// The reclaim must not hold the exporter's loop for as long as the kernel
// stalls the latch (issue 17 item 9). Before about Linux 6.14, a peer that
// write()s to the sealed token memfd from a userfaultfd- or FUSE-backed
// buffer that it keeps stalled can hold the inode lock, and the exporter's
// fcntl(F_ADD_SEALS) then waits uninterruptibly. This kernel (6.18 here)
// does not do that, so the stall is simulated through the syscall seam: the
// latch's fcntl blocks until the test releases it.
#include <fcntl.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/base/errors.h"
#include "transport/base/syscalls.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::HasErrorKind;
using ::testing::HasSubstr;

// A one-shot event on std::mutex (seen by ThreadSanitizer, unlike Debian's
// uninstrumented absl::Notification).
class Event {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool HasBeenNotified() {
    std::lock_guard<std::mutex> lock(mu_);
    return set_;
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return set_; });
  }
  bool WaitFor(absl::Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(d),
                        [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

std::atomic<bool> stall_latch{false};
std::atomic<int> stalled_calls{0};
Event* release_latch = nullptr;

int StallingFcntl(int fd, int cmd, long arg) {
  if (cmd == F_ADD_SEALS && (arg & F_SEAL_SEAL) != 0 && stall_latch.load()) {
    stalled_calls.fetch_add(1);
    release_latch->Wait();  // the "uninterruptible" wait
  }
  return internal::RealSyscalls().fcntl(fd, cmd, arg);
}

TEST(ReclaimStallTest, StalledLatchDoesNotBlockTheDeliveringThread) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  Event release;
  release_latch = &release;
  internal::Syscalls table = internal::RealSyscalls();
  table.fcntl = &StallingFcntl;
  internal::ScopedSyscalls scoped(table);
  stall_latch = true;

  const std::vector<uint8_t> secret = {'c', 't', 'x'};
  ASSERT_OK_AND_ASSIGN(SecretBuffer token, SecretBuffer::CopyOf(secret));
  int restores = 0;
  DeliverOptions options;
  options.ack_timeout = absl::Milliseconds(50);  // the peer never acks
  options.reclaim_timeout = absl::Milliseconds(200);

  // Safety net, so that a blocking reclaim (the code before the fix) ends
  // the test after 5 s instead of hanging it.
  Event returned;
  std::thread net([&] {
    if (!returned.WaitFor(absl::Seconds(5))) {
      release.Notify();
    }
  });
  const absl::Time t0 = absl::Now();
  absl::StatusOr<Delivery> d = DeliverToken(
      pair.first, token, {}, options, [&](const SecretBuffer&) {
        ++restores;
        return absl::OkStatus();
      });
  const absl::Duration elapsed = absl::Now() - t0;
  returned.Notify();
  net.join();
  std::cout << "DeliverToken returned after " << elapsed << ": "
            << d.status() << "\n";

  EXPECT_LT(elapsed, absl::Seconds(2));
  EXPECT_EQ(stalled_calls.load(), 1);
  EXPECT_THAT(d, HasErrorKind(ErrorKind::kTimeout));
  EXPECT_THAT(d.status().message(), HasSubstr("outcome unknown"));
  EXPECT_EQ(restores, 0);

  // The kernel lets go: the helper thread's latch completes, so the token
  // is dead for the importer too — imported at most once (here: never).
  if (!release.HasBeenNotified()) release.Notify();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (RunningReclaims() != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(RunningReclaims(), 0);
  stall_latch = false;
  ReceiveOptions ropts;
  ropts.timeout = absl::Seconds(1);
  EXPECT_THAT(pair.second.Receive(ropts),
              HasErrorKind(ErrorKind::kAlreadyConsumed));
}

// Without a stall the bounded reclaim gives the token back as before.
TEST(ReclaimStallTest, ReclaimWithinReturnsTheToken) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  const std::vector<uint8_t> secret = {'c', 't', 'x'};
  ASSERT_OK_AND_ASSIGN(Handoff h, pair.first.Send(secret));
  absl::StatusOr<SecretBuffer> back = ReclaimWithin(std::move(h), absl::Seconds(10));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->Equals(secret));
  EXPECT_TRUE(h.resolved());
}

}  // namespace
}  // namespace gssx::transport
