// SPDX-License-Identifier: Apache-2.0
// End to end for the C example on MIT Kerberos and libgssx-handoff: a real
// KDC (testing/krb5), the real c_prefork_server and c_client binaries from
// the runfiles. Each client is authenticated by the server's master and
// answered by a worker that received the context and the socket.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "examples/testing/server_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/krb5/test_kdc.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::RunfilesPath;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;
using ::gssx::testing::ForkedChild;
using ::gssx::testing::TestRealm;

constexpr absl::Duration kWait = absl::Seconds(30);

struct ClientRun {
  int code = -1;
  std::string output;
  long pid = -1, uid = -1;
};

// Runs c_client (stdout captured) and parses its OK line.
ClientRun RunClient(const std::string& address, const std::string& service,
                    int requests, bool spnego = false) {
  ClientRun run;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return run;
  transport::UniqueFd r(p[0]), w(p[1]);
  const std::string binary = RunfilesPath("examples/c_client");
  std::vector<std::string> args = {binary, absl::StrCat("--connect=", address),
                                   absl::StrCat("--service=", service),
                                   absl::StrCat("--requests=", requests)};
  if (spnego) args.push_back("--spnego");
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([&] {
    ::dup2(w.get(), 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    return 127;
  });
  w.Reset();
  if (!child.ok()) return run;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(r.get(), buf, sizeof buf)) > 0) run.output.append(buf, n);
  run.code = child->Wait(kWait).value_or(-1);
  for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
    if (!absl::ConsumePrefix(&line, "c_client: OK ")) continue;
    for (absl::string_view kv : absl::StrSplit(line, ' ')) {
      if (absl::ConsumePrefix(&kv, "pid=")) (void)absl::SimpleAtoi(kv, &run.pid);
      if (absl::ConsumePrefix(&kv, "uid=")) (void)absl::SimpleAtoi(kv, &run.uid);
    }
  }
  return run;
}

// The parent pid of `pid`, from /proc (-1 if gone).
pid_t ParentOf(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  int ppid = -1;
  if (f.size() < 2 || !absl::SimpleAtoi(f[1], &ppid)) return -1;
  return ppid;
}

class CPreforkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<TestRealm>> realm = TestRealm::Create();
    ASSERT_TRUE(realm.ok()) << realm.status();
    realm_ = realm->release();
  }
  static void TearDownTestSuite() {
    delete realm_;
    realm_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(realm_, nullptr) << "no test realm"; }

  std::unique_ptr<ServerProcess> StartServer(std::vector<std::string> args) {
    absl::StatusOr<std::unique_ptr<ServerProcess>> s = ServerProcess::Start(
        RunfilesPath("examples/c_prefork_server"), std::move(args));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  ClientRun Client(const ServerProcess& server, int requests = 3,
                   bool spnego = false) {
    return RunClient(server.address(), realm_->service(), requests, spnego);
  }

  static TestRealm* realm_;
};
TestRealm* CPreforkTest::realm_ = nullptr;

TEST_F(CPreforkTest, ConcurrentClientsAreAnsweredByWorkers) {
  std::unique_ptr<ServerProcess> server = StartServer({"--workers=3"});
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 8, kRequests = 4;
  std::vector<ClientRun> runs(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] { runs[i] = Client(*server, kRequests); });
  }
  for (std::thread& t : threads) t.join();
  std::set<long> pids;
  for (const ClientRun& r : runs) {
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_THAT(r.output, ::testing::HasSubstr(
                              absl::StrCat("OK requests=", kRequests)));
    EXPECT_EQ(r.uid, static_cast<long>(::geteuid()));
    pids.insert(r.pid);
  }
  // Every answer came from a worker: a child of the server, not the master
  // that accepted the Kerberos context.
  for (long pid : pids) {
    EXPECT_NE(pid, server->pid());
    EXPECT_EQ(ParentOf(static_cast<pid_t>(pid)), server->pid()) << pid;
  }
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code, 0);
  EXPECT_EQ(exit->Stat("connections"), kClients);
  EXPECT_EQ(exit->Stat("handoffs"), kClients);
  EXPECT_EQ(exit->Stat("dropped"), 0);
  EXPECT_THAT(realm_->KdcLog(), ::testing::HasSubstr("TGS_REQ"));
}

// HTTP Negotiate's mechanism: the client negotiates through SPNEGO, the
// master accepts it, the worker continues the context.
TEST_F(CPreforkTest, SpnegoClientIsAnsweredByAWorker) {
  std::unique_ptr<ServerProcess> server = StartServer({"--workers=1"});
  ASSERT_NE(server, nullptr);
  ClientRun r = Client(*server, 3, /*spnego=*/true);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.pid, server->pid());
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->Stat("handoffs"), 1);
}

