// SPDX-License-Identifier: Apache-2.0
// The pre-fork master's worker pool (worker_pool.h) sends a handoff and
// collects the worker's answer later: it never sleeps waiting for an ack,
// so workers that do not answer do not stop it authenticating other
// clients; with every worker busy it queues the next client behind one,
// and moves it to a worker that becomes free first.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "examples/clients/client.h"
#include "examples/testing/server_process.h"
#include "examples/testing/test_keys.h"
#include "gmock/gmock.h"
#include "gssx/credentials.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::MakeTempDir;
using ::gssx::examples::testing::MakeTestKeys;
using ::gssx::examples::testing::RunfilesPath;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;
using ::gssx::examples::testing::TestKeys;

std::vector<int> ChildrenOf(pid_t pid) {
  std::vector<int> out;
  FILE* f = std::fopen(absl::StrCat("/proc/", pid, "/task/", pid, "/children").c_str(), "r");
  if (f == nullptr) return out;
  int child;
  while (std::fscanf(f, "%d", &child) == 1) out.push_back(child);
  std::fclose(f);
  return out;
}

TEST(PipelinedHandoffTest, StoppedWorkersDoNotStopTheMaster) {
  const std::string dir = MakeTempDir("keys");
  ASSERT_OK_AND_ASSIGN(TestKeys keys, MakeTestKeys(dir));
  AcquireOptions a;
  a.keytab_path = keys.client_keytab;
  a.trust_path = keys.client_trust;
  a.usage = CredentialUsage::kInitiate;
  ASSERT_OK_AND_ASSIGN(Credentials cred, Credentials::Acquire(a));
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      ServerProcess::Start(RunfilesPath("examples/prefork_server"),
                           {"--keytab=" + keys.server_keytab,
                            "--trust=" + keys.server_trust, "--workers=2"}));
  // Both workers idle (each said "ready"), then stopped: a handoff to
  // either is sent but not answered until they continue.
  ASSERT_TRUE(server->WaitForLog("started", absl::Seconds(30)));
  std::vector<int> workers;
  for (int i = 0; i < 3000 && workers.size() < 2; ++i) {
    workers = ChildrenOf(server->pid());
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(workers.size(), 2u);
  absl::SleepFor(absl::Milliseconds(200));  // their "ready" reach the master
  for (int w : workers) ASSERT_EQ(::kill(w, SIGSTOP), 0);

  // Three clients: two connections go to the stopped workers, the third
  // waits for a free one. All three are authenticated by the master (they
  // get its welcome) at once — the master did not sleep on an ack.
  constexpr int kClients = 3;
  std::atomic<int> welcomed{0};
  absl::Mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      ClientOptions c;
      c.connect = server->address();
      c.requests = 2;
      c.before_request = [&](int i) {
        if (i == 0) ++welcomed;
      };
      int ok = 0;
      absl::Status s = RunClientConnection(cred, c, &ok);
      if (!s.ok()) {
        absl::MutexLock l(&mu);
        errors.push_back(s.ToString());
      }
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (welcomed.load() < kClients && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(welcomed.load(), kClients);
  for (int w : workers) ::kill(w, SIGCONT);
  for (auto& t : threads) t.join();
  EXPECT_THAT(errors, ::testing::IsEmpty());
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.Stat("connections"), kClients) << e.stats_line;
  EXPECT_EQ(e.Stat("handoffs"), kClients) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

// With every worker busy, the next connection is queued behind one of
// them (the worker goes on with it without waiting for the master); if
// that worker's connection goes on while another worker is free, the
// master takes the queued one back through the latch and gives it to the
// free worker.
TEST(PipelinedHandoffTest, AConnectionQueuedBehindALongOneMovesToAFreeWorker) {
  const std::string dir = MakeTempDir("keys");
  ASSERT_OK_AND_ASSIGN(TestKeys keys, MakeTestKeys(dir));
  AcquireOptions a;
  a.keytab_path = keys.client_keytab;
  a.trust_path = keys.client_trust;
  a.usage = CredentialUsage::kInitiate;
  ASSERT_OK_AND_ASSIGN(Credentials cred, Credentials::Acquire(a));
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      ServerProcess::Start(RunfilesPath("examples/prefork_server"),
                           {"--keytab=" + keys.server_keytab,
                            "--trust=" + keys.server_trust, "--workers=2"}));
  absl::Mutex mu;
  std::vector<std::string> errors;
  // A client that waits, after the welcome, for `go`.
  auto client = [&](absl::Notification* welcomed, absl::Notification* go) {
    ClientOptions c;
    c.connect = server->address();
    c.requests = 2;
    c.before_request = [&](int i) {
      if (i != 0) return;
      welcomed->Notify();
      if (go != nullptr) go->WaitForNotification();
    };
    int ok = 0;
    absl::Status s = RunClientConnection(cred, c, &ok);
    if (!s.ok()) {
      absl::MutexLock l(&mu);
      errors.push_back(s.ToString());
    }
  };
  absl::Notification welcomed1, go1, welcomed2, go2, welcomed3;
  // Long connections on the first worker, then on the second.
  std::thread long1(client, &welcomed1, &go1);
  ASSERT_TRUE(welcomed1.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(100));
  std::thread long2(client, &welcomed2, &go2);
  ASSERT_TRUE(welcomed2.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(100));
  // No worker free: this one is queued behind the first.
  absl::Notification done3;
  std::thread short3([&] {
    client(&welcomed3, nullptr);
    done3.Notify();
  });
  ASSERT_TRUE(welcomed3.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(100));
  // The second worker becomes free; the first stays busy.
  go2.Notify();
  long2.join();
  EXPECT_TRUE(done3.WaitForNotificationWithTimeout(absl::Seconds(10)));
  go1.Notify();
  long1.join();
  short3.join();
  EXPECT_THAT(errors, ::testing::IsEmpty());
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.Stat("connections"), 3) << e.stats_line;
  EXPECT_EQ(e.Stat("handoffs"), 3) << e.stats_line;
  EXPECT_EQ(e.Stat("rebalanced"), 1) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

}  // namespace
}  // namespace gssx::examples
