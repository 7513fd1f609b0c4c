// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/prefork.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "examples/servers/handshakes.h"
#include "examples/servers/live_upgrade.h"
#include "examples/servers/serve.h"
#include "examples/servers/server_util.h"
#include "examples/servers/worker_pool.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/handoff.h"
#include "gssx/status.h"
#include "gssx/upgrade.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/unique_fd.h"
#include "transport/base/deadline.h"

namespace gssx::examples {
namespace {

using transport::Channel;
using transport::UniqueFd;

// gssx contexts through the pool (worker_pool.h).
struct GssxHandoff {
  using Context = gssx::Context;
  static bool Held(const Context& ctx) { return ctx.valid(); }

  // gssx reports transport errors as minor codes (status.h); the pool
  // reads transport kinds.
  static absl::Status AsTransport(const absl::Status& s) {
    const uint32_t minor = MinorOf(s);
    if (s.ok() || transport::KindOf(s) != transport::ErrorKind::kNone ||
        minor <= kTransportMinorBase || minor >= kTransportMinorBase + 0x100) {
      return s;
    }
    return transport::MakeError(
        static_cast<transport::ErrorKind>(minor - kTransportMinorBase),
        gssx::StatusText(s));
  }
  static absl::Status Send(Channel& channel, Context& ctx, int fd,
                           const transport::DeliverOptions& options) {
    return AsTransport(HandOffContext(channel, ctx, {fd}, options).status());
  }
  static absl::StatusOr<transport::PendingDelivery> Start(Channel& channel,
                                                          Context& ctx, int fd) {
    // Export leaves `ctx` untouched on every error (context.h).
    absl::StatusOr<transport::SecretBuffer> token = std::move(ctx).Export();
    if (!token.ok()) return token.status();
    const int extra[] = {fd};
    return transport::StartDelivery(
        channel, *token, extra,
        [&ctx](const transport::SecretBuffer& back) -> absl::Status {
          absl::StatusOr<Context> again = Context::Import(back.span());
          if (!again.ok()) return again.status();  // kFailure: memory; lost
          ctx = std::move(*again);
          return absl::OkStatus();
        });
  }
  static absl::StatusOr<PoolJob<Context>> Receive(Channel& channel,
                                                  absl::Duration timeout) {
    ReceiveContextOptions opts;
    opts.max_extra_fds = 1;
    opts.timeout = timeout;
    absl::StatusOr<ReceivedContext> r = ReceiveContext(channel, opts);
    if (!r.ok()) return AsTransport(r.status());
    if (r->fds.size() != 1) {
      return absl::InvalidArgumentError("a handoff without its client socket");
    }
    return PoolJob<Context>{std::move(r->context), std::move(r->fds[0])};
  }
};

// The worker's main: serves one connection until the client closes it
// (true) or a stop signal arrives (false: the pool hands it back).
bool Serve(Context& ctx, int client, int stop, bool verbose) {
  int served = 0;
  // The first request is usually there already (the client sent it after
  // the welcome, while the master handed the connection over): served at
  // once, without a poll. The stop pipe is looked at before the next.
  absl::StatusOr<bool> first = ServeRequestIfArrived(ctx, client);
  absl::Status s = first.status();
  if (s.ok() && *first) ++served;
  while (s.ok()) {
    struct pollfd p[2] = {{client, POLLIN, 0}, {stop, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (p[1].revents & POLLIN) return false;
    s = ServeOneRequest(ctx, client);
    if (s.ok()) ++served;
  }
  if (!absl::IsNotFound(s)) {  // NotFound: the client closed it
    Log("worker", absl::StrCat("closing the connection: ", gssx::StatusText(s)));
  }
  if (verbose) Log("worker", absl::StrCat("connection done, ", served, " requests"));
  return true;
}

using Conn = PoolJob<Context>;

// gssx contexts through a live upgrade (live_upgrade.h, gssx/upgrade.h).
LiveUpgrade<Context> GssxLiveUpgrade() {
  LiveUpgrade<Context> u;
#ifdef GSSX_PREFORK_UPGRADE_VERSION  // testonly prefork_server_incompatible
  u.self = {kPreforkUpgradeTag, GSSX_PREFORK_UPGRADE_VERSION};
#else
  u.self = {kPreforkUpgradeTag, kPreforkUpgradeVersion};
#endif
  u.offer = [](transport::UpgradeSource& source, uint64_t id, Context& ctx,
               int fd) { return OfferContextSession(source, id, ctx, fd, {}); };
  u.validate = ContextTokenValidator();
  u.import = [](const transport::IncomingSession& s) {
    return ImportUpgradedContext(s);
  };
  return u;
}

PoolOptions MakePoolOptions(const PreforkOptions& options,
                            std::function<void()> in_child) {
  PoolOptions o;
  o.workers = options.workers;
  o.verbose = options.verbose;
  o.in_child = std::move(in_child);
  o.clients_per_worker = options.clients_per_worker;
  return o;
}

class Master {
 public:
  Master(const PreforkOptions& options, Credentials cred, UniqueFd listener,
         int signals)
      : options_(options),
        cred_(std::move(cred)),
        listener_(std::move(listener)),
        signals_(signals),
        pool_(MakePoolOptions(options, [this] {
                listener_.Reset();
                served_.clear();
                handshakes_.Clear();
              }),
              [verbose = options.verbose](Context& ctx, int client, int stop) {
                return Serve(ctx, client, stop, verbose);
              },
              ServeOneRequest) {}

  int Run() {
    if (!pool_.Start().ok()) return 1;
    while (!stopping_) {
      if (options_.workers > 0) pool_.Dispatch();
      std::vector<struct pollfd> fds;
      fds.push_back({listener_.get(), POLLIN, 0});
      fds.push_back({signals_, POLLIN, 0});
      pool_.AppendPollFds(&fds);
      const size_t first_served = fds.size();
      for (auto& c : served_) fds.push_back({c.fd.get(), POLLIN, 0});
      const size_t first_handshake = fds.size();
      handshakes_.AppendPollFds(&fds);
      const int timeout = pool_.PollTimeoutMs(
          transport::PollTimeoutMs(handshakes_.NextDeadline(), absl::Now()));
      if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
        Log("master", absl::StrCat("poll: ", std::strerror(errno)));
        return 1;
      }
      if (fds[1].revents & POLLIN) HandleSignals();
      pool_.HandleEvents(absl::MakeConstSpan(fds).subspan(2, first_served - 2));
      ServeReady(absl::MakeConstSpan(fds).subspan(first_served,
                                                  first_handshake - first_served));
      AdvanceHandshakes(absl::MakeConstSpan(fds).subspan(first_handshake));
      // Handshakes are driven by the loop (handshakes.h): a client that
      // sends nothing holds up no one else.
      if (fds[0].revents & POLLIN) handshakes_.AcceptFrom(listener_.get(), absl::Now());
    }
    Shutdown();
    return 0;
  }

 private:
  void HandleSignals() {
    for (int sig : ReadSignals(signals_)) {
      if (sig == SIGTERM || sig == SIGINT) stopping_ = true;
      if (sig == SIGHUP) {
        Upgrade();
        continue;
      }
      if (sig == SIGUSR1 && options_.workers == 0) {
        Log("master", "drill ignored: no workers (the master serves connections)");
        continue;
      }
      pool_.HandleSignal(sig);
    }
  }

  // SIGHUP: live upgrade to the binary at our own path (live_upgrade.h).
  void Upgrade() {
    bool complete = true;
    std::deque<Conn> collected;
    if (options_.workers > 0) {
      collected = pool_.CollectForUpgrade(absl::Seconds(10), &complete);
    }
    std::vector<Conn> clients(std::make_move_iterator(collected.begin()),
                              std::make_move_iterator(collected.end()));
    for (Conn& c : served_) clients.push_back(std::move(c));
    served_.clear();
    if (!complete) {
      Log("master", "upgrade postponed: a worker is still mid-request");
      Adopt(std::move(clients));
      return;
    }
    UpgradeOutcome u = UpgradeToNewBinary(GssxLiveUpgrade(), listener_.get(), clients);
    if (u.report.outcome == transport::UpgradeReport::Outcome::kCommitted) {
      Log("master", absl::StrCat("upgrade committed: pid ", u.successor,
                                 " took the listener and ",
                                 u.report.committed.size(), " sessions",
                                 u.report.status.ok() ? "" : " (",
                                 u.report.status.ok() ? "" : gssx::StatusText(u.report.status),
                                 u.report.status.ok() ? "" : ")",
                                 "; ", handshakes_.size(),
                                 " handshakes in progress dropped; exiting"));
      pool_.stats().failures += static_cast<int64_t>(handshakes_.size());
      handshakes_.Clear();
      listener_.Reset();
      stopping_ = true;
      return;  // `clients` closes our copies of the sockets
    }
    Log("master", absl::StrCat("upgrade failed (", gssx::StatusText(u.report.status),
                               "): ", u.report.returned.size(),
                               " sessions returned; serving on"));
    ReapFailedSuccessor(u.successor);
    Adopt(std::move(clients));
  }

 public:
  // Clients taken over from an old master (or returned by a failed
  // upgrade): served like new ones.
  void Adopt(std::vector<Conn> clients) {
    for (Conn& c : clients) {
      if (!c.ctx.valid()) {
        ++pool_.stats().failures;  // lost (its restore failed)
        continue;
      }
      if (options_.workers == 0) {
        served_.push_back(std::move(c));
      } else {
        pool_.Submit(std::move(c));
      }
    }
  }

 private:
  void AdvanceHandshakes(absl::Span<const struct pollfd> ready) {
    ServerStats& stats = pool_.stats();
    for (AuthenticatedClient& c : handshakes_.AdvanceAndLog(
             ready, absl::Now(), "master", options_.verbose, &stats.failures)) {
      ++stats.connections;
      Conn conn{std::move(c.ctx), std::move(c.fd)};
      if (options_.workers == 0) {
        served_.push_back(std::move(conn));
      } else {
        pool_.Submit(std::move(conn));
      }
    }
  }

  // workers = 0: the master answers requests itself, with the same
  // ServeOneRequest the workers run (a baseline without handoff).
  void ServeReady(absl::Span<const struct pollfd> ready) {
    // served_ is only appended to (by AdvanceHandshakes) after this loop,
    // so ready[i] still describes served_[i].
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

  void Shutdown() {
    Log("master", "stopping");
    pool_.Stop();
    ServerStats& stats = pool_.stats();
    stats.failures += static_cast<int64_t>(served_.size());
    std::string line = StatsToLine(stats);
    Log("master", line);
    WriteLine(options_.stats_fd, line);
  }

  const PreforkOptions& options_;
  Credentials cred_;
  PendingHandshakes handshakes_{&cred_};  // accepted, not yet authenticated
  UniqueFd listener_;
  int signals_;  // the self-pipe (server_util.h owns it)
  std::vector<Conn> served_;  // workers = 0 only
  WorkerPool<GssxHandoff> pool_;
  bool stopping_ = false;
};

}  // namespace

int RunPreforkServer(const PreforkOptions& options) {
  // First, before taking over: a SIGHUP (or SIGTERM) that arrives while
  // the old master hands us its sessions waits in the pipe for the loop,
  // instead of killing a process that may own them already.
  absl::StatusOr<int> signals =
      InstallSignalPipe({SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGCHLD, SIGHUP});
  if (!signals.ok()) return 1;
  UnblockMasterSignals();  // blocked since the exec if an old master started us
  AcquireOptions acquire;
  acquire.keytab_path = options.keytab;
  acquire.trust_path = options.trust;
  acquire.usage = CredentialUsage::kAccept;
  absl::StatusOr<Credentials> cred = Credentials::Acquire(acquire);
  if (!cred.ok()) {
    Log("master", absl::StrCat("credentials: ", gssx::StatusText(cred.status())));
    return 1;
  }
  (void)OwnBinaryPath();  // now: a SIGHUP's new binary may replace the file
  int port = 0;
  absl::StatusOr<UniqueFd> listener;
  std::vector<Conn> taken_over;
  const bool upgraded = StartedForUpgrade();
  if (upgraded) {
    absl::StatusOr<TakenOver<Context>> t = TakeOverFromOldMaster(GssxLiveUpgrade());
    if (!t.ok()) {
      Log("master", absl::StrCat("upgrade: ", gssx::StatusText(t.status())));
      return 1;
    }
    Log("master", absl::StrCat("upgrade: took over the listener and ",
                               t->clients.size(), " sessions"));
    listener = std::move(t->listener);
    taken_over = std::move(t->clients);
  } else {
    listener = Listen(options.listen, &port);
  }
  if (!listener.ok()) {
    Log("master", gssx::StatusText(listener.status()));
    return 1;
  }
  Log("master", absl::StrCat("listening on ",
                             upgraded ? "the listener taken over" : options.listen,
                             port ? " port " : "",
                             port ? std::to_string(port) : "", " as ",
                             cred->name().identity(),
                             options.workers > 0
                                 ? absl::StrCat(" with ", options.workers, " workers")
                                 : " (no workers: the master serves connections)"));
  if (options.port_fd >= 0 && !upgraded) {
    std::string line = absl::StrCat(port, "\n");
    (void)!::write(options.port_fd, line.data(), line.size());
  }
  Master master(options, std::move(*cred), std::move(*listener), *signals);
  master.Adopt(std::move(taken_over));
  return master.Run();
}

}  // namespace gssx::examples
