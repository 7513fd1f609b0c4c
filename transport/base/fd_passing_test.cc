// SPDX-License-Identifier: Apache-2.0
#include "transport/base/fd_passing.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/base/errors.h"
#include "transport/base/syscalls.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;

struct Pair {
  UniqueFd a, b;
};

Pair SeqpacketPair() {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

// Any fd will do; an eventfd needs no file system (/dev/null may be broken).
UniqueFd AnyFd() { return UniqueFd(::eventfd(0, EFD_CLOEXEC)); }

bool SameFile(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

absl::Span<const uint8_t> Bytes(const char* s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s),
                             std::strlen(s));
}

TEST(FdPassingTest, BytesAndFdsArriveOwnedAndCloseOnExec) {
  Pair p = SeqpacketPair();
  UniqueFd x = AnyFd(), y = AnyFd();
  ASSERT_THAT(SendWithFds(p.a.get(), Bytes("hello"), {x.get(), y.get()}),
              IsOk());
  uint8_t buf[16];
  ReceiveWithFdsOptions options;
  options.max_fds = 2;
  absl::StatusOr<ReceivedMessage> m =
      ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), options);
  ASSERT_THAT(m, IsOk());
  EXPECT_THAT(m->Check(), IsOk());
  ASSERT_EQ(m->size, 5u);
  EXPECT_EQ(std::memcmp(buf, "hello", 5), 0);
  ASSERT_EQ(m->fds.size(), 2u);
  EXPECT_TRUE(SameFile(m->fds[0].get(), x.get()));
  EXPECT_TRUE(SameFile(m->fds[1].get(), y.get()));
  for (const UniqueFd& fd : m->fds) {
    EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  }
}

TEST(FdPassingTest, MoreFdsThanRoomIsControlTruncatedAndNothingLeaks) {
  Pair p = SeqpacketPair();
  std::vector<UniqueFd> owned;
  std::vector<int> fds;
  for (int i = 0; i < 6; ++i) {
    owned.push_back(AnyFd());
    fds.push_back(owned.back().get());
  }
  ASSERT_THAT(SendWithFds(p.a.get(), Bytes("x"), fds), IsOk());
  owned.clear();
  uint8_t buf[4];
  ReceiveWithFdsOptions options;
  options.max_fds = 2;
  absl::StatusOr<ReceivedMessage> m =
      ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), options);
  ASSERT_THAT(m, IsOk());
  EXPECT_TRUE(m->control_truncated);
  EXPECT_LE(m->fds.size(), 2u);  // owned; the rest never installed
  EXPECT_THAT(m->Check(), HasErrorKind(ErrorKind::kControlTruncated));
  EXPECT_EQ(ErrnoOf(m->Check()), EMFILE);
  // The test main's fd-leak check fails the test if any fd stayed open.
}

TEST(FdPassingTest, LongBodyIsBodyTruncatedAndItsFdsAreStillOwned) {
  Pair p = SeqpacketPair();
  UniqueFd x = AnyFd();
  ASSERT_THAT(SendWithFds(p.a.get(), Bytes("longer than four"), {x.get()}),
              IsOk());
  uint8_t buf[4];
  ReceiveWithFdsOptions options;
  options.max_fds = 1;
  absl::StatusOr<ReceivedMessage> m =
      ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), options);
  ASSERT_THAT(m, IsOk());
  EXPECT_TRUE(m->body_truncated);
  EXPECT_EQ(m->size, 4u);
  EXPECT_EQ(m->fds.size(), 1u);
  EXPECT_THAT(m->Check(), HasErrorKind(ErrorKind::kMessageTruncated));
}

TEST(FdPassingTest, CredentialsOnlyWhenAskedOtherwiseUnexpectedControl) {
  for (bool ask : {false, true}) {
    Pair p = SeqpacketPair();
    const int on = 1;
    ASSERT_EQ(::setsockopt(p.b.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on),
              0);
    ASSERT_THAT(SendWithFds(p.a.get(), Bytes("R"), {}), IsOk());
    uint8_t buf[4];
    ReceiveWithFdsOptions options;
    options.credentials = ask;
    absl::StatusOr<ReceivedMessage> m =
        ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), options);
    ASSERT_THAT(m, IsOk());
    if (ask) {
      ASSERT_TRUE(m->credentials.has_value());
      EXPECT_EQ(m->credentials->pid, ::getpid());
      EXPECT_EQ(m->credentials->uid, ::getuid());
      EXPECT_THAT(m->Check(), IsOk());
    } else {
      EXPECT_FALSE(m->credentials.has_value());
      // No room was made for it: the kernel cuts it (MSG_CTRUNC).
      EXPECT_FALSE(m->Check().ok());
    }
  }
}

