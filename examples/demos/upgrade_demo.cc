// SPDX-License-Identifier: Apache-2.0
// The live upgrade demo (issue 18, docs/upgrade.md "The demo"): the gssx
// pre-fork server (the real prefork_server binary) with 50 clients, each
// holding ONE authenticated connection open and sending a wrapped request
// every 20 ms, each answer checked (it unwraps with the client's original
// context and reports no replay/gap: the sequence numbers go on). Meanwhile
// the server upgrades twice by SIGHUP: first to the same binary, then —
// after the demo has put prefork_server_v2 at the server's path — to a
// binary that says it is version 2. Prints, per upgrade, the sessions moved
// and the pause the clients saw (median/p99/max over the clients), and
// the totals; exits non-zero on any failure, re-authentication, session
// not moved or upgrade not committed.
//
//   bazel run //examples:upgrade_demo [-- --clients 50 --verbose]
//
// The pause of a client at an upgrade is the longest round trip (Wrap,
// write, read the answer, Unwrap) among its requests answered after that
// upgrade's SIGHUP and before the next one (or the end): the request that
// waited while its session moved. For scale the table also gives the
// round trip before the first upgrade.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "examples/clients/client.h"
#include "examples/common/cli.h"
#include "examples/servers/server_util.h"
#include "gssx/credentials.h"
#include "gssx/keygen.h"
#include "gssx/status.h"
#include "testing/bench.h"
#include "transport/base/unique_fd.h"

ABSL_FLAG(int, clients, 50, "clients, each with one connection held open");
ABSL_FLAG(int, workers, 0,
          "pre-forked workers (a worker serves one connection at a time); "
          "0: clients + 2");
ABSL_FLAG(int, interval_ms, 20, "pause between two requests of a client");
ABSL_FLAG(double, warmup_s, 1.0, "seconds of requests before the first upgrade");
ABSL_FLAG(double, settle_s, 1.0, "seconds of requests after each upgrade");
ABSL_FLAG(std::string, server, "",
          "the version 1 server binary (default: prefork_server beside this one)");
ABSL_FLAG(std::string, server_v2, "",
          "the version 2 server binary (default: prefork_server_v2 beside this one)");
ABSL_FLAG(bool, verbose, false, "echo the server's log");

namespace gssx::examples {
namespace {

using transport::UniqueFd;

constexpr int kUpgrades = 2;
constexpr absl::Duration kWait = absl::Seconds(60);

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// `name` in this binary's runfiles (bazel run, bazel test) or beside it.
std::string FindBinary(const std::string& name, const char* argv0) {
  std::vector<std::string> candidates;
  for (const char* env : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* d = std::getenv(env)) {
      candidates.push_back(absl::StrCat(d, "/gssx/examples/", name));
    }
  }
  candidates.push_back(absl::StrCat(argv0, ".runfiles/gssx/examples/", name));
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) candidates.push_back(Dirname(std::string(self, n)) + "/" + name);
  for (const std::string& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return "";
}

// Copies `from` to `to` (mode 0755) through a temporary name and a rename:
// a running binary at `to` keeps its (now unlinked) file.
bool InstallBinary(const std::string& from, const std::string& to) {
  const std::string tmp = to + ".new";
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755));
  if (!in.valid() || !out.valid()) return false;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(out.get(), buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      off += w;
    }
  }
  if (::fsync(out.get()) != 0) return false;
  out.Reset();
  return ::rename(tmp.c_str(), to.c_str()) == 0;
}

// The server's log (its stderr, shared by every master and worker), one
// line at a time, kept with the time it was read.
class ServerLog {
 public:
  ServerLog(UniqueFd fd, bool echo) : fd_(std::move(fd)), echo_(echo) {
    reader_ = std::thread([this] { Read(); });
  }
  ~ServerLog() {
    if (reader_.joinable()) reader_.join();  // at EOF: every writer gone
  }

  struct Line {
    absl::Time at;
    pid_t pid = -1;     // "[who PID] ..."
    std::string text;   // after "] "
  };

