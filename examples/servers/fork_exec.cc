// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/fork_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "examples/servers/handshakes.h"
#include "examples/servers/privsep.h"
#include "examples/servers/serve.h"
#include "examples/servers/server_util.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/handoff.h"
#include "gssx/status.h"
#include "transport/channel.h"
#include "transport/peer.h"
#include "transport/base/unique_fd.h"
#include "transport/base/deadline.h"

namespace gssx::examples {
namespace {

using transport::Channel;
using transport::PeerPolicy;
using transport::UniqueFd;

constexpr char kWho[] = "server";

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return "?";
}

class Server {
 public:
  Server(const ForkExecOptions& options, Credentials cred, UniqueFd listener,
         int signals, const UserIds* drop_to)
      : options_(options),
        cred_(std::move(cred)),
        listener_(std::move(listener)),
        signals_(signals) {
    if (drop_to != nullptr) {
      drop_ = true;
      session_uid_ = drop_to->uid;
      session_gid_ = drop_to->gid;
      ready_policy_ = PeerPolicy::Nobody().AllowUid(drop_to->uid);
    } else {
      // SCM_CREDENTIALS carries the real uid; a session that drops nothing
      // has ours.
      session_uid_ = ::getuid();
      session_gid_ = ::getgid();
      ready_policy_ = PeerPolicy::Nobody().AllowUid(::getuid()).AllowUid(::geteuid());
    }
    // The channel's own check sees SO_PEERCRED of a socketpair we made:
    // our own credentials (fork_exec.h, step 6). Admit those and the
    // session's uid; the ready message carried the real check.
    channel_policy_ = PeerPolicy::SameUid().AllowUid(session_uid_);
  }

  int Run() {
    while (!stopping_) {
      std::vector<struct pollfd> fds = {{listener_.get(), POLLIN, 0},
                                        {signals_, POLLIN, 0}};
      handshakes_.AppendPollFds(&fds);
      const int timeout = transport::PollTimeoutMs(
          handshakes_.NextDeadline(), absl::Now());
      if (::poll(fds.data(), fds.size(), timeout) < 0) {
        if (errno == EINTR) continue;
        Log(kWho, absl::StrCat("poll: ", std::strerror(errno)));
        break;
      }
      if (fds[1].revents & POLLIN) HandleSignals();
      if (stopping_) break;
      AdvanceHandshakes(absl::MakeConstSpan(fds).subspan(2));
      if (fds[0].revents & POLLIN) handshakes_.AcceptFrom(listener_.get(), absl::Now());
    }
    Shutdown();
    return 0;
  }

 private:
  struct Session {
    bool killed = false;  // by us: a failed start
  };

  void HandleSignals() {
    for (int sig : ReadSignals(signals_)) {
      if (sig == SIGTERM || sig == SIGINT) stopping_ = true;
    }
    Reap();  // SIGCHLD, or harmless
  }

