// SPDX-License-Identifier: Apache-2.0
// DeliverToken: every way a handoff ends, and what the caller's restore
// function sees in each.
#include "transport/deliver.h"

#include <fcntl.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/testing/raw_messages.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/syscalls.h"
#include "transport/memfd_token.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOkAndHolds;

const std::vector<uint8_t> kSecret = {'c', 'o', 'n', 't', 'e', 'x', 't'};

// Records what DeliverToken gave back.
struct Restorer {
  int calls = 0;
  std::vector<uint8_t> got;
  absl::Status answer = absl::OkStatus();
  RestoreFn fn() {
    return [this](const SecretBuffer& token) {
      ++calls;
      got.assign(token.data(), token.data() + token.size());
      return answer;
    };
  }
};

SecretBuffer Token() {
  absl::StatusOr<SecretBuffer> t = SecretBuffer::CopyOf(kSecret);
  EXPECT_TRUE(t.ok());
  return t.ok() ? std::move(*t) : SecretBuffer();
}

TEST(DeliverTokenTest, AcknowledgedWipesTheCallersCopy) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  DeliverOptions options;
  absl::StatusOr<ReceivedToken> received;
  options.after_send = [&] { received = pair.second.Receive(); };
  EXPECT_THAT(DeliverToken(pair.first, token, {}, options, r.fn()),
              IsOkAndHolds(Delivery::kAcknowledged));
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_TRUE(received->token.Equals(kSecret));
  EXPECT_TRUE(token.empty());
  EXPECT_EQ(r.calls, 0);
}

TEST(DeliverTokenTest, SendFailureRestoresTheSameBytes) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  { Channel gone = std::move(pair.second); }
  SecretBuffer token = Token();
  Restorer r;
  EXPECT_THAT(DeliverToken(pair.first, token, {}, {}, r.fn()),
              HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.got, kSecret);
}

TEST(DeliverTokenTest, RejectionReclaimsAndRestores) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  DeliverOptions options;
  options.after_send = [&] {
    ReceiveOptions ro;
    ro.validate = [](absl::Span<const uint8_t>) {
      return absl::InvalidArgumentError("not today");
    };
    EXPECT_FALSE(pair.second.Receive(ro).ok());
  };
  EXPECT_THAT(DeliverToken(pair.first, token, {}, options, r.fn()),
              HasErrorKind(ErrorKind::kRejectedByPeer));
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.got, kSecret);
}

TEST(DeliverTokenTest, RestoreFailureIsTheError) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  { Channel gone = std::move(pair.second); }
  SecretBuffer token = Token();
  Restorer r;
  r.answer = absl::ResourceExhaustedError("no memory to rebuild");
  absl::StatusOr<Delivery> d = DeliverToken(pair.first, token, {}, {}, r.fn());
  EXPECT_EQ(d.status(), r.answer);
}

// The peer takes the token (sets the latch) and never acks: the reclaim
// finds it consumed, and nothing is restored.
TEST(DeliverTokenTest, ConsumedWithoutAck) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  DeliverOptions options;
  options.ack_timeout = absl::Milliseconds(20);
  options.after_send = [&] {
    absl::StatusOr<::gssx::testing::RawMessage> m =
        ::gssx::testing::ReceiveRawMessage(pair.second.fd(), 1);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_EQ(m->fds.size(), 1u);
    ASSERT_TRUE(LatchToken(m->fds[0].get()).ok());
  };
  EXPECT_THAT(DeliverToken(pair.first, token, {}, options, r.fn()),
              IsOkAndHolds(Delivery::kConsumedWithoutAck));
  EXPECT_EQ(r.calls, 0);
}

// A token too large to travel inline: its reclaim reads the memfd.
const std::vector<uint8_t> kLargeSecret(kMaxInlineToken + 100, 'L');

SecretBuffer LargeToken() {
  absl::StatusOr<SecretBuffer> t = SecretBuffer::CopyOf(kLargeSecret);
  EXPECT_TRUE(t.ok());
  return t.ok() ? std::move(*t) : SecretBuffer();
}

