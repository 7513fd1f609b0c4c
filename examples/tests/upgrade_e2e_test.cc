// SPDX-License-Identifier: Apache-2.0
// SIGHUP live upgrade of the REAL prefork_server binary (live_upgrade.h):
// clients hold authenticated connections open across the upgrade and keep
// sending wrapped requests; the new master answers them with the same
// contexts (the example client and server both refuse a reply or request
// with a replay/gap bit) and accepts new connections on the moved
// listener. The old master exits 0.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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
constexpr int kUpgradeBefore = 5;  // requests 0-4 old master, 5-9 new

// The pid in "upgrade committed: pid N took ...", or -1.
pid_t CommittedPid(ServerProcess& server) {
  for (const std::string& line : server.LogLinesWith("upgrade committed: pid ")) {
    std::string rest = line.substr(line.find("pid ") + 4);
    int pid = -1;
    if (absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &pid)) return pid;
  }
  return -1;
}

TEST(UpgradeE2eTest, SighupMovesEveryLiveConnectionToTheNewMaster) {
  ASSERT_OK_AND_ASSIGN(TestClient client, MakeTestClient());
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      ServerProcess::Start(RunfilesPath("examples/prefork_server"),
                           client.keys.ServerArgs({"--workers=4"})));
  absl::Mutex mu;
  int waiting = 0;       // guarded by mu
  bool upgraded = false; // guarded by mu
  std::vector<absl::Status> results(kClients);
  std::vector<int> ok(kClients, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      ClientOptions c;
      c.connect = server->address();
      c.requests = kRequests;
      c.before_request = [&](int request) {
        if (request != kUpgradeBefore) return;
        absl::MutexLock l(&mu);
        ++waiting;
        mu.AwaitWithTimeout(absl::Condition(&upgraded), kWait);
      };
      results[i] = RunClientConnection(client.cred, c, &ok[i]);
    });
  }
  {
    absl::MutexLock l(&mu);
    auto all_waiting = [&waiting] { return waiting == kClients; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_waiting), kWait));
  }
  // Every client is between requests 4 and 5, each in its own worker.
  server->Signal(SIGHUP);
  const bool committed = server->WaitForLog("upgrade committed", kWait);
  {
    absl::MutexLock l(&mu);
    upgraded = true;
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(committed);
  EXPECT_TRUE(server->HasLog(absl::StrCat("took the listener and ", kClients,
                                          " sessions")));
  EXPECT_TRUE(server->HasLog(absl::StrCat("upgrade: took over the listener and ",
                                          kClients, " sessions")));
  for (int i = 0; i < kClients; ++i) {
    EXPECT_OK(results[i]);
    EXPECT_EQ(ok[i], kRequests) << "client " << i;
  }
  // A new connection reaches the new master on the moved listener.
  ClientOptions fresh;
  fresh.connect = server->address();
  fresh.requests = 3;
  int fresh_ok = 0;
  EXPECT_OK(RunClientConnection(client.cred, fresh, &fresh_ok));
  EXPECT_EQ(fresh_ok, 3);

  // The new master is our child now (subreaper); stop it, then the old
  // one's exit (0, after the commit) is checked by Stop.
  const pid_t successor = CommittedPid(*server);
  ASSERT_GT(successor, 0);
  ASSERT_EQ(::kill(successor, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(successor, &status, 0), successor);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("handbacks"), kClients) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

}  // namespace
}  // namespace gssx::examples