  void Reap() {
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = sessions_.find(pid);
      const bool killed = it != sessions_.end() && it->second.killed;
      if (it != sessions_.end()) sessions_.erase(it);
      const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!clean && !killed) ++stats_.session_errors;
      if (!clean || options_.verbose) {
        Log(kWho, absl::StrCat("session ", pid, " ended: ", DescribeExit(status),
                               killed ? " (killed by the server)" : ""));
      }
    }
  }

  void Kill(pid_t pid) {
    ::kill(pid, SIGKILL);
    sessions_[pid].killed = true;  // reaped by Reap, on SIGCHLD
  }

  void AdvanceHandshakes(absl::Span<const struct pollfd> ready) {
    for (AuthenticatedClient& c : handshakes_.AdvanceAndLog(
             ready, absl::Now(), kWho, options_.verbose, &stats_.failures)) {
      StartSessionFor(&c.ctx, std::move(c.fd));
    }
  }

  // Steps 2-7 for an authenticated connection, with one retry.
  void StartSessionFor(Context* ctx, UniqueFd client) {
    ++stats_.connections;
    for (int attempt = 0; attempt < 2; ++attempt) {
      absl::Status s = StartSession(*ctx, client.get());
      if (s.ok()) {
        ++stats_.sessions;
        return;  // closes our copy of the client socket
      }
      Log(kWho, absl::StrCat("session start failed: ", gssx::StatusText(s)));
      if (!ctx->valid()) break;  // lost with the session (handoff.h)
      if (absl::IsPermissionDenied(s)) {
        ++stats_.refused;  // a new session would be refused the same way
        break;
      }
      if (attempt == 0) {
        ++stats_.retries;
        Log(kWho, "context reclaimed; trying a new session");
      }
    }
    ++stats_.failures;
    Log(kWho, "dropping the connection");
  }

  // Steps 2-7 of fork_exec.h for one connection. OK: the session imported
  // the context (ctx is empty). Otherwise the session, if any, is killed
  // and ctx holds the context (unless HandOffContext says it was lost).
  absl::Status StartSession(Context& ctx, int client) {
    absl::StatusOr<std::pair<UniqueFd, UniqueFd>> pair = transport::MakeSocketPair();
    if (!pair.ok()) return pair.status();
    UniqueFd& ours = pair->first;
    UniqueFd& theirs = pair->second;
    // Before the session exists: the kernel then records the sender's
    // credentials on every message it sends us.
    if (absl::Status s = EnablePassCred(ours.get(), true); !s.ok()) return s;
    std::vector<std::string> args = {options_.session_binary,
                                     absl::StrCat("--channel_fd=", theirs.get())};
    if (drop_) args.push_back(absl::StrCat("--user=", options_.user));
    if (options_.verbose) args.push_back("--verbose");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string exec_failed =
        absl::StrCat("[", kWho, "] exec ", options_.session_binary, " failed\n");

    const pid_t pid = ::fork();
    if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
    if (pid == 0) {
      // The only fd that crosses exec: every other one is close-on-exec.
      if (::fcntl(theirs.get(), F_SETFD, 0) == 0) ::execv(argv[0], argv.data());
      (void)!::write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
      ::_exit(127);
    }
    sessions_.emplace(pid, Session{});
    theirs.Reset();
    const absl::Time deadline = absl::Now() + options_.session_timeout;
    auto fail = [&](absl::Status s) {
      Kill(pid);
      return s;
    };

    absl::StatusOr<transport::PeerCredentials> who =
        AwaitSessionReady(ours.get(), pid, deadline);
    if (!who.ok()) return fail(who.status());
    if (!ready_policy_.Allows(*who)) {
      return fail(absl::PermissionDeniedError(absl::StrCat(
          "session ", pid, " runs as uid ", who->uid, " gid ", who->gid,
          "; allowed: ", ready_policy_.Describe())));
    }
    if (drop_) {
      absl::StatusOr<ProcessIds> ids = ReadProcessIds(pid);
      if (!ids.ok()) return fail(ids.status());
      if (absl::Status s = CheckDropped(*ids, session_uid_, session_gid_); !s.ok()) {
        return fail(absl::PermissionDeniedError(
            absl::StrCat("session ", pid, ": ", s.message())));
      }
    }
    if (absl::Status s = EnablePassCred(ours.get(), false); !s.ok()) return fail(s);

    transport::ChannelOptions copts;
    copts.policy = channel_policy_;
    copts.open_timeout = std::max(deadline - absl::Now(), absl::ZeroDuration());
    absl::StatusOr<Channel> channel = Channel::Open(std::move(ours), copts);
    if (!channel.ok()) return fail(channel.status());
    HandOffOptions hopts;
    hopts.ack_timeout = std::max(deadline - absl::Now(), absl::ZeroDuration());
    absl::StatusOr<Delivery> d = HandOffContext(*channel, ctx, {client}, hopts);
    if (!d.ok()) return fail(d.status());
    if (options_.verbose || drop_) {
      Log(kWho, absl::StrCat("session ", pid, " (uid ", who->uid, " gid ", who->gid,
                             ", checked) took the connection"));
    }
    return absl::OkStatus();
  }

  void Shutdown() {
    Reap();
    Log(kWho, absl::StrCat("stopping; ", sessions_.size(), " live session(s)"));
    for (auto& [pid, s] : sessions_) ::kill(pid, SIGTERM);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    Reap();
    while (!sessions_.empty() && absl::Now() < deadline) {
      struct pollfd p = {signals_, POLLIN, 0};
      if (::poll(&p, 1, transport::PollTimeoutMs(deadline)) < 0 &&
          errno != EINTR) {
        break;
      }
      (void)ReadSignals(signals_);
      Reap();
    }
    for (auto& [pid, s] : sessions_) {
      Log(kWho, absl::StrCat("session ", pid, " did not stop; killing it"));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ++stats_.session_errors;
    }
    sessions_.clear();
    std::string line = ForkExecStatsToLine(stats_);
    Log(kWho, line);
    WriteLine(options_.stats_fd, line);
  }

  const ForkExecOptions& options_;
  Credentials cred_;
  PendingHandshakes handshakes_{&cred_};  // accepted, not yet authenticated
  UniqueFd listener_;
  int signals_;  // the self-pipe (server_util.h owns it)
  bool drop_ = false;
  uid_t session_uid_ = 0;
  gid_t session_gid_ = 0;
  PeerPolicy ready_policy_ = PeerPolicy::Nobody();
  PeerPolicy channel_policy_ = PeerPolicy::Nobody();
  std::map<pid_t, Session> sessions_;
  ForkExecStats stats_;
  bool stopping_ = false;
};

}  // namespace

