// SPDX-License-Identifier: Apache-2.0
// The MIT bridge against a real KDC: real Kerberos contexts of the
// system's MIT GSS-API, established with a ticket from kinit, moved to
// other processes through the gssx transport.
#include "gssx/krb5_bridge/bridge.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/mit_handshake.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/krb5/test_kdc.h"
#include "transport/testing/raw_messages.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/deadline.h"
#include "transport/base/errors.h"
#include "transport/memfd_token.h"

namespace gssx::krb5 {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;
using ::gssx::testing::StatusIs;
using ::gssx::testing::TestRealm;
using transport::Channel;
using transport::ErrorKind;
using transport::UniqueFd;

std::vector<uint8_t> Bytes(absl::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}
std::string Text(const std::vector<uint8_t>& b) {
  return std::string(b.begin(), b.end());
}

// Exit codes of the worker children.
constexpr int kImported = 0;
constexpr int kAlreadyConsumedExit = 10;

class BridgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<TestRealm>> realm = TestRealm::Create();
    ASSERT_TRUE(realm.ok()) << realm.status();
    realm_ = realm->release();
    // Warm MIT up once (it opens and caches a few things for the process
    // lifetime, e.g. its mechanism list), so the per-test fd-leak check
    // sees only what each test does.
    absl::StatusOr<MitPair> pair = EstablishInProcess(realm_->service());
    ASSERT_TRUE(pair.ok()) << pair.status() << "\nKDC log:\n" << realm_->KdcLog();
  }
  static void TearDownTestSuite() {
    delete realm_;
    realm_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(realm_, nullptr) << "no test realm"; }

  MitPair Establish() {
    absl::StatusOr<MitPair> pair = EstablishInProcess(realm_->service());
    EXPECT_TRUE(pair.ok()) << pair.status();
    return pair.ok() ? std::move(*pair) : MitPair{};
  }

  static TestRealm* realm_;
};
TestRealm* BridgeTest::realm_ = nullptr;

TEST_F(BridgeTest, RealKerberosContextFromTheKdc) {
  MitPair pair = Establish();
  EXPECT_EQ(pair.client, realm_->client());
  ASSERT_OK_AND_ASSIGN(MitContext::Info info, pair.acceptor.Inquire());
  EXPECT_TRUE(info.krb5);
  EXPECT_TRUE(info.open);
  EXPECT_FALSE(info.locally_initiated);
  EXPECT_TRUE(info.flags & GSS_C_REPLAY_FLAG);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> w, pair.initiator.Wrap(Bytes("ping")));
  EXPECT_EQ(Text(*pair.acceptor.Unwrap(w)), "ping");
  ASSERT_OK_AND_ASSIGN(w, pair.acceptor.Wrap(Bytes("pong")));
  EXPECT_EQ(Text(*pair.initiator.Unwrap(w)), "pong");
  // The KDC issued the tickets: its log shows the AS and TGS exchanges.
  std::string log = realm_->KdcLog();
  EXPECT_THAT(log, ::testing::HasSubstr("AS_REQ"));
  EXPECT_THAT(log, ::testing::HasSubstr("TGS_REQ"));
  EXPECT_THAT(log, ::testing::HasSubstr(realm_->service()));
}

TEST_F(BridgeTest, GssCallsResolveToMitsLibrary) {
  Dl_info info{};
  ASSERT_NE(::dladdr(reinterpret_cast<void*>(&gss_import_sec_context), &info), 0);
  ASSERT_NE(info.dli_fname, nullptr);
  EXPECT_THAT(info.dli_fname, ::testing::HasSubstr("libgssapi_krb5.so"));
}

