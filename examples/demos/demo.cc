// SPDX-License-Identifier: Apache-2.0
// The gssx demo: a pre-fork server with 4 workers on a free loopback port,
// a client load (200 connections x 10 wrapped requests, 8 at a time), one
// worker SIGKILLed in the middle of a handoff and one asked to stop while
// serving — and no client notices. Prints a summary; exits non-zero if any
// client failed or the faults did not happen.
//
//   bazel run //examples:demo
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "examples/common/cli.h"
#include "examples/clients/client.h"
#include "examples/servers/prefork.h"
#include "examples/servers/worker_pool.h"
#include "examples/servers/server_util.h"
#include "gssx/credentials.h"
#include "gssx/keygen.h"
#include "gssx/status.h"

ABSL_FLAG(int, connections, 200, "client connections in all");
ABSL_FLAG(int, requests, 10, "wrapped requests per connection");
ABSL_FLAG(int, concurrency, 8, "connections at a time");
ABSL_FLAG(int, workers, 4, "pre-forked workers");
ABSL_FLAG(bool, faults, true, "kill a worker mid-handoff and stop a busy one");

namespace gssx::examples {
namespace {

int Main() {
  char dir_template[] = "/tmp/gssx-demo-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (dir == nullptr) return 2;
  const std::string d = dir;
  // The server's identity, trusted by the client; the client's, trusted by
  // the server.
  if (!Keygen("demo@localhost", d + "/server.keytab", d + "/client.trust").ok() ||
      !Keygen("alice", d + "/client.keytab", d + "/server.trust").ok()) {
    std::fprintf(stderr, "demo: keygen failed\n");
    return 2;
  }
  int port_pipe[2], stats_pipe[2];
  if (::pipe2(port_pipe, O_CLOEXEC) != 0 || ::pipe2(stats_pipe, O_CLOEXEC) != 0) return 2;
  PreforkOptions server;
  server.workers = absl::GetFlag(FLAGS_workers);
  server.keytab = d + "/server.keytab";
  server.trust = d + "/server.trust";
  server.port_fd = port_pipe[1];
  server.stats_fd = stats_pipe[1];
  pid_t master = ::fork();
  if (master < 0) return 2;
  if (master == 0) {
    ::close(port_pipe[0]);
    ::close(stats_pipe[0]);
    ::_exit(RunPreforkServer(server));
  }
  ::close(port_pipe[1]);
  ::close(stats_pipe[1]);
  std::string port = ReadLine(port_pipe[0]);
  ::close(port_pipe[0]);
  if (port.empty()) {
    std::fprintf(stderr, "demo: the server did not start\n");
    ::waitpid(master, nullptr, 0);
    return 1;
  }

  AcquireOptions acquire;
  acquire.keytab_path = d + "/client.keytab";
  acquire.trust_path = d + "/client.trust";
  acquire.usage = CredentialUsage::kInitiate;
  absl::StatusOr<Credentials> cred = Credentials::Acquire(acquire);
  if (!cred.ok()) {
    std::fprintf(stderr, "demo: %s\n", gssx::StatusText(cred.status()).c_str());
    ::kill(master, SIGTERM);
    ::waitpid(master, nullptr, 0);
    return 1;
  }
  ClientOptions client;
  client.connect = absl::StrCat("127.0.0.1:", port);
  client.requests = absl::GetFlag(FLAGS_requests);

  const int total = absl::GetFlag(FLAGS_connections);
  const bool faults = absl::GetFlag(FLAGS_faults);
  std::atomic<int> next{0}, done{0}, requests{0}, failures{0};
  absl::Mutex log_mu;
  auto worker = [&] {
    for (int i = next++; i < total; i = next++) {
      if (faults && i == total / 2) ::kill(master, SIGUSR1);       // kill mid-handoff
      if (faults && i == (3 * total) / 4) ::kill(master, SIGUSR2); // hand-back
      int ok = 0;
      absl::Status s = RunClientConnection(*cred, client, &ok);
      requests += ok;
      if (!s.ok()) {
        ++failures;
        absl::MutexLock l(&log_mu);
        std::fprintf(stderr, "\ndemo: connection %d failed: %s\n", i,
                     gssx::StatusText(s).c_str());
      }
      int n = ++done;
      if (n % 10 == 0 || n == total) {
        absl::MutexLock l(&log_mu);
        std::fprintf(stderr, "\r[demo] %d/%d connections, %d verified replies, %d failures",
                     n, total, requests.load(), failures.load());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < absl::GetFlag(FLAGS_concurrency); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  std::fprintf(stderr, "\n");

  ::kill(master, SIGTERM);
  std::string line = ReadLine(stats_pipe[0]);
  int status = 0;
  ::waitpid(master, &status, 0);
  ServerStats st;
  const bool have_stats = StatsFromLine(line, &st);
  (void)!std::system(absl::StrCat("rm -rf '", d, "'").c_str());

  const int64_t all_failures = failures.load() + (have_stats ? st.failures : 1);
  std::printf("\ngssx demo: pre-fork server, %d workers, %d connections x %d "
              "requests, %d at a time\n",
              server.workers, total, client.requests, absl::GetFlag(FLAGS_concurrency));
  std::printf("  %-34s %10s\n", "metric", "value");
  std::printf("  %-34s %10lld\n", "connections authenticated", (long long)st.connections);
  std::printf("  %-34s %10lld\n", "handoffs (acknowledged)", (long long)st.handoffs);
  std::printf("  %-34s %10lld\n", "reclaims (worker killed mid-handoff)", (long long)st.reclaims);
  std::printf("  %-34s %10lld\n", "hand-backs (busy worker stopped)", (long long)st.handbacks);
  std::printf("  %-34s %10d\n", "requests served (client-verified)", requests.load());
  std::printf("  %-34s %10lld\n", "failures", (long long)all_failures);
  std::printf("  %-34s %10.1f\n", "handoff median (us)", st.handoff_us_median);
  std::printf("  %-34s %10.1f\n", "handoff p99 (us)", st.handoff_us_p99);
  bool ok = have_stats && all_failures == 0 && st.connections == total &&
            requests.load() == total * client.requests &&
            WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (faults && st.reclaims < 1) {
    std::printf("demo: expected at least one reclaim from the killed worker\n");
    ok = false;
  }
  std::printf("%s\n", ok ? "demo: OK" : "demo: FAILED");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace gssx::examples

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "demo: the pre-fork server with 4 workers, clients, a worker killed\n"
      "mid-handoff and a busy one stopped; prints a table and demo: OK.\n"
      "Usage: bazel run //examples:demo [-- --connections N ...]");
  gssx::examples::ParseCommandLine(argc, argv);
  return gssx::examples::Main();
}
