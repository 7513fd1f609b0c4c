// SPDX-License-Identifier: Apache-2.0
// The self-accepting pre-fork baseline (self_accepting.h) as a real
// binary: every worker accepts and authenticates its own clients; every
// reply verified, counts reported at SIGTERM, a killed worker replaced.
#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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

class SelfAcceptingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("keys");
    ASSERT_FALSE(dir_.empty());
    ASSERT_OK_AND_ASSIGN(keys_, MakeTestKeys(dir_));
    AcquireOptions a;
    a.keytab_path = keys_.client_keytab;
    a.trust_path = keys_.client_trust;
    a.usage = CredentialUsage::kInitiate;
    ASSERT_OK_AND_ASSIGN(Credentials c, Credentials::Acquire(a));
    cred_.emplace(std::move(c));
  }

  absl::StatusOr<std::unique_ptr<ServerProcess>> Start(int workers) {
    return ServerProcess::Start(
        RunfilesPath("examples/self_accepting_server"),
        {"--keytab=" + keys_.server_keytab, "--trust=" + keys_.server_trust,
         absl::StrCat("--workers=", workers)});
  }

  // `threads` clients, `each` connections one after another; errors.
  std::vector<std::string> Load(const ServerProcess& server, int threads, int each,
                                int* requests_ok) {
    ClientOptions c;
    c.connect = server.address();
    c.requests = 10;
    absl::Mutex mu;
    std::vector<std::string> errors;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        for (int i = 0; i < each; ++i) {
          int ok = 0;
          absl::Status s = RunClientConnection(*cred_, c, &ok);
          absl::MutexLock l(&mu);
          *requests_ok += ok;
          if (!s.ok()) errors.push_back(s.ToString());
        }
      });
    }
    for (auto& t : ts) t.join();
    return errors;
  }

  std::string dir_;
  TestKeys keys_;
  std::optional<Credentials> cred_;
};

TEST_F(SelfAcceptingTest, WorkersAcceptAuthenticateAndServe) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server, Start(3));
  int requests = 0;
  EXPECT_THAT(Load(*server, 4, 5, &requests), ::testing::IsEmpty());
  EXPECT_EQ(requests, 200);
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.Stat("connections"), 20) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
  EXPECT_EQ(e.Stat("handoffs"), 0) << e.stats_line;
  EXPECT_EQ(e.Stat("worker_deaths"), 0) << e.stats_line;
}

TEST_F(SelfAcceptingTest, AKilledWorkerIsReplaced) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server, Start(1));
  int requests = 0;
  EXPECT_THAT(Load(*server, 1, 1, &requests), ::testing::IsEmpty());
  // The only worker is a child of the server; kill every child of it.
  const std::string pattern = absl::StrCat("/proc/", server->pid(), "/task/",
                                           server->pid(), "/children");
  FILE* f = std::fopen(pattern.c_str(), "r");
  ASSERT_NE(f, nullptr);
  int child = 0;
  ASSERT_EQ(std::fscanf(f, "%d", &child), 1);
  std::fclose(f);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  EXPECT_TRUE(server->WaitForLog(absl::StrCat("worker ", child, " exited"),
                                 absl::Seconds(30)));
  EXPECT_THAT(Load(*server, 2, 2, &requests), ::testing::IsEmpty());
  EXPECT_EQ(requests, 50);
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.Stat("connections"), 5) << e.stats_line;
  EXPECT_EQ(e.Stat("worker_deaths"), 1) << e.stats_line;
}

}  // namespace
}  // namespace gssx::examples
