// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/krb5_server.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/common/frame.h"
#include "examples/servers/live_upgrade.h"
#include "examples/servers/server_util.h"
#include "examples/servers/worker_pool.h"
#include "gssx/krb5_bridge/bridge.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/mit_handshake.h"
#include "gssx/krb5_bridge/upgrade.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using krb5::MitContext;
using transport::UniqueFd;

constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);
constexpr absl::Duration kRequestTimeout = absl::Seconds(30);

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

// MIT contexts through the pool (worker_pool.h).
struct MitHandoff {
  using Context = MitContext;
  static bool Held(const Context& ctx) { return ctx.valid(); }
  static absl::Status Send(transport::Channel& channel, Context& ctx, int fd,
                           const transport::DeliverOptions& options) {
    const int extra[] = {fd};
    return krb5::HandOffMitContext(channel, ctx, extra, options).status();
  }
  static absl::StatusOr<transport::PendingDelivery> Start(
      transport::Channel& channel, Context& ctx, int fd) {
    const int extra[] = {fd};
    return krb5::StartMitHandOff(channel, ctx, extra);
  }
  static absl::StatusOr<PoolJob<Context>> Receive(transport::Channel& channel,
                                                  absl::Duration timeout) {
    krb5::ReceiveMitContextOptions options;
    options.max_extra_fds = 1;
    options.timeout = timeout;
    absl::StatusOr<krb5::ReceivedMitContext> r = krb5::ReceiveMitContext(channel, options);
    if (!r.ok()) return r.status();
    if (r->fds.size() != 1) {
      // The master always sends the client socket: a handoff without it
      // has nobody to serve. (It was imported; the context dies here.)
      return absl::InvalidArgumentError("a handoff without its client socket");
    }
    return PoolJob<Context>{std::move(r->context), std::move(r->fds[0])};
  }
};

using Conn = PoolJob<MitContext>;

// MIT contexts through a live upgrade (live_upgrade.h,
// gssx/krb5_bridge/upgrade.h). No state blob: the server keeps none.
LiveUpgrade<MitContext> MitLiveUpgrade() {
  LiveUpgrade<MitContext> u;
  u.self = {kKrb5UpgradeTag, kKrb5UpgradeVersion};
  u.offer = [](transport::UpgradeSource& source, uint64_t id, MitContext& ctx,
               int fd) { return krb5::OfferMitSession(source, id, ctx, fd, {}); };
  u.validate = krb5::MitContextTokenValidator();
  u.import = [](const transport::IncomingSession& s) {
    return krb5::ImportUpgradedMitContext(s);
  };
  return u;
}

// Lets `fd` (the harness's statistics pipe) through the next exec (the
// successor writes its own line there), or not. A negative fd is ignored.
void SetInheritable(int fd, bool inheritable) {
  if (fd < 0) return;
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return;
  (void)::fcntl(fd, F_SETFD, inheritable ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC));
}

