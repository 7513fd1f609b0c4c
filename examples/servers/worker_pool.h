// SPDX-License-Identifier: Apache-2.0
// The pre-forked worker pool behind both pre-fork servers (prefork.h on
// gssx, krb5_server.h on MIT Kerberos): the master authenticates a client,
// Submit()s it (context + socket), and the pool hands it to an idle worker
// through a transport::Channel, exactly once. What moves and what a worker
// does with it are the two parameters:
//
//   struct MyHandoff {                 // the handoff (see GssxHandoff in
//     using Context = ...;             // prefork.cc, MitHandoff in
//                                      // krb5_server.cc)
//     static bool Held(const Context&);  // true: holds a context
//     // Exports ctx, sends it with a copy of `fd`, waits for the ack.
//     // Error: not delivered; Held(ctx) again if it came back. Transport
//     // errors carry their transport::ErrorKind.
//     static absl::Status Send(transport::Channel&, Context& ctx, int fd,
//                              const transport::DeliverOptions&);
//     // Receives one context and exactly one fd (worker side, and the
//     // master's side of a hand-back).
//     static absl::StatusOr<PoolJob<Context>> Receive(transport::Channel&,
//                                                     absl::Duration timeout);
//   };
//   // The worker's main for one client: true when done with it, false when
//   // `stop_fd` became readable (SIGTERM) mid-connection: the pool then
//   // hands the client back to the master, which passes it on.
//   bool Serve(Context& ctx, int client, int stop_fd);
//
//   WorkerPool<MyHandoff> pool(
//       {.workers = 4, .in_child = [&] { listener.Reset(); }}, Serve);
//   pool.Start();
//   loop: pool.Dispatch(); pool.AppendPollFds(&fds); poll(...);
//         pool.HandleEvents(span of its fds); pool.HandleSignal(sig);
//         pool.Submit({std::move(ctx), std::move(client_fd)});
//   pool.Stop();
//
// Each worker has a channel and a control socket; an idle worker writes
// one byte ("ready") on the control socket and waits on its channel.
// SIGCHLD (HandleSignal) reaps; SIGUSR1 arms the fault drill (the next
// handoff's worker is SIGSTOPped, the context sent, the worker SIGKILLed
// before it can import: the master must reclaim it); SIGUSR2 asks one busy
// worker to stop, so that it hands its client back.
//
// The failure policy, one for every user of the pool:
//  - Delivered (acked, or consumed without ack): done; the worker says
//    "ready" again when it has finished with the client.
//  - Not delivered and the context came back (reclaimed through the
//    latch): counted as a reclaim; the job goes to the next idle worker
//    (after kMaxAttempts such failures it is dropped, a failure: a context
//    every worker refuses is not handed around for ever).
//    The worker itself is
//      * kept if it answered "no" (kRejectedByPeer) or did not answer in
//        time (kTimeout): it is alive, and says "ready" once it is free;
//      * retired if it died or its channel broke (any other transport
//        error, e.g. kPeerClosed): killed if still running, reaped, and
//        replaced by a new worker.
//    If the error is not the transport's (the context could not be
//    exported: nothing was sent), the worker is still idle and the job is
//    dropped (a failure): no worker could take it.
//  - Not delivered and the context did not come back (lost, or the
//    reclaim's outcome unknown): the job counts as a failure; the worker,
//    if alive, may be serving it and says "ready" when done.
//  - A worker that exits or hangs up at any time is reaped and replaced;
//    a hand-back received from a stopping worker is queued first.
// Not thread-safe: the master's single thread drives it.
#ifndef GSSX_EXAMPLES_SERVERS_WORKER_POOL_H_
#define GSSX_EXAMPLES_SERVERS_WORKER_POOL_H_

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "examples/servers/server_util.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/base/errors.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {

