// SPDX-License-Identifier: Apache-2.0
// SIGHUP live upgrade of the REAL prefork_server binary (live_upgrade.h):
// clients hold authenticated connections open across the upgrade and keep
// sending wrapped requests; the new master answers them with the same
// contexts (the example client and server both refuse a reply or request
// with a replay/gap bit) and accepts new connections on the moved
// listener. Twice in a row; each old master exits 0.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "examples/clients/client.h"
#include "examples/testing/server_process.h"
#include "examples/testing/test_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::MakeTestClient;
using ::gssx::examples::testing::RunfilesPath;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;
using ::gssx::examples::testing::TestClient;

constexpr absl::Duration kWait = absl::Seconds(30);
constexpr int kClients = 4;  // one per worker: each is mid-session at SIGHUP
constexpr int kRequests = 10;

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

// Waits until `n` upgrades have committed; their new masters' pids.
std::vector<pid_t> AwaitCommits(ServerProcess& server, size_t n) {
  const absl::Time deadline = absl::Now() + kWait;
  std::vector<pid_t> pids = CommittedPids(server);
  while (pids.size() < n && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
    pids = CommittedPids(server);
  }
  return pids;
}

// Two upgrades in a row (the second run by the first new master), while
// every client holds its connection: requests 0-3 answered by the first
// master's workers, 4-6 by the second's, 7-9 by the third's.
TEST(UpgradeE2eTest, SighupTwiceMovesEveryLiveConnectionEachTime) {
  constexpr int kPauses[2] = {4, 7};
  ASSERT_OK_AND_ASSIGN(TestClient client, MakeTestClient());
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      ServerProcess::Start(RunfilesPath("examples/prefork_server"),
                           client.keys.ServerArgs({"--workers=4"})));
  absl::Mutex mu;
  int waiting = 0;   // guarded by mu: clients paused, over both pauses
  int released = 0;  // guarded by mu: pauses released
  std::vector<absl::Status> results(kClients);
  std::vector<int> ok(kClients, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      ClientOptions c;
      c.connect = server->address();
      c.requests = kRequests;
      c.before_request = [&](int request) {
        for (int p = 0; p < 2; ++p) {
          if (request != kPauses[p]) continue;
          absl::MutexLock l(&mu);
          ++waiting;
          auto go = [&released, p] { return released > p; };
          mu.AwaitWithTimeout(absl::Condition(&go), kWait);
        }
      };
      results[i] = RunClientConnection(client.cred, c, &ok[i]);
    });
  }
  std::vector<pid_t> masters = {server->pid()};
  for (int p = 0; p < 2; ++p) {
    {
      absl::MutexLock l(&mu);
      auto all_waiting = [&waiting, p] { return waiting == kClients * (p + 1); };
      EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_waiting), kWait));
    }
    // Every client is between two requests, each in its own worker.
    ASSERT_EQ(::kill(masters.back(), SIGHUP), 0);
    std::vector<pid_t> committed = AwaitCommits(*server, p + 1);
    {
      absl::MutexLock l(&mu);
      released = p + 1;
    }
    if (committed.size() != static_cast<size_t>(p + 1)) {
      for (auto& t : threads) t.join();
      FAIL() << "upgrade " << p + 1 << " did not commit";
    }
    masters.push_back(committed.back());
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(server->LogLinesWith(absl::StrCat("took the listener and ", kClients,
                                              " sessions"))
                .size(),
            2u);
  for (int i = 0; i < kClients; ++i) {
    EXPECT_OK(results[i]);
    EXPECT_EQ(ok[i], kRequests) << "client " << i;
  }
  // A new connection reaches the newest master on the moved listener.
  ClientOptions fresh;
  fresh.connect = server->address();
  fresh.requests = 3;
  int fresh_ok = 0;
  EXPECT_OK(RunClientConnection(client.cred, fresh, &fresh_ok));
  EXPECT_EQ(fresh_ok, 3);

  // The later masters are our children now (subreaper): the middle one
  // exited after its commit, the last one is stopped here; the first
  // one's exit (0) is checked by Stop.
  int status = 0;
  ASSERT_EQ(::waitpid(masters[1], &status, 0), masters[1]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(::kill(masters[2], SIGTERM), 0);
  ASSERT_EQ(::waitpid(masters[2], &status, 0), masters[2]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("handbacks"), kClients) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

}  // namespace
}  // namespace gssx::examples
