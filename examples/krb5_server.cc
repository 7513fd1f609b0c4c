// SPDX-License-Identifier: Apache-2.0
#include "examples/krb5_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/frame.h"
#include "examples/server_util.h"
#include "gssx/krb5_bridge/bridge.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/mit_handshake.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using krb5::MitContext;
using transport::UniqueFd;

constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);
constexpr absl::Duration kRequestTimeout = absl::Seconds(30);

// A status for a log line: its message and, for transport errors, the
// kind's stable name (not the raw payload bytes ToString() would print).
std::string Describe(const absl::Status& s) {
  transport::ErrorKind kind = transport::KindOf(s);
  if (kind == transport::ErrorKind::kNone) return std::string(s.message());
  return absl::StrCat(s.message(), " (", transport::ErrorKindName(kind), ")");
}

std::string Text(const std::vector<uint8_t>& b) {
  return std::string(b.begin(), b.end());
}
std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// Runs the acceptor side of the handshake on `client`. The caller owns the
// socket. Returns the established context and the client's principal.
absl::StatusOr<MitContext> Authenticate(int client, std::string* principal) {
  krb5::MitAcceptor acceptor;
  while (!acceptor.done()) {
    absl::StatusOr<std::vector<uint8_t>> in = ReadFrame(client, kHandshakeTimeout);
    if (!in.ok()) return in.status();
    absl::StatusOr<std::vector<uint8_t>> out = acceptor.Step(*in);
    if (!out.ok()) return out.status();
    if (!out->empty()) {
      if (absl::Status s = WriteFrame(client, *out); !s.ok()) return s;
    }
  }
  *principal = acceptor.client();
  return acceptor.TakeContext();
}

// A worker's part for one client: answer wrapped requests until the client
// closes. OK at a clean end of stream.
absl::Status Serve(MitContext& ctx, int client) {
  for (;;) {
    absl::StatusOr<std::vector<uint8_t>> wrapped = ReadFrame(client, kRequestTimeout);
    if (absl::IsNotFound(wrapped.status())) return absl::OkStatus();
    if (!wrapped.ok()) return wrapped.status();
    absl::StatusOr<std::vector<uint8_t>> request = ctx.Unwrap(*wrapped);
    if (!request.ok()) return request.status();
    absl::StatusOr<std::vector<uint8_t>> reply = ctx.Wrap(
        Bytes(absl::StrCat("worker ", ::getpid(), ": re: ", Text(*request))));
    if (!reply.ok()) return reply.status();
    if (absl::Status s = WriteFrame(client, *reply); !s.ok()) return s;
  }
}

// The worker process: receive (context + client socket), serve, report
// "free" on `done`, until the master closes the channel.
int WorkerMain(UniqueFd socket, UniqueFd done, bool verbose) {
  ::signal(SIGTERM, SIG_DFL);  // the master stops workers by closing channels
  ::signal(SIGCHLD, SIG_DFL);
  ::signal(SIGUSR1, SIG_DFL);
  ::signal(SIGINT, SIG_IGN);   // Ctrl-C reaches the master, which says so
  absl::StatusOr<transport::Channel> ch = transport::Channel::Open(std::move(socket));
  if (!ch.ok()) {
    Log("worker", transport::StatusText(ch.status()));
    return 1;
  }
  for (;;) {
    krb5::ReceiveMitContextOptions options;
    options.max_extra_fds = 1;
    absl::StatusOr<krb5::ReceivedMitContext> r = krb5::ReceiveMitContext(*ch, options);
    if (transport::IsError(r.status(), transport::ErrorKind::kPeerClosed)) return 0;
    if (transport::IsError(r.status(), transport::ErrorKind::kOs)) {
      // The channel itself failed: nothing more will come through it.
      Log("worker", absl::StrCat("channel: ", transport::StatusText(r.status())));
      return 1;
    }
    const char free_byte = 'f';
    if (!r.ok()) {
      // One handoff refused (answered with a negative ack: the master
      // reclaims it); the channel is fine.
      Log("worker", absl::StrCat("handoff refused: ", transport::StatusText(r.status())));
      if (::write(done.get(), &free_byte, 1) != 1) return 1;
      continue;
    }
    if (r->fds.size() != 1) {
      // The master always sends the client socket: a handoff without it
      // has nobody to serve. (It was imported; the context dies here.)
      Log("worker", "handoff without a client socket: dropped");
      if (::write(done.get(), &free_byte, 1) != 1) return 1;
      continue;
    }
    if (verbose) Log("worker", "imported a context with its client");
    absl::Status served = Serve(r->context, r->fds[0].get());
    if (!served.ok()) Log("worker", absl::StrCat("client: ", transport::StatusText(served)));
    r->fds.clear();
    if (::write(done.get(), &free_byte, 1) != 1) return 1;
  }
}

