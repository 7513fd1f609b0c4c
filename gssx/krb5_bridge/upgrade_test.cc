// SPDX-License-Identifier: Apache-2.0
// Live upgrade (transport/upgrade.h) of MIT Kerberos sessions between real
// processes (gssx/krb5_bridge/upgrade.h): real Kerberos contexts from a
// real KDC (//testing/krb5), exported with gss_export_sec_context. This
// test process is the old server (and its clients); the new binary is
// testdata/mit_upgrade_target.cc, started by StartSuccessor. After every
// upgrade attempt a ledger checks each session: committed or returned,
// never both; served by exactly one process (the reply names its pid);
// its context continuing (MIT's unwrap on either side refuses a
// duplicate, old or out-of-sequence token: MitContext::Unwrap).
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gssx/krb5_bridge/bridge.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/mit_handshake.h"
#include "gssx/krb5_bridge/upgrade.h"
#include "gtest/gtest.h"
#include "testing/frames.h"
#include "testing/krb5/test_kdc.h"
#include "testing/status_matchers.h"
#include "transport/base/errors.h"
#include "transport/upgrade.h"

namespace gssx::krb5 {
namespace {

using ::gssx::testing::IsOkAndHolds;
using ::gssx::testing::ReadFrame;
using ::gssx::testing::TestRealm;
using ::gssx::testing::WriteFrame;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;
using transport::ErrorKind;
using transport::IsError;
using transport::UniqueFd;
using transport::UpgradeReport;
using transport::UpgradeSource;

constexpr int kSessions = 6;
constexpr char kTag[] = "gssx-mit-upgrade-test";

std::string TargetPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", ws ? ws : "gssx",
                      "/gssx/krb5_bridge/mit_upgrade_target");
}

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

// One authenticated session: the client's end and the old server's end.
struct Session {
  uint64_t id = 0;
  MitContext client;
  MitContext server;  // empty while offered or after the move
  UniqueFd client_fd;
  UniqueFd server_fd;
  std::string state;
  int restored = 0;  // times on_return ran
};

class MitUpgradeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<TestRealm>> realm = TestRealm::Create();
    ASSERT_TRUE(realm.ok()) << realm.status();
    realm_ = realm->release();
    // Warm MIT up once (it caches a few things for the process lifetime),
    // so the per-test fd-leak check sees only what each test does.
    absl::StatusOr<MitPair> pair = EstablishInProcess(realm_->service());
    ASSERT_TRUE(pair.ok()) << pair.status() << "\nKDC log:\n" << realm_->KdcLog();
    absl::StatusOr<transport::SecretBuffer> token = pair->acceptor.Export();
    ASSERT_TRUE(token.ok()) << token.status();
    ASSERT_TRUE(MitContext::Import(token->span()).ok());
  }
  static void TearDownTestSuite() {
    delete realm_;
    realm_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(realm_, nullptr) << "no test realm";
    for (int i = 0; i < kSessions; ++i) {
      auto s = std::make_unique<Session>();
      s->id = 200 + i;
      absl::StatusOr<MitPair> pair = EstablishInProcess(realm_->service());
      ASSERT_TRUE(pair.ok()) << pair.status();
      s->client = std::move(pair->initiator);
      s->server = std::move(pair->acceptor);
      int sv[2];
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
      s->client_fd.Reset(sv[0]);
      s->server_fd.Reset(sv[1]);
      s->state = absl::StrCat("mit-state-", s->id);
      sessions_.push_back(std::move(s));
    }
    // Autobind: a unique abstract name (parallel runs).
    listener_.Reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(listener_.valid());
    sockaddr_un addr;
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    ASSERT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr),
                   sizeof(sa_family_t)),
              0);
    address_len_ = sizeof address_;
    ASSERT_EQ(getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address_),
                          &address_len_),
              0);
    ASSERT_EQ(listen(listener_.get(), 16), 0);
  }

  void TearDown() override {
    if (child_ > 0) {
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
  }

  // Starts the new binary with `args` and begins the upgrade.
  absl::StatusOr<UpgradeSource> StartUpgrade(
      const std::vector<std::string>& args,
      transport::UpgradeOptions options = {}) {
    absl::StatusOr<transport::Successor> s =
        transport::StartSuccessor(TargetPath(), args);
    if (!s.ok()) return s.status();
    child_ = s->pid;
    options.step_timeout = absl::Seconds(20);
    return UpgradeSource::Begin(std::move(s->channel_socket), {kTag, 1}, options);
  }

  // The child's exit code (128+signal), waiting at most 20 s.
  int WaitChild() {
    for (int i = 0; i < 2000; ++i) {
      int status = 0;
      if (waitpid(child_, &status, WNOHANG) == child_) {
        child_ = -1;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }

  static absl::Status Offer(UpgradeSource& up, Session& s) {
    return OfferMitSession(up, s.id, s.server, s.server_fd.get(), Bytes(s.state),
                           [&s] { ++s.restored; });
  }

  // The client sends `msg`; `serve_here`: this process (the old server)
  // answers with its own context. Returns the decrypted reply.
  absl::StatusOr<std::string> Request(Session& s, const std::string& msg,
                                      bool serve_here) {
    absl::StatusOr<std::vector<uint8_t>> w = s.client.Wrap(Bytes(msg));
    if (!w.ok()) return w.status();
    if (!WriteFrame(s.client_fd.get(), *w)) {
      return absl::UnavailableError("client write failed");
    }
    if (serve_here) {
      if (absl::Status served = ServeOne(s); !served.ok()) return served;
    }
    std::optional<std::vector<uint8_t>> frame = ReadFrame(s.client_fd.get());
    if (!frame) return absl::UnavailableError("no reply (connection closed)");
    absl::StatusOr<std::vector<uint8_t>> u = s.client.Unwrap(*frame);
    if (!u.ok()) return u.status();
    return std::string(u->begin(), u->end());
  }

  absl::Status ServeOne(Session& s) {
    std::optional<std::vector<uint8_t>> frame = ReadFrame(s.server_fd.get());
    if (!frame) return absl::UnavailableError("server read failed");
    absl::StatusOr<std::vector<uint8_t>> m = s.server.Unwrap(*frame);
    if (!m.ok()) return m.status();
    std::string reply = absl::StrCat("pid=", getpid(), " state=", s.state,
                                     " msg=", std::string(m->begin(), m->end()));
    absl::StatusOr<std::vector<uint8_t>> w = s.server.Wrap(Bytes(reply));
    if (!w.ok()) return w.status();
    if (!WriteFrame(s.server_fd.get(), *w)) {
      return absl::UnavailableError("server write failed");
    }
    return absl::OkStatus();
  }

  static std::string Expected(pid_t pid, const Session& s, const std::string& msg) {
    return absl::StrCat("pid=", pid, " state=", s.state, " msg=", msg);
  }

  void ExpectAllServedHere(const std::string& round) {
    for (auto& s : sessions_) {
      std::string msg = absl::StrCat(round, "-", s->id);
      EXPECT_THAT(Request(*s, msg, /*serve_here=*/true),
                  IsOkAndHolds(Expected(getpid(), *s, msg)))
          << "session " << s->id;
    }
  }

  // Requests served here before the upgrade: both sides' sequence numbers
  // advance, so a moved context that restarted them would be caught.
  void Warm() {
    for (int round = 0; round < 3; ++round) {
      ExpectAllServedHere(absl::StrCat("warm", round));
    }
  }

  std::vector<uint64_t> AllIds() const {
    std::vector<uint64_t> ids;
    for (const auto& s : sessions_) ids.push_back(s->id);
    return ids;
  }

  static TestRealm* realm_;
  std::vector<std::unique_ptr<Session>> sessions_;
  sockaddr_un address_{};
  socklen_t address_len_ = 0;
  UniqueFd listener_;
  pid_t child_ = -1;
};
TestRealm* MitUpgradeTest::realm_ = nullptr;

TEST_F(MitUpgradeTest, SessionsMoveAndTheirContextsContinue) {
  Warm();
  ASSERT_OK_AND_ASSIGN(UpgradeSource up, StartUpgrade({"1", "serve"}));
  const pid_t target = child_;
  ASSERT_OK(up.OfferListeners({{"main", listener_.get()}}));
  for (auto& s : sessions_) {
    ASSERT_OK(Offer(up, *s));
    EXPECT_FALSE(s->server.valid());  // exported: parked in `up`
  }
  UpgradeReport report = up.Commit();
  ASSERT_EQ(report.outcome, UpgradeReport::Outcome::kCommitted)
      << transport::StatusText(report.status);
  EXPECT_THAT(report.committed, UnorderedElementsAreArray(AllIds()));
  EXPECT_TRUE(report.returned.empty());
  EXPECT_TRUE(report.lost.empty());
  listener_.Reset();
  for (auto& s : sessions_) {
    s->server_fd.Reset();
    EXPECT_EQ(s->restored, 0);
    EXPECT_FALSE(s->server.valid());
  }
  // The new process answers with the moved contexts, the client's
  // sequence numbers and the moved context's carrying on.
  for (int round = 0; round < 3; ++round) {
    for (auto& s : sessions_) {
      std::string msg = absl::StrCat("after", round, "-", s->id);
      EXPECT_THAT(Request(*s, msg, /*serve_here=*/false),
                  IsOkAndHolds(Expected(target, *s, msg)));
    }
  }
  // And it accepts on the moved listener.
  UniqueFd c(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(connect(c.get(), reinterpret_cast<const sockaddr*>(&address_),
                    address_len_),
            0);
  char buf[64] = {};
  ssize_t n = read(c.get(), buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), absl::StrCat("new ", target, "\n"));
  for (auto& s : sessions_) s->client_fd.Reset();
  EXPECT_EQ(WaitChild(), 0);
}

// MIT's token carries the sequence state: a client token the old process
// already accepted, sent again to the new one, is refused there.
TEST_F(MitUpgradeTest, AReplayedTokenIsRefusedAfterTheMove) {
  Warm();
  Session& s = *sessions_[0];
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> old_token, s.client.Wrap(Bytes("once")));
  ASSERT_TRUE(WriteFrame(s.client_fd.get(), old_token));
  ASSERT_OK(ServeOne(s));
  ASSERT_TRUE(ReadFrame(s.client_fd.get()).has_value());
  ASSERT_OK_AND_ASSIGN(UpgradeSource up, StartUpgrade({"1", "serve"}));
  ASSERT_OK(up.OfferListeners({{"main", listener_.get()}}));
  for (auto& t : sessions_) ASSERT_OK(Offer(up, *t));
  ASSERT_EQ(up.Commit().outcome, UpgradeReport::Outcome::kCommitted);
  for (auto& t : sessions_) t->server_fd.Reset();
  ASSERT_TRUE(WriteFrame(s.client_fd.get(), old_token));
  EXPECT_FALSE(ReadFrame(s.client_fd.get()).has_value());
  EXPECT_EQ(WaitChild(), 14);
}

// The new binary reads another state version: refused before anything
// moves; the old process serves on.
TEST_F(MitUpgradeTest, NewBinaryRefusesWrongVersionNothingMoves) {
  Warm();
  absl::StatusOr<UpgradeSource> up = StartUpgrade({"2", "serve"});
  ASSERT_FALSE(up.ok());
  EXPECT_TRUE(IsError(up.status(), ErrorKind::kRefusedByPeer))
      << transport::StatusText(up.status());
  EXPECT_THAT(std::string(up.status().message()),
              HasSubstr("gssx-mit-upgrade-test version 2"));
  EXPECT_EQ(WaitChild(), 11);
  for (auto& s : sessions_) {
    EXPECT_EQ(s->restored, 0);
    EXPECT_TRUE(s->server.valid());
  }
  ExpectAllServedHere("kept");
}

// The new binary's validator refuses the first context (it requires a
// service the contexts lack): that SESSION is rejected unconsumed, the
// upgrade fails, and every session comes back.
TEST_F(MitUpgradeTest, NewBinaryRefusesAContextAllReturn) {
  Warm();
  ASSERT_OK_AND_ASSIGN(UpgradeSource up, StartUpgrade({"1", "require-deleg"}));
  ASSERT_OK(up.OfferListeners({{"main", listener_.get()}}));
  std::vector<absl::Status> offers;
  for (auto& s : sessions_) offers.push_back(Offer(up, *s));
  EXPECT_TRUE(IsError(offers[0], ErrorKind::kRejectedByPeer))
      << transport::StatusText(offers[0]);
  UpgradeReport report = up.Commit();
  EXPECT_EQ(report.outcome, UpgradeReport::Outcome::kReturned);
  EXPECT_THAT(report.returned, UnorderedElementsAreArray(AllIds()));
  EXPECT_TRUE(report.committed.empty());
  EXPECT_TRUE(report.lost.empty());
  EXPECT_EQ(WaitChild(), 12);
  for (auto& s : sessions_) EXPECT_EQ(s->restored, 1) << s->id;
  ExpectAllServedHere("returned");
}

// Where the new process dies (SIGKILLed by the after_send seam).
struct CrashPoint {
  const char* after;  // message type
  int session;        // for SESSION: after the n-th (1-based)
};

void PrintTo(const CrashPoint& p, std::ostream* os) {
  *os << "after " << p.after << " " << p.session;
}

class MitUpgradeCrashTest : public MitUpgradeTest,
                            public ::testing::WithParamInterface<CrashPoint> {};

TEST_P(MitUpgradeCrashTest, NewProcessKilledEverySessionReturns) {
  Warm();
  const CrashPoint point = GetParam();
  transport::UpgradeOptions options;
  int sessions_sent = 0;
  options.after_send = [&](const char* type) {
    if (std::string(type) == "SESSION") ++sessions_sent;
    if (std::string(type) == point.after &&
        (point.session == 0 || point.session == sessions_sent)) {
      kill(child_, SIGKILL);
      EXPECT_EQ(WaitChild(), 128 + SIGKILL);
    }
  };
  ASSERT_OK_AND_ASSIGN(UpgradeSource up, StartUpgrade({"1", "serve"}, options));
  (void)up.OfferListeners({{"main", listener_.get()}});
  for (auto& s : sessions_) (void)Offer(up, *s);
  UpgradeReport report = up.Commit();
  // Killed before the COMMIT: the target owned nothing.
  EXPECT_EQ(report.outcome, UpgradeReport::Outcome::kReturned);
  EXPECT_TRUE(IsError(report.status, ErrorKind::kPeerClosed) ||
              IsError(report.status, ErrorKind::kRejectedByPeer))
      << transport::StatusText(report.status);
  EXPECT_TRUE(report.lost.empty());
  EXPECT_TRUE(report.committed.empty());
  EXPECT_THAT(report.returned, UnorderedElementsAreArray(AllIds()));
  for (auto& s : sessions_) {
    EXPECT_EQ(s->restored, 1) << s->id;
    EXPECT_TRUE(s->server.valid()) << s->id;
  }
  ExpectAllServedHere("returned");
}

INSTANTIATE_TEST_SUITE_P(
    Points, MitUpgradeCrashTest,
    ::testing::Values(CrashPoint{"LISTENERS", 0}, CrashPoint{"SESSION", 1},
                      CrashPoint{"SESSION", 3}, CrashPoint{"SESSION", kSessions}),
    [](const ::testing::TestParamInfo<CrashPoint>& info) {
      return absl::StrCat(info.param.after, info.param.session);
    });

// The new process dies by itself while checking the 3rd session.
TEST_F(MitUpgradeTest, NewProcessCrashesWhileReceivingSessionsReturn) {
  Warm();
  ASSERT_OK_AND_ASSIGN(UpgradeSource up,
                       StartUpgrade({"1", "crash-in-session", "3"}));
  ASSERT_OK(up.OfferListeners({{"main", listener_.get()}}));
  int offered = 0;
  for (auto& s : sessions_) {
    if (Offer(up, *s).ok()) ++offered;
  }
  EXPECT_EQ(offered, 2);
  UpgradeReport report = up.Commit();
  EXPECT_EQ(report.outcome, UpgradeReport::Outcome::kReturned);
  EXPECT_THAT(report.returned, UnorderedElementsAreArray(AllIds()));
  EXPECT_EQ(WaitChild(), 3);
  ExpectAllServedHere("returned");
}

}  // namespace
}  // namespace gssx::krb5