  // Waits until `pred` holds for the lines read so far (or the log ends,
  // or `timeout`); returns whether it held.
  template <typename Pred>
  bool WaitFor(Pred pred, absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    auto done = [&] { return pred(lines_) || closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
    return pred(lines_);
  }
  std::vector<Line> With(absl::string_view text) {
    absl::MutexLock l(&mu_);
    std::vector<Line> out;
    for (const Line& line : lines_) {
      if (absl::StrContains(line.text, text)) out.push_back(line);
    }
    return out;
  }
  // With --verbose: a line of the demo's own among the server's.
  void Note(const std::string& text) {
    if (echo_) {
      std::fprintf(stderr, "  | %8.3f (demo) %s\n",
                   absl::ToDoubleSeconds(absl::Now() - started_), text.c_str());
    }
  }
  bool WaitForEnd(absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&closed_), timeout);
    return closed_;
  }

 private:
  void Read() {
    std::string partial;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      partial.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = partial.find('\n')) != std::string::npos) {
        Add(partial.substr(0, nl));
        partial.erase(0, nl + 1);
      }
    }
    if (!partial.empty()) Add(partial);
    absl::MutexLock l(&mu_);
    closed_ = true;
  }
  void Add(const std::string& raw) {
    Line line{absl::Now(), -1, raw};
    if (echo_) {
      std::fprintf(stderr, "  | %8.3f %s\n", absl::ToDoubleSeconds(line.at - started_),
                   raw.c_str());
    }
    size_t close = raw.find("] ");
    size_t space = raw.rfind(' ', close);
    if (raw.rfind('[', 0) == 0 && close != std::string::npos && space != std::string::npos) {
      int pid;
      if (absl::SimpleAtoi(raw.substr(space + 1, close - space - 1), &pid)) line.pid = pid;
      line.text = raw.substr(close + 2);
    }
    absl::MutexLock l(&mu_);
    lines_.push_back(std::move(line));
  }

  UniqueFd fd_;
  bool echo_;
  const absl::Time started_ = absl::Now();
  std::thread reader_;
  absl::Mutex mu_;
  std::vector<Line> lines_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// The number after `key` in `text` (e.g. "pid " in "... pid 123 took"),
// or -1.
int64_t NumberAfter(absl::string_view text, absl::string_view key) {
  size_t at = text.find(key);
  if (at == absl::string_view::npos) return -1;
  absl::string_view rest = text.substr(at + key.size());
  size_t end = 0;
  while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
  int64_t v;
  return absl::SimpleAtoi(rest.substr(0, end), &v) ? v : -1;
}

// What one client did: the round trip of each verified answer.
struct ClientRecord {
  struct Answer {
    absl::Time sent, answered;
  };
  std::vector<Answer> answers;
  int failures = 0;
  int reauthentications = 0;
  std::string first_error;
};

void RunClient(const Credentials& cred, const ClientOptions& options,
               absl::Duration interval, const std::atomic<bool>& stop,
               ClientRecord* rec, absl::Mutex* mu) {
  absl::StatusOr<ClientSession> session = ClientSession::Open(cred, options);
  int n = 0;
  while (!stop.load()) {
    absl::Status s;
    if (!session.ok()) {
      s = session.status();
    } else {
      const absl::Time sent = absl::Now();
      s = session->Request(n++);
      if (s.ok()) {
        absl::MutexLock l(mu);
        rec->answers.push_back({sent, absl::Now()});
      }
    }
    if (!s.ok()) {
      {
        absl::MutexLock l(mu);
        if (++rec->failures == 1) rec->first_error = gssx::StatusText(s);
      }
      // A new connection is a new authentication: counted, never hidden.
      if (stop.load()) break;
      absl::SleepFor(absl::Milliseconds(100));
      session = ClientSession::Open(cred, options);
      n = 0;
      absl::MutexLock l(mu);
      ++rec->reauthentications;
      continue;
    }
    absl::SleepFor(interval);
  }
}

struct Upgrade {
  absl::Time sighup;
  pid_t from = -1, to = -1;
  std::string from_version, to_version;
  int64_t moved_server = -1;  // "took over the listener and K sessions"
  int moved_clients = 0;      // answered on their first connection after
                              // the old master exited
  absl::Time committed;       // the commit log line read
  absl::Duration to_commit;   // SIGHUP -> the commit log line
  absl::Duration to_served;   // the commit -> every client answered again
  int old_exit = -1;
  std::vector<double> pause_ms;  // one per client
};