struct Worker {
  pid_t pid = -1;
  transport::Channel* channel = nullptr;  // owned by `channels`
  UniqueFd done;                          // read end: a byte per free
  bool idle = true;
  bool alive = true;
};

class Master {
 public:
  Master(const Krb5ServerOptions& options, UniqueFd listener, int signals)
      : options_(options), listener_(std::move(listener)), signals_(signals) {}

  absl::Status StartWorkers() {
    for (int i = 0; i < options_.workers; ++i) {
      absl::StatusOr<std::pair<UniqueFd, UniqueFd>> ends = transport::MakeSocketPair();
      if (!ends.ok()) return ends.status();
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
      UniqueFd done_r(p[0]), done_w(p[1]);
      pid_t pid = ::fork();
      if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
      if (pid == 0) {
        // Keep only this worker's ends.
        listener_.Reset();
        channels_.clear();
        workers_.clear();
        ends->first.Reset();
        done_r.Reset();
        (void)InstallSignalPipe({});  // closes the master's signal pipe here
        ::_exit(WorkerMain(std::move(ends->second), std::move(done_w),
                           options_.verbose));
      }
      ends->second.Reset();
      done_w.Reset();
      absl::StatusOr<transport::Channel> ch =
          transport::Channel::Open(std::move(ends->first));
      if (!ch.ok()) return ch.status();
      channels_.push_back(std::make_unique<transport::Channel>(std::move(*ch)));
      Worker w;
      w.pid = pid;
      w.channel = channels_.back().get();
      w.done = std::move(done_r);
      workers_.push_back(std::move(w));
    }
    return absl::OkStatus();
  }

