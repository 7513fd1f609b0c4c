// SPDX-License-Identifier: Apache-2.0
#include "examples/prefork.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "examples/handshakes.h"
#include "examples/serve.h"
#include "examples/server_util.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/handoff.h"
#include "gssx/status.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using transport::Channel;
using transport::UniqueFd;

// ------------------------------------------------------------------ worker

// Serves one connection until the client closes it (true) or a stop
// signal arrives (false: the caller hands the connection back).
bool Serve(Context& ctx, int client, int signals, bool verbose) {
  int served = 0;
  for (;;) {
    struct pollfd p[2] = {{client, POLLIN, 0}, {signals, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (p[1].revents & POLLIN) return false;
    absl::Status s = ServeOneRequest(ctx, client);
    if (absl::IsNotFound(s)) break;
    if (!s.ok()) {
      Log("worker", absl::StrCat("closing the connection: ", gssx::StatusText(s)));
      break;
    }
    ++served;
  }
  if (verbose) Log("worker", absl::StrCat("connection done, ", served, " requests"));
  return true;
}

int WorkerMain(Channel channel, UniqueFd control, bool verbose) {
  absl::StatusOr<int> signals = InstallSignalPipe({SIGTERM, SIGINT});
  if (!signals.ok()) return 1;
  ::signal(SIGUSR1, SIG_DFL);
  ::signal(SIGCHLD, SIG_DFL);
  ::signal(SIGUSR2, SIG_DFL);
  for (;;) {
    const char ready = 'R';
    if (::send(control.get(), &ready, 1, MSG_NOSIGNAL) != 1) return 0;  // master gone
    if (!channel.HasQueuedHandoff()) {
      struct pollfd p[2] = {{channel.fd(), POLLIN, 0},
                            {*signals, POLLIN, 0}};
      int n;
      do {
        n = ::poll(p, 2, -1);  // a signal interrupts: its byte is in the pipe
      } while (n < 0 && errno == EINTR);
      if (n < 0) return 1;
      if (p[1].revents & POLLIN) return 0;
    }
    ReceiveContextOptions opts;
    opts.max_extra_fds = 1;
    absl::StatusOr<ReceivedContext> r = ReceiveContext(channel, opts);
    if (!r.ok()) {
      if (transport::IsError(r.status(), transport::ErrorKind::kPeerClosed)) return 0;
      Log("worker", absl::StrCat("import failed: ", gssx::StatusText(r.status())));
      continue;
    }
    if (r->fds.size() != 1) continue;
    if (verbose) Log("worker", "imported a context and its client socket");
    if (!Serve(r->context, r->fds[0].get(), *signals, verbose)) {
      // Asked to stop mid-connection: hand it back rather than drop it.
      absl::StatusOr<Delivery> back =
          HandOffContext(channel, r->context, {r->fds[0].get()});
      Log("worker", back.ok() ? "stopping: handed the connection back"
                              : absl::StrCat("stopping: hand-back failed: ",
                                             gssx::StatusText(back.status())));
      return 0;
    }
  }
}

// ------------------------------------------------------------------ master

struct Worker {
  pid_t pid = -1;
  std::unique_ptr<Channel> channel;
  UniqueFd control;
  bool idle = false;
};

struct Conn {
  Context ctx;
  UniqueFd fd;
};

class Master {
 public:
  Master(const PreforkOptions& options, Credentials cred, UniqueFd listener,
         int signals)
      : options_(options),
        cred_(std::move(cred)),
        listener_(std::move(listener)),
        signals_(signals) {}

  int Run() {
    for (int i = 0; i < options_.workers; ++i) {
      if (!Spawn()) return 1;
    }
    while (!stopping_) {
      Dispatch();
      std::vector<struct pollfd> fds;
      fds.push_back({listener_.get(), POLLIN, 0});
      fds.push_back({signals_, POLLIN, 0});
      for (auto& w : workers_) {
        fds.push_back({w.control.get(), POLLIN, 0});
        fds.push_back({w.channel->fd(), POLLIN, 0});
      }
      const size_t first_served = fds.size();
      for (auto& c : served_) fds.push_back({c.fd.get(), POLLIN, 0});
      const size_t first_handshake = fds.size();
      handshakes_.AppendPollFds(&fds);
      int timeout = PendingHandshakes::PollTimeoutMs(handshakes_.NextDeadline(),
                                                     absl::Now());
      for (auto& w : workers_) {
        if (w.channel->HasQueuedHandoff()) timeout = 0;
      }
      if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
        Log("master", absl::StrCat("poll: ", std::strerror(errno)));
        return 1;
      }
      if (fds[1].revents & POLLIN) HandleSignals();
      for (size_t i = 0; i < workers_.size(); ++i) {
        HandleWorker(i, fds[2 + 2 * i].revents, fds[3 + 2 * i].revents);
      }
      ServeReady(absl::MakeConstSpan(fds).subspan(first_served,
                                                  first_handshake - first_served));
      AdvanceHandshakes(absl::MakeConstSpan(fds).subspan(first_handshake));
      Reap();
      if (fds[0].revents & POLLIN) AcceptOne();
    }
    Shutdown();
    return 0;
  }

 private:
  bool Spawn() {
    absl::StatusOr<std::pair<UniqueFd, UniqueFd>> ch = transport::MakeSocketPair();
    absl::StatusOr<std::pair<UniqueFd, UniqueFd>> ctl = transport::MakeSocketPair();
    if (!ch.ok() || !ctl.ok()) {
      Log("master", "cannot make worker sockets");
      return false;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
      Log("master", absl::StrCat("fork: ", std::strerror(errno)));
      return false;
    }
    if (pid == 0) {
      // Keep only this worker's ends: the listener, the other workers'
      // channels and the pending connections are the master's.
      listener_.Reset();
      workers_.clear();
      pending_.clear();
      handshakes_.Clear();
      ch->first.Reset();
      ctl->first.Reset();
      absl::StatusOr<Channel> channel = Channel::Open(std::move(ch->second));
      if (!channel.ok()) ::_exit(1);
      ::_exit(WorkerMain(std::move(*channel), std::move(ctl->second),
                         options_.verbose));
    }
    ch->second.Reset();
    ctl->second.Reset();
    absl::StatusOr<Channel> channel = Channel::Open(std::move(ch->first));
    if (!channel.ok()) {
      Log("master", absl::StrCat("worker channel: ", gssx::StatusText(channel.status())));
      ::kill(pid, SIGKILL);
      return false;
    }
    Worker w;
    w.pid = pid;
    w.channel = std::make_unique<Channel>(std::move(*channel));
    w.control = std::move(ctl->first);
    workers_.push_back(std::move(w));
    Log("master", absl::StrCat("worker ", pid, " started"));
    return true;
  }

  void HandleSignals() {
    for (int sig : ReadSignals(signals_)) {
      if (sig == SIGTERM || sig == SIGINT) stopping_ = true;
      if (sig == SIGUSR1) drill_ = true;
      if (sig == SIGUSR2) StopOneBusyWorker();
      if (sig == SIGCHLD) child_exited_ = true;
    }
  }

  // Asks a worker that is serving a connection to stop: it hands the
  // connection back, the master passes it on and starts a replacement.
  void StopOneBusyWorker() {
    // A worker that has just finished may have said "ready" already: read
    // those first, so that the one asked to stop really has a connection.
    // (It can still finish in between; then it stops idle, and a handoff
    // racing with that is reclaimed like any other.)
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

  void HandleWorker(size_t i, short control_events, short channel_events) {
    Worker& w = workers_[i];
    if (w.pid < 0) return;
    if (control_events & POLLIN) {
      char b[16];
      ssize_t n = ::recv(w.control.get(), b, sizeof b, MSG_DONTWAIT);
      if (n > 0) w.idle = true;
      if (n == 0) MarkDead(w, "closed its control socket");
    } else if (control_events & (POLLHUP | POLLERR)) {
      MarkDead(w, "hung up");
    }
    if (w.pid >= 0 && ((channel_events & POLLIN) || w.channel->HasQueuedHandoff())) {
      // A stopping worker hands a connection back.
      ReceiveContextOptions opts;
      opts.max_extra_fds = 1;
      opts.timeout = absl::Seconds(5);
      absl::StatusOr<ReceivedContext> r = ReceiveContext(*w.channel, opts);
      if (r.ok() && r->fds.size() == 1) {
        ++stats_.handbacks;
        Log("master", absl::StrCat("worker ", w.pid,
                                   " handed a connection back; passing it on"));
        pending_.push_front(Conn{std::move(r->context), std::move(r->fds[0])});
      } else if (!r.ok() &&
                 transport::IsError(r.status(), transport::ErrorKind::kPeerClosed)) {
        MarkDead(w, "closed its channel");
      }
    }
  }

  void MarkDead(Worker& w, const std::string& why) {
    if (w.pid < 0) return;
    Log("master", absl::StrCat("worker ", w.pid, " ", why));
    ::kill(w.pid, SIGKILL);
    ::waitpid(w.pid, nullptr, 0);
    ++stats_.worker_deaths;
    w.pid = -1;
  }

  // Reaps exited workers (only after a SIGCHLD: no waitpid per loop) and
  // replaces the dead ones.
  void Reap() {
    int status;
    pid_t pid;
    while (child_exited_ && (pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (auto& w : workers_) {
        if (w.pid == pid) {
          Log("master", absl::StrCat("worker ", pid, " exited"));
          ++stats_.worker_deaths;
          w.pid = -1;
        }
      }
    }
    size_t before = workers_.size();
    workers_.erase(std::remove_if(workers_.begin(), workers_.end(),
                                  [](const Worker& w) { return w.pid < 0; }),
                   workers_.end());
    child_exited_ = false;
    for (size_t i = workers_.size(); i < before && !stopping_; ++i) Spawn();
  }

  // The handshake is not done here: the connection joins handshakes_,
  // which the poll loop drives (handshakes.h), so that a client that sends
  // nothing holds up no one else.
  void AcceptOne() {
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) return;
    handshakes_.Add(std::move(client), absl::Now());
  }

  void AdvanceHandshakes(absl::Span<const struct pollfd> ready) {
    HandshakeProgress progress = handshakes_.Advance(ready, absl::Now());
    for (const std::string& why : progress.failures) {
      ++stats_.failures;
      Log("master", why);
    }
    for (AuthenticatedClient& c : progress.authenticated) {
      ++stats_.connections;
      if (options_.verbose) {
        absl::StatusOr<ContextInfo> info = c.ctx.Inquire();
        Log("master", absl::StrCat("authenticated ",
                                   info.ok() ? info->source.identity() : "?"));
      }
      pending_.push_back(Conn{std::move(c.ctx), std::move(c.fd)});
    }
  }

  // workers = 0: the master answers requests itself, with the same
  // ServeOneRequest the workers run (a baseline without handoff).
  void ServeReady(absl::Span<const struct pollfd> ready) {
    // served_ is only appended to (by Dispatch) outside this loop, so
    // ready[i] still describes served_[i].
    std::vector<bool> done(served_.size(), false);
    for (size_t i = 0; i < ready.size(); ++i) {
      if (ready[i].revents == 0) continue;
      absl::Status s = ServeOneRequest(served_[i].ctx, served_[i].fd.get());
      if (s.ok()) continue;
      if (!absl::IsNotFound(s)) {
        Log("master", absl::StrCat("closing a connection: ", gssx::StatusText(s)));
      }
      done[i] = true;
    }
    size_t kept = 0;
    for (size_t i = 0; i < served_.size(); ++i) {
      if (done[i]) continue;
      if (kept != i) served_[kept] = std::move(served_[i]);
      ++kept;
    }
    served_.resize(kept);  // closes the finished connections
  }

  void Dispatch() {
    if (options_.workers == 0) {
      if (drill_) {
        drill_ = false;
        Log("master", "drill ignored: no workers (the master serves connections)");
      }
      while (!pending_.empty()) {
        served_.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      return;
    }
    while (!pending_.empty()) {
      Worker* w = nullptr;
      for (auto& cand : workers_) {
        if (cand.pid >= 0 && cand.idle) {
          w = &cand;
          break;
        }
      }
      if (w == nullptr) return;
      Conn& conn = pending_.front();
      HandOffOptions opts;
      const bool drill = drill_;
      if (drill) {
        // Fault drill: the worker cannot import (stopped), the message is
        // sent, then the worker is killed before it ever runs again.
        drill_ = false;
        ::kill(w->pid, SIGSTOP);
        pid_t victim = w->pid;
        opts.after_send = [victim] { ::kill(victim, SIGKILL); };
        Log("master", absl::StrCat("drill: killing worker ", victim,
                                   " in the middle of a handoff"));
      }
      absl::Time t0 = absl::Now();
      absl::StatusOr<Delivery> d = HandOffContext(*w->channel, conn.ctx, {conn.fd.get()}, opts);
      double us = absl::ToDoubleMicroseconds(absl::Now() - t0);
      w->idle = false;
      if (d.ok()) {
        ++stats_.handoffs;
        if (!drill) latencies_.push_back(us);
        pending_.pop_front();  // closes the master's copy of the socket
        continue;
      }
      if (conn.ctx.valid()) {
        ++stats_.reclaims;
        Log("master", absl::StrCat("worker ", w->pid, " did not import (",
                                   d.status().message(),
                                   "); context reclaimed, trying another worker"));
        MarkDead(*w, "is gone");
      } else {
        ++stats_.failures;
        Log("master", absl::StrCat("handoff lost a connection: ", gssx::StatusText(d.status())));
        pending_.pop_front();
      }
    }
  }

  void Shutdown() {
    Log("master", "stopping");
    for (auto& w : workers_) {
      if (w.pid > 0) ::kill(w.pid, SIGTERM);
      // A worker stopped mid-connection tries to hand it back; with the
      // channel closed it learns at once that nobody takes it, instead of
      // waiting out its ack timeout.
      w.channel.reset();
    }
    for (auto& w : workers_) {
      if (w.pid > 0) ::waitpid(w.pid, nullptr, 0);
    }
    stats_.failures += static_cast<int64_t>(pending_.size() + served_.size());
    if (!latencies_.empty()) {
      std::sort(latencies_.begin(), latencies_.end());
      stats_.handoff_us_median = latencies_[latencies_.size() / 2];
      stats_.handoff_us_p99 =
          latencies_[std::min(latencies_.size() - 1, latencies_.size() * 99 / 100)];
    }
    std::string line = StatsToLine(stats_);
    Log("master", line);
    if (options_.stats_fd >= 0) {
      line += "\n";
      (void)!::write(options_.stats_fd, line.data(), line.size());
    }
  }

  const PreforkOptions& options_;
  Credentials cred_;
  PendingHandshakes handshakes_{&cred_};  // accepted, not yet authenticated
  UniqueFd listener_;
  int signals_;  // the self-pipe (server_util.h owns it)
  std::vector<Worker> workers_;
  std::deque<Conn> pending_;
  std::vector<Conn> served_;  // workers = 0 only
  PreforkStats stats_;
  std::vector<double> latencies_;
  bool stopping_ = false;
  bool drill_ = false;
  bool child_exited_ = false;  // SIGCHLD seen, not yet reaped
};

}  // namespace

std::string StatsToLine(const PreforkStats& s) {
  return absl::StrCat("connections=", s.connections, " handoffs=", s.handoffs,
                      " reclaims=", s.reclaims, " handbacks=", s.handbacks,
                      " failures=", s.failures, " worker_deaths=", s.worker_deaths,
                      " handoff_us_median=", s.handoff_us_median,
                      " handoff_us_p99=", s.handoff_us_p99);
}

bool StatsFromLine(const std::string& line, PreforkStats* s) {
  int found = 0;
  for (absl::string_view kv : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, '=');
    int64_t* i = nullptr;
    double* d = nullptr;
    if (p.first == "connections") i = &s->connections;
    if (p.first == "handoffs") i = &s->handoffs;
    if (p.first == "reclaims") i = &s->reclaims;
    if (p.first == "handbacks") i = &s->handbacks;
    if (p.first == "failures") i = &s->failures;
    if (p.first == "worker_deaths") i = &s->worker_deaths;
    if (p.first == "handoff_us_median") d = &s->handoff_us_median;
    if (p.first == "handoff_us_p99") d = &s->handoff_us_p99;
    if (i != nullptr && absl::SimpleAtoi(p.second, i)) ++found;
    if (d != nullptr && absl::SimpleAtod(p.second, d)) ++found;
  }
  return found == 8;
}

int RunPreforkServer(const PreforkOptions& options) {
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
  absl::StatusOr<int> signals =
      InstallSignalPipe({SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGCHLD});
  if (!signals.ok()) return 1;
  Log("master", absl::StrCat("listening on ", options.listen, port ? " port " : "",
                             port ? std::to_string(port) : "", " as ",
                             cred->name().identity(),
                             options.workers > 0
                                 ? absl::StrCat(" with ", options.workers, " workers")
                                 : " (no workers: the master serves connections)"));
  if (options.port_fd >= 0) {
    std::string line = absl::StrCat(port, "\n");
    (void)!::write(options.port_fd, line.data(), line.size());
  }
  Master master(options, std::move(*cred), std::move(*listener), *signals);
  return master.Run();
}

}  // namespace gssx::examples