TEST(FdPassingTest, PeerClosedTimeoutAndDontWait) {
  Pair p = SeqpacketPair();
  uint8_t buf[4];
  ReceiveWithFdsOptions options;
  options.deadline = absl::Now() + absl::Milliseconds(20);
  EXPECT_THAT(ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), options),
              HasErrorKind(ErrorKind::kTimeout));
  ReceiveWithFdsOptions dont_wait;
  dont_wait.flags = MSG_DONTWAIT;
  absl::StatusOr<ReceivedMessage> none =
      ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), dont_wait);
  EXPECT_THAT(none, HasErrorKind(ErrorKind::kTimeout));
  EXPECT_EQ(ErrnoOf(none.status()), EAGAIN);
  p.a.Reset();
  EXPECT_THAT(ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), {}),
              HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_THAT(SendWithFds(p.b.get(), Bytes("x"), {}),
              HasErrorKind(ErrorKind::kPeerClosed));
}

TEST(FdPassingTest, TooManyFdsIsABadArgument) {
  Pair p = SeqpacketPair();
  std::vector<int> fds(kMaxFdsPerMessage + 1, p.a.get());
  EXPECT_THAT(SendWithFds(p.a.get(), Bytes("x"), fds),
              HasErrorKind(ErrorKind::kBadArgument));
  errno = 0;
  EXPECT_EQ(SendMessageOnce(p.a.get(), Bytes("x"), fds), -1);
  EXPECT_EQ(errno, EINVAL);
  uint8_t buf[4];
  ReceiveWithFdsOptions options;
  options.max_fds = kMaxFdsPerMessage + 1;
  EXPECT_THAT(ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), options),
              HasErrorKind(ErrorKind::kBadArgument));
}

TEST(FdPassingTest, FullSocketBufferWaitsUntilTheTimeout) {
  Pair p = SeqpacketPair();
  std::vector<uint8_t> big(4096, 'b');
  absl::Status s;
  for (int i = 0; i < 10000 && s.ok(); ++i) {
    s = SendWithFds(p.a.get(), big, {}, absl::Milliseconds(20));
  }
  EXPECT_THAT(s, HasErrorKind(ErrorKind::kTimeout));
}

// The layer goes through the syscall seam: an injected EINTR is retried,
// an injected EPIPE is the peer gone.
std::atomic<int> g_interrupts{0};
TEST(FdPassingTest, GoesThroughTheSyscallSeam) {
  Pair p = SeqpacketPair();
  internal::Syscalls table = internal::RealSyscalls();
  table.recvmsg = [](int fd, msghdr* m, int flags) -> ssize_t {
    if (g_interrupts.fetch_sub(1) > 0) {
      errno = EINTR;
      return -1;
    }
    return internal::RealSyscalls().recvmsg(fd, m, flags);
  };
  table.sendmsg = [](int, const msghdr*, int) -> ssize_t {
    errno = EPIPE;
    return -1;
  };
  ASSERT_EQ(SendMessageOnce(p.a.get(), Bytes("hi"), {}), 2);
  internal::ScopedSyscalls scoped(table);
  g_interrupts = 3;
  uint8_t buf[4];
  absl::StatusOr<ReceivedMessage> m =
      ReceiveWithFds(p.b.get(), absl::MakeSpan(buf), {});
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->size, 2u);
  EXPECT_LT(g_interrupts.load(), 0);  // all three interruptions were seen
  absl::Status s = SendWithFds(p.a.get(), Bytes("x"), {});
  EXPECT_THAT(s, HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_EQ(ErrnoOf(s), EPIPE);
}

}  // namespace
}  // namespace gssx::transport