  int Run() {
    for (;;) {
      std::vector<pollfd> fds;
      fds.push_back({signals_, POLLIN, 0});
      for (Worker& w : workers_) fds.push_back({w.alive ? w.done.get() : -1, POLLIN, 0});
      // Accept only while a worker is free: the backlog holds the rest.
      const bool can_accept = IdleWorker() != nullptr;
      fds.push_back({can_accept ? listener_.get() : -1, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        Log("master", absl::StrCat("poll: ", std::strerror(errno)));
        return Stop(1);
      }
      if (fds[0].revents & POLLIN) {
        for (int sig : ReadSignals(signals_)) {
          if (sig == SIGTERM || sig == SIGINT) return Stop(0);
          if (sig == SIGCHLD) Reap();
          if (sig == SIGUSR1) {
            drill_ = true;
            Log("master", "drill armed: the next handoff's worker dies mid-way");
          }
        }
      }
      for (size_t i = 0; i < workers_.size(); ++i) {
        if (fds[1 + i].revents) ReadDone(workers_[i]);
      }
      if (fds.back().revents & POLLIN) AcceptOne();
      if (std::none_of(workers_.begin(), workers_.end(),
                       [](const Worker& w) { return w.alive; })) {
        Log("master", "no worker left");
        return Stop(1);
      }
    }
  }

 private:
  Worker* IdleWorker() {
    for (Worker& w : workers_) {
      if (w.alive && w.idle) return &w;
    }
    return nullptr;
  }

  void ReadDone(Worker& w) {
    char buf[64];
    ssize_t n = ::read(w.done.get(), buf, sizeof buf);
    if (n > 0) {
      w.idle = true;
    } else if (n == 0) {
      MarkDead(w, "its pipe closed");
    }
  }

  void MarkDead(Worker& w, const std::string& why) {
    if (!w.alive) return;
    w.alive = false;
    ++worker_deaths_;
    Log("master", absl::StrCat("worker ", w.pid, " gone (", why, ")"));
  }

  void Reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (Worker& w : workers_) {
        if (w.pid == pid) {
          MarkDead(w, "exited");
          w.pid = -1;
        }
      }
    }
  }

  void AcceptOne() {
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) return;  // EAGAIN, ECONNABORTED, EMFILE: try later
    ++connections_;
    std::string principal;
    absl::StatusOr<MitContext> ctx = Authenticate(client.get(), &principal);
    if (!ctx.ok()) {
      Log("master", absl::StrCat("authentication failed: ", transport::StatusText(ctx.status())));
      ++dropped_;
      return;
    }
    if (options_.verbose) Log("master", absl::StrCat("authenticated ", principal));
    const int extra[] = {client.get()};
    while (Worker* w = IdleWorker()) {
      krb5::HandOffOptions handoff;
      if (drill_) {
        // Fault drill (SIGUSR1): the worker dies mid-handoff. Stopped
        // first, so it cannot import; killed once the message is on its
        // way. The master must reclaim the context and pass the client on.
        drill_ = false;
        const pid_t victim = w->pid;
        Log("master", absl::StrCat("drill: killing worker ", victim,
                                   " in the middle of a handoff"));
        ::kill(victim, SIGSTOP);
        handoff.after_send = [victim] { ::kill(victim, SIGKILL); };
      }
      absl::StatusOr<krb5::Delivery> d =
          krb5::HandOffMitContext(*w->channel, *ctx, extra, handoff);
      if (d.ok()) {
        ++handoffs_;
        w->idle = false;
        return;  // `client` closes here: the worker has its own copy
      }
      if (!ctx->valid()) {
        // Exported and not brought back: MIT could not re-import it, or
        // the reclaim failed (then the worker may still import it and
        // serve the client; we cannot tell). Either way, not ours.
        Log("master", absl::StrCat("context not recovered: ", Describe(d.status())));
        ++dropped_;
        if (transport::KindOf(d.status()) != transport::ErrorKind::kNone) {
          w->idle = false;  // the reclaim failed: the worker may have it
        }
        return;
      }
      ++reclaims_;
      Log("master", absl::StrCat("worker ", w->pid, " did not take the context (",
                                 Describe(d.status()), "); reclaimed"));
      if (transport::IsError(d.status(), transport::ErrorKind::kRejectedByPeer) ||
          transport::IsError(d.status(), transport::ErrorKind::kTimeout)) {
        // The worker got the message (and refused it, or is slow to
        // answer): it says when it is free again.
        w->idle = false;
      } else {
        // Closed, or the send itself failed: the channel is not usable.
        MarkDead(*w, Describe(d.status()));
      }
    }
    Log("master", "no idle worker for an authenticated client: dropped");
    ++dropped_;
  }

  int Stop(int code) {
    channels_.clear();  // workers see the channel close and exit
    for (Worker& w : workers_) {
      if (w.pid > 0) ::waitpid(w.pid, nullptr, 0);
    }
    WriteLine(options_.stats_fd,
              absl::StrCat("connections=", connections_, " handoffs=", handoffs_,
                           " reclaims=", reclaims_, " dropped=", dropped_,
                           " worker_deaths=", worker_deaths_));
    Log("master", absl::StrCat("stopped: ", connections_, " connections, ",
                               handoffs_, " handoffs, ", reclaims_, " reclaims, ",
                               dropped_, " dropped"));
    return code;
  }

  Krb5ServerOptions options_;
  UniqueFd listener_;
  int signals_;
  std::vector<std::unique_ptr<transport::Channel>> channels_;
  std::vector<Worker> workers_;
  int connections_ = 0, handoffs_ = 0, reclaims_ = 0, dropped_ = 0,
      worker_deaths_ = 0;
  bool drill_ = false;  // SIGUSR1: kill the next handoff's worker mid-way
};

}  // namespace

int RunKrb5Server(const Krb5ServerOptions& options) {
  if (absl::Status s = SetCloseOnExec(options.port_fd); !s.ok()) return 1;
  if (absl::Status s = SetCloseOnExec(options.stats_fd); !s.ok()) return 1;
  ::signal(SIGPIPE, SIG_IGN);
  int port = 0;
  absl::StatusOr<UniqueFd> listener = Listen(options.listen, &port);
  if (!listener.ok()) {
    Log("master", transport::StatusText(listener.status()));
    return 1;
  }
  absl::StatusOr<int> signals =
      InstallSignalPipe({SIGTERM, SIGINT, SIGCHLD, SIGUSR1});
  if (!signals.ok()) return 1;
  Master master(options, std::move(*listener), *signals);
  if (absl::Status s = master.StartWorkers(); !s.ok()) {
    Log("master", absl::StrCat("starting workers: ", transport::StatusText(s)));
    return 1;
  }
  Log("master", absl::StrCat("listening on ", options.listen,
                             port ? absl::StrCat(" port ", port) : "", " with ",
                             options.workers, " workers (MIT Kerberos)"));
  if (options.port_fd >= 0) WriteLine(options.port_fd, std::to_string(port));
  return master.Run();
}

}  // namespace gssx::examples