// The worker's main for one client: answer wrapped requests until the
// client closes (true), or until SIGTERM (false: the pool hands the client
// back).
bool Serve(MitContext& ctx, int client, int stop) {
  absl::Status s;
  for (;;) {
    struct pollfd p[2] = {{client, POLLIN, 0}, {stop, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      s = absl::ErrnoToStatus(errno, "poll");
      break;
    }
    if (p[1].revents & POLLIN) return false;
    absl::StatusOr<std::vector<uint8_t>> wrapped = ReadFrame(client, kRequestTimeout);
    if (absl::IsNotFound(wrapped.status())) return true;  // a clean end
    absl::StatusOr<std::vector<uint8_t>> request =
        wrapped.ok() ? ctx.Unwrap(*wrapped) : wrapped.status();
    absl::StatusOr<std::vector<uint8_t>> reply =
        request.ok() ? ctx.Wrap(Bytes(absl::StrCat("worker ", ::getpid(), ": re: ",
                                                   Text(*request))))
                     : request.status();
    s = reply.ok() ? WriteFrame(client, *reply) : reply.status();
    if (!s.ok()) break;
  }
  Log("worker", absl::StrCat("client: ", transport::StatusText(s)));
  return true;
}

class Master {
 public:
  Master(const Krb5ServerOptions& options, UniqueFd listener, int signals)
      : options_(options),
        listener_(std::move(listener)),
        signals_(signals),
        pool_(PoolOptions{options.workers, options.verbose,
                          [this] { listener_.Reset(); }},
              Serve) {}

  absl::Status StartWorkers() { return pool_.Start(); }

  // Clients taken over from an old master (or returned by a failed
  // upgrade): queued for the workers like new ones.
  // `lost`: sessions that did not survive the move (failures).
  void Adopt(std::vector<Conn> clients, int lost = 0) {
    pool_.stats().failures += lost;
    for (Conn& c : clients) {
      if (!c.ctx.valid()) {
        ++pool_.stats().failures;  // lost (its restore failed)
        continue;
      }
      pool_.Submit(std::move(c));
    }
  }

  int Run() {
    for (;;) {
      pool_.Dispatch();
      std::vector<pollfd> fds;
      fds.push_back({signals_, POLLIN, 0});
      pool_.AppendPollFds(&fds);
      // Accept only while a worker is free: the backlog holds the rest.
      const bool can_accept = pool_.queued() == 0 && pool_.HasIdle();
      fds.push_back({can_accept ? listener_.get() : -1, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), pool_.PollTimeoutMs(-1)) < 0) {
        if (errno == EINTR) continue;
        Log("master", absl::StrCat("poll: ", std::strerror(errno)));
        return Stop(1);
      }
      if (fds[0].revents & POLLIN) {
        bool stop = false;
        for (int sig : ReadSignals(signals_)) {
          if (sig == SIGTERM || sig == SIGINT) stop = true;
          if (sig == SIGHUP && !stop) {
            if (Upgrade()) return Stop(0);
            continue;
          }
          pool_.HandleSignal(sig);
        }
        if (stop) return Stop(0);
      }
      pool_.HandleEvents(absl::MakeConstSpan(fds).subspan(1, fds.size() - 2));
      if (fds.back().revents & POLLIN) AcceptOne();
    }
  }

 private:
  // Authenticates one client (blocking: one at a time) and queues it for
  // the pool.
  void AcceptOne() {
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) return;  // EAGAIN, ECONNABORTED, EMFILE: try later
    std::string principal;
    absl::StatusOr<MitContext> ctx = Authenticate(client.get(), &principal);
    if (!ctx.ok()) {
      Log("master", absl::StrCat("authentication failed: ",
                                 transport::StatusText(ctx.status())));
      ++pool_.stats().failures;
      return;
    }
    ++pool_.stats().connections;
    if (options_.verbose) Log("master", absl::StrCat("authenticated ", principal));
    pool_.Submit({std::move(*ctx), std::move(client)});
  }

  // SIGHUP: live upgrade to the binary at our own path (live_upgrade.h),
  // as the gssx pre-fork server does. True: committed, this master exits.
  bool Upgrade() {
    bool complete = true;
    std::deque<Conn> collected = pool_.CollectForUpgrade(absl::Seconds(10), &complete);
    std::vector<Conn> clients(std::make_move_iterator(collected.begin()),
                              std::make_move_iterator(collected.end()));
    if (!complete) {
      Log("master", "upgrade postponed: a worker is still mid-request");
      Adopt(std::move(clients));
      return false;
    }
    SetInheritable(options_.stats_fd, true);
    UpgradeOutcome u = UpgradeToNewBinary(MitLiveUpgrade(), listener_.get(), clients);
    SetInheritable(options_.stats_fd, false);
    if (u.report.outcome == transport::UpgradeReport::Outcome::kCommitted) {
      Log("master", absl::StrCat("upgrade committed: pid ", u.successor,
                                 " took the listener and ",
                                 u.report.committed.size(), " sessions",
                                 u.report.status.ok() ? "" : " (",
                                 u.report.status.ok() ? "" : transport::StatusText(u.report.status),
                                 u.report.status.ok() ? "" : ")", "; exiting"));
      listener_.Reset();
      return true;  // `clients` closes our copies of the sockets
    }
    size_t kept = 0;
    for (const Conn& c : clients) kept += c.ctx.valid() ? 1 : 0;
    Log("master", absl::StrCat("upgrade failed (", transport::StatusText(u.report.status),
                               "): ", u.report.returned.size(), " sessions returned, ",
                               kept, " sessions kept; serving on"));
    ReapFailedSuccessor(u.successor);  // it owns nothing
    Adopt(std::move(clients));
    return false;
  }

  int Stop(int code) {
    pool_.Stop();
    const ServerStats& s = pool_.stats();
    WriteLine(options_.stats_fd, StatsToLine(s));
    Log("master", absl::StrCat("stopped: ", s.connections, " connections, ",
                               s.handoffs, " handoffs, ", s.reclaims, " reclaims, ",
                               s.failures, " failures"));
    return code;
  }

  Krb5ServerOptions options_;
  UniqueFd listener_;
  int signals_;
  WorkerPool<MitHandoff> pool_;
};

}  // namespace

