// SPDX-License-Identifier: Apache-2.0
// Live upgrade (transport/upgrade.h) between real processes with real gssx
// contexts. This test process is the old server (and its clients); the new
// binary is gssx/testdata/upgrade_target.cc, started by StartSuccessor.
// After every upgrade attempt a ledger checks each session: served by
// exactly one process (the reply names its pid), its context continuing
// (neither side's Unwrap reports a gap, duplicate or old token).
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gssx/context.h"
#include "testing/frames.h"
#include "gssx/upgrade.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "gssx/testing/test_identity.h"
#include "transport/base/errors.h"
#include "transport/upgrade.h"

namespace gssx::testing {
namespace {

using transport::ErrorKind;
using transport::IsError;
using transport::SecretBuffer;
using transport::UniqueFd;
using transport::UpgradeReport;
using transport::UpgradeSource;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

constexpr int kSessions = 8;
constexpr char kTag[] = "gssx-upgrade-test";

std::string TargetPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", ws ? ws : "gssx",
                      "/gssx/upgrade_target");
}

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

// One authenticated session: the client's end and the old server's end.
struct Session {
  uint64_t id = 0;
  Context client;
  Context server;  // empty while offered or after the move
  UniqueFd client_fd;
  UniqueFd server_fd;
  std::string state;
  transport::SessionGate gate;
  int restored = 0;  // times restore ran
};

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TestIdentities ids, MakeTestIdentities());
    ids_.emplace(std::move(ids));
    for (int i = 0; i < kSessions; ++i) {
      auto s = std::make_unique<Session>();
      s->id = 100 + i;
      ASSERT_OK_AND_ASSIGN(TestContexts c, EstablishTestContexts(*ids_));
      s->client = std::move(c.client);
      s->server = std::move(c.server);
      int sv[2];
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
      s->client_fd.Reset(sv[0]);
      s->server_fd.Reset(sv[1]);
      s->state = absl::StrCat("state-", s->id);
      sessions_.push_back(std::move(s));
    }
    // The server's listener: autobind gives it a unique abstract name
    // (test runs in parallel share the abstract namespace).
    listener_.Reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(listener_.valid());
    sockaddr_un addr;
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    ASSERT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr),
                   sizeof(sa_family_t)),
              0);
    address_len_ = sizeof address_;
    ASSERT_EQ(getsockname(listener_.get(),
                          reinterpret_cast<sockaddr*>(&address_),
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
    return UpgradeSource::Begin(std::move(s->channel_socket), {kTag, 1},
                                options);
  }

  // The child's exit code (128+signal), waiting at most 20 s.
  int WaitChild() {
    for (int i = 0; i < 2000; ++i) {
      int status = 0;
      pid_t r = waitpid(child_, &status, WNOHANG);
      if (r == child_) {
        child_ = -1;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }

  // Offers one session (held first; waits for a request in progress).
  absl::Status Offer(UpgradeSource& up, Session& s) {
    if (absl::Status held = s.gate.Hold(absl::Seconds(20)); !held.ok()) {
      return held;
    }
    return OfferContextSession(up, s.id, s.server, s.server_fd.get(),
                               Bytes(s.state), [&s] {
                                 ++s.restored;
                                 s.gate.Release();
                               });
  }

  // The client sends `msg`; `serve_here`: this process (the old server)
  // answers with its own context. Returns the decrypted reply; any
  // supplementary bit on the client's side is an error.
  absl::StatusOr<std::string> Request(Session& s, const std::string& msg,
                                      bool serve_here) {
    absl::StatusOr<WrapResult> w = s.client.Wrap(Bytes(msg), true);
    if (!w.ok()) return w.status();
    if (!WriteFrame(s.client_fd.get(), w->token)) {
      return absl::UnavailableError("client write failed");
    }
    if (serve_here) {
      if (absl::Status served = ServeOne(s); !served.ok()) return served;
    }
    std::optional<std::vector<uint8_t>> frame = ReadFrame(s.client_fd.get());
    if (!frame) return absl::UnavailableError("no reply (connection closed)");
    absl::StatusOr<UnwrapResult> u = s.client.Unwrap(*frame);
    if (!u.ok()) return u.status();
    if (u->supplementary != 0) {
      return absl::DataLossError(
          absl::StrCat("client unwrap supplementary ", u->supplementary));
    }
    return std::string(u->message.begin(), u->message.end());
  }

  // The old server answers one request on `s`.
  absl::Status ServeOne(Session& s) {
    std::optional<std::vector<uint8_t>> frame = ReadFrame(s.server_fd.get());
    if (!frame) return absl::UnavailableError("server read failed");
    absl::StatusOr<UnwrapResult> u = s.server.Unwrap(*frame);
    if (!u.ok()) return u.status();
    std::string reply = absl::StrCat(
        "pid=", getpid(), " supp=", u->supplementary, " state=", s.state,
        " msg=", std::string(u->message.begin(), u->message.end()));
    absl::StatusOr<WrapResult> w = s.server.Wrap(Bytes(reply), true);
    if (!w.ok()) return w.status();
    if (!WriteFrame(s.server_fd.get(), w->token)) {
      return absl::UnavailableError("server write failed");
    }
    return absl::OkStatus();
  }

  static std::string Expected(pid_t pid, const Session& s,
                              const std::string& msg) {
    return absl::StrCat("pid=", pid, " supp=0 state=", s.state, " msg=", msg);
  }

  // Every session answered here: the ledger after an upgrade that moved
  // nothing for good.
  void ExpectAllServedHere(const std::string& round) {
    for (auto& s : sessions_) {
      EXPECT_FALSE(s->gate.held()) << s->id;
      std::string msg = absl::StrCat(round, "-", s->id);
      EXPECT_THAT(Request(*s, msg, /*serve_here=*/true),
                  IsOkAndHolds(Expected(getpid(), *s, msg)))
          << "session " << s->id;
    }
  }

  // A round of requests served here before any upgrade (sequence numbers
  // advance on both sides).
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

  std::optional<TestIdentities> ids_;
  std::vector<std::unique_ptr<Session>> sessions_;
  sockaddr_un address_{};
  socklen_t address_len_ = 0;
  UniqueFd listener_;
  pid_t child_ = -1;
};

TEST_F(UpgradeTest, MovesListenersAndSessionsContextsContinue) {
  Warm();
  ASSERT_OK_AND_ASSIGN(UpgradeSource up, StartUpgrade({"1", "serve"}));
  const pid_t target = child_;
  ASSERT_OK(up.OfferListeners({{"main", listener_.get()}}));
  for (auto& s : sessions_) ASSERT_OK(Offer(up, *s));
  UpgradeReport report = up.Commit();
  ASSERT_EQ(report.outcome, UpgradeReport::Outcome::kCommitted)
      << transport::StatusText(report.status);
  EXPECT_OK(report.status);
  EXPECT_THAT(report.committed, UnorderedElementsAreArray(AllIds()));
  EXPECT_TRUE(report.returned.empty());
  EXPECT_TRUE(report.lost.empty());
  EXPECT_EQ(report.listener_messages, 1u);
  // The old process lets go: its listener copy and its session fds.
  listener_.Reset();
  for (auto& s : sessions_) {
    s->server_fd.Reset();
    EXPECT_EQ(s->restored, 0);
  }
  // The new process answers on the moved sockets with the moved contexts:
  // the client's context and the moved one carry on where they were.
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

// The new binary refuses (it reads state version 2, we write 1): the
// refusal comes before anything moves.
TEST_F(UpgradeTest, NewBinaryRefusesWrongVersionNothingMoves) {
  Warm();
  absl::StatusOr<UpgradeSource> up = StartUpgrade({"2", "serve"});
  ASSERT_FALSE(up.ok());
  EXPECT_TRUE(IsError(up.status(), ErrorKind::kRefusedByPeer))
      << transport::StatusText(up.status());
  EXPECT_THAT(std::string(up.status().message()),
              HasSubstr("gssx-upgrade-test version 1, this binary reads "
                        "gssx-upgrade-test version 2"));
  EXPECT_EQ(WaitChild(), 11);
  for (auto& s : sessions_) EXPECT_EQ(s->restored, 0);
  ExpectAllServedHere("kept");
}

// A new binary that cannot be executed: the channel closes before its
// HELLO, nothing moves.
TEST_F(UpgradeTest, NewBinaryMissingNothingMoves) {
  ASSERT_OK_AND_ASSIGN(transport::Successor s,
                       transport::StartSuccessor("/nonexistent/upgrade", {}));
  child_ = s.pid;
  absl::StatusOr<UpgradeSource> up =
      UpgradeSource::Begin(std::move(s.channel_socket), {kTag, 1});
  EXPECT_TRUE(IsError(up.status(), ErrorKind::kPeerClosed))
      << transport::StatusText(up.status());
  EXPECT_EQ(WaitChild(), 127);
  ExpectAllServedHere("kept");
}

// Where the new process dies (SIGKILLed by the after_send seam).
struct CrashPoint {
  const char* after;  // message type
  int session;        // for SESSION: after the n-th (1-based)
};

void PrintTo(const CrashPoint& p, std::ostream* os) {
  *os << "after " << p.after << " " << p.session;
}

class UpgradeCrashTest : public UpgradeTest,
                         public ::testing::WithParamInterface<CrashPoint> {};

TEST_P(UpgradeCrashTest, NewProcessKilledEverySessionStaysOrReturns) {
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
  absl::Status listeners = up.OfferListeners({{"main", listener_.get()}});
  for (auto& s : sessions_) (void)Offer(up, *s);
  UpgradeReport report = up.Commit();
  EXPECT_TRUE(report.lost.empty());
  // The ledger: every session committed or returned, never both.
  std::vector<uint64_t> all = report.committed;
  all.insert(all.end(), report.returned.begin(), report.returned.end());
  EXPECT_THAT(all, UnorderedElementsAreArray(AllIds()));
  if (std::string(point.after) != "COMMIT") {
    // Before the COMMIT the target owned nothing.
    EXPECT_EQ(report.outcome, UpgradeReport::Outcome::kReturned);
    EXPECT_TRUE(IsError(report.status, ErrorKind::kPeerClosed) ||
                IsError(report.status, ErrorKind::kRejectedByPeer))
        << transport::StatusText(report.status);
  }
  // Killed after the COMMIT went out, the target may or may not have
  // consumed it: the log says which branch of the ledger ran.
  std::printf("killed after %s %d: %s\n", point.after, point.session,
              report.outcome == UpgradeReport::Outcome::kReturned
                  ? "returned"
                  : "committed");
  if (report.outcome == UpgradeReport::Outcome::kReturned) {
    for (auto& s : sessions_) EXPECT_EQ(s->restored, 1) << s->id;
    ExpectAllServedHere("returned");
  } else {
    // The COMMIT was consumed before the kill: the dead target owned every
    // session, and this process serves none (its copies are gone).
    ASSERT_EQ(report.outcome, UpgradeReport::Outcome::kCommitted);
    for (auto& s : sessions_) {
      EXPECT_EQ(s->restored, 0);
      s->server_fd.Reset();
      EXPECT_FALSE(Request(*s, "x", false).ok());
    }
  }
  (void)listeners;
}

INSTANTIATE_TEST_SUITE_P(
    Points, UpgradeCrashTest,
    ::testing::Values(CrashPoint{"LISTENERS", 0}, CrashPoint{"SESSION", 1},
                      CrashPoint{"SESSION", 4}, CrashPoint{"SESSION", 8},
                      CrashPoint{"COMMIT", 0}),
    [](const ::testing::TestParamInfo<CrashPoint>& info) {
      return absl::StrCat(info.param.after, info.param.session);
    });

// The new process dies by itself, while checking the 4th session.
TEST_F(UpgradeTest, NewProcessCrashesWhileReceivingSessionsReturn) {
  Warm();
  ASSERT_OK_AND_ASSIGN(UpgradeSource up,
                       StartUpgrade({"1", "crash-in-session", "4"}));
  ASSERT_OK(up.OfferListeners({{"main", listener_.get()}}));
  int offered = 0;
  for (auto& s : sessions_) {
    if (Offer(up, *s).ok()) ++offered;
  }
  EXPECT_EQ(offered, 3);  // the 4th died with the target
  UpgradeReport report = up.Commit();
  EXPECT_EQ(report.outcome, UpgradeReport::Outcome::kReturned);
  EXPECT_TRUE(IsError(report.status, ErrorKind::kPeerClosed))
      << transport::StatusText(report.status);
  EXPECT_THAT(report.returned, UnorderedElementsAreArray(AllIds()));
  EXPECT_EQ(WaitChild(), 3);
  ExpectAllServedHere("returned");
}

// The new process runs out of fds: the 4th session's socket cannot reach
// it (the kernel cuts the control message), it says so, and nothing moves.
TEST_F(UpgradeTest, NewProcessOutOfFdsSessionsReturn) {
  Warm();
  ASSERT_OK_AND_ASSIGN(UpgradeSource up,
                       StartUpgrade({"1", "emfile-after", "3"}));
  ASSERT_OK(up.OfferListeners({{"main", listener_.get()}}));
  std::vector<absl::Status> offers;
  for (auto& s : sessions_) offers.push_back(Offer(up, *s));
  EXPECT_OK(offers[2]);
  EXPECT_TRUE(IsError(offers[3], ErrorKind::kRejectedByPeer))
      << transport::StatusText(offers[3]);
  EXPECT_THAT(std::string(offers[3].message()), HasSubstr("control-truncated"));
  UpgradeReport report = up.Commit();
  EXPECT_EQ(report.outcome, UpgradeReport::Outcome::kReturned);
  EXPECT_THAT(report.returned, UnorderedElementsAreArray(AllIds()));
  EXPECT_EQ(WaitChild(), 12);
  ExpectAllServedHere("returned");
}

// A session whose request is in progress is not moved until the answer is
// out; the next request is the new process's, and the context continues.
TEST_F(UpgradeTest, SessionMidRequestMovesAfterItsAnswer) {
  Warm();
  Session& busy = *sessions_[0];
  std::atomic<bool> in_request{false}, answered{false};
  absl::Status worker_status;
  ASSERT_OK_AND_ASSIGN(WrapResult w, busy.client.Wrap(Bytes("slow"), true));
  ASSERT_TRUE(WriteFrame(busy.client_fd.get(), w.token));
  std::thread worker([&] {
    if (!busy.gate.TryBeginRequest()) return;
    in_request = true;
    absl::SleepFor(absl::Milliseconds(300));  // the request takes a while
    worker_status = ServeOne(busy);
    answered = true;
    busy.gate.EndRequest();
  });
  while (!in_request) absl::SleepFor(absl::Milliseconds(1));

  ASSERT_OK_AND_ASSIGN(UpgradeSource up, StartUpgrade({"1", "serve"}));
  const pid_t target = child_;
  // Hold (inside Offer) waits for the answer to go out first.
  ASSERT_OK(Offer(up, busy));
  EXPECT_TRUE(answered);
  worker.join();
  ASSERT_OK(worker_status);
  EXPECT_FALSE(busy.gate.TryBeginRequest());  // held: moved, not served here
  for (size_t i = 1; i < sessions_.size(); ++i) ASSERT_OK(Offer(up, *sessions_[i]));
  UpgradeReport report = up.Commit();
  ASSERT_EQ(report.outcome, UpgradeReport::Outcome::kCommitted)
      << transport::StatusText(report.status);
  for (auto& s : sessions_) s->server_fd.Reset();
  // The slow request's answer came from here, before the move.
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> frame,
                       [&]() -> absl::StatusOr<std::vector<uint8_t>> {
                         auto f = ReadFrame(busy.client_fd.get());
                         if (!f) return absl::UnavailableError("no reply");
                         return *f;
                       }());
  ASSERT_OK_AND_ASSIGN(UnwrapResult u, busy.client.Unwrap(frame));
  EXPECT_EQ(u.supplementary, 0u);
  EXPECT_EQ(std::string(u.message.begin(), u.message.end()),
            Expected(getpid(), busy, "slow"));
  // The next one is the new process's.
  for (auto& s : sessions_) {
    EXPECT_THAT(Request(*s, "next", false),
                IsOkAndHolds(Expected(target, *s, "next")));
  }
  for (auto& s : sessions_) s->client_fd.Reset();
  EXPECT_EQ(WaitChild(), 0);
}

// A session stuck mid-request past the hold timeout is not offered; it
// stays here (the upgrade moves the rest).
TEST_F(UpgradeTest, SessionStuckMidRequestStaysWithOldProcess) {
  Session& stuck = *sessions_[0];
  ASSERT_TRUE(stuck.gate.TryBeginRequest());
  EXPECT_TRUE(IsError(stuck.gate.Hold(absl::Milliseconds(50)),
                      ErrorKind::kTimeout));
  EXPECT_FALSE(stuck.gate.held());
  stuck.gate.EndRequest();
  ASSERT_OK(stuck.gate.Hold(absl::Milliseconds(50)));
  EXPECT_FALSE(stuck.gate.TryBeginRequest());
  stuck.gate.Release();
  EXPECT_TRUE(stuck.gate.TryBeginRequest());
  stuck.gate.EndRequest();
}

}  // namespace
}  // namespace gssx::testing
