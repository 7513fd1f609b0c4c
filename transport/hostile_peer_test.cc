// SPDX-License-Identifier: Apache-2.0
// Hostile peers, each in its own process, against an importer that also
// serves a well-behaved peer. Each attack must give a clear status on the
// attacked channel and cost nothing else: every fd it sent is closed, the
// locked memory it made us use is returned, and the good channel goes on
// working. (channel_test.cc covers single malformed messages from an
// in-process raw peer; memfd_token_test.cc the token checks one by one.)
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "transport/testing/raw_messages.h"
#include "testing/fd_leak.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/bytes.h"
#include "transport/memfd_token.h"
#include "transport/base/secret_buffer.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::CountOpenFds;
using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

constexpr absl::Duration kWait = absl::Seconds(30);
constexpr size_t kScmMaxFd = 253;

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// Sends one message by hand; returns errno or 0.
int SendRaw(int socket, absl::Span<const uint8_t> body,
            const std::vector<int>& fds) {
  return ::gssx::testing::SendRawMessage(socket, body, fds);
}

// A HANDOFF body for a sealed token.
std::vector<uint8_t> HandoffBody(const SealedToken& t, uint16_t extra_fds) {
  return ::gssx::testing::HandoffMessageBody(t.expect, extra_fds, t.key.span());
}

// A child's exit code: 0 if every step worked, else the step that failed.
int Step(bool ok, int code) { return ok ? 0 : code; }

// The importer's view: a channel to a hostile child and one to a good peer
// in this process. Snapshot of what the importer holds, to prove the
// attack cost nothing once its channel is gone.
class HostilePeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto good, Channel::Pair());
    good_server_.emplace(std::move(good.first));
    good_client_.emplace(std::move(good.second));
    // What we hold without the hostile connection (its two socket ends).
    fds_before_ = CountOpenFds();
    ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
    hostile_end_ = std::move(fds.second);
    server_end_ = std::move(fds.first);
    buffers_before_ = GetLockedMemoryStats().buffers_in_use;
  }

  // Starts the hostile child on its end of the socketpair, then opens our
  // channel to it.
  void StartHostile(std::function<int(Channel&)> body) {
    auto child = ForkedChild::Start([&] {
      server_end_.Reset();
      good_server_.reset();
      good_client_.reset();
      absl::StatusOr<Channel> ch = Channel::Open(std::move(hostile_end_));
      if (!ch.ok()) return 100;
      return body(*ch);
    });
    ASSERT_THAT(child, IsOk());
    hostile_.emplace(std::move(*child));
    hostile_end_.Reset();
    ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(server_end_)));
    server_.emplace(std::move(ch));
  }

  // The good peer still gets through, while the hostile one is connected.
  void GoodPeerStillServed() {
    const std::vector<uint8_t> token = Bytes("good peer's context");
    ASSERT_OK_AND_ASSIGN(Handoff h, good_client_->Send(token));
    ASSERT_OK_AND_ASSIGN(ReceivedToken r, good_server_->Receive());
    EXPECT_TRUE(r.token.Equals(token));
    EXPECT_THAT(good_client_->AwaitAck(h, kWait), IsOk());
  }

  // Drops the hostile channel: afterwards we hold exactly what we held
  // before the attack (tests close their own helper fds first).
  void CostNothingButItsConnection() {
    server_.reset();
    if (hostile_.has_value()) (void)hostile_->Kill();
    EXPECT_EQ(CountOpenFds(), fds_before_) << "fds left behind by the attack";
    EXPECT_EQ(GetLockedMemoryStats().buffers_in_use, buffers_before_)
        << "locked buffers left behind by the attack";
    GoodPeerStillServed();
  }

  ReceiveOptions Opts(size_t max_fds, absl::Duration timeout = kWait) {
    ReceiveOptions o;
    o.max_extra_fds = max_fds;
    o.timeout = timeout;
    return o;
  }

  std::optional<Channel> good_server_, good_client_, server_;
  UniqueFd server_end_, hostile_end_;
  std::optional<ForkedChild> hostile_;
  int fds_before_ = 0;
  size_t buffers_before_ = 0;
};