// A worker SIGKILLed with the handoff in its socket, not yet imported: the
// master reclaims the MIT context through the latch and gives the client
// to another worker; the client notices nothing.
TEST_F(CPreforkTest, WorkerKilledMidHandoffIsInvisibleToTheClient) {
  std::unique_ptr<ServerProcess> server =
      StartServer({"--workers=2", "--drill-kill-mid-handoff"});
  ASSERT_NE(server, nullptr);
  ClientRun r = Client(*server, 5);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(server->HasLog("drill: killing worker"));
  EXPECT_TRUE(server->HasLog("reclaimed the context from worker"));
  // A second client is served too (the killed worker was replaced).
  ClientRun again = Client(*server, 2);
  EXPECT_EQ(again.code, 0) << again.output;
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code, 0);
  EXPECT_EQ(exit->Stat("handoffs"), 2);
  EXPECT_EQ(exit->Stat("reclaims"), 1);
  EXPECT_EQ(exit->Stat("worker_deaths"), 1);
  EXPECT_EQ(exit->Stat("dropped"), 0);
}

// The raw memfd form: the master imports the exported context back; a
// child holding the same memfd is refused; the client is served.
TEST_F(CPreforkTest, SecondImportIsRefused) {
  std::unique_ptr<ServerProcess> server =
      StartServer({"--workers=1", "--drill-second-import"});
  ASSERT_NE(server, nullptr);
  ClientRun r = Client(*server, 2);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(server->HasLog("drill: second import refused: handoff already imported"));
  EXPECT_FALSE(server->HasLog("NOT refused"));
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->Stat("second_imports_refused"), 1);
  EXPECT_EQ(exit->Stat("handoffs"), 1);
}

// Root master, workers as another user: the answers come from that uid
// (the worker says so, and the master's channel saw it in SO_PEERCRED).
// A uid other than the overflow uid 65534 (the transport may refuse that
// one unless allow-listed; the master allow-lists the workers' uid
// explicitly anyway).
TEST_F(CPreforkTest, WorkersRunAsAnotherUid) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (run outside the sandbox as root)";
  }
  struct passwd* pw = ::getpwnam("daemon");
  if (pw == nullptr || pw->pw_uid == 0) GTEST_SKIP() << "no user daemon";
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  absl::StatusOr<ForkedChild> probe = ForkedChild::Start([uid, gid] {
    return ::setgroups(1, &gid) == 0 && ::setgid(gid) == 0 &&
                   ::setuid(uid) == 0
               ? 0
               : 1;
  });
  if (!probe.ok() || probe->Wait(kWait).value_or(1) != 0) {
    GTEST_SKIP() << "cannot switch uid here (a user namespace mapping only "
                    "uid 0?)";
  }
  // The workers import contexts, for which MIT reads krb5.conf: a
  // world-readable copy of the realm's (which lives under the test's
  // private directory), as /etc/krb5.conf would be.
  char dir[] = "/tmp/c_prefork_e2e.XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  ASSERT_EQ(::chmod(dir, 0755), 0);
  const std::string conf = absl::StrCat(dir, "/krb5.conf");
  {
    std::ifstream in(realm_->dir() + "/krb5.conf");
    std::ofstream out(conf);
    out << in.rdbuf();
  }
  ASSERT_EQ(::chmod(conf.c_str(), 0644), 0);
  const std::string saved = ::getenv("KRB5_CONFIG") ? ::getenv("KRB5_CONFIG") : "";
  ASSERT_EQ(::setenv("KRB5_CONFIG", conf.c_str(), 1), 0);
  struct Restore {
    std::string saved, conf, dir;
    ~Restore() {
      ::setenv("KRB5_CONFIG", saved.c_str(), 1);
      ::unlink(conf.c_str());
      ::rmdir(dir.c_str());
    }
  } restore{saved, conf, dir};
  std::unique_ptr<ServerProcess> server =
      StartServer({"--workers=2", "--user=daemon"});
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->WaitForLog(absl::StrCat("uid ", uid, ")"), kWait));
  for (int i = 0; i < 3; ++i) {
    ClientRun r = Client(*server, 2);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.uid, static_cast<long>(uid));
    EXPECT_NE(r.pid, server->pid());
  }
  absl::StatusOr<ServerExit> exit = server->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code, 0);
  EXPECT_EQ(exit->Stat("handoffs"), 3);
  EXPECT_EQ(exit->Stat("dropped"), 0);
}

}  // namespace
}  // namespace gssx::examples