int ReapWithin(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (r < 0 && errno != EINTR) return -1;
    if (absl::Now() >= deadline) return -2;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

// Our children (from /proc): masters started by an upgrade, and workers
// whose master is gone, come to us (subreaper).
std::vector<pid_t> OurChildren() {
  std::vector<pid_t> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), ::closedir);
  if (!dir) return out;
  while (struct dirent* e = ::readdir(dir.get())) {
    int pid;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
    std::string stat;
    if (!std::getline(in, stat)) continue;
    size_t close = stat.rfind(')');  // "pid (comm) state ppid ..."
    if (close == std::string::npos) continue;
    int ppid;
    std::string rest = stat.substr(close + 2);
    size_t sp = rest.find(' ');
    if (sp != std::string::npos &&
        absl::SimpleAtoi(rest.substr(sp + 1, rest.find(' ', sp + 1) - sp - 1), &ppid) &&
        ppid == ::getpid()) {
      out.push_back(pid);
    }
  }
  return out;
}

// Reaps what has exited; with `kill`, SIGKILLs what has not first.
// Returns how many were still running.
int ReapChildren(bool kill) {
  int running = 0;
  for (pid_t pid : OurChildren()) {
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid) continue;
    ++running;
    if (kill) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
  return running;
}

std::string Ms(double ms) { return absl::StrFormat("%.1f", ms); }

