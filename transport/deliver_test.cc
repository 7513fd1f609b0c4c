// SPDX-License-Identifier: Apache-2.0
// DeliverToken: every way a handoff ends, and what the caller's restore
// function sees in each.
#include "transport/deliver.h"

#include <cerrno>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/raw_messages.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/errors.h"
#include "transport/internal/syscalls.h"
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

// pread failing with ENOMEM the first `failures` times (the reclaim's
// read of the memfd; nothing else reads in these tests).
int g_pread_failures = 0;
ssize_t FailingPread(int fd, void* buf, size_t count, off_t offset) {
  if (g_pread_failures > 0) {
    --g_pread_failures;
    errno = ENOMEM;
    return -1;
  }
  return internal::RealSyscalls().pread(fd, buf, count, offset);
}

TEST(DeliverTokenTest, TransientReclaimFailureIsRetried) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  DeliverOptions options;
  options.ack_timeout = absl::Milliseconds(10);  // nobody answers
  internal::Syscalls table = internal::RealSyscalls();
  table.pread = FailingPread;
  g_pread_failures = 1;
  {
    internal::ScopedSyscalls scoped(table);
    EXPECT_THAT(DeliverToken(pair.first, token, {}, options, r.fn()),
                HasErrorKind(ErrorKind::kTimeout));
  }
  EXPECT_EQ(g_pread_failures, 0);  // the fault did fire
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.got, kSecret);
}

TEST(DeliverTokenTest, PersistentReclaimFailureSaysOutcomeUnknown) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  SecretBuffer token = Token();
  Restorer r;
  DeliverOptions options;
  options.ack_timeout = absl::Milliseconds(10);
  internal::Syscalls table = internal::RealSyscalls();
  table.pread = FailingPread;
  g_pread_failures = 1000;
  absl::StatusOr<Delivery> d;
  {
    internal::ScopedSyscalls scoped(table);
    d = DeliverToken(pair.first, token, {}, options, r.fn());
  }
  g_pread_failures = 0;
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), ::testing::HasSubstr("outcome unknown"));
  EXPECT_THAT(d, HasErrorKind(ErrorKind::kOs));
  EXPECT_EQ(ErrnoOf(d.status()), ENOMEM);
  EXPECT_EQ(r.calls, 0);
  // The message is still queued at the peer, unconsumed: it can still be
  // imported — which is why the outcome is "unknown", not "lost".
  absl::StatusOr<ReceivedToken> late = pair.second.Receive();
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_TRUE(late->token.Equals(kSecret));
}

}  // namespace
}  // namespace gssx::transport
