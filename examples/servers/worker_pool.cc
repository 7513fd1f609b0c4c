// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/worker_pool.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace gssx::examples {

std::string StatsToLine(const ServerStats& s) {
  return absl::StrCat("connections=", s.connections, " handoffs=", s.handoffs,
                      " reclaims=", s.reclaims, " handbacks=", s.handbacks,
                      " rebalanced=", s.rebalanced,
                      " failures=", s.failures, " worker_deaths=", s.worker_deaths,
                      " handoff_us_median=", s.handoff_us_median,
                      " handoff_us_p99=", s.handoff_us_p99);
}

bool StatsFromLine(const std::string& line, ServerStats* s) {
  int found = 0;
  for (absl::string_view kv : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, '=');
    int64_t* i = nullptr;
    double* d = nullptr;
    if (p.first == "connections") i = &s->connections;
    if (p.first == "handoffs") i = &s->handoffs;
    if (p.first == "reclaims") i = &s->reclaims;
    if (p.first == "handbacks") i = &s->handbacks;
    if (p.first == "rebalanced") i = &s->rebalanced;
    if (p.first == "failures") i = &s->failures;
    if (p.first == "worker_deaths") i = &s->worker_deaths;
    if (p.first == "handoff_us_median") d = &s->handoff_us_median;
    if (p.first == "handoff_us_p99") d = &s->handoff_us_p99;
    if (i != nullptr && absl::SimpleAtoi(p.second, i)) ++found;
    if (d != nullptr && absl::SimpleAtod(p.second, d)) ++found;
  }
  return found == 9;
}

namespace internal {

using transport::Channel;
using transport::UniqueFd;

namespace {
// The master's signal mask before it blocked everything to fork a worker;
// the worker restores it once its handlers are its own (WorkerSignals).
sigset_t g_mask_before_fork;
}  // namespace

absl::StatusOr<WorkerProcess> Fork(
    const std::function<void()>& in_child,
    const std::function<int(Channel, UniqueFd)>& child) {
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> ch = transport::MakeSocketPair();
  if (!ch.ok()) return ch.status();
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> ctl = transport::MakeSocketPair();
  if (!ctl.ok()) return ctl.status();
  // The child starts with the master's signal handlers, which write into
  // the master's signal pipe: a SIGTERM for a worker that has just been
  // forked would reach the master (which would stop) and not the worker
  // (which would not). So every signal is blocked from before the fork
  // until the child has its own (WorkerSignals).
  sigset_t all;
  sigfillset(&all);
  (void)::pthread_sigmask(SIG_BLOCK, &all, &g_mask_before_fork);
  const pid_t pid = ::fork();
  const int fork_errno = errno;
  if (pid != 0) (void)::pthread_sigmask(SIG_SETMASK, &g_mask_before_fork, nullptr);
  if (pid < 0) return transport::OsError(fork_errno, "fork");
  if (pid == 0) {
    // Keep only this worker's ends.
    ch->first.Reset();
    ctl->first.Reset();
    in_child();
    absl::StatusOr<Channel> channel = Channel::Open(std::move(ch->second));
    if (!channel.ok()) ::_exit(1);
    ::_exit(child(std::move(*channel), std::move(ctl->second)));
  }
  ch->second.Reset();
  ctl->second.Reset();
  WorkerProcess w;
  w.pid = pid;
  absl::StatusOr<Channel> channel = Channel::Open(std::move(ch->first));
  if (!channel.ok()) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return channel.status();
  }
  w.channel = std::make_unique<Channel>(std::move(*channel));
  w.control = std::move(ctl->first);
  return w;
}

int WorkerSignals() {
  absl::StatusOr<int> stop = InstallSignalPipe({SIGTERM});
  if (!stop.ok()) return -1;
  ::signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the master, which stops us
  ::signal(SIGUSR1, SIG_DFL);
  ::signal(SIGUSR2, SIG_DFL);
  ::signal(SIGCHLD, SIG_DFL);
  // Blocked since the fork (Fork): what came meanwhile is delivered now,
  // into this worker's own pipe.
  (void)::pthread_sigmask(SIG_SETMASK, &g_mask_before_fork, nullptr);
  return *stop;
}

bool SayReady(int control, char what, uint32_t done) {
  char record[kControlRecordSize] = {what,
                                     static_cast<char>(done & 0xff),
                                     static_cast<char>((done >> 8) & 0xff),
                                     static_cast<char>((done >> 16) & 0xff),
                                     static_cast<char>((done >> 24) & 0xff)};
  return ::send(control, record, sizeof record, MSG_NOSIGNAL) ==
         static_cast<ssize_t>(sizeof record);
}

bool ParseControlRecord(absl::string_view record, char* what, uint32_t* done) {
  if (record.size() != kControlRecordSize) return false;
  *what = record[0];
  *done = 0;
  for (int i = 4; i >= 1; --i) {
    *done = (*done << 8) | static_cast<uint8_t>(record[static_cast<size_t>(i)]);
  }
  return true;
}

bool AwaitHandoff(const Channel& channel, int stop_fd) {
  if (channel.HasQueuedHandoff()) return true;
  struct pollfd p[2] = {{channel.fd(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
  int n;
  do {
    // A signal interrupts: its byte is in the pipe.
    n = ::poll(p, 2, -1);
  } while (n < 0 && errno == EINTR);
  if (n < 0 || (p[1].revents & POLLIN)) return false;
  return true;  // POLLIN, or POLLHUP: Receive says kPeerClosed
}

void FinishLatencies(std::vector<double>* us, ServerStats* stats) {
  if (us->empty()) return;
  std::sort(us->begin(), us->end());
  stats->handoff_us_median = (*us)[us->size() / 2];
  stats->handoff_us_p99 = (*us)[std::min(us->size() - 1, us->size() * 99 / 100)];
}

bool HasDied(const WorkerProcess& w) {
  if (w.pid <= 0) return true;
  struct pollfd p[2] = {{w.control.get(), 0, 0}, {w.channel->fd(), 0, 0}};
  if (::poll(p, 2, 0) > 0 &&
      ((p[0].revents | p[1].revents) & (POLLHUP | POLLERR))) {
    return true;
  }
  // Exited without the hang-up showing yet (or a zombie): reap it later.
  siginfo_t info;
  info.si_pid = 0;
  return ::waitid(P_PID, static_cast<id_t>(w.pid), &info,
                  WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == w.pid;
}

void Retire(WorkerProcess& w, const std::string& why, ServerStats* stats) {
  if (w.pid <= 0) return;
  Log("master", absl::StrCat("worker ", w.pid, " gone (", why, ")"));
  ::kill(w.pid, SIGKILL);  // a no-op if it has exited; a zombie stays ours
  ::waitpid(w.pid, nullptr, 0);
  ++stats->worker_deaths;
  w.pid = -1;
  w.channel.reset();
  w.control.Reset();
  w.idle = false;
  w.assigned = 0;
  w.delivered = 0;
  w.finished = 0;
  w.stopping = false;
  w.unanswered = false;
}

}  // namespace internal
}  // namespace gssx::examples