// What MIT alone does: one export token imports any number of times, and
// every copy accepts the same client message — a replay across processes
// that nothing detects. (The reason for the latch.)
TEST_F(BridgeTest, MitAloneImportsOneTokenTwice) {
  MitPair pair = Establish();
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer token,
                       ExportMitContext(pair.acceptor));
  EXPECT_FALSE(pair.acceptor.valid());
  ASSERT_OK_AND_ASSIGN(MitContext first, ImportMitContext(token.span()));
  ASSERT_OK_AND_ASSIGN(MitContext second, ImportMitContext(token.span()));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> w,
                       pair.initiator.Wrap(Bytes("transfer 100")));
  EXPECT_THAT(first.Unwrap(w), IsOk());
  EXPECT_THAT(second.Unwrap(w), IsOk());
  // Within one copy, MIT's replay detection works.
  absl::StatusOr<std::vector<uint8_t>> replay = first.Unwrap(w);
  ASSERT_FALSE(replay.ok());
  ASSERT_TRUE(MitCodesOf(replay.status()).has_value()) << replay.status();
  EXPECT_TRUE(MitCodesOf(replay.status())->major & GSS_S_DUPLICATE_TOKEN)
      << replay.status();
}

TEST_F(BridgeTest, ExportEmptiesTheHandle) {
  MitPair pair = Establish();
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer token,
                       ExportMitContext(pair.acceptor));
  EXPECT_GT(token.size(), 100u);
  EXPECT_FALSE(pair.acceptor.valid());
  absl::StatusOr<transport::SecretBuffer> again = ExportMitContext(pair.acceptor);
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(MitCodesOf(again.status()).has_value());
  EXPECT_EQ(GSS_ROUTINE_ERROR(MitCodesOf(again.status())->major),
            static_cast<OM_uint32>(GSS_S_NO_CONTEXT));
}

TEST_F(BridgeTest, GarbageTokenIsMitsDefectiveToken) {
  std::vector<uint8_t> junk(64, 0x41);
  absl::StatusOr<MitContext> ctx = ImportMitContext(junk);
  ASSERT_FALSE(ctx.ok());
  ASSERT_TRUE(MitCodesOf(ctx.status()).has_value());
  EXPECT_THAT(ctx.status().message(),
              ::testing::HasSubstr("gss_import_sec_context"));
}

// The main flow: the accepting process hands the context and the client's
// connection to a worker process, which continues the conversation.
TEST_F(BridgeTest, WorkerContinuesTheConversation) {
  MitPair pair = Establish();
  // Message 1 is read by the acceptor before the handoff; message 2 and a
  // replay of message 1 wait in the connection for the worker.
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> m1, pair.initiator.Wrap(Bytes("one")));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> m2, pair.initiator.Wrap(Bytes("two")));
  EXPECT_EQ(Text(*pair.acceptor.Unwrap(m1)), "one");
  int conn[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, conn), 0);
  UniqueFd client(conn[0]), server(conn[1]);
  ASSERT_EQ(::send(client.get(), m1.data(), m1.size(), 0),
            static_cast<ssize_t>(m1.size()));
  ASSERT_EQ(::send(client.get(), m2.data(), m2.size(), 0),
            static_cast<ssize_t>(m2.size()));

  ASSERT_OK_AND_ASSIGN(auto ends, transport::MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild worker, ForkedChild::Start([&] {
    ends.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(ends.second));
    if (!ch.ok()) return 1;
    ReceiveMitContextOptions options;
    options.max_extra_fds = 1;
    absl::StatusOr<ReceivedMitContext> r = ReceiveMitContext(*ch, options);
    if (!r.ok()) return 2;
    uint8_t buf[4096];
    // The replay of message 1 is refused by the imported context...
    ssize_t n = ::recv(r->fds[0].get(), buf, sizeof buf, 0);
    if (n <= 0) return 3;
    absl::StatusOr<std::vector<uint8_t>> replay =
        r->context.Unwrap(absl::MakeConstSpan(buf, n));
    std::optional<MitCodes> codes = MitCodesOf(replay.status());
    if (replay.ok() || !codes || !(codes->major & GSS_S_DUPLICATE_TOKEN)) {
      return 4;
    }
    // ...and message 2 continues the sequence.
    n = ::recv(r->fds[0].get(), buf, sizeof buf, 0);
    if (n <= 0) return 5;
    absl::StatusOr<std::vector<uint8_t>> m = r->context.Unwrap(
        absl::MakeConstSpan(buf, n));
    if (!m.ok() || Text(*m) != "two") return 6;
    absl::StatusOr<std::vector<uint8_t>> reply = r->context.Wrap(
        Bytes(absl::StrCat("worker ", ::getpid(), " got ", Text(*m))));
    if (!reply.ok()) return 7;
    if (::send(r->fds[0].get(), reply->data(), reply->size(), 0) < 0) return 8;
    return 0;
  }));
  ends.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(ends.first)));
  const int fds[] = {server.get()};
  ASSERT_THAT(HandOffMitContext(ch, pair.acceptor, fds),
              IsOkAndHolds(Delivery::kAcknowledged));
  EXPECT_FALSE(pair.acceptor.valid());
  server.Reset();  // the worker has its own copy
  const pid_t worker_pid = worker.pid();
  EXPECT_THAT(worker.Wait(absl::Seconds(30)), IsOkAndHolds(0));
  uint8_t buf[4096];
  ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> reply,
                       pair.initiator.Unwrap(absl::MakeConstSpan(buf, n)));
  EXPECT_EQ(Text(reply), absl::StrCat("worker ", worker_pid, " got two"));
}

