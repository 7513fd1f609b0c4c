// SPDX-License-Identifier: Apache-2.0
// SIGHUP live upgrade of the REAL krb5_server binary (MIT Kerberos;
// live_upgrade.h, gssx/krb5_bridge/upgrade.h) against a real KDC: clients
// hold authenticated connections open across the upgrade and keep sending
// wrapped requests; the new master's workers answer them with the same
// MIT contexts (the client's MIT unwrap refuses a reply with a replay or
// sequence bit, and the server's a request) and new connections reach the
// new master on the moved listener. Fault case: a new binary that refuses
// (another state version) or crashes mid-way (GSSX_UPGRADE_DRILL): every
// session stays with the old master and keeps being answered.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "examples/clients/krb5_client.h"
#include "examples/testing/realm_test.h"
#include "examples/testing/server_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::ParentOf;
using ::gssx::examples::testing::RealmTest;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;

constexpr absl::Duration kWait = absl::Seconds(30);
constexpr int kClients = 4;  // one per worker: each is mid-session at SIGHUP
constexpr int kWorkers = 4;

// The pids in "upgrade committed: pid N took ..." lines, in order.
std::vector<pid_t> CommittedPids(ServerProcess& server) {
  std::vector<pid_t> pids;
  for (const std::string& line : server.LogLinesWith("upgrade committed: pid ")) {
    std::string rest = line.substr(line.find("upgrade committed: pid ") + 23);
    int pid = -1;
    if (absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &pid)) pids.push_back(pid);
  }
  return pids;
}

std::vector<pid_t> AwaitCommits(ServerProcess& server, size_t n) {
  const absl::Time deadline = absl::Now() + kWait;
  std::vector<pid_t> pids = CommittedPids(server);
  while (pids.size() < n && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
    pids = CommittedPids(server);
  }
  return pids;
}

// kClients clients, each pausing before the requests in `pauses` until the
// test releases that pause (after its SIGHUP).
class PausedClients {
 public:
  PausedClients(const std::string& address, const std::string& service,
                int requests, std::vector<int> pauses)
      : pauses_(std::move(pauses)),
        results_(kClients, absl::UnknownError("not run")) {
    for (int i = 0; i < kClients; ++i) {
      threads_.emplace_back([this, i, address, service, requests] {
        Krb5ClientOptions o;
        o.connect = address;
        o.service = service;
        o.requests = requests;
        o.before_request = [this](int request) {
          for (size_t p = 0; p < pauses_.size(); ++p) {
            if (request != pauses_[p]) continue;
            absl::MutexLock l(&mu_);
            ++waiting_;
            auto go = [this, p] { return released_ > static_cast<int>(p); };
            mu_.AwaitWithTimeout(absl::Condition(&go), kWait);
          }
        };
        results_[i] = RunKrb5Client(o);
      });
    }
  }
  ~PausedClients() { Join(); }

  // Waits until every client sits at pause `p`.
  bool AwaitPause(int p) {
    absl::MutexLock l(&mu_);
    auto all = [this, p] { return waiting_ == kClients * (p + 1); };
    return mu_.AwaitWithTimeout(absl::Condition(&all), kWait);
  }
  void Release(int p) {
    absl::MutexLock l(&mu_);
    released_ = p + 1;
  }
  const std::vector<absl::StatusOr<Krb5ClientResult>>& Join() {
    Release(static_cast<int>(pauses_.size()));
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    return results_;
  }

 private:
  const std::vector<int> pauses_;
  absl::Mutex mu_;
  int waiting_ = 0;   // guarded by mu_
  int released_ = 0;  // guarded by mu_
  std::vector<absl::StatusOr<Krb5ClientResult>> results_;
  std::vector<std::thread> threads_;
};

class Krb5UpgradeTest : public RealmTest {
 protected:
  void TearDown() override { ::unsetenv("GSSX_UPGRADE_DRILL"); }

  std::unique_ptr<ServerProcess> StartServer() {
    return RealmTest::StartServer(
        "krb5_server", {"--listen=127.0.0.1:0", absl::StrCat("--workers=", kWorkers)});
  }
};

