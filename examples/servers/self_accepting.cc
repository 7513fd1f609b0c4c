// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/self_accepting.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <new>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/servers/serve.h"
#include "examples/servers/server_util.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/status.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using transport::UniqueFd;

volatile sig_atomic_t worker_stop = 0;

// Counts every worker adds to, in one shared anonymous page: no system
// call per connection, and the counts of a worker that died survive it.
struct SharedCounts {
  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> failures{0};
};
static_assert(std::atomic<int64_t>::is_always_lock_free);

void OnWorkerStop(int) { worker_stop = 1; }

// A worker: accept, authenticate, serve, again — until told to stop.
int WorkerMain(const Credentials& cred, int listener, SharedCounts* counts,
               bool verbose) {
  // No SA_RESTART: a stop signal interrupts accept() (a blocked one would
  // otherwise wait for the next client).
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnWorkerStop;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGCHLD, SIG_DFL);
  while (!worker_stop) {
    UniqueFd client(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      Log("worker", absl::StrCat("accept: ", std::strerror(errno)));
      return 1;
    }
    absl::StatusOr<Context> ctx = AuthenticateClient(cred, client.get());
    if (!ctx.ok()) {
      counts->failures.fetch_add(1, std::memory_order_relaxed);
      Log("worker", absl::StrCat("handshake: ", gssx::StatusText(ctx.status())));
      continue;
    }
    counts->connections.fetch_add(1, std::memory_order_relaxed);
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
  return 0;
}

class Master {
 public:
  Master(const PreforkOptions& options, Credentials cred, UniqueFd listener,
         int signals, SharedCounts* counts)
      : options_(options),
        cred_(std::move(cred)),
        listener_(std::move(listener)),
        signals_(signals),
        counts_(counts) {}

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
      ::_exit(WorkerMain(cred_, listener_.get(), counts_, options_.verbose));
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
    stats_.connections = counts_->connections.load();
    stats_.failures = counts_->failures.load();
    std::string line = StatsToLine(stats_);
    Log("master", line);
    if (options_.stats_fd >= 0) WriteLine(options_.stats_fd, line);
  }

  const PreforkOptions& options_;
  Credentials cred_;
  UniqueFd listener_;
  int signals_;
  SharedCounts* counts_;
  std::vector<pid_t> workers_;
  ServerStats stats_;
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
  void* page = ::mmap(nullptr, sizeof(SharedCounts), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    Log("master", absl::StrCat("mmap: ", std::strerror(errno)));
    return 1;
  }
  SharedCounts* counts = new (page) SharedCounts;
  absl::StatusOr<int> signals = InstallSignalPipe({SIGTERM, SIGINT, SIGCHLD});
  if (!signals.ok()) return 1;
  Log("master", absl::StrCat("listening on ", options.listen, port ? " port " : "",
                             port ? std::to_string(port) : "", " as ",
                             cred->name().identity(), " with ", options.workers,
                             " self-accepting workers"));
  if (options.port_fd >= 0) WriteLine(options.port_fd, std::to_string(port));
  Master master(options, std::move(*cred), std::move(*listener), *signals, counts);
  const int code = master.Run();
  ::munmap(page, sizeof(SharedCounts));
  return code;
}

}  // namespace gssx::examples
