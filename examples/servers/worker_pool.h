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
//     // errors carry their transport::ErrorKind. (The worker's hand-back.)
//     static absl::Status Send(transport::Channel&, Context& ctx, int fd,
//                              const transport::DeliverOptions&);
//     // The same without waiting for the ack (the master's handoffs):
//     // error: nothing was sent, Held(ctx) again (or lost); OK: ctx is
//     // restored by the PendingDelivery if the token comes back, so it
//     // must outlive it.
//     static absl::StatusOr<transport::PendingDelivery> Start(
//         transport::Channel&, Context& ctx, int fd);
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
//   WorkerPool<MyHandoff> pool({.workers = 4, .serve = Serve,
//                               .in_child = [&] { listener.Reset(); }});
//   pool.Start();
//   loop: pool.Dispatch(); pool.AppendPollFds(&fds); poll(...);
//         pool.HandleEvents(span of its fds); pool.HandleSignal(sig);
//         pool.Submit({std::move(ctx), std::move(client_fd)});
//   pool.Stop();
//
// Each worker has a channel and a control socket; an idle worker writes
// a record ("ready": 'R' and the number of clients it has finished) on the
// control socket and waits on its channel.
//
// Pipelined (issue 16): the master sends a handoff (H::Start) and goes on;
// it reads the worker's answer when the worker next speaks on its control
// socket ('R' ready after a client, 'X' a handoff dropped, 'B' handing its
// client back), when it hangs up, or at the ack deadline — never waiting,
// and never woken by the ack itself. With every worker busy, the next
// client is queued behind one a worker is serving (a worker whose last
// answer is in and nothing else queued), so that the worker goes on with
// it without waiting for the master; its ack deadline starts when that
// worker's client ends. One queued for kRebalanceAfter while another
// worker is idle is taken back (PendingDelivery::Abandon: the latch makes
// it safe — either the busy worker imported it, or nobody will) and given
// to the idle worker. A worker whose client has ended first looks for a
// queued handoff (one non-blocking recvmsg); if one is there it imports
// it and says nothing on its control socket: the ack of a queued handoff
// is the end of the client before it (a worker imports only between
// clients), and the master polls the channel of a queued handoff for it.
// Only a worker that found nothing says 'R'. Every record carries the
// worker's count of finished clients, and the master counts the clients
// it delivered, so a worker is idle exactly when the two agree, in
// whichever order the master reads an ack and a record.
// Multiplexing (PoolOptions::clients_per_worker > 1, and a ServeRequestFn):
// a worker polls its channel, its stop pipe and its clients together,
// answers whichever request is ready and imports a handoff as soon as it
// arrives; the master polls that worker's channel for the ack, gives each
// new client to the worker with the fewest (one handoff in flight per
// worker) and counts a worker as able to take one while it has fewer than
// the limit. Nothing is queued behind a client. The counts work as above,
// except that an import does not mean the clients before it ended: only
// the worker's 'R' records say that. Stopped, the worker says 'B' and hands
// every client back. Limits: a worker that dies loses all its clients; a
// request, once begun, is read in full (ServeRequestFn blocks up to its
// own timeout), so a client that sends half a request holds up the other
// clients of its worker for that long.
// SIGCHLD (HandleSignal) reaps; SIGUSR1 arms the fault drill (the next
// handoff's worker is SIGSTOPped, the context sent, the worker SIGKILLed
// before it can import: the master must reclaim it); SIGUSR2 asks one busy
// worker to stop, so that it hands its client back.
//
// The failure policy, one for every user of the pool:
//  - Delivered (acked, or consumed without ack): done; the worker says
//    "ready" again when it has finished with the client.
//  - Not delivered and the context came back (reclaimed through the
//    latch): counted as a reclaim (a queued one moved to an idle worker:
//    "rebalanced"); the job goes to the next idle worker (after
//    kMaxAttempts such failures it is dropped, a failure: a context every
//    worker refuses is not handed around for ever).
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
//  - A worker that exits or hangs up at any time is reaped and replaced
//    (not during CollectForUpgrade: then the next Dispatch replaces it);
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
#include <cstring>
#include <deque>
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "examples/servers/server_util.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/base/errors.h"
#include "transport/base/unique_fd.h"
#include "transport/base/deadline.h"

