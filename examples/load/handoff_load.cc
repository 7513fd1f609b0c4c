// SPDX-License-Identifier: Apache-2.0
// handoff_load: end-to-end connections per second through the pre-fork
// server with the handoff, against two servers without it, in one run.
//
//   bazel run -c opt //examples:handoff_load [-- --seconds 3 --runs 3]
//
// One connection = TCP connect, GSS handshake (Noise IK), the wrapped
// welcome, N = 10 wrapped request/responses, close — the example client
// (client.h) doing exactly what it does in the demo and the tests. C = 8
// client threads keep connections going back to back for a fixed time.
// Three servers, started fresh for each run:
//   handoff     4 pre-forked workers; the master authenticates and hands
//               every connection (socket + context) to a worker
//               (prefork.h). Only the master holds the keytab.
//   in-master   the same prefork code with workers = 0: the master
//               authenticates and then serves the connection itself
//               (ServeOneRequest, multiplexed in its poll loop). The same
//               code minus the handoff.
//   self-accepting-prefork
//               what a user would pick instead of the handoff: Apache-
//               prefork style, 4 pre-forked workers that each accept() on
//               the shared listening socket and authenticate the client
//               themselves with the same keytab, then serve it
//               (self_accepting.h). Same protocol, same client.
// Runs are interleaved (A B C, then B C A, then C A B, ...) so that drift
// of the machine hits all alike; connections completing during the first
// --warmup seconds of each run are not counted.
//
// What is a fair comparison on a 2-core machine? Unpinned, the handoff
// server can run its master and workers on both cores at once while the
// no-handoff server is one process, at most one core — and both share
// those cores with the 8 client threads. The comparison would then mostly
// measure how the scheduler splits two cores between clients and server,
// and would credit the handoff design with parallelism that a one-process
// server could get just as well by running one process per core. So the
// headline gives both servers the same CPU budget: the server (master and
// all its workers) is pinned to one core, the clients to the other. The
// ratio then answers "how much throughput does the handoff cost, per
// core?". The clients do about as much crypto per connection as the
// server (each side of Noise IK does one key generation and four DH
// operations), so one client core can keep roughly one server core busy;
// the table shows each server's CPU time per connection and how busy its
// core was, so a reader can tell whether a server or the clients were the
// bottleneck, and how much CPU other processes took during each run
// ("others", from /proc/stat: the one-process server suffers most from a
// competitor on its core, since the scheduler shares per process). The
// server's context switches per connection (voluntary + involuntary, of
// the master and all its workers, from getrusage(RUSAGE_CHILDREN)) show
// how often its processes waited for one another. A run during which
// others took more than 10% of a CPU is discarded (shown with an "x"
// after its number) and repeated, up to 3 times. An unpinned pass is
// printed below it for reference only.
//
// The last three lines are exactly:
//   server CPU per connection, in-master/handoff: X.XX
//   server CPU per connection, self-accepting-prefork/handoff: X.XX
//   handoff-server/self-accepting-prefork throughput: X.XX
// The CPU ratios are medians over the pinned runs of each server's CPU
// time per connection (the baseline's over the handoff server's: 1.00 =
// the handoff costs nothing; what the throughput ratio would be with both
// servers saturated). The throughput ratio is the median connections/s
// of the pinned handoff runs over that of the pinned self-accepting runs
// (unpinned if the machine has a single CPU).
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "examples/common/cli.h"
#include "examples/clients/client.h"
#include "examples/servers/prefork.h"
#include "examples/servers/self_accepting.h"
#include "examples/servers/server_util.h"
#include "examples/servers/worker_pool.h"
#include "gssx/credentials.h"
#include "gssx/keygen.h"
#include "gssx/status.h"
#include "testing/bench.h"

ABSL_FLAG(int, clients, 8, "concurrent client threads");
ABSL_FLAG(int, requests, 10, "wrapped request/responses per connection");
ABSL_FLAG(int, workers, 4, "workers of the handoff and self-accepting servers");
ABSL_FLAG(int, clients_per_worker, 1,
          "clients a worker of the handoff server serves at once");
