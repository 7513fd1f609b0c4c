// SPDX-License-Identifier: Apache-2.0
// The order of the pre-fork server's live upgrade (live_upgrade.h):
//  - a signal that reaches the new master while it is still starting or
//    taking over (UnblockMasterSignals): a SIGHUP sent the moment the old
//    master has started it is neither fatal nor lost — the new master
//    takes the sessions, then upgrades again; the clients' connections go
//    on through both;
//  - the new master's workers are up before the old master collects its
//    clients (StartUpgrade, then FinishUpgrade).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "examples/clients/client.h"
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

// The index of the first line of `lines` holding `text` at or after
// `from`, or lines.size().
size_t Find(const std::vector<std::string>& lines, const std::string& text,
            size_t from = 0) {
  for (size_t i = from; i < lines.size(); ++i) {
    if (lines[i].find(text) != std::string::npos) return i;
  }
  return lines.size();
}

TEST(UpgradeSignalTest, NewMastersWorkersAreUpBeforeTheClientsAreCollected) {
  constexpr int kWorkers = 3;
  ASSERT_OK_AND_ASSIGN(TestClient client, MakeTestClient());
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      ServerProcess::Start(RunfilesPath("examples/prefork_server"),
                           client.keys.ServerArgs({absl::StrCat("--workers=", kWorkers)})));
  ClientOptions options;
  options.connect = server->address();
  ASSERT_OK_AND_ASSIGN(ClientSession session, ClientSession::Open(client.cred, options));
  ASSERT_OK(session.Request(0));
  server->Signal(SIGHUP);
  ASSERT_TRUE(server->WaitForLog("upgrade committed: pid ", kWait));
  const pid_t second = PidAfter(*server, "upgrade committed: pid ");
  ASSERT_GT(second, 0);
  ASSERT_OK(session.Request(1));  // served by the new master's worker

  const std::vector<std::string> log = server->LogLinesWith("");
  const std::string old_tag = absl::StrCat("[master ", server->pid(), "] ");
  const std::string new_tag = absl::StrCat("[master ", second, "] ");
  const size_t started = Find(log, old_tag + "upgrade: started pid ");
  size_t handed_back = log.size();
  for (size_t i = started; i < log.size(); ++i) {
    if (log[i].rfind(old_tag, 0) == 0 &&
        log[i].find("handed a connection back") != std::string::npos) {
      handed_back = i;
      break;
    }
  }
  const size_t took_over = Find(log, new_tag + "upgrade: took over");
  ASSERT_LT(took_over, log.size());
  // Every worker of the new master started before the old one asked its
  // busy worker to hand its client back (and so before the takeover).
  std::vector<size_t> new_workers;
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i].rfind(new_tag + "worker ", 0) == 0 &&
        log[i].find(" started") != std::string::npos) {
      new_workers.push_back(i);
    }
  }
  ASSERT_EQ(new_workers.size(), static_cast<size_t>(kWorkers));
  EXPECT_GT(handed_back, new_workers.back());
  EXPECT_LT(new_workers.back(), took_over);
  EXPECT_LT(started, new_workers.front());
  EXPECT_LT(handed_back, log.size());

  {
    ClientSession done = std::move(session);  // closed here
  }
  // The new master is ours (subreaper) once the old one has exited.
  const absl::Time deadline = absl::Now() + kWait;
  while (::gssx::examples::testing::ParentOf(second) != ::getpid() &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  int status = 0;
  ASSERT_EQ(::kill(second, SIGTERM), 0);
  ASSERT_EQ(::waitpid(second, &status, 0), second);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("handbacks"), 1) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

}  // namespace
}  // namespace gssx::examples
