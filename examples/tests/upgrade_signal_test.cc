// SPDX-License-Identifier: Apache-2.0
// Signals and failures around the pre-fork server's live upgrade
// (live_upgrade.h):
//  - a signal that reaches the new master while it is still starting or
//    taking over (UnblockMasterSignals): a SIGHUP sent the moment the old
//    master has started it is neither fatal nor lost — the new master
//    takes the sessions, then upgrades again; the clients' connections go
//    on through both;
//  - a new binary that refuses or crashes (GSSX_UPGRADE_DRILL): the old
//    master keeps serving the same connections and leaves no process.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "examples/clients/client.h"
#include "examples/servers/live_upgrade.h"
#include "examples/testing/server_process.h"
#include "examples/testing/test_keys.h"
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

// The number after `key` in the first log line holding it, or -1.
pid_t PidAfter(ServerProcess& server, const std::string& key, size_t nth = 0) {
  std::vector<std::string> lines = server.LogLinesWith(key);
  if (lines.size() <= nth) return -1;
  std::string rest = lines[nth].substr(lines[nth].find(key) + key.size());
  int pid = -1;
  if (!absl::SimpleAtoi(rest.substr(0, rest.find_first_of(" ;(")), &pid)) return -1;
  return pid;
}

TEST(UpgradeSignalTest, SighupToTheNewMasterWhileItStartsIsKeptForItsLoop) {
  ASSERT_OK_AND_ASSIGN(TestClient client, MakeTestClient());
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      ServerProcess::Start(RunfilesPath("examples/prefork_server"),
                           client.keys.ServerArgs({"--workers=3"})));
  ClientOptions options;
  options.connect = server->address();
  std::vector<ClientSession> sessions;
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(ClientSession s, ClientSession::Open(client.cred, options));
    ASSERT_OK(s.Request(0));
    sessions.push_back(std::move(s));
  }

  server->Signal(SIGHUP);
  ASSERT_TRUE(server->WaitForLog("upgrade: started pid ", kWait));
  const pid_t second = PidAfter(*server, "upgrade: started pid ");
  ASSERT_GT(second, 0);
  // At once: the new master is still starting (exec, credentials) or
  // taking the sessions over.
  ASSERT_EQ(::kill(second, SIGHUP), 0);

  // It took them, then upgraded itself (the SIGHUP waited in its pipe).
  const absl::Time deadline = absl::Now() + kWait;
  while (server->LogLinesWith("upgrade committed: pid ").size() < 2 &&
         server->LogLinesWith("upgrade failed").empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::vector<std::string> commits = server->LogLinesWith("upgrade committed: pid ");
  ASSERT_EQ(commits.size(), 2u) << "upgrade failed lines: "
                                << server->LogLinesWith("upgrade failed").size();
  EXPECT_EQ(PidAfter(*server, "upgrade committed: pid ", 0), second);
  EXPECT_NE(commits[1].find(absl::StrCat("[master ", second, "]")), std::string::npos)
      << commits[1];
  const pid_t third = PidAfter(*server, "upgrade committed: pid ", 1);
  ASSERT_GT(third, 0);
  EXPECT_EQ(server->LogLinesWith("took the listener and 2 sessions").size(), 2u);

  // The same connections, the same contexts: sequence numbers go on.
  for (ClientSession& s : sessions) {
    EXPECT_OK(s.Request(1));
    EXPECT_OK(s.Request(2));
  }
  sessions.clear();

  int status = 0;
  ASSERT_EQ(::waitpid(second, &status, 0), second);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(::kill(third, SIGTERM), 0);
  ASSERT_EQ(::waitpid(third, &status, 0), third);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("handbacks"), 2) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

// A failed upgrade: a new binary that refuses the HELLO (nothing offered)
// or crashes at the 2nd offered session (every session returned). Either way the old
// master keeps serving the same connections, kills nothing it should not
// (the successor exits or is killed and reaped: Stop checks that no
// process outlived the server) and exits 0 with 0 failures.
class UpgradeDrillTest : public ::testing::TestWithParam<const char*> {};

TEST_P(UpgradeDrillTest, FailedUpgradeKeepsServingTheSameConnections) {
  const std::string drill = GetParam();
  ASSERT_EQ(::setenv(kUpgradeDrillEnv, drill.c_str(), 1), 0);
  ASSERT_OK_AND_ASSIGN(TestClient client, MakeTestClient());
  absl::StatusOr<std::unique_ptr<ServerProcess>> started =
      ServerProcess::Start(RunfilesPath("examples/prefork_server"),
                           client.keys.ServerArgs({"--workers=3"}));
  ::unsetenv(kUpgradeDrillEnv);
  ASSERT_OK(started.status());
  std::unique_ptr<ServerProcess> server = std::move(*started);
  ClientOptions options;
  options.connect = server->address();
  std::vector<ClientSession> sessions;
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(ClientSession s, ClientSession::Open(client.cred, options));
    ASSERT_OK(s.Request(0));
    sessions.push_back(std::move(s));
  }
  server->Signal(SIGHUP);
  ASSERT_TRUE(server->WaitForLog("upgrade failed (", kWait));
  const std::string failed = server->LogLinesWith("upgrade failed (").back();
  EXPECT_NE(failed.find(drill == "refuse" ? "): 0 sessions returned"
                                          : "): 2 sessions returned"),
            std::string::npos)
      << failed;
  EXPECT_TRUE(server->LogLinesWith("upgrade committed").empty());
  for (ClientSession& s : sessions) {
    EXPECT_OK(s.Request(1));
    EXPECT_OK(s.Request(2));
  }
  sessions.clear();
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

INSTANTIATE_TEST_SUITE_P(Drills, UpgradeDrillTest, ::testing::Values("refuse", "crash"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace gssx::examples