// A server's statistics; the pool fills handoffs .. handoff_us_p99, the
// server connections and failures (the pool adds the jobs it lost).
struct ServerStats {
  int64_t connections = 0;  // accepted and authenticated
  int64_t handoffs = 0;     // acknowledged by a worker
  int64_t reclaims = 0;     // taken back from a worker that did not import
  int64_t handbacks = 0;    // returned by a stopping worker, passed on
  int64_t failures = 0;     // connections the server dropped
  int64_t worker_deaths = 0;
  double handoff_us_median = 0;
  double handoff_us_p99 = 0;
};

// "connections=N handoffs=N ..." and back (all eight fields).
std::string StatsToLine(const ServerStats& s);
bool StatsFromLine(const std::string& line, ServerStats* s);

// An authenticated client: its context and its socket.
template <typename Context>
struct PoolJob {
  Context ctx;
  transport::UniqueFd fd;
};

struct PoolOptions {
  int workers = 4;
  bool verbose = false;
  // Runs in each new worker right after fork: close what is the master's
  // (listener, pending connections). The pool drops its own state itself.
  std::function<void()> in_child;
  // How long a handoff waits for the worker's ack before reclaiming.
  absl::Duration ack_timeout = absl::Seconds(30);
};

namespace pool_internal {

// The process side of a pool, independent of what is handed off.
struct WorkerProcess {
  pid_t pid = -1;  // -1: an empty slot (dead, to be replaced)
  std::unique_ptr<transport::Channel> channel;
  transport::UniqueFd control;  // the worker writes a byte when idle
  bool idle = false;
};

// Forks a worker: `child(channel, control)` runs in the child, whose exit
// code is its return value. `in_child` runs first there.
absl::StatusOr<WorkerProcess> Fork(
    const std::function<void()>& in_child,
    const std::function<int(transport::Channel, transport::UniqueFd)>& child);

// The worker's side of the loop, apart from the handoff: sets up its
// signals (SIGTERM: stop, to the returned pipe; SIGINT ignored: the master
// stops the workers) and returns the stop pipe, or -1.
int WorkerSignals();
// Says "ready" on `control`; false if the master is gone.
bool SayReady(int control);
// Waits until `channel` has a handoff (true) or a stop was asked / the
// channel failed (false).
bool AwaitHandoff(const transport::Channel& channel, int stop_fd);

// Medians of the handoff latencies into `stats`.
void FinishLatencies(std::vector<double>* us, ServerStats* stats);

// True if the process died or hung up a socket (non-blocking check).
bool HasDied(const WorkerProcess& w);
// SIGKILLs (if needed) and reaps the worker; the slot becomes empty.
void Retire(WorkerProcess& w, const std::string& why, ServerStats* stats);

}  // namespace pool_internal

template <typename H>
class WorkerPool {
 public:
  using Context = typename H::Context;
  using Job = PoolJob<Context>;
  using ServeFn = std::function<bool(Context& ctx, int client, int stop_fd)>;

  // Handoffs a job may fail (each one reclaimed) before it is dropped: a
  // context every worker refuses is not handed around for ever.
  static constexpr int kMaxAttempts = 3;

  WorkerPool(PoolOptions options, ServeFn serve)
      : options_(std::move(options)), serve_(std::move(serve)) {}
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { Stop(); }