// Two upgrades in a row (the second run by the first new master), while
// every client holds its connection: requests 0-3 answered by the first
// master's workers, 4-6 by the second's, 7-9 by the third's.
TEST_F(Krb5UpgradeTest, SighupTwiceMovesEveryLiveMitSessionEachTime) {
  constexpr int kRequests = 10;
  const std::vector<int> kPauses = {4, 7};
  std::unique_ptr<ServerProcess> server = StartServer();
  ASSERT_NE(server, nullptr);
  std::vector<pid_t> masters = {server->pid()};
  PausedClients clients(server->address(), realm_->service(), kRequests, kPauses);
  for (int p = 0; p < 2; ++p) {
    ASSERT_TRUE(clients.AwaitPause(p)) << "pause " << p;
    // Every client is between two requests, each in its own worker.
    ASSERT_EQ(::kill(masters.back(), SIGHUP), 0);
    std::vector<pid_t> committed = AwaitCommits(*server, p + 1);
    clients.Release(p);
    ASSERT_EQ(committed.size(), static_cast<size_t>(p + 1))
        << "upgrade " << p + 1 << " did not commit";
    masters.push_back(committed.back());
  }
  const std::vector<absl::StatusOr<Krb5ClientResult>>& results = clients.Join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(results[i].ok()) << "client " << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->requests_ok, kRequests) << "client " << i;
    // One worker per master: the answers moved with the session.
    const std::vector<pid_t>& by = results[i]->answered_by;
    ASSERT_EQ(by.size(), static_cast<size_t>(kRequests));
    EXPECT_EQ(by[0], by[kPauses[0] - 1]);
    EXPECT_NE(by[kPauses[0] - 1], by[kPauses[0]]);
    EXPECT_NE(by[kPauses[1] - 1], by[kPauses[1]]);
    // The last answers came from a worker of the newest master.
    EXPECT_EQ(ParentOf(by.back()), masters.back()) << "client " << i;
  }
  EXPECT_EQ(server->LogLinesWith(absl::StrCat("took the listener and ", kClients,
                                              " sessions"))
                .size(),
            2u);
  // A new connection reaches the newest master on the moved listener.
  Krb5ClientOptions fresh;
  fresh.connect = server->address();
  fresh.service = realm_->service();
  fresh.requests = 3;
  absl::StatusOr<Krb5ClientResult> r = RunKrb5Client(fresh);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->requests_ok, 3);
  ASSERT_EQ(r->worker_pids.size(), 1u);
  EXPECT_EQ(ParentOf(*r->worker_pids.begin()), masters.back());

  // The later masters are our children now (subreaper): the middle one
  // exited 0 after its commit, the last one is stopped here; the first
  // one's exit (0) is checked by Stop.
  int status = 0;
  ASSERT_EQ(::waitpid(masters[1], &status, 0), masters[1]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(::kill(masters[2], SIGTERM), 0);
  ASSERT_EQ(::waitpid(masters[2], &status, 0), masters[2]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("connections"), kClients) << e.stats_line;
  EXPECT_EQ(e.Stat("handbacks"), kClients) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

// The new master catches signals before it takes over: a SIGHUP that
// arrives while it is still taking over (the "slow" drill: it waits 1 s
// first) neither kills it nor is lost — once it serves, it upgrades again.
TEST_F(Krb5UpgradeTest, SighupDuringTheTakeoverIsKeptForAfterIt) {
  constexpr int kRequests = 6;
  ASSERT_EQ(::setenv("GSSX_UPGRADE_DRILL", "slow", 1), 0);
  std::unique_ptr<ServerProcess> server = StartServer();
  ASSERT_NE(server, nullptr);
  PausedClients clients(server->address(), realm_->service(), kRequests, {3});
  ASSERT_TRUE(clients.AwaitPause(0));
  server->Signal(SIGHUP);
  ASSERT_TRUE(server->WaitForLog("upgrade drill: taking over in 1 s", kWait));
  std::vector<std::string> started = server->LogLinesWith("upgrade: started pid ");
  ASSERT_EQ(started.size(), 1u);
  int successor = -1;
  {
    const std::string& line = started[0];
    std::string rest = line.substr(line.find("started pid ") + 12);
    ASSERT_TRUE(absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &successor)) << line;
  }
  ASSERT_EQ(::kill(successor, SIGHUP), 0);  // still in its drill's wait
  std::vector<pid_t> committed = AwaitCommits(*server, 2);
  clients.Release(0);
  ASSERT_EQ(committed.size(), 2u) << "the successor did not upgrade again";
  EXPECT_EQ(committed[0], successor);
  const std::vector<absl::StatusOr<Krb5ClientResult>>& results = clients.Join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(results[i].ok()) << "client " << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->requests_ok, kRequests) << "client " << i;
    EXPECT_EQ(ParentOf(results[i]->answered_by.back()), committed[1]);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(committed[0], &status, 0), committed[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(::kill(committed[1], SIGTERM), 0);
  ASSERT_EQ(::waitpid(committed[1], &status, 0), committed[1]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

// The new binary refuses (it reads another state version) or crashes
// mid-way (at the 2nd session): the old master keeps every session, its
// workers answer every request with the original contexts, and it goes on
// accepting.
class Krb5UpgradeFaultTest : public Krb5UpgradeTest,
                             public ::testing::WithParamInterface<const char*> {};

TEST_P(Krb5UpgradeFaultTest, FailedUpgradeKeepsEverySessionWithTheOldMaster) {
  constexpr int kRequests = 8;
  ASSERT_EQ(::setenv("GSSX_UPGRADE_DRILL", GetParam(), 1), 0);
  std::unique_ptr<ServerProcess> server = StartServer();
  ASSERT_NE(server, nullptr);
  PausedClients clients(server->address(), realm_->service(), kRequests, {4});
  ASSERT_TRUE(clients.AwaitPause(0));
  server->Signal(SIGHUP);
  const bool failed = server->WaitForLog("upgrade failed", kWait);
  clients.Release(0);
  ASSERT_TRUE(failed);
  EXPECT_TRUE(server->HasLog(absl::StrCat(kClients, " sessions kept; serving on")));
  if (std::string(GetParam()) == "refuse") {
    // Refused at the HELLO: nothing was offered.
    EXPECT_TRUE(server->HasLog("reading state version 2 (refusing)"));
    EXPECT_TRUE(server->HasLog("0 sessions returned"));
  } else {
    // Mid-way: the offered sessions came back through the latch.
    EXPECT_TRUE(server->HasLog("crashing at the 2nd session"));
    EXPECT_TRUE(server->HasLog(absl::StrCat(kClients, " sessions returned")));
  }
  EXPECT_TRUE(CommittedPids(*server).empty());
  const std::vector<absl::StatusOr<Krb5ClientResult>>& results = clients.Join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(results[i].ok()) << "client " << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->requests_ok, kRequests) << "client " << i;
    for (pid_t pid : results[i]->worker_pids) {
      // Answered by the old master's workers only (those that handed back
      // are gone; the others still its children).
      const pid_t parent = ParentOf(pid);
      EXPECT_TRUE(parent == server->pid() || parent == -1) << pid;
    }
    EXPECT_EQ(ParentOf(results[i]->answered_by.back()), server->pid());
  }
  // Still accepting.
  Krb5ClientOptions fresh;
  fresh.connect = server->address();
  fresh.service = realm_->service();
  absl::StatusOr<Krb5ClientResult> r = RunKrb5Client(fresh);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ParentOf(*r->worker_pids.begin()), server->pid());
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("connections"), kClients + 1) << e.stats_line;
  EXPECT_EQ(e.Stat("handbacks"), kClients) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

INSTANTIATE_TEST_SUITE_P(Drills, Krb5UpgradeFaultTest,
                         ::testing::Values("refuse", "crash"));

}  // namespace
}  // namespace gssx::examples