namespace gssx::examples {

// A server's statistics; the pool fills handoffs .. handoff_us_p99, the
// server connections and failures (the pool adds the jobs it lost).
struct ServerStats {
  int64_t connections = 0;  // accepted and authenticated
  int64_t handoffs = 0;     // acknowledged by a worker
  int64_t reclaims = 0;     // taken back from a worker that did not import
  int64_t handbacks = 0;    // returned by a stopping worker, passed on
  // Queued behind a long client, taken back for an idle worker.
  int64_t rebalanced = 0;
  int64_t failures = 0;     // connections the server dropped
  int64_t worker_deaths = 0;
  double handoff_us_median = 0;
  double handoff_us_p99 = 0;
};

// "connections=N handoffs=N ..." and back (all nine fields).
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
  // A handoff queued behind a busy worker's client for this long while
  // another worker is idle moves to the idle one.
  absl::Duration rebalance_after = absl::Milliseconds(20);
  // Clients one worker serves at once. 1: a worker serves one client from
  // its handoff to its end (ServeFn), and a next one may be queued behind
  // it. More: a multiplexing worker — it polls its channel, its stop pipe
  // and all its clients, answers whichever request is ready (ServeRequestFn)
  // and imports a new client as soon as it arrives; the master gives each
  // new client to the worker with the fewest. Its wake-ups are shared by
  // its clients; a worker that crashes loses all of them.
  int clients_per_worker = 1;
};

namespace internal {

// The process side of a pool, independent of what is handed off.
struct WorkerProcess {
  pid_t pid = -1;  // -1: an empty slot (dead, to be replaced)
  std::unique_ptr<transport::Channel> channel;
  transport::UniqueFd control;  // the worker writes a byte when idle
  bool idle = false;  // can take a client (multiplexing: has room)
  // Clients sent to it (not taken back) that it has not finished: 0 idle,
  // 1 serving, 2 serving with the next queued behind. Kept as
  // delivered - finished (+ 1 for a handoff in flight).
  int assigned = 0;
  uint32_t delivered = 0;  // handoffs it imported
  uint32_t finished = 0;   // clients it said (or its acks showed) it ended
  bool stopping = false;  // said 'B': its hand-back is on the channel
  // Did not answer a handoff in time: not given another until it speaks.
  bool unanswered = false;
};

// Forks a worker: `child(channel, control)` runs in the child, whose exit
// code is its return value. `in_child` runs first there. The child starts
// with every signal blocked (the master's handlers, inherited, must not
// run in it): `child` calls WorkerSignals first, which unblocks them.
absl::StatusOr<WorkerProcess> Fork(
    const std::function<void()>& in_child,
    const std::function<int(transport::Channel, transport::UniqueFd)>& child);

// The worker's side of the loop, apart from the handoff: sets up its
// signals (SIGTERM: stop, to the returned pipe; SIGINT ignored: the master
// stops the workers), unblocks them (a SIGTERM sent since the fork is
// delivered now) and returns the stop pipe, or -1.
int WorkerSignals();
// A control record: a letter ('R' ready, 'X' a handoff refused, 'B'
// handing the client back) and the number of clients the worker has
// finished (u32, little-endian).
inline constexpr size_t kControlRecordSize = 5;
// Sends one record on `control`; false if the master is gone.
bool SayReady(int control, char what, uint32_t done);
// false for anything but a record.
bool ParseControlRecord(absl::string_view record, char* what, uint32_t* done);
// Waits until `channel` has a handoff (true) or a stop was asked / the
// channel failed (false).
bool AwaitHandoff(const transport::Channel& channel, int stop_fd);

// Medians of the handoff latencies into `stats`.
void FinishLatencies(std::vector<double>* us, ServerStats* stats);

// True if the process died or hung up a socket (non-blocking check).
bool HasDied(const WorkerProcess& w);
// SIGKILLs (if needed) and reaps the worker; the slot becomes empty.
void Retire(WorkerProcess& w, const std::string& why, ServerStats* stats);

}  // namespace internal

template <typename H>
class WorkerPool {
 public:
  using Context = typename H::Context;
  using Job = PoolJob<Context>;
  using ServeFn = std::function<bool(Context& ctx, int client, int stop_fd)>;
  // One request of a multiplexing worker's client (clients_per_worker > 1):
  // OK to keep the connection; NotFound when the client closed it cleanly;
  // any other error closes it.
  using ServeRequestFn = std::function<absl::Status(Context& ctx, int client)>;