  // Forks options.workers workers.
  absl::Status Start() {
    workers_.resize(options_.workers);
    for (auto& w : workers_) {
      if (absl::Status s = Spawn(w); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Queues a client for the next idle worker (Dispatch).
  void Submit(Job job) { queue_.push_back({std::move(job)}); }
  size_t queued() const { return queue_.size(); }
  bool HasIdle() const {
    for (const auto& w : workers_) {
      if (w.pid > 0 && w.idle) return true;
    }
    return false;
  }
  ServerStats& stats() { return stats_; }
  // The live workers' pids (logs, tests).
  std::vector<pid_t> pids() const {
    std::vector<pid_t> p;
    for (const auto& w : workers_) {
      if (w.pid > 0) p.push_back(w.pid);
    }
    return p;
  }

  // Two pollfds per worker (control, channel); HandleEvents takes them
  // back in the same order.
  void AppendPollFds(std::vector<struct pollfd>* fds) const {
    for (const auto& w : workers_) {
      fds->push_back({w.pid > 0 ? w.control.get() : -1, POLLIN, 0});
      fds->push_back({w.pid > 0 ? w.channel->fd() : -1, POLLIN, 0});
    }
  }
  // 0 when a hand-back already read from a channel waits (poll would not
  // show it), else `otherwise`.
  int PollTimeoutMs(int otherwise) const {
    for (const auto& w : workers_) {
      if (w.pid > 0 && w.channel->HasQueuedHandoff()) return 0;
    }
    return otherwise;
  }

  // "ready" bytes, hand-backs, hang-ups; replaces dead workers.
  void HandleEvents(absl::Span<const struct pollfd> mine) {
    for (size_t i = 0; i < workers_.size() && 2 * i + 1 < mine.size(); ++i) {
      auto& w = workers_[i];
      if (w.pid <= 0) continue;
      // The channel first: a stopping worker hands its client back, then
      // exits (closing its control socket).
      if ((mine[2 * i + 1].revents & POLLIN) || w.channel->HasQueuedHandoff()) {
        ReceiveHandBack(w);
      }
      if (w.pid <= 0) continue;
      const short control = mine[2 * i].revents;
      if (control & POLLIN) {
        char b[16];
        ssize_t n = ::recv(w.control.get(), b, sizeof b, MSG_DONTWAIT);
        if (n > 0) w.idle = true;
        if (n == 0) pool_internal::Retire(w, "closed its control socket", &stats_);
      } else if (control & (POLLHUP | POLLERR)) {
        pool_internal::Retire(w, "hung up", &stats_);
      }
    }
    Replace();
  }

  // SIGCHLD: reap and replace; SIGUSR1: arm the fault drill; SIGUSR2: ask
  // one busy worker to stop (it hands its client back). Others: ignored.
  void HandleSignal(int sig) {
    if (sig == SIGCHLD) {
      for (auto& w : workers_) {
        if (w.pid > 0 && pool_internal::HasDied(w)) {
          pool_internal::Retire(w, "exited", &stats_);
        }
      }
      Replace();
    } else if (sig == SIGUSR1) {
      drill_ = true;
      Log("master", "drill armed: the next handoff's worker dies mid-way");
    } else if (sig == SIGUSR2) {
      StopOneBusyWorker();
    }
  }

  // Hands queued clients to idle workers, by the failure policy above.
  void Dispatch() {
    while (!queue_.empty()) {
      pool_internal::WorkerProcess* w = NextIdle();
      if (w == nullptr) return;
      Job& job = queue_.front().job;
      transport::DeliverOptions opts;
      opts.ack_timeout = options_.ack_timeout;
      const bool drill = drill_;
      if (drill) {
        // Stopped, so it cannot import; killed once the message is sent.
        drill_ = false;
        const pid_t victim = w->pid;
        ::kill(victim, SIGSTOP);
        opts.after_send = [victim] { ::kill(victim, SIGKILL); };
        Log("master", absl::StrCat("drill: killing worker ", victim,
                                   " in the middle of a handoff"));
      }
      const absl::Time t0 = absl::Now();
      absl::Status s = H::Send(*w->channel, job.ctx, job.fd.get(), opts);
      const double us = absl::ToDoubleMicroseconds(absl::Now() - t0);
      w->idle = false;  // it says "ready" when it is free (again)
      if (s.ok()) {
        ++stats_.handoffs;
        if (!drill) latencies_.push_back(us);
        queue_.pop_front();  // closes the master's copy of the socket
        continue;
      }
      const transport::ErrorKind kind = transport::KindOf(s);
      if (!H::Held(job.ctx)) {
        ++stats_.failures;
        Log("master", absl::StrCat("handoff lost a connection: ",
                                   transport::StatusText(s)));
        queue_.pop_front();
        if (pool_internal::HasDied(*w)) pool_internal::Retire(*w, "is gone", &stats_);
        continue;
      }
      if (kind == transport::ErrorKind::kNone) {
        // Nothing reached the worker (the export itself failed).
        w->idle = true;
        ++stats_.failures;
        Log("master", absl::StrCat("cannot hand a connection off: ",
                                   transport::StatusText(s), "; dropped"));
        queue_.pop_front();
        continue;
      }
      ++stats_.reclaims;
      const bool again = ++queue_.front().failed < kMaxAttempts;
      Log("master", absl::StrCat("worker ", w->pid, " did not import (",
                                 transport::StatusText(s), "); context reclaimed, ",
                                 again ? "trying another worker"
                                       : "dropped after that many attempts"));
      if (!again) {
        ++stats_.failures;
        queue_.pop_front();
      }
      if (kind != transport::ErrorKind::kRejectedByPeer &&
          kind != transport::ErrorKind::kTimeout) {
        pool_internal::Retire(*w, transport::StatusText(s), &stats_);
      }
    }
    Replace();
  }

  // For a live upgrade (live_upgrade.h): asks every busy worker to stop,
  // so that it hands its client back between two requests (Serve checks
  // its stop pipe only there), waits at most `timeout` for those workers
  // to hand back and exit (they are replaced, as after SIGUSR2), and
  // returns every queued client, hand-backs included; the queue is then
  // empty. `*complete` is false if a worker did not hand back in time (it
  // keeps its client).
  std::deque<Job> CollectForUpgrade(absl::Duration timeout, bool* complete) {
    std::vector<pid_t> asked;
    for (auto& w : workers_) {
      char b[16];
      if (w.pid > 0 && ::recv(w.control.get(), b, sizeof b, MSG_DONTWAIT) > 0) {
        w.idle = true;
      }
      if (w.pid > 0 && !w.idle) {
        ::kill(w.pid, SIGTERM);
        asked.push_back(w.pid);
      }
    }
    auto waiting = [&] {
      for (const auto& w : workers_) {
        for (pid_t p : asked) {
          if (w.pid == p) return true;
        }
      }
      return false;
    };
    const absl::Time deadline = absl::Now() + timeout;
    while (waiting() && absl::Now() < deadline) {
      std::vector<struct pollfd> fds;
      AppendPollFds(&fds);
      if (::poll(fds.data(), fds.size(), PollTimeoutMs(50)) < 0 && errno != EINTR) break;
      HandleEvents(fds);
    }
    *complete = !waiting();
    std::deque<Job> jobs;
    for (auto& q : queue_) jobs.push_back(std::move(q.job));
    queue_.clear();
    return jobs;
  }

  // Stops the workers (SIGTERM; a busy one's hand-back fails at once, its
  // channel being closed), waits for them; queued clients count as
  // failures. Fills the latency medians. Idempotent.
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& w : workers_) {
      if (w.pid > 0) ::kill(w.pid, SIGTERM);
      w.channel.reset();
    }
    for (auto& w : workers_) {
      if (w.pid > 0) ::waitpid(w.pid, nullptr, 0);
      w.pid = -1;
    }
    stats_.failures += static_cast<int64_t>(queue_.size());
    queue_.clear();
    pool_internal::FinishLatencies(&latencies_, &stats_);
  }

 private:
  absl::Status Spawn(pool_internal::WorkerProcess& slot) {
    absl::StatusOr<pool_internal::WorkerProcess> w = pool_internal::Fork(
        [this] {
          if (options_.in_child) options_.in_child();
          workers_.clear();  // the other workers' ends are the master's
          queue_.clear();
        },
        [this](transport::Channel channel, transport::UniqueFd control) {
          return WorkerMain(std::move(channel), std::move(control));
        });
    if (!w.ok()) {
      Log("master", absl::StrCat("cannot start a worker: ", transport::StatusText(w.status())));
      return w.status();
    }
    Log("master", absl::StrCat("worker ", w->pid, " started"));
    slot = std::move(*w);
    return absl::OkStatus();
  }

  // Fills the empty slots (not while stopping). A failed fork is logged;
  // the next event tries again.
  void Replace() {
    if (stopped_) return;
    for (auto& w : workers_) {
      if (w.pid <= 0) (void)Spawn(w);
    }
  }

  pool_internal::WorkerProcess* NextIdle() {
    for (auto& w : workers_) {
      if (w.pid > 0 && w.idle) return &w;
    }
    return nullptr;
  }

  // Without waiting: what made the channel readable may be a late ack of
  // a handoff already reclaimed (a worker that was slow, then refused it),
  // not a hand-back; a hand-back's message is whole once poll shows it.
  void ReceiveHandBack(pool_internal::WorkerProcess& w) {
    absl::StatusOr<Job> job = H::Receive(*w.channel, absl::ZeroDuration());
    if (job.ok()) {
      ++stats_.handbacks;
      Log("master", absl::StrCat("worker ", w.pid,
                                 " handed a connection back; passing it on"));
      queue_.push_front({std::move(*job)});
    } else if (transport::IsError(job.status(), transport::ErrorKind::kPeerClosed)) {
      pool_internal::Retire(w, "closed its channel", &stats_);
    }
  }

  void StopOneBusyWorker() {
    // A worker that has just finished may have said "ready" already: read
    // those first, so that the one asked to stop really has a client. (It
    // can still finish in between; then it stops idle.)
    for (auto& w : workers_) {
      char b[16];
      if (w.pid > 0 && ::recv(w.control.get(), b, sizeof b, MSG_DONTWAIT) > 0) {
        w.idle = true;
      }
    }
    for (auto& w : workers_) {
      if (w.pid > 0 && !w.idle) {
        Log("master", absl::StrCat("asking busy worker ", w.pid, " to stop"));
        ::kill(w.pid, SIGTERM);
        return;
      }
    }
    Log("master", "no busy worker to stop");
  }

  // In the worker: "ready", receive one client, serve it; hand it back
  // when asked to stop mid-connection. Exit code.
  int WorkerMain(transport::Channel channel, transport::UniqueFd control) {
    const int stop = pool_internal::WorkerSignals();
    if (stop < 0) return 1;
    for (;;) {
      if (!pool_internal::SayReady(control.get())) return 0;  // master gone
      if (!pool_internal::AwaitHandoff(channel, stop)) return 0;
      absl::StatusOr<Job> job = H::Receive(channel, absl::InfiniteDuration());
      if (!job.ok()) {
        if (transport::IsError(job.status(), transport::ErrorKind::kPeerClosed)) return 0;
        if (transport::IsError(job.status(), transport::ErrorKind::kOs)) {
          Log("worker", absl::StrCat("channel: ", transport::StatusText(job.status())));
          return 1;  // nothing more will come through it
        }
        // One handoff refused (the master reclaims it); ready for the next.
        Log("worker", absl::StrCat("handoff refused: ", transport::StatusText(job.status())));
        continue;
      }
      if (options_.verbose) Log("worker", "imported a context and its client socket");
      if (!serve_(job->ctx, job->fd.get(), stop)) {
        absl::Status back =
            H::Send(channel, job->ctx, job->fd.get(), transport::DeliverOptions());
        Log("worker", back.ok() ? "stopping: handed the connection back"
                                : absl::StrCat("stopping: hand-back failed: ",
                                               transport::StatusText(back)));
        return 0;
      }
    }
  }

  PoolOptions options_;
  ServeFn serve_;
  std::vector<pool_internal::WorkerProcess> workers_;
  struct Queued {
    Job job;
    int failed = 0;  // handoffs of it that failed (kMaxAttempts)
  };
  std::deque<Queued> queue_;
  ServerStats stats_;
  std::vector<double> latencies_;
  bool drill_ = false;
  bool stopped_ = false;
};

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_SERVERS_WORKER_POOL_H_