int Main(const char* argv0) {
  const int nclients = absl::GetFlag(FLAGS_clients);
  const int workers =
      absl::GetFlag(FLAGS_workers) > 0 ? absl::GetFlag(FLAGS_workers) : nclients + 2;
  const absl::Duration interval = absl::Milliseconds(absl::GetFlag(FLAGS_interval_ms));
  std::string v1 = absl::GetFlag(FLAGS_server), v2 = absl::GetFlag(FLAGS_server_v2);
  if (v1.empty()) v1 = FindBinary("prefork_server", argv0);
  if (v2.empty()) v2 = FindBinary("prefork_server_v2", argv0);
  if (v1.empty() || v2.empty() || nclients < 1) {
    std::fprintf(stderr, "upgrade_demo: prefork_server and prefork_server_v2 not "
                         "found (--server, --server_v2), or --clients < 1\n");
    return 2;
  }
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/gssx-upgrade-demo-XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) return 2;
  const std::string path = dir + "/prefork_server";  // the server's own path
  if (!InstallBinary(v1, path) ||
      !Keygen("demo@localhost", dir + "/server.keytab", dir + "/client.trust").ok() ||
      !Keygen("alice", dir + "/client.keytab", dir + "/server.trust").ok()) {
    std::fprintf(stderr, "upgrade_demo: cannot prepare %s\n", dir.c_str());
    return 2;
  }
  // Masters started by an upgrade outlive their parent: they come to us.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return 2;

  // The server, with its stderr into our log reader.
  int port_pipe[2], log_pipe[2];
  if (::pipe2(port_pipe, O_CLOEXEC) != 0 || ::pipe2(log_pipe, O_CLOEXEC) != 0) return 2;
  std::vector<std::string> args = {
      path, "--keytab=" + dir + "/server.keytab", "--trust=" + dir + "/server.trust",
      absl::StrCat("--workers=", workers), "--listen=127.0.0.1:0",
      absl::StrCat("--port_fd=", port_pipe[1])};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t first = ::fork();
  if (first < 0) return 2;
  if (first == 0) {
    if (::dup2(log_pipe[1], STDERR_FILENO) < 0) ::_exit(120);
    if (::fcntl(port_pipe[1], F_SETFD, 0) != 0) ::_exit(121);
    ::execv(argv[0], argv.data());
    ::_exit(122);
  }
  ::close(port_pipe[1]);
  ::close(log_pipe[1]);
  ServerLog log(UniqueFd(log_pipe[0]), absl::GetFlag(FLAGS_verbose));
  const std::string port = ReadLine(port_pipe[0]);
  ::close(port_pipe[0]);
  if (port.empty()) {
    std::fprintf(stderr, "upgrade_demo: the server did not start\n");
    ::kill(first, SIGKILL);
    ReapWithin(first, kWait);
    return 1;
  }
  auto version_of = [&log](pid_t pid) -> std::string {
    for (const ServerLog::Line& l : log.With("prefork_server version ")) {
      if (l.pid == pid) return l.text.substr(l.text.rfind(' ') + 1);
    }
    return "?";
  };

  AcquireOptions acquire;
  acquire.keytab_path = dir + "/client.keytab";
  acquire.trust_path = dir + "/client.trust";
  acquire.usage = CredentialUsage::kInitiate;
  absl::StatusOr<Credentials> cred = Credentials::Acquire(acquire);
  if (!cred.ok()) {
    std::fprintf(stderr, "upgrade_demo: %s\n", gssx::StatusText(cred.status()).c_str());
    ::kill(first, SIGTERM);
    ReapWithin(first, kWait);
    return 1;
  }
  ClientOptions copt;
  copt.connect = absl::StrCat("127.0.0.1:", port);
  copt.reply_timeout = absl::Seconds(30);

  std::printf("gssx live upgrade demo: prefork_server (%s) with %d workers, "
              "%d clients: each ONE authenticated connection, a wrapped request "
              "every %d ms\n",
              path.c_str(), workers, nclients, absl::GetFlag(FLAGS_interval_ms));
  std::fflush(stdout);

  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<ClientRecord> recs(nclients);
  std::vector<std::thread> threads;
  for (int i = 0; i < nclients; ++i) {
    threads.emplace_back(
        [&, i] { RunClient(*cred, copt, interval, stop, &recs[i], &mu); });
  }
  auto answered_since = [&](absl::Time t) {
    absl::MutexLock l(&mu);
    int n = 0;
    for (const ClientRecord& r : recs) {
      if (!r.answers.empty() && r.answers.back().answered > t &&
          r.reauthentications == 0) {
        ++n;
      }
    }
    return n;
  };
  auto await_answers = [&](absl::Time t) {
    const absl::Time deadline = absl::Now() + kWait;
    int n = 0;
    while ((n = answered_since(t)) < nclients && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    return n;
  };

  bool ok = true;
  std::vector<std::string> problems;
  const absl::Time start = absl::Now();
  if (await_answers(start) < nclients) {
    problems.push_back("not every client was answered before the first upgrade");
    ok = false;
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_warmup_s)));
  std::printf("  %d clients connected and answered; master pid %d says version %s\n",
              nclients, first, version_of(first).c_str());

  std::vector<Upgrade> ups;
  pid_t master = first;
  for (int k = 1; ok && k <= kUpgrades; ++k) {
    Upgrade u;
    u.from = master;
    u.from_version = version_of(master);
    if (k == 2) {
      if (!InstallBinary(v2, path)) {
        problems.push_back("cannot install prefork_server_v2 at the server's path");
        ok = false;
        break;
      }
      std::printf("  installed prefork_server_v2 at %s (the running master's file "
                  "is unlinked, not changed)\n", path.c_str());
    }
    log.Note(absl::StrCat("SIGHUP to pid ", master));
    u.sighup = absl::Now();
    ::kill(master, SIGHUP);
    const size_t k_size = static_cast<size_t>(k);
    const bool committed = log.WaitFor(
        [k_size](const std::vector<ServerLog::Line>& lines) {
          size_t n = 0;
          for (const auto& l : lines) {
            if (absl::StrContains(l.text, "upgrade committed: pid ")) ++n;
          }
          return n >= k_size;
        },
        kWait);
    std::vector<ServerLog::Line> commits = log.With("upgrade committed: pid ");
    if (!committed || commits.size() < k_size || commits[k - 1].pid != master) {
      std::vector<ServerLog::Line> failed = log.With("upgrade failed");
      problems.push_back(absl::StrCat("upgrade ", k, " did not commit",
                                      failed.empty() ? "" : ": ",
                                      failed.empty() ? "" : failed.back().text));
      ok = false;
      break;
    }
    u.committed = commits[k - 1].at;
    u.to_commit = u.committed - u.sighup;
    u.to = static_cast<pid_t>(NumberAfter(commits[k - 1].text, "pid "));
    const pid_t to = u.to;
    log.WaitFor(
        [to](const std::vector<ServerLog::Line>& lines) {
          for (const auto& l : lines) {
            if (l.pid == to && absl::StrContains(l.text, "upgrade: took over")) return true;
          }
          return false;
        },
        kWait);
    for (const ServerLog::Line& l : log.With("upgrade: took over the listener and ")) {
      if (l.pid == to) u.moved_server = NumberAfter(l.text, "listener and ");
    }
    u.to_version = version_of(to);
    // The old master exits once it has handed everything over; answers
    // after that come from the new master's workers.
    u.old_exit = ReapWithin(master, kWait);
    const absl::Time gone = absl::Now();
    u.moved_clients = await_answers(gone);
    std::printf("  upgrade %d: SIGHUP to pid %d (version %s) -> pid %d (version %s) "
                "took the listener and %lld sessions; old master exited %d\n",
                k, static_cast<int>(master), u.from_version.c_str(),
                static_cast<int>(to), u.to_version.c_str(),
                static_cast<long long>(u.moved_server), u.old_exit);
    std::fflush(stdout);
    master = to;
    ups.push_back(u);
    absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_settle_s)));
  }

  stop = true;
  for (auto& t : threads) t.join();
  const absl::Time end = absl::Now();
  ::kill(master, SIGTERM);
  const int last_exit = ReapWithin(master, kWait);
  // Every process of the server shares its stderr: the end of the log
  // means they have all exited.
  if (!log.WaitForEnd(absl::Seconds(30))) {
    problems.push_back("a process of the server still holds its log open");
    ok = false;
  }
  if (ReapChildren(/*kill=*/true) != 0) {
    problems.push_back("server processes were left running (killed)");
    ok = false;
  }
  (void)!std::system(absl::StrCat("rm -rf '", dir, "'").c_str());

  // Client-side totals.
  int64_t requests = 0, failures = 0, reauth = 0;
  std::vector<double> before_ms;
  for (const ClientRecord& r : recs) {
    requests += static_cast<int64_t>(r.answers.size());
    failures += r.failures;
    reauth += r.reauthentications;
    for (const auto& a : r.answers) {
      if (ups.empty() || a.answered <= ups[0].sighup) {
        before_ms.push_back(absl::ToDoubleMilliseconds(a.answered - a.sent));
      }
    }
  }
  for (size_t k = 0; k < ups.size(); ++k) {
    const absl::Time from = ups[k].sighup;
    const absl::Time to = k + 1 < ups.size() ? ups[k + 1].sighup : end;
    for (const ClientRecord& r : recs) {
      double worst = 0;
      for (const auto& a : r.answers) {
        if (a.answered > from && a.answered <= to) {
          worst = std::max(worst, absl::ToDoubleMilliseconds(a.answered - a.sent));
        }
      }
      ups[k].pause_ms.push_back(worst);
      for (const auto& a : r.answers) {
        if (a.answered > ups[k].committed) {
          ups[k].to_served = std::max(ups[k].to_served, a.answered - ups[k].committed);
          break;
        }
      }
    }
  }
  // Server-side: each master's statistics line at its exit.
  int64_t server_failures = 0, server_auth = 0;
  std::vector<ServerLog::Line> stats = log.With("connections=");
  for (const ServerLog::Line& l : stats) {
    server_failures += std::max<int64_t>(0, NumberAfter(l.text, "failures="));
    server_auth += std::max<int64_t>(0, NumberAfter(l.text, "connections="));
  }
  if (stats.size() != ups.size() + 1) {
    problems.push_back(absl::StrCat(stats.size(), " masters wrote statistics, ",
                                    ups.size() + 1, " expected"));
    ok = false;
  }

  std::printf("\nserver versions: %s\n", [&] {
    std::vector<std::string> v = {version_of(first)};
    for (const Upgrade& u : ups) v.push_back(u.to_version);
    return absl::StrJoin(v, " -> ");
  }().c_str());
  std::printf(
      "SIGHUP->commit: until the old master logged the commit (its workers "
      "handed back, the new binary started, every session offered);\n"
      "commit->served: until every client had an answer from the new master "
      "(its workers started, the sessions handed to them);\n"
      "pause: a client's longest request round trip (Wrap, write, answer read, "
      "Unwrap) answered after the SIGHUP and before the next one; median, p99, "
      "max over the %d clients.\n\n",
      nclients);
  std::printf("  %-8s %-9s %-15s %-15s %-15s %12s %10s %10s\n", "upgrade", "version",
              "sessions moved", "SIGHUP->commit", "commit->served", "pause median",
              "p99", "max");
  for (size_t k = 0; k < ups.size(); ++k) {
    const Upgrade& u = ups[k];
    testing::LatencyStats p = testing::Summarize(u.pause_ms);
    const double mx = *std::max_element(u.pause_ms.begin(), u.pause_ms.end());
    std::printf("  %-8zu %-9s %-15s %-15s %-15s %12s %10s %10s\n", k + 1,
                absl::StrCat(u.from_version, " -> ", u.to_version).c_str(),
                absl::StrCat(std::min<int64_t>(u.moved_server, u.moved_clients), "/",
                             nclients).c_str(),
                absl::StrCat(Ms(absl::ToDoubleMilliseconds(u.to_commit)), " ms").c_str(),
                absl::StrCat(Ms(absl::ToDoubleMilliseconds(u.to_served)), " ms").c_str(),
                absl::StrCat(Ms(p.median), " ms").c_str(),
                absl::StrCat(Ms(p.p99), " ms").c_str(), absl::StrCat(Ms(mx), " ms").c_str());
  }
  testing::LatencyStats b = testing::Summarize(before_ms);
  std::printf("  (round trip before the first upgrade: median %s ms, p99 %s ms)\n\n",
              Ms(b.median).c_str(), Ms(b.p99).c_str());
  int64_t moved = 0;
  for (const Upgrade& u : ups) moved += std::min<int64_t>(u.moved_server, u.moved_clients);
  std::printf("  %-40s %lld\n", "requests answered and verified", static_cast<long long>(requests));
  std::printf("  %-40s %lld\n", "failures (clients + servers)",
              static_cast<long long>(failures + server_failures));
  std::printf("  %-40s %lld\n", "re-authentications", static_cast<long long>(reauth));
  std::printf("  %-40s %lld\n", "authentications seen by the servers",
              static_cast<long long>(server_auth));
  std::printf("  %-40s %lld/%d\n", "sessions moved", static_cast<long long>(moved),
              kUpgrades * nclients);
  std::printf("  %-40s %zu/%d\n", "upgrades committed", ups.size(), kUpgrades);

  for (size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].failures > 0) {
      problems.push_back(absl::StrCat("client ", i, ": ", recs[i].failures,
                                      " failures, the first: ", recs[i].first_error));
    }
  }
  if (failures + server_failures != 0 || reauth != 0 ||
      server_auth != nclients + reauth || ups.size() != kUpgrades ||
      moved != kUpgrades * nclients || last_exit != 0) {
    ok = false;
  }
  for (const Upgrade& u : ups) {
    if (u.old_exit != 0) ok = false;
  }
  if (ups.size() == kUpgrades &&
      (ups[0].to_version != ups[0].from_version || ups[1].to_version == ups[1].from_version)) {
    problems.push_back("the versions are not 1 -> 1 -> 2");
    ok = false;
  }
  if (last_exit != 0) problems.push_back(absl::StrCat("the last master exited ", last_exit));
  for (const std::string& p : problems) std::printf("upgrade_demo: %s\n", p.c_str());
  std::printf("%s\n", ok ? "upgrade_demo: OK" : "upgrade_demo: FAILED");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace gssx::examples

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "upgrade_demo: the pre-fork server upgrades itself twice (SIGHUP; the\n"
      "second time to a binary printing version 2) while 50 clients keep\n"
      "their authenticated connections and keep sending wrapped requests;\n"
      "prints the sessions moved and the pause the clients saw.\n"
      "Usage: bazel run //examples:upgrade_demo [-- --clients N ...]");
  gssx::examples::ParseCommandLine(argc, argv);
  return gssx::examples::Main(argv[0]);
}