  WorkerPool(PoolOptions options, ServeFn serve, ServeRequestFn serve_request = nullptr)
      : options_(std::move(options)),
        serve_(std::move(serve)),
        serve_request_(std::move(serve_request)) {
    if (!serve_request_) options_.clients_per_worker = 1;
    options_.clients_per_worker = std::max(1, options_.clients_per_worker);
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { Stop(); }

  // Handoffs of one job that may fail (reclaimed: refused, unanswered,
  // worker died) before it is dropped.
  static constexpr int kMaxAttempts = 3;

  // Forks options.workers workers.
  absl::Status Start() {
    workers_.resize(options_.workers);
    inflight_.resize(options_.workers);
    for (auto& w : workers_) {
      if (absl::Status s = Spawn(w); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Queues a client for the next idle worker (Dispatch).
  void Submit(Job job) { queue_.push_back({std::move(job)}); }
  size_t queued() const { return queue_.size(); }
  bool HasIdle() const { return IdleWorkers() > 0; }
  // Workers that can take a client now.
  size_t IdleWorkers() const {
    size_t n = 0;
    for (const auto& w : workers_) n += w.pid > 0 && w.idle ? 1 : 0;
    return n;
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
  // back in the same order. A channel with an answer not collected yet is
  // left out (it would be readable from the ack on): its worker's next
  // word on the control socket says when to read it — unless the handoff
  // is queued behind a client: then its ack is that word.
  void AppendPollFds(std::vector<struct pollfd>* fds) const {
    for (size_t i = 0; i < workers_.size(); ++i) {
      const auto& w = workers_[i];
      const bool channel = w.pid > 0 && (!inflight_[i].delivery || inflight_[i].queued ||
                                         w.stopping || multiplexing());
      fds->push_back({w.pid > 0 ? w.control.get() : -1, POLLIN, 0});
      fds->push_back({channel ? w.channel->fd() : -1, POLLIN, 0});
    }
  }
  // 0 when a hand-back already read from a channel waits (poll would not
  // show it); else until the next ack deadline or rebalancing, if sooner
  // than `otherwise` (-1: none).
  int PollTimeoutMs(int otherwise) const {
    absl::Time next = absl::InfiniteFuture();
    for (size_t i = 0; i < workers_.size(); ++i) {
      const auto& w = workers_[i];
      if (w.pid > 0 && w.channel->HasQueuedHandoff()) return 0;
      if (inflight_[i].delivery && !inflight_[i].queued) {
        next = std::min(next, inflight_[i].deadline);
      }
    }
    next = std::min(next, NextRebalance());
    if (next == absl::InfiniteFuture()) return otherwise;
    const int ms = transport::PollTimeoutMs(next);
    return otherwise < 0 ? ms : std::min(ms, otherwise);
  }

  // "ready" bytes, hand-backs, hang-ups; replaces dead workers.
  void HandleEvents(absl::Span<const struct pollfd> mine) {
    for (size_t i = 0; i < workers_.size() && 2 * i + 1 < mine.size(); ++i) {
      auto& w = workers_[i];
      if (w.pid <= 0) continue;
      const short control = mine[2 * i].revents;
      const bool had_delivery = inflight_[i].delivery.has_value();
      bool closed = false;
      if (control & POLLIN) {
        char b[16];
        ssize_t n = ::recv(w.control.get(), b, sizeof b, MSG_DONTWAIT);
        if (n > 0) Heard(i, absl::string_view(b, static_cast<size_t>(n)));
        closed = n == 0;
      }
      // A multiplexing worker's ack (it imports at once and says nothing).
      if (w.pid > 0 && inflight_[i].delivery && multiplexing() &&
          (mine[2 * i + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
        Collect(i);
      }
      // The ack of a handoff queued behind a client: that client has ended.
      if (w.pid > 0 && inflight_[i].delivery && inflight_[i].queued &&
          (mine[2 * i + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
        CollectQueued(i);
      }
      // The channel first: a stopping worker hands its client back, then
      // exits (closing its control socket). (Readable with a handoff in
      // flight and no 'B': that was its ack.)
      if (w.pid > 0 && (!inflight_[i].delivery || w.stopping) &&
          (((mine[2 * i + 1].revents & POLLIN) && (!had_delivery || w.stopping)) ||
           w.channel->HasQueuedHandoff())) {
        ReceiveHandBack(i);
      }
      if (w.pid <= 0) continue;
      if (closed) {
        RetireWorker(i, "closed its control socket");
      } else if (!(control & POLLIN) && (control & (POLLHUP | POLLERR))) {
        RetireWorker(i, "hung up");
      }
      // An answer not in by its deadline: reclaimed (the worker is kept).
      if (w.pid > 0 && inflight_[i].delivery && !inflight_[i].queued &&
          absl::Now() >= inflight_[i].deadline) {
        Collect(i);
      }
    }
    Replace();
  }

  // SIGCHLD: reap and replace; SIGUSR1: arm the fault drill; SIGUSR2: ask
  // one busy worker to stop (it hands its client back). Others: ignored.
  void HandleSignal(int sig) {
    if (sig == SIGCHLD) {
      for (size_t i = 0; i < workers_.size(); ++i) {
        if (workers_[i].pid > 0 && internal::HasDied(workers_[i])) {
          RetireWorker(i, "exited");
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

  // Hands queued clients to idle workers (or queues them behind a busy
  // one), by the failure policy above. Never waits for a worker.
  void Dispatch() {
    Rebalance();
    while (!queue_.empty()) {
      size_t i = NextIdle();
      if (i == kNone && !drill_) i = NextToQueueBehind();
      if (i == kNone) break;
      internal::WorkerProcess& w = workers_[i];
      const bool drill = drill_;
      pid_t victim = -1;
      if (drill) {
        // Stopped, so it cannot import; killed once the message is sent.
        drill_ = false;
        victim = w.pid;
        ::kill(victim, SIGSTOP);
        Log("master", absl::StrCat("drill: killing worker ", victim,
                                   " in the middle of a handoff"));
      }
      // On the heap: a token that comes back is restored into its ctx.
      auto item = std::make_unique<Queued>(std::move(queue_.front()));
      queue_.pop_front();
      Job* job = &item->job;
      const absl::Time t0 = absl::Now();
      absl::StatusOr<transport::PendingDelivery> d =
          H::Start(*w.channel, job->ctx, job->fd.get());
      const absl::Time t1 = absl::Now();
      if (victim > 0) ::kill(victim, SIGKILL);
      if (d.ok()) {
        if (!drill) latencies_.push_back(absl::ToDoubleMicroseconds(t1 - t0));
        InFlight& f = inflight_[i];
        f.item = std::move(item);
        f.delivery.emplace(std::move(*d));
        f.queued = !multiplexing() && w.assigned > 0;
        f.queued_since = t1;
        f.deadline = f.queued ? absl::InfiniteFuture() : t1 + options_.ack_timeout;
        Recount(i);
        continue;
      }
      // Nothing was sent.
      const absl::Status s = d.status();
      const transport::ErrorKind kind = transport::KindOf(s);
      if (!H::Held(job->ctx)) {
        ++stats_.failures;
        Log("master", absl::StrCat("handoff lost a connection: ",
                                   transport::StatusText(s)));
        if (internal::HasDied(w)) RetireWorker(i, "is gone");
        continue;
      }
      if (kind == transport::ErrorKind::kNone) {
        // The export itself failed.
        ++stats_.failures;
        Log("master", absl::StrCat("cannot hand a connection off: ",
                                   transport::StatusText(s), "; dropped"));
        continue;
      }
      ++stats_.reclaims;
      Requeue(std::move(item), w.pid, s);
      if (kind != transport::ErrorKind::kRejectedByPeer &&
          kind != transport::ErrorKind::kTimeout) {
        RetireWorker(i, transport::StatusText(s));
      } else {
        break;  // try again on the next event
      }
    }
    Replace();
  }

  // For a live upgrade (live_upgrade.h): asks every busy worker to stop,
  // so that it hands its client back between two requests (Serve checks
  // its stop pipe only there), waits at most `timeout` for those workers
  // to hand back and exit, and returns every queued client, hand-backs
  // included; the queue is then empty. `*complete` is false if a worker
  // did not hand back in time (it keeps its client).
  // What the workers already said is read first (a 0-timeout poll): a
  // worker is busy if it has a client assigned, is stopping, or has a
  // handoff in flight (the counts in its records and acks say which; an
  // ack not yet read may be for a client it took from its queue). Workers that exit meanwhile are not
  // replaced (the master is about to hand everything to a new binary);
  // the next Dispatch fills their slots if it did not.
  std::deque<Job> CollectForUpgrade(absl::Duration timeout, bool* complete) {
    collecting_ = true;
    {
      std::vector<struct pollfd> fds;
      AppendPollFds(&fds);
      if (::poll(fds.data(), fds.size(), 0) > 0) HandleEvents(fds);
    }
    std::vector<pid_t> asked;
    for (size_t i = 0; i < workers_.size(); ++i) {
      internal::WorkerProcess& w = workers_[i];
      if (w.pid <= 0) continue;
      if (w.assigned == 0 && !w.stopping && !inflight_[i].delivery) continue;
      if (!w.stopping) ::kill(w.pid, SIGTERM);
      asked.push_back(w.pid);
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
    collecting_ = false;
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
    for (size_t i = 0; i < workers_.size(); ++i) {
      // An answer in: counted; none: the token is taken back (the client
      // then counts as a failure, with the queue's).
      if (inflight_[i].delivery && workers_[i].pid > 0 && !inflight_[i].queued) {
        Collect(i);
      }
      if (inflight_[i].delivery) {
        Resolve(i, inflight_[i].delivery->Abandon(absl::CancelledError("stopping")),
                /*retire=*/false);
      }
    }
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
    internal::FinishLatencies(&latencies_, &stats_);
  }

 private:
  absl::Status Spawn(internal::WorkerProcess& slot) {
    absl::StatusOr<internal::WorkerProcess> w = internal::Fork(
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

  // Fills the empty slots (not while stopping, nor while collecting for
  // an upgrade). A failed fork is logged; the next event tries again.
  void Replace() {
    if (stopped_ || collecting_) return;
    for (auto& w : workers_) {
      if (w.pid <= 0) (void)Spawn(w);
    }
  }

  static constexpr size_t kNone = static_cast<size_t>(-1);

  struct Queued {
    Job job;
    int failed = 0;  // handoffs of it that failed (kMaxAttempts)
  };

  // A handoff sent and its answer not collected yet.
  struct InFlight {
    // The master's copy of the socket; the context is restored into it.
    std::unique_ptr<Queued> item;
    std::optional<transport::PendingDelivery> delivery;
    absl::Time deadline = absl::InfiniteFuture();
    bool queued = false;  // behind a client the worker is serving
    absl::Time queued_since;
  };

  bool multiplexing() const { return options_.clients_per_worker > 1; }

  // A worker that can take a client now: the first idle one; multiplexing,
  // the one with the fewest clients among those with room and no handoff
  // in flight.
  size_t NextIdle() const {
    size_t best = kNone;
    for (size_t i = 0; i < workers_.size(); ++i) {
      const internal::WorkerProcess& w = workers_[i];
      if (w.pid <= 0 || !w.idle || inflight_[i].delivery) continue;
      if (!multiplexing()) return i;
      if (best == kNone || w.assigned < workers_[best].assigned) best = i;
    }
    return best;
  }

  // A worker serving one client, with nothing queued behind it and its
  // last answer in (read now if it is there: one recvmsg).
  size_t NextToQueueBehind() {
    if (multiplexing()) return kNone;  // it has room, or it is full
    for (size_t i = 0; i < workers_.size(); ++i) {
      internal::WorkerProcess& w = workers_[i];
      if (w.pid <= 0 || w.stopping || w.unanswered || w.assigned != 1) continue;
      if (inflight_[i].delivery && !inflight_[i].queued) Collect(i);
      if (w.pid > 0 && w.assigned == 1 && !inflight_[i].delivery) return i;
    }
    return kNone;
  }

  // assigned and idle from the counts (and the handoff in flight).
  void Recount(size_t i) {
    internal::WorkerProcess& w = workers_[i];
    const bool in_flight = inflight_[i].delivery.has_value();
    // The worker's record can be read before the ack of the client it
    // finished (then finished is ahead until that ack is collected).
    const int held =
        std::max(0, static_cast<int>(static_cast<int32_t>(w.delivered - w.finished)));
    w.assigned = held + (in_flight ? 1 : 0);
    w.idle = w.pid > 0 && w.assigned < options_.clients_per_worker && !w.stopping &&
             !w.unanswered;
  }

  // The worker has finished `done` clients (said, or shown by an ack).
  // Counts only grow (modulo 2^32): an older record says nothing new.
  void Finished(size_t i, uint32_t done) {
    internal::WorkerProcess& w = workers_[i];
    if (static_cast<int32_t>(done - w.finished) > 0) w.finished = done;
  }

  // What a worker said on its control socket (one record).
  void Heard(size_t i, absl::string_view record) {
    internal::WorkerProcess& w = workers_[i];
    InFlight& f = inflight_[i];
    char what = 0;
    uint32_t done = 0;
    if (!internal::ParseControlRecord(record, &what, &done)) return;
    w.unanswered = false;
    Finished(i, done);
    if (what == 'B') w.stopping = true;
    Recount(i);
    if (f.delivery && f.queued && w.assigned <= 1) {
      // The client it waited behind has ended: the worker imports it now.
      f.queued = false;
      f.deadline = absl::Now() + options_.ack_timeout;
    }
    // Its answer is in the channel by now (unless still queued).
    if (f.delivery && !f.queued) Collect(i);
    Recount(i);
  }

  // The channel of a handoff queued behind a client is readable: its
  // answer (the worker imports only between clients, so the client before
  // it has ended), or a hang-up, or a hand-back of a stopping worker.
  void CollectQueued(size_t i) {
    InFlight& f = inflight_[i];
    absl::StatusOr<std::optional<transport::Delivery>> d =
        f.delivery->Check(*workers_[i].channel);
    if (d.ok() && !d->has_value()) return;  // no answer yet
    if (!d.ok()) {
      Resolve(i, d.status());
    } else {
      Resolve(i, **d);
    }
  }

  // Reads the answer to inflight_[i] without waiting; at the deadline
  // without one, takes the token back. A dead worker's: taken back at once.
  void Collect(size_t i) {
    InFlight& f = inflight_[i];
    if (!f.delivery) return;
    if (workers_[i].pid <= 0 || !workers_[i].channel) {
      Resolve(i, f.delivery->Abandon(transport::MakeError(
                     transport::ErrorKind::kPeerClosed, "the worker is gone")));
      return;
    }
    absl::StatusOr<std::optional<transport::Delivery>> d =
        f.delivery->Check(*workers_[i].channel);
    if (d.ok() && !d->has_value()) {
      if (absl::Now() < f.deadline) return;
      Resolve(i, f.delivery->Abandon(transport::MakeError(
                     transport::ErrorKind::kTimeout,
                     "no answer from the worker in time")));
      return;
    }
    if (!d.ok()) {
      Resolve(i, d.status());
    } else {
      Resolve(i, **d);
    }
  }

  // The outcome of inflight_[i], by the failure policy above.
  void Resolve(size_t i, const absl::StatusOr<transport::Delivery>& d,
               bool retire = true) {
    internal::WorkerProcess& w = workers_[i];
    InFlight& f = inflight_[i];
    std::unique_ptr<Queued> item = std::move(f.item);
    f.delivery.reset();
    f.queued = false;
    f.deadline = absl::InfiniteFuture();
    if (d.ok()) {
      ++stats_.handoffs;  // `item` closes the master's copy of the socket
      Imported(i);
      return;
    }
    if (transport::IsError(d.status(), transport::ErrorKind::kTimeout)) {
      w.unanswered = true;  // alive, maybe stuck: it says when it is free
    }
    Recount(i);
    if (!H::Held(item->job.ctx)) {
      ++stats_.failures;
      Log("master", absl::StrCat("handoff lost a connection: ",
                                 transport::StatusText(d.status())));
      return;
    }
    ++stats_.reclaims;
    Requeue(std::move(item), w.pid > 0 ? w.pid : 0, d.status());
    const transport::ErrorKind kind = transport::KindOf(d.status());
    if (retire && w.pid > 0 && kind != transport::ErrorKind::kRejectedByPeer &&
        kind != transport::ErrorKind::kTimeout) {
      RetireWorker(i, transport::StatusText(d.status()));
    }
  }

  // Worker i imported a handoff. One client at a time, it had finished
  // every client before it (it imports only between clients).
  void Imported(size_t i) {
    internal::WorkerProcess& w = workers_[i];
    if (!multiplexing()) Finished(i, w.delivered);
    ++w.delivered;
    Recount(i);
  }

  // A job whose handoff failed and came back: to the front of the queue,
  // or dropped (a failure) after kMaxAttempts.
  void Requeue(std::unique_ptr<Queued> item, pid_t worker, const absl::Status& why) {
    const bool again = ++item->failed < kMaxAttempts;
    Log("master", absl::StrCat("worker ", worker, " did not import (",
                               transport::StatusText(why), "); context reclaimed, ",
                               again ? "trying another worker"
                                     : "dropped after that many attempts"));
    if (again) {
      queue_.push_front(std::move(*item));
    } else {
      ++stats_.failures;
    }
  }

  // Kills (if needed) and reaps worker i; its handoff in flight, if any,
  // is taken back (or counted delivered if it imported it).
  void RetireWorker(size_t i, const std::string& why) {
    internal::Retire(workers_[i], why, &stats_);
    if (inflight_[i].delivery) Collect(i);
  }

  // When a queued handoff should move to an idle worker (InfiniteFuture:
  // none, or no worker idle).
  absl::Time NextRebalance() const {
    if (NextIdle() == kNone) return absl::InfiniteFuture();
    absl::Time next = absl::InfiniteFuture();
    for (const InFlight& f : inflight_) {
      if (f.delivery && f.queued) {
        next = std::min(next, f.queued_since + options_.rebalance_after);
      }
    }
    return next;
  }

  // Takes back the handoffs queued too long while a worker is idle; they go
  // to the front of the queue.
  void Rebalance() {
    if (NextRebalance() > absl::Now()) return;
    const absl::Time now = absl::Now();
    for (size_t i = 0; i < workers_.size(); ++i) {
      InFlight& f = inflight_[i];
      if (!f.delivery || !f.queued || f.queued_since + options_.rebalance_after > now) {
        continue;
      }
      absl::StatusOr<transport::Delivery> d = f.delivery->Abandon(
          absl::DeadlineExceededError("queued behind a long client"));
      std::unique_ptr<Queued> item = std::move(f.item);
      f.delivery.reset();
      f.queued = false;
      if (d.ok()) {
        ++stats_.handoffs;  // the worker had started on it
        Imported(i);
      } else if (H::Held(item->job.ctx)) {
        ++stats_.rebalanced;
        Recount(i);
        queue_.push_front(std::move(*item));  // not a failed attempt
      } else {
        ++stats_.failures;
        Recount(i);
        Log("master", absl::StrCat("handoff lost a connection: ",
                                   transport::StatusText(d.status())));
      }
    }
  }

  // Without waiting: what made the channel readable may be a late ack of
  // a handoff already reclaimed (a worker that was slow, then refused it),
  // not a hand-back; a hand-back's message is whole once poll shows it.
  void ReceiveHandBack(size_t i) {
    internal::WorkerProcess& w = workers_[i];
    absl::StatusOr<Job> job = H::Receive(*w.channel, absl::ZeroDuration());
    if (job.ok()) {
      ++stats_.handbacks;
      Log("master", absl::StrCat("worker ", w.pid,
                                 " handed a connection back; passing it on"));
      queue_.push_front({std::move(*job)});
    } else if (transport::IsError(job.status(), transport::ErrorKind::kPeerClosed)) {
      RetireWorker(i, "closed its channel");
    }
  }

  void StopOneBusyWorker() {
    // A worker that has just finished may have said "ready" already: read
    // those first, so that the one asked to stop really has a client. (It
    // can still finish in between; then it stops idle.)
    for (size_t i = 0; i < workers_.size(); ++i) {
      char b[16];
      ssize_t n;
      if (workers_[i].pid > 0 &&
          (n = ::recv(workers_[i].control.get(), b, sizeof b, MSG_DONTWAIT)) > 0) {
        Heard(i, absl::string_view(b, static_cast<size_t>(n)));
      }
    }
    for (auto& w : workers_) {
      if (w.pid > 0 && w.assigned > 0 && !w.stopping) {
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
    const int stop = internal::WorkerSignals();
    if (stop < 0) return 1;
    if (multiplexing()) return MultiplexingWorkerMain(channel, control.get(), stop);
    uint32_t done = 0;  // clients finished; every record says it
    if (!internal::SayReady(control.get(), 'R', done)) return 0;  // master gone
    bool look = false;  // a client has just ended: a handoff may be queued
    for (;;) {
      absl::StatusOr<Job> job = absl::UnavailableError("no handoff yet");
      bool got = false;
      if (look) {
        look = false;
        // One non-blocking recvmsg. A handoff queued behind the client
        // that ended: imported at once, and its ack tells the master that
        // client is done (no 'R').
        job = H::Receive(channel, absl::ZeroDuration());
        got = !transport::IsError(job.status(), transport::ErrorKind::kTimeout);
        if (!got && !internal::SayReady(control.get(), 'R', done)) return 0;
      }
      if (!got) {
        if (!internal::AwaitHandoff(channel, stop)) return 0;
        job = H::Receive(channel, absl::InfiniteDuration());
      }
      if (!job.ok()) {
        if (transport::IsError(job.status(), transport::ErrorKind::kPeerClosed)) return 0;
        if (transport::IsError(job.status(), transport::ErrorKind::kOs)) {
          Log("worker", absl::StrCat("channel: ", transport::StatusText(job.status())));
          return 1;  // nothing more will come through it
        }
        // One handoff refused (the master reclaims it); ready for the next.
        Log("worker", absl::StrCat("handoff refused: ", transport::StatusText(job.status())));
        if (!internal::SayReady(control.get(), 'X', done)) return 0;
        continue;
      }
      if (options_.verbose) Log("worker", "imported a context and its client socket");
      if (!serve_(job->ctx, job->fd.get(), stop)) {
        // 'B' first: the master then reads this channel (it leaves out a
        // channel whose ack it has not collected yet).
        (void)internal::SayReady(control.get(), 'B', done);
        absl::Status back =
            H::Send(channel, job->ctx, job->fd.get(), transport::DeliverOptions());
        Log("worker", back.ok() ? "stopping: handed the connection back"
                                : absl::StrCat("stopping: hand-back failed: ",
                                               transport::StatusText(back)));
        return 0;
      }
      ++done;
      look = true;
    }
  }

  // In a multiplexing worker: one poll over its channel, its stop pipe and
  // its clients; a ready request is answered (ServeRequestFn), a handoff
  // imported at once (its ack is all the master hears of it), a finished
  // client reported with 'R' and the new count. Stopped (SIGTERM), it says
  // 'B' and hands every client back, one handoff each, between requests.
  // Exit code.
  int MultiplexingWorkerMain(transport::Channel& channel, int control, int stop) {
    uint32_t done = 0;  // clients finished; every record says it
    if (!internal::SayReady(control, 'R', done)) return 0;  // master gone
    std::vector<Job> clients;
    std::vector<struct pollfd> p;
    for (;;) {
      p.clear();
      p.push_back({channel.fd(), POLLIN, 0});
      p.push_back({stop, POLLIN, 0});
      for (const Job& c : clients) p.push_back({c.fd.get(), POLLIN, 0});
      // A handoff the channel read while it waited for a hand-back's ack
      // does not show in poll.
      if (::poll(p.data(), p.size(), channel.HasQueuedHandoff() ? 0 : -1) < 0) {
        if (errno == EINTR) continue;
        Log("worker", absl::StrCat("poll: ", std::strerror(errno)));
        return 1;
      }
      if (p[1].revents & POLLIN) return HandBackAll(channel, control, done, clients);
      size_t kept = 0;
      uint32_t ended = 0;
      for (size_t i = 0; i < clients.size(); ++i) {
        bool keep = true;
        if (p[2 + i].revents != 0) {
          absl::Status s = serve_request_(clients[i].ctx, clients[i].fd.get());
          if (!s.ok()) {
            if (!absl::IsNotFound(s)) {
              Log("worker", absl::StrCat("closing a connection: ", transport::StatusText(s)));
            }
            keep = false;
            ++ended;
          }
        }
        if (keep && kept != i) clients[kept] = std::move(clients[i]);
        if (keep) ++kept;
      }
      clients.resize(kept);  // closes the ended connections
      if (ended > 0) {
        done += ended;
        if (!internal::SayReady(control, 'R', done)) return 0;
      }
      if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !channel.HasQueuedHandoff()) {
        continue;
      }
      absl::StatusOr<Job> job = H::Receive(channel, absl::ZeroDuration());
      if (job.ok()) {
        if (options_.verbose) Log("worker", "imported a context and its client socket");
        clients.push_back(std::move(*job));
        continue;
      }
      if (transport::IsError(job.status(), transport::ErrorKind::kTimeout)) continue;
      if (transport::IsError(job.status(), transport::ErrorKind::kPeerClosed)) return 0;
      if (transport::IsError(job.status(), transport::ErrorKind::kOs)) {
        Log("worker", absl::StrCat("channel: ", transport::StatusText(job.status())));
        return 1;
      }
      Log("worker", absl::StrCat("handoff refused: ", transport::StatusText(job.status())));
      if (!internal::SayReady(control, 'X', done)) return 0;
    }
  }

  // 'B' first (the master then reads this channel), then each client
  // back through the channel. Exit code.
  int HandBackAll(transport::Channel& channel, int control, uint32_t done,
                  std::vector<Job>& clients) {
    (void)internal::SayReady(control, 'B', done);
    size_t back = 0;
    for (Job& c : clients) {
      absl::Status s = H::Send(channel, c.ctx, c.fd.get(), transport::DeliverOptions());
      if (s.ok()) {
        ++back;
      } else {
        Log("worker", absl::StrCat("stopping: hand-back failed: ", transport::StatusText(s)));
      }
    }
    Log("worker", absl::StrCat("stopping: handed ", back, " of ", clients.size(),
                               " connections back"));
    return 0;
  }

  PoolOptions options_;
  ServeFn serve_;
  ServeRequestFn serve_request_;
  std::vector<internal::WorkerProcess> workers_;
  std::vector<InFlight> inflight_;  // one per worker slot
  std::deque<Queued> queue_;
  ServerStats stats_;
  std::vector<double> latencies_;
  bool drill_ = false;
  bool stopped_ = false;
  bool collecting_ = false;  // in CollectForUpgrade: no respawns
};

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_SERVERS_WORKER_POOL_H_
