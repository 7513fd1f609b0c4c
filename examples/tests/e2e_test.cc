// SPDX-License-Identifier: Apache-2.0
// End-to-end tests of the REAL example binaries: prefork_server and
// fork_exec_server (+ session) run as child processes from the runfiles
// tree, talked to by the example client (client.h) over loopback TCP.
// No fixed ports (port 0 + --port_fd), no sleeps (pipes and log lines with
// deadlines), every child reaped (ServerProcess::Stop checks), an fd-leak
// check around every test (//testing:test_main).
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "examples/clients/client.h"
#include "examples/testing/server_process.h"
#include "examples/testing/server_test.h"
#include "gmock/gmock.h"
#include "gssx/credentials.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::ExpectCleanExit;
using ::gssx::examples::testing::GssxServerTest;
using ::gssx::examples::testing::RunfilesPath;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;
using ::gssx::testing::ForkedChild;
using ::gssx::testing::IsOkAndHolds;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(30);

struct LoadResult {
  int attempted = 0;
  int connections_ok = 0;
  int requests_ok = 0;
  std::vector<std::string> errors;
};

// `threads` client threads, each making `per_thread` connections one after
// another.
LoadResult RunLoad(const Credentials& cred, const ClientOptions& options,
                   int threads, int per_thread) {
  absl::Mutex mu;
  LoadResult result;
  result.attempted = threads * per_thread;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        int ok = 0;
        absl::Status s = RunClientConnection(cred, options, &ok);
        absl::MutexLock l(&mu);
        result.requests_ok += ok;
        if (s.ok()) {
          ++result.connections_ok;
        } else {
          result.errors.push_back(s.ToString());
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  return result;
}

// Every connection of a RunLoad succeeded with all its (10) requests.
void ExpectAllServed(const LoadResult& r) {
  EXPECT_THAT(r.errors, ::testing::IsEmpty());
  EXPECT_EQ(r.requests_ok, 10 * r.connections_ok);
  EXPECT_EQ(r.connections_ok, r.attempted);
}

class ExamplesTest : public GssxServerTest {
 protected:
  ClientOptions Client(const ServerProcess& server) const {
    ClientOptions c;
    c.connect = server.address();
    c.requests = 10;
    return c;
  }

  // One connection of 10 requests; before request 3 the server gets
  // SIGUSR2 (a busy worker hands its connections back) and the client
  // waits until the master has logged the hand-back. All 10 must succeed.
  void RunClientHandedBackBeforeRequest3(ServerProcess& server) {
    ClientOptions c = Client(server);
    bool handed_back = false;
    c.before_request = [&](int i) {
      if (i != 3) return;
      server.Signal(SIGUSR2);
      handed_back = server.WaitForLog("handed a connection back", kWait);
    };
    int ok = 0;
    EXPECT_OK(RunClientConnection(*client_cred_, c, &ok));
    EXPECT_EQ(ok, 10);
    EXPECT_TRUE(handed_back);
  }
};

// ------------------------------------------------------------- prefork

// (a) Normal load: several concurrent connections, every reply verified.
TEST_F(ExamplesTest, PreforkServesConcurrentConnections) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       StartServer("prefork_server", {"--workers=4"}));
  ExpectAllServed(RunLoad(*client_cred_, Client(*server), /*threads=*/4,
                          /*per_thread=*/6));
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  ExpectCleanExit(e, {{"connections", 24},
                      {"handoffs", 24},
                      {"failures", 0},
                      {"reclaims", 0}});
}

// (b) SIGUSR1: the next handoff's worker is SIGKILLed after the context is
// sent and before it can import. The master reclaims it and passes the
// connection to another worker; no client notices.
TEST_F(ExamplesTest, PreforkWorkerKilledMidHandoffIsInvisibleToClients) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       StartServer("prefork_server", {"--workers=2"}));
  server->Signal(SIGUSR1);
  // The drill hits the first connection dispatched after the master read
  // the signal: connect until its log line is there (bounded), then some.
  LoadResult before;
  for (int i = 0; i < 20 && !server->HasLog("drill: killing worker"); ++i) {
    LoadResult one = RunLoad(*client_cred_, Client(*server), 1, 1);
    before.connections_ok += one.connections_ok;
    before.errors.insert(before.errors.end(), one.errors.begin(), one.errors.end());
  }
  EXPECT_TRUE(server->WaitForLog("drill: killing worker", kWait));
  LoadResult after = RunLoad(*client_cred_, Client(*server), 2, 3);
  EXPECT_THAT(before.errors, ::testing::IsEmpty());
  EXPECT_THAT(after.errors, ::testing::IsEmpty());
  EXPECT_EQ(after.connections_ok, 6);
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_GE(e.Stat("reclaims"), 1) << e.stats_line;
  EXPECT_GE(e.Stat("worker_deaths"), 1) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
  EXPECT_EQ(e.Stat("connections"), before.connections_ok + 6) << e.stats_line;
  EXPECT_TRUE(server->HasLog("context reclaimed, trying another worker"));
}