ABSL_FLAG(double, seconds, 3.0, "measured seconds per run");
ABSL_FLAG(double, warmup, 0.5, "seconds per run before measuring");
ABSL_FLAG(int, runs, 3, "runs per server (pinned); interleaved");
ABSL_FLAG(bool, unpinned, true, "also one unpinned run per server, for reference");

namespace gssx::examples {
namespace {

struct RunResult {
  double conn_per_s = 0;
  std::vector<double> latency_ms;  // of the measured connections
  double server_cpu_us_per_conn = 0;
  double server_busy = 0;  // server CPU seconds / wall seconds
  // Context switches of the server's processes per connection.
  double server_vcsw_per_conn = 0;   // voluntary: it blocked
  double server_ivcsw_per_conn = 0;  // involuntary: preempted
  double client_cpu_us_per_conn = 0;
  // CPU time other processes used during the run, in CPUs (0.25: a
  // quarter of one CPU): anything much above 0 means the run was disturbed.
  double others = 0;
  int64_t client_errors = 0;
  int64_t server_failures = 0;
  std::string first_error;
};

using ::gssx::testing::Percentile;

enum class Server { kHandoff, kInMaster, kSelfAccepting };

struct Switches {
  double voluntary = 0, involuntary = 0;
};

Switches ContextSwitches(int who) {
  struct rusage ru;
  ::getrusage(who, &ru);
  return {static_cast<double>(ru.ru_nvcsw), static_cast<double>(ru.ru_nivcsw)};
}

double CpuSeconds(int who) {
  struct rusage ru;
  ::getrusage(who, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Busy CPU time of the whole machine so far (user, nice, system, irq,
// softirq from /proc/stat), in seconds.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
  static const double kTicks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (user + nice + system + irq + softirq) / kTicks;
}

// A run during which other processes used more than this (in CPUs) is
// discarded (printed with an "x") and repeated, at most kRetries times.
constexpr double kDisturbed = 0.10;
constexpr int kRetries = 3;

class Bench {
 public:
  Bench(std::string dir, Credentials cred) : dir_(std::move(dir)), cred_(std::move(cred)) {}

  // One server, one client load. `server_cpu` / `client_cpu`: the CPU to
  // pin each side to, or -1 for none.
  RunResult Run(Server kind, int workers, int server_cpu, int client_cpu) {
    RunResult out;
    int port_pipe[2], stats_pipe[2];
    if (::pipe2(port_pipe, O_CLOEXEC) != 0 || ::pipe2(stats_pipe, O_CLOEXEC) != 0) {
      out.first_error = "pipe2";
      return out;
    }
    PreforkOptions server;
    server.workers = kind == Server::kInMaster ? 0 : workers;
    server.clients_per_worker = absl::GetFlag(FLAGS_clients_per_worker);
    server.keytab = dir_ + "/server.keytab";
    server.trust = dir_ + "/server.trust";
    server.port_fd = port_pipe[1];
    server.stats_fd = stats_pipe[1];
    const std::string log = dir_ + "/server.log";
    const double children_cpu0 = CpuSeconds(RUSAGE_CHILDREN);
    const Switches children_csw0 = ContextSwitches(RUSAGE_CHILDREN);
    const double machine0 = MachineBusySeconds();
    // Forked while this process has no other thread.
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(port_pipe[0]);
      ::close(stats_pipe[0]);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0) ::dup2(fd, STDERR_FILENO);
      if (server_cpu >= 0) {
        (void)::gssx::testing::PinToCpu(server_cpu);  // workers inherit it
      }
      ::_exit(kind == Server::kSelfAccepting ? RunSelfAcceptingServer(server)
                                             : RunPreforkServer(server));
    }
    ::close(port_pipe[1]);
    ::close(stats_pipe[1]);
    std::string port = ReadLine(port_pipe[0]);
    ::close(port_pipe[0]);
    if (pid < 0 || port.empty()) {
      out.first_error = "server did not start (see " + log + ")";
      if (pid > 0) ::waitpid(pid, nullptr, 0);
      ::close(stats_pipe[0]);
      return out;
    }
    ClientOptions client;
    client.connect = absl::StrCat("127.0.0.1:", port);
    client.requests = absl::GetFlag(FLAGS_requests);

    const absl::Time start = absl::Now();
    const absl::Time measure_from = start + absl::Seconds(absl::GetFlag(FLAGS_warmup));
    const absl::Time end = measure_from + absl::Seconds(absl::GetFlag(FLAGS_seconds));
    absl::Mutex mu;
    int64_t all = 0;
    const double self_cpu0 = CpuSeconds(RUSAGE_SELF);
    std::vector<std::thread> threads;
    for (int t = 0; t < absl::GetFlag(FLAGS_clients); ++t) {
      threads.emplace_back([&] {
        if (client_cpu >= 0) {
          cpu_set_t set;
          CPU_ZERO(&set);
          CPU_SET(client_cpu, &set);
          ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
        }
        std::vector<double> mine;
        int64_t done = 0, errors = 0;
        std::string error;
        while (absl::Now() < end) {
          const absl::Time t0 = absl::Now();
          int ok = 0;
          absl::Status s = RunClientConnection(cred_, client, &ok);
          const absl::Time t1 = absl::Now();
          ++done;
          if (!s.ok()) {
            ++errors;
            if (error.empty()) error = gssx::StatusText(s);
            continue;
          }
          if (t1 >= measure_from && t1 <= end) {
            mine.push_back(absl::ToDoubleMilliseconds(t1 - t0));
          }
        }
        absl::MutexLock l(&mu);
        out.latency_ms.insert(out.latency_ms.end(), mine.begin(), mine.end());
        out.client_errors += errors;
        all += done;
        if (out.first_error.empty()) out.first_error = error;
      });
    }
    for (auto& t : threads) t.join();
    const double wall = absl::ToDoubleSeconds(absl::Now() - start);
    const double client_cpu_s = CpuSeconds(RUSAGE_SELF) - self_cpu0;

    ::kill(pid, SIGTERM);
    std::string line = ReadLine(stats_pipe[0]);
    ::close(stats_pipe[0]);
    ::waitpid(pid, nullptr, 0);  // the master reaped its workers: their CPU counts
    const double server_cpu_s = CpuSeconds(RUSAGE_CHILDREN) - children_cpu0;
    const Switches csw = ContextSwitches(RUSAGE_CHILDREN);
    const double machine_s = MachineBusySeconds() - machine0;
    const double all_wall = absl::ToDoubleSeconds(absl::Now() - start);
    out.others = std::max(0.0, (machine_s - server_cpu_s - client_cpu_s) / all_wall);
    ServerStats st;
    if (StatsFromLine(line, &st)) {
      out.server_failures = st.failures;
    } else {
      out.server_failures = -1;
    }
    out.conn_per_s = out.latency_ms.size() / absl::GetFlag(FLAGS_seconds);
    if (all > 0) {
      out.server_cpu_us_per_conn = server_cpu_s * 1e6 / all;
      out.client_cpu_us_per_conn = client_cpu_s * 1e6 / all;
      out.server_vcsw_per_conn = (csw.voluntary - children_csw0.voluntary) / all;
      out.server_ivcsw_per_conn = (csw.involuntary - children_csw0.involuntary) / all;
    }
    out.server_busy = server_cpu_s / wall;
    return out;
  }

 private:
  std::string dir_;
  Credentials cred_;
};

void PrintRow(const char* name, const std::string& run, const RunResult& r) {
  std::printf("%-28s %4s %8.1f %9.2f %7.2f %11.0f %8.0f%% %5.1f %5.1f %11.0f %7.0f%% %6lld\n",
              name, run.c_str(), r.conn_per_s, Percentile(r.latency_ms, 0.5),
              Percentile(r.latency_ms, 0.99), r.server_cpu_us_per_conn,
              100 * r.server_busy, r.server_vcsw_per_conn, r.server_ivcsw_per_conn,
              r.client_cpu_us_per_conn, 100 * r.others,
              static_cast<long long>(r.client_errors + std::max<int64_t>(0, r.server_failures)));
}

// Pools the runs of one server: medians of the runs' throughput, CPU and
// context-switch figures (one run disturbed by something else on the
// machine moves them least), latency percentiles of all measured
// connections together, mean "others".
RunResult Pool(const std::vector<RunResult>& runs) {
  RunResult p;
  auto median = [&runs](double RunResult::*field) {
    std::vector<double> v;
    for (const RunResult& r : runs) v.push_back(r.*field);
    return Percentile(v, 0.5);
  };
  p.conn_per_s = median(&RunResult::conn_per_s);
  p.server_cpu_us_per_conn = median(&RunResult::server_cpu_us_per_conn);
  p.server_busy = median(&RunResult::server_busy);
  p.server_vcsw_per_conn = median(&RunResult::server_vcsw_per_conn);
  p.server_ivcsw_per_conn = median(&RunResult::server_ivcsw_per_conn);
  p.client_cpu_us_per_conn = median(&RunResult::client_cpu_us_per_conn);
  for (const RunResult& r : runs) {
    p.others += r.others / runs.size();
    p.client_errors += r.client_errors;
    p.server_failures += std::max<int64_t>(0, r.server_failures);
    p.latency_ms.insert(p.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
    if (p.first_error.empty()) p.first_error = r.first_error;
  }
  return p;
}

// Removes the flat directory of key files and the server log.
void RemoveDir(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ::unlink((dir + "/" + e->d_name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

int Main() {
  char dir_template[] = "/tmp/gssx-handoff-load-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) return 2;
  const std::string dir = dir_template;
  if (!Keygen("demo@localhost", dir + "/server.keytab", dir + "/client.trust").ok() ||
      !Keygen("alice", dir + "/client.keytab", dir + "/server.trust").ok()) {
    std::fprintf(stderr, "handoff_load: keygen failed\n");
    return 2;
  }
  AcquireOptions acquire;
  acquire.keytab_path = dir + "/client.keytab";
  acquire.trust_path = dir + "/client.trust";
  acquire.usage = CredentialUsage::kInitiate;
  absl::StatusOr<Credentials> cred = Credentials::Acquire(acquire);
  if (!cred.ok()) {
    std::fprintf(stderr, "handoff_load: %s\n", gssx::StatusText(cred.status()).c_str());
    return 2;
  }
  Bench bench(dir, std::move(*cred));

  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ::sched_getaffinity(0, sizeof allowed, &allowed);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
  const bool can_pin = cpus.size() >= 2;
  const int server_cpu = can_pin ? cpus.back() : -1;
  const int client_cpu = can_pin ? cpus.front() : -1;
  const int workers = absl::GetFlag(FLAGS_workers);
  const int runs = absl::GetFlag(FLAGS_runs);

  std::printf(
      "handoff_load: %d clients, %d wrapped requests per connection, %d runs x "
      "%.1f s per server (after %.1f s warm-up), interleaved; %zu CPUs\n",
      absl::GetFlag(FLAGS_clients), absl::GetFlag(FLAGS_requests), runs,
      absl::GetFlag(FLAGS_seconds), absl::GetFlag(FLAGS_warmup), cpus.size());
  if (can_pin) {
    std::printf("pinned: server (master + workers) on CPU %d, clients on CPU %d\n",
                server_cpu, client_cpu);
  } else {
    std::printf("one CPU only: nothing to pin, both servers run unpinned\n");
  }
  std::printf("%-28s %4s %8s %9s %7s %11s %9s %5s %5s %11s %8s %6s\n", "server", "run",
              "conn/s", "med ms", "p99 ms", "srv us/conn", "srv busy", "vcsw",
              "icsw", "cli us/conn", "others", "errors");
  const std::string handoff_name = absl::StrCat("handoff (", workers, " workers)");
  const std::string self_name = absl::StrCat("self-accepting (", workers, " wkrs)");
  const Server kinds[3] = {Server::kHandoff, Server::kInMaster, Server::kSelfAccepting};
  auto name_of = [&](Server k) -> const char* {
    if (k == Server::kHandoff) return handoff_name.c_str();
    if (k == Server::kInMaster) return "in-master (no workers)";
    return self_name.c_str();
  };
  std::vector<RunResult> results[3];
  for (int r = 0; r < runs; ++r) {
    // A B C, B C A, C A B...: no server always goes first.
    for (int k = 0; k < 3; ++k) {
      const int i = (r + k) % 3;
      RunResult res;
      for (int attempt = 0; attempt <= kRetries; ++attempt) {
        res = bench.Run(kinds[i], workers, server_cpu, client_cpu);
        if (res.others <= kDisturbed || attempt == kRetries) break;
        PrintRow(name_of(kinds[i]), absl::StrCat(r + 1, "x"), res);  // discarded
      }
      PrintRow(name_of(kinds[i]), std::to_string(r + 1), res);
      std::fflush(stdout);
      results[i].push_back(std::move(res));
    }
  }
  RunResult pooled[3];
  for (int i = 0; i < 3; ++i) pooled[i] = Pool(results[i]);
  const RunResult& a = pooled[0];  // handoff
  const RunResult& b = pooled[1];  // in-master
  const RunResult& c = pooled[2];  // self-accepting
  std::printf("median of the runs (latencies: all measured connections):\n");
  for (int i = 0; i < 3; ++i) PrintRow(name_of(kinds[i]), "med", pooled[i]);
  if (can_pin && absl::GetFlag(FLAGS_unpinned)) {
    std::printf("unpinned, for reference (server and clients share all CPUs):\n");
    RunResult u[3];
    for (int i = 0; i < 3; ++i) {
      u[i] = bench.Run(kinds[i], workers, -1, -1);
      PrintRow(name_of(kinds[i]), "1", u[i]);
    }
    std::printf("unpinned handoff/in-master throughput: %.2f, "
                "handoff/self-accepting-prefork throughput: %.2f\n",
                u[1].conn_per_s > 0 ? u[0].conn_per_s / u[1].conn_per_s : 0.0,
                u[2].conn_per_s > 0 ? u[0].conn_per_s / u[2].conn_per_s : 0.0);
  }
  double worst_others = 0;
  for (const std::vector<RunResult>& v : results) {
    for (const RunResult& r : v) worst_others = std::max(worst_others, r.others);
  }
  if (worst_others > kDisturbed) {
    std::printf("warning: other processes used up to %.0f%% of a CPU during a run; "
                "the figures are disturbed (run again on a quiet machine)\n",
                100 * worst_others);
  }
  int64_t errors = 0;
  std::string first;
  for (const RunResult& p : pooled) {
    errors += p.client_errors + p.server_failures;
    if (first.empty()) first = p.first_error;
  }
  if (errors != 0) {
    std::printf("errors: %lld (first: %s)\n", static_cast<long long>(errors),
                first.empty() ? "a server failure" : first.c_str());
  }
  std::printf("server CPU per connection (median us): handoff %.0f, in-master %.0f, "
              "self-accepting-prefork %.0f; context switches per connection: "
              "%.1f, %.1f, %.1f\n",
              a.server_cpu_us_per_conn, b.server_cpu_us_per_conn,
              c.server_cpu_us_per_conn,
              a.server_vcsw_per_conn + a.server_ivcsw_per_conn,
              b.server_vcsw_per_conn + b.server_ivcsw_per_conn,
              c.server_vcsw_per_conn + c.server_ivcsw_per_conn);
  RemoveDir(dir);
  auto ratio = [](double x, double y) { return y > 0 ? x / y : 0.0; };
  std::printf("server CPU per connection, in-master/handoff: %.2f\n",
              ratio(b.server_cpu_us_per_conn, a.server_cpu_us_per_conn));
  std::printf("server CPU per connection, self-accepting-prefork/handoff: %.2f\n",
              ratio(c.server_cpu_us_per_conn, a.server_cpu_us_per_conn));
  std::printf("handoff-server/self-accepting-prefork throughput: %.2f\n",
              ratio(a.conn_per_s, c.conn_per_s));
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gssx::examples

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "end-to-end connections/s and server CPU per connection of the "
      "handoff pre-fork server against an in-master server and a "
      "self-accepting pre-fork server.\nUsage: bazel run -c opt //examples:handoff_load [-- --seconds "
      "3 --runs 3 --clients 8]");
  gssx::examples::ParseCommandLine(argc, argv);
  return gssx::examples::Main();
}