// The issue's check: a second import attempt of the same handoff fails.
// A relay (this process) copies the handoff message — body and memfd — to
// two worker processes; each tries to import it; then the exporter's own
// reclaim tries too. Exactly one of the three wins.
TEST_F(BridgeTest, SecondImportOfTheSameHandoffFails) {
  MitPair pair = Establish();
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> m, pair.initiator.Wrap(Bytes("once")));

  std::vector<ForkedChild> workers;
  std::vector<Channel> to_workers;
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(auto ends, transport::MakeSocketPair());
    ASSERT_OK_AND_ASSIGN(ForkedChild w, ForkedChild::Start([&] {
      ends.first.Reset();
      to_workers.clear();
      absl::StatusOr<Channel> ch = Channel::Open(std::move(ends.second));
      if (!ch.ok()) return 1;
      absl::StatusOr<ReceivedMitContext> r = ReceiveMitContext(*ch);
      if (transport::IsError(r.status(), ErrorKind::kAlreadyConsumed)) {
        return kAlreadyConsumedExit;
      }
      if (!r.ok()) return 2;
      absl::StatusOr<std::vector<uint8_t>> text = r->context.Unwrap(m);
      return text.ok() && Text(*text) == "once" ? kImported : 3;
    }));
    workers.push_back(std::move(w));
    ends.second.Reset();
    ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(ends.first)));
    to_workers.push_back(std::move(ch));
  }

  ASSERT_OK_AND_ASSIGN(auto exporter_and_relay, Channel::Pair());
  Channel& exporter = exporter_and_relay.first;
  Channel& relay = exporter_and_relay.second;
  std::vector<int> codes;
  HandOffOptions options;
  options.after_send = [&] {
    absl::StatusOr<::gssx::testing::RawMessage> copy =
        ::gssx::testing::ReceiveRawMessage(relay.fd(), 1);
    ASSERT_TRUE(copy.ok()) << copy.status();
    ASSERT_EQ(copy->fds.size(), 1u);
    for (Channel& to : to_workers) {
      const int fd[] = {copy->fds[0].get()};
      ASSERT_EQ(::gssx::testing::SendRawMessage(to.fd(), copy->body, fd), 0);
    }
    for (ForkedChild& w : workers) {
      absl::StatusOr<int> code = w.Wait(absl::Seconds(30));
      ASSERT_TRUE(code.ok()) << code.status();
      codes.push_back(*code);
    }
  };
  // The relay forwards no ack: the exporter gives up waiting and tries to
  // reclaim — after both workers are done — and finds the token consumed.
  options.ack_timeout = absl::Milliseconds(50);
  EXPECT_THAT(HandOffMitContext(exporter, pair.acceptor, {}, options),
              IsOkAndHolds(Delivery::kConsumedWithoutAck));
  EXPECT_FALSE(pair.acceptor.valid());
  EXPECT_THAT(codes, ::testing::UnorderedElementsAre(kImported,
                                                     kAlreadyConsumedExit));
}