// 253 fds (the kernel's limit per message), garbage, half a message, then
// silence, on one connection.
TEST_F(HostilePeerTest, FdFloodGarbageHalfMessageThenHang) {
  int go[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  UniqueFd go_r(go[0]), go_w(go[1]);
  StartHostile([&](Channel& ch) {
    go_w.Reset();
    absl::StatusOr<SealedToken> t = SealEncryptedToken(Bytes("bait"));
    if (!t.ok()) return 10;
    UniqueFd null_fd(::eventfd(0, EFD_CLOEXEC));  // no file at all
    // 1: a handoff announcing 252 extra fds, all of them attached.
    std::vector<int> flood(kScmMaxFd, null_fd.get());
    flood[0] = t->fd.get();
    if (SendRaw(ch.fd(), HandoffBody(*t, kScmMaxFd - 1), flood) != 0) return 11;
    // 2: the same flood, to an importer that accepts 252 extra fds, but
    // the "token" is an eventfd.
    flood[0] = null_fd.get();
    if (SendRaw(ch.fd(), HandoffBody(*t, kScmMaxFd - 1), flood) != 0) return 12;
    // 3: garbage.  4: the first half of a valid handoff, with its memfd.
    if (SendRaw(ch.fd(), Bytes(std::string(90, '\xff')), {}) != 0) return 13;
    std::vector<uint8_t> half = HandoffBody(*t, 0);
    half.resize(56);
    if (SendRaw(ch.fd(), half, {t->fd.get()}) != 0) return 14;
    // 5: hang, holding the connection open.
    char c;
    (void)::read(go_r.get(), &c, 1);
    return 0;
  });
  go_r.Reset();
  EXPECT_THAT(server_->Receive(Opts(1)), HasErrorKind(ErrorKind::kTooManyFds));
  GoodPeerStillServed();
  EXPECT_THAT(server_->Receive(Opts(kMaxExtraFds)),
              HasErrorKind(ErrorKind::kNotMemfd));
  EXPECT_THAT(server_->Receive(Opts(1)), HasErrorKind(ErrorKind::kMalformed));
  EXPECT_THAT(server_->Receive(Opts(1)), HasErrorKind(ErrorKind::kMalformed));
  GoodPeerStillServed();
  EXPECT_THAT(server_->Receive(Opts(1, absl::Milliseconds(100))),
              HasErrorKind(ErrorKind::kTimeout));
  go_w.Reset();  // lets the child go
  CostNothingButItsConnection();
}

// A sender that sets the consume latch itself before sending: the token
// reads as consumed (nobody can ever import it), and the channel goes on.
TEST_F(HostilePeerTest, PresetLatchIsAlreadyConsumedAndChannelContinues) {
  StartHostile([](Channel& ch) {
    absl::StatusOr<SealedToken> t = SealEncryptedToken(Bytes("pre-latched"));
    if (!t.ok()) return 10;
    if (::fcntl(t->fd.get(), F_ADD_SEALS, F_SEAL_SEAL) != 0) return 11;
    if (SendRaw(ch.fd(), HandoffBody(*t, 0), {t->fd.get()}) != 0) return 12;
    // Then an honest handoff on the same channel.
    absl::StatusOr<Handoff> h = ch.Send(Bytes("honest"));
    if (!h.ok()) return 13;
    return Step(ch.AwaitAck(*h, kWait).ok(), 14);
  });
  absl::StatusOr<ReceivedToken> first = server_->Receive(Opts(0));
  EXPECT_THAT(first, HasErrorKind(ErrorKind::kAlreadyConsumed));
  {
    ASSERT_OK_AND_ASSIGN(ReceivedToken second, server_->Receive(Opts(0)));
    EXPECT_TRUE(second.token.Equals(Bytes("honest")));
  }
  EXPECT_THAT(hostile_->Wait(kWait), IsOkAndHolds(0));
  hostile_.reset();
  CostNothingButItsConnection();
}

// A sender that shrinks the memfd after sending (F_SEAL_SHRINK is left
// unset on purpose, so that importers can drop the pages): a size
// mismatch, answered with a negative ack; no SIGBUS (the importer reads
// with pread, never through a mapping).
TEST_F(HostilePeerTest, ShrunkAfterSendingIsSizeMismatch) {
  int shrunk[2];
  ASSERT_EQ(::pipe2(shrunk, O_CLOEXEC), 0);
  UniqueFd shrunk_r(shrunk[0]), shrunk_w(shrunk[1]);
  StartHostile([&](Channel& ch) {
    shrunk_r.Reset();
    absl::StatusOr<SealedToken> t =
        SealEncryptedToken(std::vector<uint8_t>(5000, 0x5a));
    if (!t.ok()) return 10;
    if (SendRaw(ch.fd(), HandoffBody(*t, 0), {t->fd.get()}) != 0) return 11;
    if (::ftruncate(t->fd.get(), 100) != 0) return 12;
    if (::write(shrunk_w.get(), "s", 1) != 1) return 13;
    // The answer: a negative ack naming the size mismatch.
    uint8_t ack[64];
    ssize_t n = ::recv(ch.fd(), ack, sizeof ack, 0);
    if (n != 28 || ack[5] != 3) return 14;
    return Step(internal::GetLe(ack + 24, 4) ==
                    static_cast<uint64_t>(ErrorKind::kSizeMismatch),
                15);
  });
  shrunk_w.Reset();
  char c;
  ASSERT_EQ(::read(shrunk_r.get(), &c, 1), 1);
  shrunk_r.Reset();
  EXPECT_THAT(server_->Receive(Opts(0)),
              HasErrorKind(ErrorKind::kSizeMismatch));
  EXPECT_THAT(hostile_->Wait(kWait), IsOkAndHolds(0));
  hostile_.reset();
  CostNothingButItsConnection();
}

// The same, racing: the sender shrinks each token at a random moment while
// the importer reads it. Every import either gets the exact bytes or a
// size mismatch; never a crash, a wrong byte or a leak.
TEST_F(HostilePeerTest, ShrinkRacingTheImport) {
  constexpr int kRounds = 300;
  StartHostile([](Channel& ch) {
    uint64_t rng = 0x2545f4914f6cdd1dULL;
    for (int i = 0; i < kRounds; ++i) {
      absl::StatusOr<SealedToken> t = SealEncryptedToken(
          std::vector<uint8_t>(3000, static_cast<uint8_t>(i)));
      if (!t.ok()) return 10;
      if (SendRaw(ch.fd(), HandoffBody(*t, 0), {t->fd.get()}) != 0) return 11;
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      for (uint64_t spin = rng % 20000; spin > 0; --spin) {
        asm volatile("" ::: "memory");
      }
      (void)::ftruncate(t->fd.get(), static_cast<off_t>(rng % 3000));
      // Wait for the answer before the next round (one in flight).
      uint8_t ack[64];
      if (::recv(ch.fd(), ack, sizeof ack, 0) != 28) return 12;
    }
    return 0;
  });
  int ok = 0, mismatched = 0;
  for (int i = 0; i < kRounds; ++i) {
    absl::StatusOr<ReceivedToken> r = server_->Receive(Opts(0));
    if (r.ok()) {
      ++ok;
      EXPECT_TRUE(
          r->token.Equals(std::vector<uint8_t>(3000, static_cast<uint8_t>(i))));
    } else {
      ++mismatched;
      EXPECT_THAT(r, HasErrorKind(ErrorKind::kSizeMismatch)) << "round " << i;
    }
  }
  std::printf("shrink race: %d imported intact, %d refused as shrunk\n", ok,
              mismatched);
  EXPECT_THAT(hostile_->Wait(kWait), IsOkAndHolds(0));
  hostile_.reset();
  CostNothingButItsConnection();
}

// An export-only process waiting for its ack, and a peer that answers with
// a flood of handoffs of its own instead. Each one read while we wait
// holds a memfd and a locked copy of its one-time key until Receive takes
// it; without a bound, ~1,000 of them parked that many fds (EMFILE on
// accept) and grew the locked pool for good. Now at most
// kMaxQueuedHandoffs wait; the rest are refused at once (a negative ack,
// their fds closed) and their sender reclaims them.
TEST_F(HostilePeerTest, HandoffFloodWhileAwaitingAckStaysBounded) {
  constexpr int kFlood = 64;
  StartHostile([](Channel& ch) {
    std::vector<Handoff> sent;
    for (int i = 0; i < kFlood; ++i) {
      absl::StatusOr<Handoff> h =
          ch.Send(std::vector<uint8_t>(100, static_cast<uint8_t>(i)));
      if (!h.ok()) return 10;
      sent.push_back(std::move(*h));
    }
    // Then refuse the importer's own handoff, so that its AwaitAck returns
    // once it has read the whole flood (the socket keeps the order).
    struct Refusing : BytesCodec {
      absl::Status Check(const SecretBuffer&) const {
        return absl::PermissionDeniedError("not taking it");
      }
    };
    if (ch.Receive(Refusing{}).ok()) return 11;
    int acked = 0, refused = 0;
    for (int i = 0; i < kFlood; ++i) {
      absl::Status s = ch.AwaitAck(sent[i], kWait);
      if (s.ok()) {
        ++acked;
        continue;
      }
      if (!IsError(s, ErrorKind::kRejectedByPeer)) return 12;
      // Refused unconsumed: ours again.
      absl::StatusOr<SecretBuffer> back = sent[i].Reclaim();
      if (!back.ok() || !back->Equals(std::vector<uint8_t>(
                            100, static_cast<uint8_t>(i)))) {
        return 13;
      }
      ++refused;
    }
    std::printf("hostile peer: %d handoffs imported, %d refused and "
                "reclaimed\n", acked, refused);
    std::fflush(stdout);
    if (acked != static_cast<int>(Channel::kMaxQueuedHandoffs)) return 14;
    return Step(refused == kFlood - acked, 15);
  });
  const int fds_start = CountOpenFds();
  const size_t buffers_start = GetLockedMemoryStats().buffers_in_use;
  {
    ASSERT_OK_AND_ASSIGN(Handoff mine, server_->Send(Bytes("export only")));
    EXPECT_THAT(server_->AwaitAck(mine, kWait),
                HasErrorKind(ErrorKind::kRejectedByPeer));
    // Our own handoff holds one fd and one locked key; the queue at most
    // kMaxQueuedHandoffs memfds and locked key copies.
    const int fds_held = CountOpenFds() - fds_start;
    const size_t buffers_held =
        GetLockedMemoryStats().buffers_in_use - buffers_start;
    std::printf("after a flood of %d handoffs: %d fds and %zu locked buffers "
                "held (bound: %zu each)\n",
                kFlood, fds_held, buffers_held,
                1 + Channel::kMaxQueuedHandoffs);
    EXPECT_LE(fds_held, 1 + static_cast<int>(Channel::kMaxQueuedHandoffs));
    EXPECT_LE(buffers_held, 1 + Channel::kMaxQueuedHandoffs);
    EXPECT_THAT(mine.Reclaim(), IsOk());
  }
  // The queued ones are still served.
  int received = 0;
  while (server_->HasQueuedHandoff()) {
    ASSERT_OK_AND_ASSIGN(ReceivedToken r, server_->Receive(Opts(0)));
    ++received;
  }
  EXPECT_EQ(received, static_cast<int>(Channel::kMaxQueuedHandoffs));
  EXPECT_THAT(hostile_->Wait(kWait), IsOkAndHolds(0));
  hostile_.reset();
  CostNothingButItsConnection();
}

}  // namespace
}  // namespace gssx::transport
