// SPDX-License-Identifier: Apache-2.0
// PeerPolicy and the overflow uid/gid (issue 17 item 2). The user-namespace
// test forks a child that unshares CLONE_NEWUSER without writing a uid map:
// its own euid becomes the overflow uid, and every host process (this test
// included) looks like the overflow uid to it through SO_PEERCRED. Skipped,
// with the reason, where the machine does not allow user namespaces.
#include "transport/peer.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOkAndHolds;

constexpr absl::Duration kWait = absl::Seconds(30);

PeerCredentials Peer(uid_t uid, gid_t gid) {
  PeerCredentials p;
  p.pid = 1;
  p.uid = uid;
  p.gid = gid;
  return p;
}

TEST(PeerPolicyTest, OverflowIdsAreReadFromTheKernel) {
  EXPECT_NE(OverflowUid(), static_cast<uid_t>(-1));
  EXPECT_NE(OverflowGid(), static_cast<gid_t>(-1));
  std::FILE* f = std::fopen("/proc/sys/kernel/overflowuid", "r");
  if (f == nullptr) GTEST_SKIP() << "no /proc/sys/kernel/overflowuid here";
  unsigned value = 0;
  const int got = std::fscanf(f, "%u", &value);
  std::fclose(f);
  ASSERT_EQ(got, 1);
  EXPECT_EQ(OverflowUid(), value);
}

TEST(PeerPolicyTest, SameUidAdmitsOurUidOnly) {
  if (::geteuid() == OverflowUid()) GTEST_SKIP() << "running as the overflow uid";
  const PeerPolicy p = PeerPolicy::SameUid();
  EXPECT_TRUE(p.Allows(Peer(::geteuid(), 12345)));
  EXPECT_FALSE(p.Allows(Peer(::geteuid() + 1, 12345)));
  EXPECT_FALSE(p.Allows(Peer(OverflowUid(), OverflowGid())));
}

TEST(PeerPolicyTest, OverflowIdsAdmittedOnlyWhenListedExplicitly) {
  const PeerCredentials unmapped = Peer(OverflowUid(), OverflowGid());
  EXPECT_FALSE(PeerPolicy::Nobody().Allows(unmapped));
  EXPECT_FALSE(PeerPolicy::Nobody().AllowUid(1).AllowGid(1).Allows(unmapped));
  EXPECT_TRUE(PeerPolicy::Nobody().AllowUid(OverflowUid()).Allows(unmapped));
  EXPECT_TRUE(PeerPolicy::Nobody().AllowGid(OverflowGid()).Allows(unmapped));
  EXPECT_TRUE(PeerPolicy::SameUid().AllowUid(OverflowUid()).Allows(unmapped));
}

// Whether a forked child may unshare a user namespace here; the reason if
// not.
std::string WhyNoUserNamespace() {
  absl::StatusOr<ForkedChild> probe = ForkedChild::Start(
      [] { return ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno; });
  if (!probe.ok()) return probe.status().ToString();
  absl::StatusOr<int> code = probe->Wait(kWait);
  if (!code.ok()) return code.status().ToString();
  if (*code != 0) {
    return absl::StrCat("unshare(CLONE_NEWUSER) fails here: ",
                        std::strerror(*code));
  }
  return "";
}

// Runs `policy_in_child()` as the listening policy of a "daemon": a forked
// child that unshares a user namespace (no uid map: its euid becomes the
// overflow uid), then listens on an abstract address (the network namespace
// is shared) and accepts one connection. The child's exit code is `judge`'s
// verdict on what Accept returned. This process connects with the default
// policy and returns what Connect said.
absl::StatusOr<Channel> ConnectToUserNamespaceDaemon(
    const std::string& address, std::function<PeerPolicy()> policy_in_child,
    std::function<int(const absl::StatusOr<Channel>&)> judge,
    absl::StatusOr<int>* daemon_exit) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  absl::StatusOr<ForkedChild> daemon = ForkedChild::Start([&] {
    ready_r.Reset();
    if (::unshare(CLONE_NEWUSER) != 0) return 10;
    if (::geteuid() != OverflowUid()) return 11;
    ChannelOptions options;
    options.policy = policy_in_child();  // evaluated inside the namespace
    absl::StatusOr<Listener> listener = Listener::Listen(address, options);
    if (!listener.ok()) return 12;
    const char byte = 'L';
    if (::write(ready_w.get(), &byte, 1) != 1) return 13;
    return judge(listener->Accept(kWait));
  });
  if (!daemon.ok()) return daemon.status();
  ready_w.Reset();
  char byte;
  ssize_t n;
  do {
    n = ::read(ready_r.get(), &byte, 1);
  } while (n < 0 && errno == EINTR);
  absl::StatusOr<Channel> ch =
      n == 1 ? Channel::Connect(address)
             : absl::StatusOr<Channel>(absl::InternalError("daemon not listening"));
  *daemon_exit = daemon->Wait(kWait);
  return ch;
}

// The reproduction from issue 17: a daemon running as the overflow uid in a
// user namespace that shares our network namespace (so abstract sockets)
// admitted any host process with the default policy ("PEER ADMITTED").
TEST(PeerPolicyTest, DaemonInUserNamespaceRefusesUnmappedHostPeer) {
  if (std::string why = WhyNoUserNamespace(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  absl::StatusOr<int> daemon_exit;
  absl::StatusOr<Channel> ch = ConnectToUserNamespaceDaemon(
      absl::StrCat("@gssx-test-", ::getpid(), "-userns"), &PeerPolicy::SameUid,
      [](const absl::StatusOr<Channel>& accepted) {
        if (accepted.ok()) {
          std::fprintf(stderr, "daemon: PEER ADMITTED (uid %u)\n",
                       accepted->peer().uid);
          return 1;
        }
        std::fprintf(stderr, "daemon: %s\n", accepted.status().ToString().c_str());
        if (!IsError(accepted.status(), ErrorKind::kPeerNotAllowed)) return 2;
        return absl::StrContains(accepted.status().message(),
                                 "runs as the overflow uid")
                   ? 0
                   : 3;
      },
      &daemon_exit);
  EXPECT_THAT(ch, HasErrorKind(ErrorKind::kRefusedByPeer));
  EXPECT_THAT(daemon_exit, IsOkAndHolds(0));
}

// The same daemon still admits the overflow uid when it names it.
TEST(PeerPolicyTest, DaemonInUserNamespaceAdmitsExplicitOverflowUid) {
  if (std::string why = WhyNoUserNamespace(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  absl::StatusOr<int> daemon_exit;
  absl::StatusOr<Channel> ch = ConnectToUserNamespaceDaemon(
      absl::StrCat("@gssx-test-", ::getpid(), "-userns-ok"),
      [] { return PeerPolicy::Nobody().AllowUid(OverflowUid()); },
      [](const absl::StatusOr<Channel>& accepted) {
        return accepted.ok() && accepted->peer().uid == OverflowUid() ? 0 : 1;
      },
      &daemon_exit);
  EXPECT_TRUE(ch.ok()) << ch.status();
  EXPECT_THAT(daemon_exit, IsOkAndHolds(0));
}

}  // namespace
}  // namespace gssx::transport
