// SPDX-License-Identifier: Apache-2.0
// End to end on MIT Kerberos: a real KDC (testing/krb5), the real
// krb5_server binary from the runfiles, and Kerberos clients holding a
// ticket from kinit. Each client is authenticated by the server's master
// process and answered by a worker process that imported the context.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/clients/krb5_client.h"
#include "examples/testing/realm_test.h"
#include "examples/testing/server_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::ExpectCleanExit;
using ::gssx::examples::testing::ParentOf;
using ::gssx::examples::testing::RealmTest;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;

class Krb5EndToEndTest : public RealmTest {
 protected:
  std::unique_ptr<ServerProcess> StartServer(int workers) {
    return RealmTest::StartServer(
        "krb5_server", {"--listen=127.0.0.1:0", absl::StrCat("--workers=", workers)});
  }

  Krb5ClientOptions Client(const ServerProcess& server, int requests = 3) {
    Krb5ClientOptions o;
    o.connect = server.address();
    o.service = realm_->service();
    o.requests = requests;
    return o;
  }
};

TEST_F(Krb5EndToEndTest, WorkersAnswerWithTheMastersContexts) {
  std::unique_ptr<ServerProcess> server = StartServer(2);
  ASSERT_NE(server, nullptr);
  constexpr int kSequential = 5, kConcurrent = 6, kRequests = 4;
  std::set<pid_t> pids;
  for (int i = 0; i < kSequential; ++i) {
    absl::StatusOr<Krb5ClientResult> r = RunKrb5Client(Client(*server, kRequests));
    ASSERT_TRUE(r.ok()) << r.status() << "\nKDC log:\n" << realm_->KdcLog();
    EXPECT_EQ(r->requests_ok, kRequests);
    pids.insert(r->worker_pids.begin(), r->worker_pids.end());
  }
  std::vector<absl::StatusOr<Krb5ClientResult>> results(
      kConcurrent, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kConcurrent; ++i) {
    threads.emplace_back([&, i] { results[i] = RunKrb5Client(Client(*server, kRequests)); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::StatusOr<Krb5ClientResult>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->requests_ok, kRequests);
    EXPECT_EQ(r->worker_pids.size(), 1u);  // one connection, one worker
    pids.insert(r->worker_pids.begin(), r->worker_pids.end());
  }
  // Every answer came from a worker: a child of the server, not the server
  // (the master that accepted the Kerberos context).
  for (pid_t pid : pids) {
    EXPECT_NE(pid, server->pid());
    EXPECT_EQ(ParentOf(pid), server->pid()) << "pid " << pid;
  }
  EXPECT_LE(pids.size(), 2u);
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  ExpectCleanExit(*exit, {{"connections", kSequential + kConcurrent},
                          {"handoffs", kSequential + kConcurrent},
                          {"reclaims", 0},
                          {"failures", 0}});
  // The service tickets came from the KDC.
  EXPECT_THAT(realm_->KdcLog(), ::testing::HasSubstr(
                                    absl::StrCat("TGS_REQ")));
}

// A worker killed between connections: the master notices and replaces
// it (one worker: the next clients are served by the replacement).
TEST_F(Krb5EndToEndTest, KilledWorkerIsNoticedAndReplaced) {
  std::unique_ptr<ServerProcess> server = StartServer(1);
  ASSERT_NE(server, nullptr);
  absl::StatusOr<Krb5ClientResult> first = RunKrb5Client(Client(*server));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->worker_pids.size(), 1u);
  const pid_t victim = *first->worker_pids.begin();
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  EXPECT_TRUE(server->WaitForLog(absl::StrCat("worker ", victim, " gone"),
                                 absl::Seconds(10)));
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Krb5ClientResult> r = RunKrb5Client(Client(*server));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->worker_pids.count(victim), 0u);
  }
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  ExpectCleanExit(*exit, {{"handoffs", 4},
                          {"worker_deaths", 1},
                          {"failures", 0}});
}

// A worker killed in the middle of a handoff (SIGUSR1 drill): the master
// reclaims the MIT context through the latch and gives the client to the
// other worker; the client notices nothing.
TEST_F(Krb5EndToEndTest, WorkerKilledMidHandoffIsInvisibleToTheClient) {
  std::unique_ptr<ServerProcess> server = StartServer(2);
  ASSERT_NE(server, nullptr);
  server->Signal(SIGUSR1);
  ASSERT_TRUE(server->WaitForLog("drill armed", absl::Seconds(10)));
  absl::StatusOr<Krb5ClientResult> r = RunKrb5Client(Client(*server, 5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->requests_ok, 5);
  EXPECT_TRUE(server->HasLog("drill: killing worker"));
  EXPECT_TRUE(server->HasLog("reclaimed"));
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  ExpectCleanExit(*exit, {{"handoffs", 1},
                          {"reclaims", 1},
                          {"worker_deaths", 1},
                          {"failures", 0}});
}

// A client asking for a service the realm does not know fails at its own
// TGS request to the KDC, with MIT's reason; the master sees the
// connection close before any token (a failure; "connections" counts
// authenticated clients only) and goes on
// serving.
TEST_F(Krb5EndToEndTest, UnknownServicePrincipalFailsClearly) {
  std::unique_ptr<ServerProcess> server = StartServer(1);
  ASSERT_NE(server, nullptr);
  Krb5ClientOptions o = Client(*server);
  o.service = absl::StrCat("nobody/localhost@", realm_->realm());
  absl::StatusOr<Krb5ClientResult> r = RunKrb5Client(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("gss_init_sec_context"));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("not found"));
  absl::StatusOr<Krb5ClientResult> ok = RunKrb5Client(Client(*server));
  EXPECT_TRUE(ok.ok()) << ok.status();
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  ExpectCleanExit(*exit, {{"connections", 1}, {"failures", 1}, {"handoffs", 1}});
}

}  // namespace
}  // namespace gssx::examples