int RunKrb5Server(const Krb5ServerOptions& options) {
  const bool upgraded = StartedForUpgrade();
  // A successor inherits the statistics fd from the old master (it is
  // let through that exec), not the port fd (the port is the old one).
  if (!upgraded) {
    if (absl::Status s = SetCloseOnExec(options.port_fd); !s.ok()) return 1;
  }
  if (absl::Status s = SetCloseOnExec(options.stats_fd); !s.ok()) return 1;
  ::signal(SIGPIPE, SIG_IGN);
  (void)OwnBinaryPath();  // now: a SIGHUP's new binary may replace the file
  // The signal pipe first: a SIGTERM or SIGHUP arriving while this master
  // takes over from an old one waits in the pipe (rather than killing it).
  absl::StatusOr<int> signals =
      InstallSignalPipe({SIGTERM, SIGINT, SIGCHLD, SIGUSR1, SIGUSR2, SIGHUP});
  if (!signals.ok()) return 1;
  UnblockMasterSignals();  // blocked since the exec if an old master started us
  int port = 0;
  absl::StatusOr<UniqueFd> listener;
  std::vector<Conn> taken_over;
  int lost = 0;  // committed to us, but not importable (memory)
  if (upgraded) {
    absl::StatusOr<TakenOver<MitContext>> t = TakeOverFromOldMaster(MitLiveUpgrade());
    if (!t.ok()) {
      Log("master", absl::StrCat("upgrade: ", transport::StatusText(t.status())));
      return 1;
    }
    Log("master", absl::StrCat("upgrade: took over the listener and ",
                               t->clients.size(), " sessions"));
    listener = std::move(t->listener);
    taken_over = std::move(t->clients);
    lost = t->lost;
  } else {
    listener = Listen(options.listen, &port);
  }
  if (!listener.ok()) {
    Log("master", transport::StatusText(listener.status()));
    return 1;
  }
  Master master(options, std::move(*listener), *signals);
  if (absl::Status s = master.StartWorkers(); !s.ok()) {
    Log("master", absl::StrCat("starting workers: ", transport::StatusText(s)));
    return 1;
  }
  Log("master", absl::StrCat("listening on ",
                             upgraded ? "the listener taken over" : options.listen,
                             port ? absl::StrCat(" port ", port) : "", " with ",
                             options.workers, " workers (MIT Kerberos)"));
  // A successor's --port_fd names no fd of its own (close-on-exec).
  if (options.port_fd >= 0 && !upgraded) {
    WriteLine(options.port_fd, std::to_string(port));
  }
  master.Adopt(std::move(taken_over), lost);
  return master.Run();
}

}  // namespace gssx::examples