// The reclaim's one fallible step failing with ENOMEM the first `failures`
// times: the pread of the memfd (memfd form), or the latch itself (inline
// form: F_ADD_SEALS F_SEAL_SEAL). Nothing else reads or latches here.
int g_failures = 0;
ssize_t FailingPread(int fd, void* buf, size_t count, off_t offset) {
  if (g_failures > 0) {
    --g_failures;
    errno = ENOMEM;
    return -1;
  }
  return internal::RealSyscalls().pread(fd, buf, count, offset);
}
int FailingLatch(int fd, int cmd, long arg) {
  if (cmd == F_ADD_SEALS && arg == F_SEAL_SEAL && g_failures > 0) {
    --g_failures;
    errno = ENOMEM;
    return -1;
  }
  return internal::RealSyscalls().fcntl(fd, cmd, arg);
}

// Both forms of handoff: inline (small token) and memfd (large token).
class ReclaimFailureTest : public ::testing::TestWithParam<bool> {
 protected:
  bool large() const { return GetParam(); }
  SecretBuffer MakeToken() const { return large() ? LargeToken() : Token(); }
  const std::vector<uint8_t>& secret() const {
    return large() ? kLargeSecret : kSecret;
  }
  internal::Syscalls Faulty() const {
    internal::Syscalls table = internal::RealSyscalls();
    if (large()) {
      table.pread = FailingPread;
    } else {
      table.fcntl = FailingLatch;
    }
    return table;
  }
};

TEST_P(ReclaimFailureTest, TransientReclaimFailureIsRetried) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = MakeToken();
  Restorer r;
  DeliverOptions options;
  options.ack_timeout = absl::Milliseconds(10);  // nobody answers
  g_failures = 1;
  const internal::Syscalls table = Faulty();  // outlives `scoped`
  {
    internal::ScopedSyscalls scoped(table);
    EXPECT_THAT(DeliverToken(pair.first, token, {}, options, r.fn()),
                HasErrorKind(ErrorKind::kTimeout));
  }
  EXPECT_EQ(g_failures, 0);  // the fault did fire
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.got, secret());
}

TEST_P(ReclaimFailureTest, PersistentReclaimFailureSaysOutcomeUnknown) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = MakeToken();
  Restorer r;
  DeliverOptions options;
  options.ack_timeout = absl::Milliseconds(10);
  g_failures = 1000;
  const internal::Syscalls table = Faulty();  // outlives `scoped`
  absl::StatusOr<Delivery> d;
  {
    internal::ScopedSyscalls scoped(table);
    d = DeliverToken(pair.first, token, {}, options, r.fn());
  }
  g_failures = 0;
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), ::testing::HasSubstr("outcome unknown"));
  EXPECT_THAT(d, HasErrorKind(ErrorKind::kOs));
  EXPECT_EQ(ErrnoOf(d.status()), ENOMEM);
  EXPECT_EQ(r.calls, 0);
  // The message is still queued at the peer, unconsumed: it can still be
  // imported — which is why the outcome is "unknown", not "lost".
  absl::StatusOr<ReceivedToken> late = pair.second.Receive();
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_TRUE(late->token.Equals(secret()));
}

INSTANTIATE_TEST_SUITE_P(InlineAndMemfd, ReclaimFailureTest,
                         ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Memfd" : "Inline";
                         });

// ---------------------------------------------------- the non-blocking split

TEST(PendingDeliveryTest, NoAnswerYetThenAcknowledged) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  ASSERT_OK_AND_ASSIGN(PendingDelivery p,
                       StartDelivery(pair.first, token, {}, r.fn()));
  EXPECT_TRUE(token.empty());
  EXPECT_FALSE(p.done());
  EXPECT_THAT(p.Check(pair.first), IsOkAndHolds(std::nullopt));
  EXPECT_FALSE(p.done());
  absl::StatusOr<ReceivedToken> received = pair.second.Receive();
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_TRUE(received->token.Equals(kSecret));
  EXPECT_THAT(p.Check(pair.first),
              IsOkAndHolds(std::optional<Delivery>(Delivery::kAcknowledged)));
  EXPECT_TRUE(p.done());
  EXPECT_EQ(r.calls, 0);
  EXPECT_THAT(p.Check(pair.first), HasErrorKind(ErrorKind::kBadArgument));
  EXPECT_THAT(p.Abandon(absl::CancelledError("late")),
              HasErrorKind(ErrorKind::kBadArgument));
}

