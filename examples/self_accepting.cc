// SPDX-License-Identifier: Apache-2.0
#include "examples/self_accepting.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "examples/serve.h"
#include "examples/server_util.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/status.h"
#include "transport/unique_fd.h"

namespace gssx::examples {
namespace {

using transport::UniqueFd;

volatile sig_atomic_t worker_stop = 0;

void OnWorkerStop(int) { worker_stop = 1; }

// A worker: accept, authenticate, serve, again — until told to stop. Its
// counts go to `report` as one line "connections failures" at exit (one
// write of a few bytes into a pipe: atomic, whatever the other workers do).
int WorkerMain(const Credentials& cred, int listener, int report, bool verbose) {
  // No SA_RESTART: a stop signal interrupts accept() (a blocked one would
  // otherwise wait for the next client).
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnWorkerStop;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGCHLD, SIG_DFL);
  int64_t connections = 0, failures = 0;
  while (!worker_stop) {
    UniqueFd client(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      Log("worker", absl::StrCat("accept: ", std::strerror(errno)));
      failures = -1;
      break;
    }
    absl::StatusOr<Context> ctx = AuthenticateClient(cred, client.get());
    if (!ctx.ok()) {
      ++failures;
      Log("worker", absl::StrCat("handshake: ", gssx::StatusText(ctx.status())));
      continue;
    }
    ++connections;
    int served = 0;
    for (;;) {
      absl::Status s = ServeOneRequest(*ctx, client.get());
      if (absl::IsNotFound(s)) break;  // the client closed
      if (!s.ok()) {
        Log("worker", absl::StrCat("closing the connection: ", gssx::StatusText(s)));
        break;
      }
      ++served;
    }
    if (verbose) Log("worker", absl::StrCat("connection done, ", served, " requests"));
  }
  const std::string line = absl::StrCat(connections, " ", failures, "\n");
  (void)!::write(report, line.data(), line.size());
  return failures < 0 ? 1 : 0;
}

class Master {
 public:
  Master(const PreforkOptions& options, Credentials cred, UniqueFd listener,
         int signals, UniqueFd report_read, UniqueFd report_write)
      : options_(options),
        cred_(std::move(cred)),
        listener_(std::move(listener)),
        signals_(signals),
        report_read_(std::move(report_read)),
        report_write_(std::move(report_write)) {}

  int Run() {
    for (int i = 0; i < options_.workers; ++i) {
      if (!Spawn()) {
        Stop();
        return 1;
      }
    }
    bool stopping = false;
    while (!stopping) {
      struct pollfd p = {signals_, POLLIN, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return 1;
      bool child_exited = false;
      for (int sig : ReadSignals(signals_)) {
        if (sig == SIGTERM || sig == SIGINT) stopping = true;
        if (sig == SIGCHLD) child_exited = true;
      }
      if (child_exited && !stopping) Replace();
    }
    Stop();
    return 0;
  }

 private:
  bool Spawn() {
    pid_t pid = ::fork();
    if (pid < 0) {
      Log("master", absl::StrCat("fork: ", std::strerror(errno)));
      return false;
    }
    if (pid == 0) {
      report_read_.Reset();
      ::close(signals_);  // after WorkerMain's handlers replace the master's
      ::_exit(WorkerMain(cred_, listener_.get(), report_write_.get(), options_.verbose));
    }
    workers_.push_back(pid);
    return true;
  }

  // Reaps the workers that died and starts their replacements.
  void Replace() {
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (pid_t& w : workers_) {
        if (w != pid) continue;
        Log("master", absl::StrCat("worker ", pid, " exited"));
        ++stats_.worker_deaths;
        w = workers_.back();
        workers_.pop_back();
        Spawn();
        break;
      }
    }
  }

  void Stop() {
    for (pid_t w : workers_) ::kill(w, SIGTERM);
    for (pid_t w : workers_) ::waitpid(w, nullptr, 0);
    report_write_.Reset();
    std::string all;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report_read_.get(), buf, sizeof buf)) > 0 ||
           (n < 0 && errno == EINTR)) {
      if (n > 0) all.append(buf, static_cast<size_t>(n));
    }
    for (absl::string_view line : absl::StrSplit(all, '\n', absl::SkipEmpty())) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
      int64_t c = 0, fl = 0;
      if (f.size() == 2 && absl::SimpleAtoi(f[0], &c) && absl::SimpleAtoi(f[1], &fl)) {
        stats_.connections += c;
        stats_.failures += fl < 0 ? 0 : fl;
      }
    }
    std::string line = StatsToLine(stats_);
    Log("master", line);
    if (options_.stats_fd >= 0) WriteLine(options_.stats_fd, line);
  }

  const PreforkOptions& options_;
  Credentials cred_;
  UniqueFd listener_;
  int signals_;
  UniqueFd report_read_, report_write_;
  std::vector<pid_t> workers_;
  PreforkStats stats_;
};

}  // namespace

int RunSelfAcceptingServer(const PreforkOptions& options) {
  if (options.workers < 1) {
    Log("master", "a self-accepting server needs at least one worker");
    return 2;
  }
  AcquireOptions acquire;
  acquire.keytab_path = options.keytab;
  acquire.trust_path = options.trust;
  acquire.usage = CredentialUsage::kAccept;
  absl::StatusOr<Credentials> cred = Credentials::Acquire(acquire);
  if (!cred.ok()) {
    Log("master", absl::StrCat("credentials: ", gssx::StatusText(cred.status())));
    return 1;
  }
  int port = 0;
  absl::StatusOr<UniqueFd> listener = Listen(options.listen, &port);
  if (!listener.ok()) {
    Log("master", gssx::StatusText(listener.status()));
    return 1;
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return 1;
  absl::StatusOr<int> signals = InstallSignalPipe({SIGTERM, SIGINT, SIGCHLD});
  if (!signals.ok()) return 1;
  Log("master", absl::StrCat("listening on ", options.listen, port ? " port " : "",
                             port ? std::to_string(port) : "", " as ",
                             cred->name().identity(), " with ", options.workers,
                             " self-accepting workers"));
  if (options.port_fd >= 0) WriteLine(options.port_fd, std::to_string(port));
  Master master(options, std::move(*cred), std::move(*listener), *signals,
                UniqueFd(report[0]), UniqueFd(report[1]));
  return master.Run();
}

}  // namespace gssx::examples