std::string ForkExecStatsToLine(const ForkExecStats& s) {
  return absl::StrCat("connections=", s.connections, " sessions=", s.sessions,
                      " refused=", s.refused, " retries=", s.retries,
                      " failures=", s.failures, " session_errors=", s.session_errors);
}

int RunForkExecServer(const ForkExecOptions& options) {
  // Harness fds go no further than this process (the session checks).
  if (absl::Status s = SetCloseOnExec(options.port_fd); !s.ok()) {
    Log(kWho, gssx::StatusText(s));
    return 1;
  }
  if (absl::Status s = SetCloseOnExec(options.stats_fd); !s.ok()) {
    Log(kWho, gssx::StatusText(s));
    return 1;
  }
  if (options.session_binary.empty() || options.session_binary[0] != '/' ||
      ::access(options.session_binary.c_str(), X_OK) != 0) {
    Log(kWho, absl::StrCat("no executable session binary at '",
                           options.session_binary, "'"));
    return 1;
  }
  UserIds drop_to;
  if (!options.user.empty()) {
    absl::StatusOr<UserIds> u = LookUpUser(options.user);
    if (!u.ok()) {
      Log(kWho, absl::StrCat("--user: ", gssx::StatusText(u.status())));
      return 1;
    }
    if (::geteuid() != 0 && (u->uid != ::geteuid() || u->gid != ::getegid())) {
      Log(kWho, absl::StrCat("--user ", options.user, " needs root (running as uid ",
                             ::geteuid(), ")"));
      return 1;
    }
    drop_to = *u;
  }
  // Not root and already that user: nothing to drop (and no right to
  // change groups), so sessions simply run as we do.
  const bool drop = !options.user.empty() && ::geteuid() == 0;
  AcquireOptions acquire;
  acquire.keytab_path = options.keytab;
  acquire.trust_path = options.trust;
  acquire.usage = CredentialUsage::kAccept;
  absl::StatusOr<Credentials> cred = Credentials::Acquire(acquire);
  if (!cred.ok()) {
    Log(kWho, absl::StrCat("credentials: ", gssx::StatusText(cred.status())));
    return 1;
  }
  int port = 0;
  absl::StatusOr<UniqueFd> listener = Listen(options.listen, &port);
  if (!listener.ok()) {
    Log(kWho, gssx::StatusText(listener.status()));
    return 1;
  }
  absl::StatusOr<int> signals = InstallSignalPipe({SIGTERM, SIGINT, SIGCHLD});
  if (!signals.ok()) {
    Log(kWho, gssx::StatusText(signals.status()));
    return 1;
  }
  Log(kWho, absl::StrCat(
                "listening on ", options.listen,
                port != 0 ? absl::StrCat(" port ", port) : "", " as ",
                cred->name().identity(), "; sessions: ", options.session_binary,
                !drop
                    ? absl::StrCat(" as uid ", ::getuid())
                    : absl::StrCat(" as ", options.user, " (uid ", drop_to.uid,
                                   " gid ", drop_to.gid, ")")));
  WriteLine(options.port_fd, std::to_string(port));
  Server server(options, std::move(*cred), std::move(*listener), *signals,
                drop ? &drop_to : nullptr);
  return server.Run();
}

}  // namespace gssx::examples