TEST(PendingDeliveryTest, SendFailureRestoresAtOnce) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  { Channel gone = std::move(pair.second); }
  SecretBuffer token = Token();
  Restorer r;
  EXPECT_THAT(StartDelivery(pair.first, token, {}, r.fn()),
              HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.got, kSecret);
}

TEST(PendingDeliveryTest, PeerClosedReclaimsAndRestores) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  ASSERT_OK_AND_ASSIGN(PendingDelivery p,
                       StartDelivery(pair.first, token, {}, r.fn()));
  { Channel gone = std::move(pair.second); }  // never read
  EXPECT_THAT(p.Check(pair.first), HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_TRUE(p.done());
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.got, kSecret);
}

TEST(PendingDeliveryTest, RejectionReclaimsAndRestores) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  ASSERT_OK_AND_ASSIGN(PendingDelivery p,
                       StartDelivery(pair.first, token, {}, r.fn()));
  ReceiveOptions ro;
  ro.validate = [](absl::Span<const uint8_t>) {
    return absl::InvalidArgumentError("not today");
  };
  EXPECT_FALSE(pair.second.Receive(ro).ok());
  EXPECT_THAT(p.Check(pair.first), HasErrorKind(ErrorKind::kRejectedByPeer));
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.got, kSecret);
}

TEST(PendingDeliveryTest, AbandonReclaimsAndReturnsWhy) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  ASSERT_OK_AND_ASSIGN(PendingDelivery p,
                       StartDelivery(pair.first, token, {}, r.fn()));
  absl::StatusOr<Delivery> d =
      p.Abandon(MakeError(ErrorKind::kTimeout, "caller's deadline"));
  EXPECT_THAT(d, HasErrorKind(ErrorKind::kTimeout));
  EXPECT_TRUE(p.done());
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.got, kSecret);
  // The peer's copy is dead.
  EXPECT_THAT(pair.second.Receive(), HasErrorKind(ErrorKind::kAlreadyConsumed));
}

TEST(PendingDeliveryTest, AbandonAfterTheImportIsConsumedWithoutAck) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  ASSERT_OK_AND_ASSIGN(PendingDelivery p,
                       StartDelivery(pair.first, token, {}, r.fn()));
  absl::StatusOr<::gssx::testing::RawMessage> m =
      ::gssx::testing::ReceiveRawMessage(pair.second.fd(), 1);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->fds.size(), 1u);
  ASSERT_TRUE(LatchToken(m->fds[0].get()).ok());
  EXPECT_THAT(p.Abandon(MakeError(ErrorKind::kTimeout, "deadline")),
              IsOkAndHolds(Delivery::kConsumedWithoutAck));
  EXPECT_EQ(r.calls, 0);
}

// Two deliveries on one channel: checking one reads the other's ack too,
// and the other still finds it.
TEST(PendingDeliveryTest, AnswersForOthersAreKept) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer t1 = Token(), t2 = Token();
  Restorer r1, r2;
  ASSERT_OK_AND_ASSIGN(PendingDelivery p1,
                       StartDelivery(pair.first, t1, {}, r1.fn()));
  ASSERT_OK_AND_ASSIGN(PendingDelivery p2,
                       StartDelivery(pair.first, t2, {}, r2.fn()));
  ASSERT_TRUE(pair.second.Receive().ok());
  ASSERT_TRUE(pair.second.Receive().ok());
  EXPECT_THAT(p1.Check(pair.first),
              IsOkAndHolds(std::optional<Delivery>(Delivery::kAcknowledged)));
  EXPECT_THAT(p2.Check(pair.first),
              IsOkAndHolds(std::optional<Delivery>(Delivery::kAcknowledged)));
}

}  // namespace
}  // namespace gssx::transport