// The raw form: one sealed memfd, four processes racing to import it,
// many rounds: exactly one winner each round.
TEST_F(BridgeTest, RawFormRaceHasExactlyOneWinner) {
  constexpr int kRounds = 40;
  constexpr int kRacers = 4;
  for (int round = 0; round < kRounds; ++round) {
    MitPair pair = Establish();
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> m,
                         pair.initiator.Wrap(Bytes("race")));
    ASSERT_OK_AND_ASSIGN(UniqueFd fd, ExportMitContextToFd(pair.acceptor));
    EXPECT_FALSE(pair.acceptor.valid());
    std::vector<ForkedChild> racers;
    for (int i = 0; i < kRacers; ++i) {
      ASSERT_OK_AND_ASSIGN(ForkedChild c, ForkedChild::Start([&] {
        absl::StatusOr<MitContext> ctx = ImportMitContextFromFd(fd.get());
        if (transport::IsError(ctx.status(), ErrorKind::kAlreadyConsumed)) {
          return kAlreadyConsumedExit;
        }
        if (!ctx.ok()) return 2;
        absl::StatusOr<std::vector<uint8_t>> text = ctx->Unwrap(m);
        return text.ok() && Text(*text) == "race" ? kImported : 3;
      }));
      racers.push_back(std::move(c));
    }
    int winners = 0, losers = 0;
    for (ForkedChild& c : racers) {
      absl::StatusOr<int> code = c.Wait(absl::Seconds(30));
      ASSERT_TRUE(code.ok()) << code.status();
      if (*code == kImported) ++winners;
      else if (*code == kAlreadyConsumedExit) ++losers;
      else ADD_FAILURE() << "round " << round << ": racer exit " << *code;
    }
    ASSERT_EQ(winners, 1) << "round " << round;
    ASSERT_EQ(losers, kRacers - 1) << "round " << round;
    // And this process, too late:
    EXPECT_THAT(ImportMitContextFromFd(fd.get()),
                HasErrorKind(ErrorKind::kAlreadyConsumed));
  }
}

// A worker that dies before importing: the exporter takes the context back
// through the latch and it still works.
TEST_F(BridgeTest, WorkerDiesBeforeImportContextComesBack) {
  MitPair pair = Establish();
  ASSERT_OK_AND_ASSIGN(auto ends, transport::MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild worker, ForkedChild::Start([&] {
    ends.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(ends.second));
    if (!ch.ok()) return 1;
    // Waits until the handoff is there, then dies without receiving it.
    return transport::WaitUntilReady(ch->fd(), POLLIN,
                                     transport::DeadlineAfter(absl::Seconds(30)),
                                     "receive the handoff")
                   .ok()
               ? 0
               : 2;
  }));
  ends.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(ends.first)));
  absl::StatusOr<Delivery> d = HandOffMitContext(ch, pair.acceptor, {});
  EXPECT_THAT(d, HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_THAT(worker.Wait(absl::Seconds(30)), IsOkAndHolds(0));
  ASSERT_TRUE(pair.acceptor.valid());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> w, pair.initiator.Wrap(Bytes("still")));
  EXPECT_EQ(Text(*pair.acceptor.Unwrap(w)), "still");
}

// The non-blocking split: send now, finish later.
TEST_F(BridgeTest, StartedHandOffFinishesWhenTheWorkerAcks) {
  MitPair pair = Establish();
  ASSERT_OK_AND_ASSIGN(auto ch, Channel::Pair());
  ASSERT_OK_AND_ASSIGN(transport::PendingDelivery p,
                       StartMitHandOff(ch.first, pair.acceptor, {}));
  EXPECT_FALSE(pair.acceptor.valid());
  EXPECT_THAT(p.Check(ch.first), IsOkAndHolds(std::nullopt));
  ASSERT_OK_AND_ASSIGN(ReceivedMitContext r, ReceiveMitContext(ch.second));
  EXPECT_THAT(p.Check(ch.first),
              IsOkAndHolds(std::optional<Delivery>(Delivery::kAcknowledged)));
  EXPECT_FALSE(pair.acceptor.valid());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> w, pair.initiator.Wrap(Bytes("hi")));
  EXPECT_EQ(Text(*r.context.Unwrap(w)), "hi");
}

