// SPDX-License-Identifier: Apache-2.0
// The upgrade protocol's messages (transport/upgrade.h) against a peer that
// sends them wrong: truncated, malformed, unexpected, miscounted. A message
// the target cannot parse is rejected unconsumed (the source reclaims it);
// one that parses but does not add up ends the upgrade; the source side
// refuses a malformed VERDICT. Processes and real contexts:
// gssx/upgrade_test.
#include "transport/upgrade.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/base/errors.h"

namespace gssx::testing {
namespace {

using transport::Channel;
using transport::ErrorKind;
using transport::Handoff;
using transport::IsError;
using transport::ReceivedToken;
using transport::UniqueFd;
using transport::UpgradeBatch;
using transport::UpgradeTarget;
using transport::UpgradeTargetOptions;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

transport::ReceiveOptions Within(absl::Duration timeout) {
  transport::ReceiveOptions options;
  options.timeout = timeout;
  return options;
}

// An upgrade token: header (version 1 unless told) and `body`.
std::vector<uint8_t> Token(uint8_t type, std::vector<uint8_t> body,
                           uint8_t version = 1) {
  std::vector<uint8_t> t = {'G', 'X', 'U', 'P', version, type, 0, 0};
  t.insert(t.end(), body.begin(), body.end());
  return t;
}

void Le(std::vector<uint8_t>& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

std::vector<uint8_t> Hello(uint32_t version, const std::string& tag) {
  std::vector<uint8_t> b;
  Le(b, version, 4);
  Le(b, tag.size(), 2);
  Le(b, 0, 2);
  b.insert(b.end(), tag.begin(), tag.end());
  return Token(1, b);
}

std::vector<uint8_t> SessionBody(uint64_t id, uint32_t token_len,
                                 uint32_t state_len, size_t actual) {
  std::vector<uint8_t> b;
  Le(b, id, 8);
  Le(b, token_len, 4);
  Le(b, state_len, 4);
  b.resize(b.size() + actual, 0x5a);
  return b;
}

std::vector<uint8_t> CommitBody(uint32_t sessions, uint32_t listeners) {
  std::vector<uint8_t> b;
  Le(b, sessions, 4);
  Le(b, listeners, 4);
  return b;
}

// A real target on one end of a channel pair, in a thread; this test plays
// the source on the other end with hand-made tokens.
class FakeSource {
 public:
  explicit FakeSource(
      std::function<void(UpgradeTargetOptions&)> configure = nullptr) {
    auto pair = Channel::Pair();
    EXPECT_OK(pair.status());
    source_.emplace(std::move(pair->first));
    Channel target_end = std::move(pair->second);
    thread_ = std::thread([this, configure, ch = std::move(target_end)]() mutable {
      UpgradeTargetOptions options;
      options.self = {"app", 7};
      options.step_timeout = kWait;
      if (configure) configure(options);
      absl::StatusOr<UpgradeTarget> t =
          UpgradeTarget::Accept(std::move(ch), options);
      if (!t.ok()) {
        result_ = t.status();
        return;
      }
      result_ = t->ReceiveBatch();
    });
  }
  ~FakeSource() { Join(); }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // Sends `token` with `fds`; the ack's status. A rejected token is
  // reclaimed, which must work (it was never consumed).
  absl::Status Send(const std::vector<uint8_t>& token,
                    std::vector<int> fds = {}) {
    absl::StatusOr<Handoff> h = source_->Send(token, fds);
    if (!h.ok()) return h.status();
    absl::Status acked = source_->AwaitAck(*h, kWait);
    if (!acked.ok() && !h->resolved()) {
      absl::StatusOr<transport::SecretBuffer> back = h->Reclaim();
      EXPECT_TRUE(back.ok()) << "a rejected message must stay reclaimable: "
                             << transport::StatusText(back.status());
      if (back.ok()) {
        EXPECT_TRUE(back->Equals(token));
      }
    }
    return acked;
  }

  // A valid HELLO, then the target's VERDICT (its first byte: accept).
  absl::StatusOr<bool> Greet(uint32_t version = 7,
                             std::vector<uint8_t> hello = {}) {
    if (hello.empty()) hello = Hello(version, "app");
    if (absl::Status s = Send(hello); !s.ok()) return s;
    absl::StatusOr<ReceivedToken> v = source_->Receive(Within(kWait));
    if (!v.ok()) return v.status();
    verdict_.assign(v->token.data(), v->token.data() + v->token.size());
    return v->token.size() > 8 && v->token.data()[8] == 1;
  }

  std::string VerdictReason() const {
    return verdict_.size() > 16 ? std::string(verdict_.begin() + 16,
                                              verdict_.end())
                                : "";
  }

  // What the target's Accept/ReceiveBatch returned (after Join).
  const absl::StatusOr<UpgradeBatch>& result() const { return result_; }
  Channel& channel() { return *source_; }

 private:
  std::optional<Channel> source_;
  std::thread thread_;
  absl::StatusOr<UpgradeBatch> result_ = absl::UnknownError("not run");
  std::vector<uint8_t> verdict_;
};

struct BadMessage {
  const char* name;
  std::vector<uint8_t> token;
  int fds;  // socket fds to attach
};

void PrintTo(const BadMessage& m, std::ostream* os) { *os << m.name; }

class UpgradeMalformedTest : public ::testing::TestWithParam<BadMessage> {};

// Rejected before the latch: the source gets its token back, the target
// ends the upgrade with kMalformed and owns nothing.
TEST_P(UpgradeMalformedTest, RejectedUnconsumedTargetEndsUpgrade) {
  const BadMessage& bad = GetParam();
  FakeSource source;
  ASSERT_THAT(source.Greet(), IsOkAndHolds(true));
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  std::vector<int> fds(bad.fds, a.get());
  absl::Status acked = source.Send(bad.token, fds);
  EXPECT_TRUE(IsError(acked, ErrorKind::kRejectedByPeer))
      << transport::StatusText(acked);
  EXPECT_THAT(std::string(acked.message()), HasSubstr("malformed"));
  source.Join();
  EXPECT_TRUE(IsError(source.result().status(), ErrorKind::kMalformed))
      << transport::StatusText(source.result().status());
}

INSTANTIATE_TEST_SUITE_P(
    Messages, UpgradeMalformedTest,
    ::testing::Values(
        BadMessage{"ShorterThanHeader", {'G', 'X', 'U', 'P', 1}, 0},
        BadMessage{"BadMagic", {'G', 'X', 'U', 'Q', 1, 5, 0, 0, 0, 0, 0, 0,
                                0, 0, 0, 0}, 0},
        BadMessage{"UnknownType", Token(9, CommitBody(0, 0)), 0},
        BadMessage{"OtherVersionNotHello", Token(5, CommitBody(0, 0), 2), 0},
        BadMessage{"ReservedBitsSet",
                   {'G', 'X', 'U', 'P', 1, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                   0},
        BadMessage{"SessionTruncated", Token(4, SessionBody(1, 100, 0, 10)),
                   1},
        BadMessage{"SessionStateTruncated",
                   Token(4, SessionBody(1, 10, 50, 20)), 1},
        BadMessage{"SessionEmptyToken", Token(4, SessionBody(1, 0, 0, 0)), 1},
        BadMessage{"SessionTokenTooLarge",
                   Token(4, SessionBody(1, 64 * 1024 + 1, 0, 64 * 1024 + 1)),
                   1},
        BadMessage{"SessionTrailingBytes", Token(4, SessionBody(1, 4, 0, 5)),
                   1},
        BadMessage{"CommitTrailingBytes",
                   Token(5, {0, 0, 0, 0, 0, 0, 0, 0, 0}), 0},
        BadMessage{"CommitCountsWhatWasNotSent", Token(5, CommitBody(1, 0)),
                   0},
        BadMessage{"ListenersNone", Token(3, {0, 0, 0, 0}), 0},
        BadMessage{"ListenerNameTruncated", Token(3, {1, 0, 0, 0, 9, 0, 'a'}),
                   1},
        BadMessage{"HelloAgain", Hello(7, "app"), 0},
        BadMessage{"VerdictFromSource", Token(2, {1, 0, 0, 0, 7, 0, 0, 0}),
                   0}),
    [](const ::testing::TestParamInfo<BadMessage>& info) {
      return std::string(info.param.name);
    });

// Parses, but its fds do not match: consumed, so the target ends the
// upgrade at once — and the source learns it at its next message, before
// any COMMIT.
TEST(UpgradeProtocolTest, FdsNotMatchingTheMessageEndTheUpgrade) {
  for (int fds : {0, 2}) {
    FakeSource source;
    ASSERT_THAT(source.Greet(), IsOkAndHolds(true));
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    UniqueFd a(sv[0]), b(sv[1]);
    std::vector<int> attach(fds, a.get());
    EXPECT_OK(source.Send(Token(4, SessionBody(1, 4, 0, 4)), attach));
    source.Join();
    EXPECT_TRUE(IsError(source.result().status(), ErrorKind::kMalformed));
    absl::Status next = source.Send(Token(5, CommitBody(1, 0)));
    EXPECT_TRUE(IsError(next, ErrorKind::kPeerClosed))
        << transport::StatusText(next);
  }
}

TEST(UpgradeProtocolTest, OtherProtocolVersionIsRefusedWithReason) {
  FakeSource source;
  std::vector<uint8_t> hello = Hello(7, "app");
  hello[4] = 2;  // protocol version 2
  EXPECT_THAT(source.Greet(7, hello), IsOkAndHolds(false));
  EXPECT_THAT(source.VerdictReason(),
              HasSubstr("upgrade protocol version 2 (this binary speaks 1)"));
  source.Join();
  EXPECT_TRUE(IsError(source.result().status(), ErrorKind::kPeerNotAllowed));
}

TEST(UpgradeProtocolTest, OtherAppVersionIsRefusedWithReason) {
  FakeSource source;
  EXPECT_THAT(source.Greet(6), IsOkAndHolds(false));
  EXPECT_THAT(source.VerdictReason(),
              HasSubstr("source is app version 6, this binary reads app "
                        "version 7"));
  source.Join();
}

// A complete, valid exchange by hand: what the target hands over.
TEST(UpgradeProtocolTest, ValidBatchByHand) {
  FakeSource source;
  ASSERT_THAT(source.Greet(), IsOkAndHolds(true));
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  std::vector<uint8_t> listeners = Token(3, {1, 0, 0, 0, 3, 0, 'w', 'e', 'b'});
  EXPECT_OK(source.Send(listeners, {a.get()}));
  EXPECT_OK(source.Send(Token(4, SessionBody(42, 3, 2, 5)), {a.get()}));
  EXPECT_OK(source.Send(Token(5, CommitBody(1, 1))));
  source.Join();
  ASSERT_OK(source.result().status());
  const UpgradeBatch& batch = *source.result();
  ASSERT_EQ(batch.listeners.size(), 1u);
  EXPECT_EQ(batch.listeners[0].name, "web");
  EXPECT_TRUE(batch.listeners[0].fd.valid());
  ASSERT_EQ(batch.sessions.size(), 1u);
  EXPECT_EQ(batch.sessions[0].id, 42u);
  EXPECT_EQ(batch.sessions[0].context_token.size(), 3u);
  EXPECT_EQ(batch.sessions[0].state.size(), 2u);
  EXPECT_TRUE(batch.sessions[0].client.valid());
}

// The fault-drill seams: before_consume sees each message that passed its
// checks (before its latch), after_receive each one consumed and acked.
TEST(UpgradeProtocolTest, TargetSeamsSeeEveryMessageInOrder) {
  std::vector<std::string> before, after;
  FakeSource source([&](UpgradeTargetOptions& o) {
    o.before_consume = [&before](const char* t) { before.push_back(t); };
    o.after_receive = [&after](const char* t) { after.push_back(t); };
  });
  ASSERT_THAT(source.Greet(), IsOkAndHolds(true));
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  EXPECT_OK(source.Send(Token(3, {1, 0, 0, 0, 1, 0, 'l'}), {a.get()}));
  EXPECT_OK(source.Send(Token(4, SessionBody(1, 3, 0, 3)), {a.get()}));
  EXPECT_OK(source.Send(Token(4, SessionBody(2, 3, 0, 3)), {a.get()}));
  EXPECT_OK(source.Send(Token(5, CommitBody(2, 1))));
  source.Join();
  ASSERT_OK(source.result().status());
  const std::vector<std::string> all = {"HELLO", "LISTENERS", "SESSION",
                                        "SESSION", "COMMIT"};
  EXPECT_EQ(before, all);
  EXPECT_EQ(after, all);
}

// A message rejected by its checks reaches neither seam (it is never
// consumed); what came before did.
TEST(UpgradeProtocolTest, TargetSeamsSkipARejectedMessage) {
  std::vector<std::string> before, after;
  FakeSource source([&](UpgradeTargetOptions& o) {
    o.before_consume = [&before](const char* t) { before.push_back(t); };
    o.after_receive = [&after](const char* t) { after.push_back(t); };
    o.validate_context = [](absl::Span<const uint8_t>) {
      return absl::InvalidArgumentError("cannot import this context");
    };
  });
  ASSERT_THAT(source.Greet(), IsOkAndHolds(true));
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  EXPECT_FALSE(source.Send(Token(4, SessionBody(1, 3, 0, 3)), {a.get()}).ok());
  source.Join();
  EXPECT_FALSE(source.result().ok());
  EXPECT_EQ(before, std::vector<std::string>{"HELLO"});
  EXPECT_EQ(after, std::vector<std::string>{"HELLO"});
}

// The source refuses a VERDICT it cannot parse, and a target that answers
// with something else.
TEST(UpgradeProtocolTest, SourceRejectsMalformedVerdict) {
  for (const std::vector<uint8_t>& verdict :
       {Token(2, {2, 0, 0, 0, 7, 0, 0, 0}),       // accept byte 2
        Token(2, {1, 0, 5, 0, 7, 0, 0, 0, 'x'}),  // reason cut short
        Token(5, CommitBody(0, 0))}) {            // not a VERDICT
    auto pair = Channel::Pair();
    ASSERT_OK(pair.status());
    Channel target_end = std::move(pair->second);
    absl::Status begun;
    std::thread source([&begun, ch = std::move(pair->first)]() mutable {
      transport::UpgradeOptions options;
      options.step_timeout = kWait;
      begun = transport::UpgradeSource::Begin(std::move(ch), {"app", 7},
                                              options)
                  .status();
    });
    ASSERT_OK(target_end.Receive(Within(kWait)).status());  // HELLO
    absl::StatusOr<Handoff> h = target_end.Send(verdict);
    ASSERT_OK(h.status());
    absl::Status acked = target_end.AwaitAck(*h, kWait);
    EXPECT_TRUE(IsError(acked, ErrorKind::kRejectedByPeer));
    source.join();
    EXPECT_TRUE(IsError(begun, ErrorKind::kMalformed))
        << transport::StatusText(begun);
    if (!h->resolved()) {
      EXPECT_OK(h->Reclaim().status());
    }
  }
}

TEST(SessionGateTest, HoldWaitsForTheRequestInProgress) {
  transport::SessionGate gate;
  ASSERT_TRUE(gate.TryBeginRequest());
  EXPECT_FALSE(gate.TryBeginRequest());  // one request at a time
  bool ended = false;
  std::thread worker([&] {
    absl::SleepFor(absl::Milliseconds(100));
    ended = true;
    gate.EndRequest();
  });
  ASSERT_OK(gate.Hold(kWait));
  EXPECT_TRUE(ended);
  worker.join();
  EXPECT_TRUE(gate.held());
  EXPECT_FALSE(gate.TryBeginRequest());
  gate.Release();
  EXPECT_TRUE(gate.TryBeginRequest());
  gate.EndRequest();
  ASSERT_TRUE(gate.TryBeginRequest());
  EXPECT_TRUE(IsError(gate.Hold(absl::Milliseconds(20)), ErrorKind::kTimeout));
  EXPECT_FALSE(gate.held());
  gate.EndRequest();
}

}  // namespace
}  // namespace gssx::testing