// (c) SIGUSR2 while a client is mid-connection: its worker stops, hands the
// connection (socket + context) back to the master, which passes it to a
// new worker. The client pauses before request 3 until the hand-back has
// happened, then carries on: sequence numbers continue, nothing fails.
TEST_F(ExamplesTest, PreforkBusyWorkerHandsConnectionBack) {
  // One worker: the busy one is certainly ours.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       StartServer("prefork_server", {"--workers=1"}));
  RunClientHandedBackBeforeRequest3(*server);
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_GE(e.Stat("handbacks"), 1) << e.stats_line;
  EXPECT_EQ(e.Stat("handoffs"), 2) << e.stats_line;  // there and on again
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
}

// Multiplexing workers: 2 workers of up to 4 clients each serve 6
// concurrent clients (more than the workers), every reply verified; a
// busy worker told to stop (SIGUSR2) mid-connection hands back every
// client it holds, and each carries on with another worker.
TEST_F(ExamplesTest, PreforkMultiplexingWorkersServeSeveralClientsEach) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      StartServer("prefork_server", {"--workers=2", "--clients_per_worker=4"}));
  ExpectAllServed(RunLoad(*client_cred_, Client(*server), /*threads=*/6,
                          /*per_thread=*/3));
  RunClientHandedBackBeforeRequest3(*server);
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  ExpectCleanExit(e, {{"connections", 19}, {"failures", 0}, {"reclaims", 0}});
  EXPECT_GE(e.Stat("handbacks"), 1) << e.stats_line;
  EXPECT_EQ(e.Stat("handoffs"), 19 + e.Stat("handbacks")) << e.stats_line;
}

// The no-handoff baseline of the benchmark: same protocol, same checks.
TEST_F(ExamplesTest, PreforkWithoutWorkersServesInTheMaster) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       StartServer("prefork_server", {"--workers=0"}));
  ExpectAllServed(RunLoad(*client_cred_, Client(*server), 3, 3));
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  ExpectCleanExit(e, {{"connections", 9}, {"handoffs", 0}, {"failures", 0}});
}

// ----------------------------------------------------------- fork/exec

// (d) Each connection is served by a freshly exec'd session that imported
// the context over its only inherited fd.
TEST_F(ExamplesTest, ForkExecSessionsServeConnections) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       StartServer("fork_exec_server", {"--verbose"}));
  ExpectAllServed(RunLoad(*client_cred_, Client(*server), 3, 3));
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  ExpectCleanExit(e, {{"connections", 9},
                      {"sessions", 9},
                      {"failures", 0},
                      {"session_errors", 0}});
  EXPECT_EQ(server->LogLinesWith("imported the context and the client socket").size(), 9u);
  EXPECT_FALSE(server->HasLog("refusing to run"));
}

// SIGTERM while a session serves a client: the server stops it, the
// session closes the connection and exits 0, the server reaps it and exits
// 0. The client sees the connection end.
TEST_F(ExamplesTest, ForkExecStopsLiveSessionsOnSigterm) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       StartServer("fork_exec_server", {}));
  ClientOptions c = Client(*server);
  absl::StatusOr<ServerExit> stopped = absl::UnknownError("not stopped");
  c.before_request = [&](int i) {
    if (i == 2) stopped = server->Stop();
  };
  int ok = 0;
  absl::Status s = RunClientConnection(*client_cred_, c, &ok);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(ok, 2);
  ASSERT_OK(stopped.status());
  EXPECT_EQ(stopped->code, 0);
  EXPECT_EQ(stopped->Stat("sessions"), 1) << stopped->stats_line;
  EXPECT_EQ(stopped->Stat("session_errors"), 0) << stopped->stats_line;
  EXPECT_TRUE(server->HasLog("stopping on a signal after 2 requests"));
}

// The session refuses to run when anything but stdio and its channel came
// across exec — here a pipe a careless parent left without close-on-exec.
TEST_F(ExamplesTest, SessionRefusesExtraInheritedFds) {
  ASSERT_OK_AND_ASSIGN(auto pair, transport::MakeSocketPair());
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  transport::UniqueFd leak_r(p[0]), leak_w(p[1]);
  int e[2];
  ASSERT_EQ(::pipe2(e, O_CLOEXEC), 0);
  transport::UniqueFd err_r(e[0]), err_w(e[1]);
  const std::string program = RunfilesPath("examples/session");
  const std::string fd_arg = absl::StrCat("--channel_fd=", pair.second.get());
  const int keep = pair.second.get(), leak = leak_r.get(), err = err_w.get();
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&]() -> int {
    if (::dup2(err, STDERR_FILENO) < 0) return 100;
    if (::fcntl(keep, F_SETFD, 0) != 0 || ::fcntl(leak, F_SETFD, 0) != 0) return 101;
    ::execl(program.c_str(), program.c_str(), fd_arg.c_str(), nullptr);
    return 102;
  }));
  pair.second.Reset();
  err_w.Reset();
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(3));
  char buf[512] = {};
  ssize_t n = ::read(err_r.get(), buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  EXPECT_THAT(std::string(buf), HasSubstr("refusing to run"));
  EXPECT_THAT(std::string(buf), HasSubstr(absl::StrCat("fd ", leak, " -> pipe:")));
  // It never spoke on the channel.
  char b;
  EXPECT_EQ(::recv(pair.first.get(), &b, 1, MSG_DONTWAIT), 0);
}

}  // namespace
}  // namespace gssx::examples