TEST_F(BridgeTest, AbandonedHandOffGivesTheContextBack) {
  MitPair pair = Establish();
  ASSERT_OK_AND_ASSIGN(auto ch, Channel::Pair());
  ASSERT_OK_AND_ASSIGN(transport::PendingDelivery p,
                       StartMitHandOff(ch.first, pair.acceptor, {}));
  EXPECT_THAT(p.Abandon(transport::MakeError(ErrorKind::kTimeout, "late")),
              HasErrorKind(ErrorKind::kTimeout));
  ASSERT_TRUE(pair.acceptor.valid());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> w, pair.initiator.Wrap(Bytes("back")));
  EXPECT_EQ(Text(*pair.acceptor.Unwrap(w)), "back");
  EXPECT_THAT(ReceiveMitContext(ch.second),
              HasErrorKind(ErrorKind::kAlreadyConsumed));
}

// A worker that rejects the handoff (here: it accepts no extra fds) leaves
// the token unconsumed: the exporter's context comes back.
TEST_F(BridgeTest, RejectedHandoffContextComesBack) {
  MitPair pair = Establish();
  ASSERT_OK_AND_ASSIGN(auto ends, transport::MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild worker, ForkedChild::Start([&] {
    ends.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(ends.second));
    if (!ch.ok()) return 1;
    absl::StatusOr<ReceivedMitContext> r = ReceiveMitContext(*ch);  // 0 fds
    return transport::IsError(r.status(), ErrorKind::kTooManyFds) ? 0 : 2;
  }));
  ends.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(ends.first)));
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd r(pipe_fds[0]), w(pipe_fds[1]);
  const int extra[] = {r.get()};
  EXPECT_THAT(HandOffMitContext(ch, pair.acceptor, extra),
              HasErrorKind(ErrorKind::kRejectedByPeer));
  EXPECT_THAT(worker.Wait(absl::Seconds(30)), IsOkAndHolds(0));
  ASSERT_TRUE(pair.acceptor.valid());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> m, pair.initiator.Wrap(Bytes("back")));
  EXPECT_EQ(Text(*pair.acceptor.Unwrap(m)), "back");
}

// A token MIT cannot import is rejected by the worker unconsumed: the
// sender can take it back, and the worker reports MIT's reason.
TEST_F(BridgeTest, TokenMitCannotImportIsRejectedUnconsumed) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  std::vector<uint8_t> junk(200, 0x5a);
  ASSERT_OK_AND_ASSIGN(transport::Handoff h, pair.first.Send(junk));
  absl::StatusOr<ReceivedMitContext> r = ReceiveMitContext(pair.second);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(MitCodesOf(r.status()).has_value()) << r.status();
  EXPECT_THAT(pair.first.AwaitAck(h, absl::Seconds(5)),
              HasErrorKind(ErrorKind::kRejectedByPeer));
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer back, h.Reclaim());
  EXPECT_TRUE(back.Equals(junk));
}

// The initiator's context is not an accepted one, but it is an established
// krb5 context too: it moves the same way (a client handing its session to
// a helper process).
TEST_F(BridgeTest, InitiatorContextMovesToo) {
  MitPair pair = Establish();
  ASSERT_OK_AND_ASSIGN(auto chans, Channel::Pair());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> m, pair.acceptor.Wrap(Bytes("hi")));
  ASSERT_OK_AND_ASSIGN(ForkedChild helper, ForkedChild::Start([&] {
    absl::StatusOr<ReceivedMitContext> r = ReceiveMitContext(chans.second);
    if (!r.ok()) return 1;
    absl::StatusOr<MitContext::Info> info = r->context.Inquire();
    if (!info.ok() || !info->locally_initiated) return 2;
    absl::StatusOr<std::vector<uint8_t>> t = r->context.Unwrap(m);
    return t.ok() && Text(*t) == "hi" ? 0 : 3;
  }));
  EXPECT_THAT(HandOffMitContext(chans.first, pair.initiator, {}),
              IsOkAndHolds(Delivery::kAcknowledged));
  EXPECT_THAT(helper.Wait(absl::Seconds(30)), IsOkAndHolds(0));
}

