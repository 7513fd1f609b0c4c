// SPDX-License-Identifier: Apache-2.0
// Peers with another uid, for real: needs root (see BUILD).
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/errors.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

constexpr uid_t kNobody = 65534;
constexpr absl::Duration kWait = absl::Seconds(30);

// Whether a child can become another uid here (root, outside a user
// namespace that maps only uid 0).
bool CanSwitchUid() {
  if (geteuid() != 0) return false;
  absl::StatusOr<ForkedChild> probe = ForkedChild::Start(
      [] { return setgid(kNobody) == 0 && setuid(kNobody) == 0 ? 0 : 1; });
  return probe.ok() && probe->Wait(kWait).value_or(1) == 0;
}

TEST(PeerUidTest, OtherUidRefusedByDefaultPolicyOnBothEnds) {
  if (!CanSwitchUid()) GTEST_SKIP() << "needs root to run a peer as another uid";
  std::string address = absl::StrCat("@gssx-test-", getpid(), "-uid");
  ASSERT_OK_AND_ASSIGN(Listener listener, Listener::Listen(address));
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    if (setgid(kNobody) != 0 || setuid(kNobody) != 0) return 10;
    ChannelOptions trust_root;
    trust_root.policy = PeerPolicy::Nobody().AllowUid(0);
    absl::StatusOr<Channel> ch = Channel::Connect(address, trust_root);
    return IsError(ch.status(), ErrorKind::kRefusedByPeer) ? 0 : 11;
  }));
  absl::StatusOr<Channel> ch = listener.Accept(kWait);
  EXPECT_THAT(ch, HasErrorKind(ErrorKind::kPeerNotAllowed));
  EXPECT_THAT(ch.status().message(), ::testing::HasSubstr("uid 65534"));
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
}

TEST(PeerUidTest, AllowListedUidIsAdmitted) {
  if (!CanSwitchUid()) GTEST_SKIP() << "needs root to run a peer as another uid";
  std::string address = absl::StrCat("@gssx-test-", getpid(), "-uid-ok");
  ChannelOptions admit_nobody;
  admit_nobody.policy = PeerPolicy::SameUid().AllowUid(kNobody);
  ASSERT_OK_AND_ASSIGN(Listener listener,
                       Listener::Listen(address, admit_nobody));
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    if (setgid(kNobody) != 0 || setuid(kNobody) != 0) return 10;
    ChannelOptions trust_root;
    trust_root.policy = PeerPolicy::Nobody().AllowUid(0);
    absl::StatusOr<Channel> ch = Channel::Connect(address, trust_root);
    if (!ch.ok()) return 11;
    absl::StatusOr<ReceivedToken> r = ch->Receive();
    return r.ok() ? 0 : 12;
  }));
  ASSERT_OK_AND_ASSIGN(Channel ch, listener.Accept(kWait));
  EXPECT_EQ(ch.peer().uid, kNobody);
  const uint8_t token[] = {1, 2, 3};
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(token));
  EXPECT_THAT(ch.AwaitAck(h, kWait), IsOk());
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
}

}  // namespace
}  // namespace gssx::transport