// MIT gives replay and sequence detection only if the client asks for
// them. The acceptor refuses a context without them, and so does an
// importer (unconsumed: the exporter gets it back).
TEST_F(BridgeTest, ContextWithoutReplayDetectionIsRefused) {
  const OM_uint32 no_replay = kDefaultRequestFlags & ~GSS_C_REPLAY_FLAG &
                              ~GSS_C_SEQUENCE_FLAG;
  absl::StatusOr<MitPair> refused =
      EstablishInProcess(realm_->service(), no_replay);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied));

  absl::StatusOr<MitPair> weak =
      EstablishInProcess(realm_->service(), no_replay, /*required_flags=*/0);
  ASSERT_TRUE(weak.ok()) << weak.status();
  ASSERT_OK_AND_ASSIGN(MitContext::Info info, weak->acceptor.Inquire());
  EXPECT_FALSE(info.flags & GSS_C_REPLAY_FLAG);
  ASSERT_OK_AND_ASSIGN(auto chans, Channel::Pair());
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer token,
                       ExportMitContext(weak->acceptor));
  ASSERT_OK_AND_ASSIGN(transport::Handoff h, chans.first.Send(token.span()));
  absl::StatusOr<ReceivedMitContext> r = ReceiveMitContext(chans.second);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("required services"));
  EXPECT_THAT(chans.first.AwaitAck(h, absl::Seconds(5)),
              HasErrorKind(ErrorKind::kRejectedByPeer));
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer back, h.Reclaim());
  EXPECT_TRUE(back.Equals(token.span()));
}

// A context still being established (the initiator's, before the AP-REP)
// is rejected unconsumed by an importer.
TEST_F(BridgeTest, HalfEstablishedContextIsRejectedUnconsumed) {
  ASSERT_OK_AND_ASSIGN(MitInitiator init, MitInitiator::Create(realm_->service()));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> ap_req, init.Step({}));
  ASSERT_FALSE(init.done());
  MitContext half = init.TakeContext();
  absl::StatusOr<transport::SecretBuffer> token = ExportMitContext(half);
  if (!token.ok()) {
    // This MIT refuses to export it at all: nothing can be moved, so
    // there is nothing for the importer to check.
    ASSERT_TRUE(MitCodesOf(token.status()).has_value()) << token.status();
    GTEST_SKIP() << "MIT refuses to export a half-established context: "
                 << token.status();
  }
  ASSERT_OK_AND_ASSIGN(auto chans, Channel::Pair());
  ASSERT_OK_AND_ASSIGN(transport::Handoff h, chans.first.Send(token->span()));
  absl::StatusOr<ReceivedMitContext> r = ReceiveMitContext(chans.second);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("not an established"));
  EXPECT_THAT(chans.first.AwaitAck(h, absl::Seconds(5)),
              HasErrorKind(ErrorKind::kRejectedByPeer));
  EXPECT_THAT(h.Reclaim(), IsOk());
}

// MIT's own reason reaches the caller: gss_* minor codes are kept.
TEST_F(BridgeTest, MitMinorCodesReachTheStatus) {
  absl::StatusOr<MitInitiator> init = MitInitiator::Create(
      absl::StrCat("nobody/localhost@", realm_->realm()));
  ASSERT_TRUE(init.ok()) << init.status();
  absl::StatusOr<std::vector<uint8_t>> token = init->Step({});
  ASSERT_FALSE(token.ok());
  ASSERT_TRUE(MitCodesOf(token.status()).has_value());
  EXPECT_NE(MitCodesOf(token.status())->minor, 0u) << token.status();
  EXPECT_THAT(token.status().message(), ::testing::HasSubstr("not found"));
}

}  // namespace
}  // namespace gssx::krb5
