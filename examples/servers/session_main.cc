// SPDX-License-Identifier: Apache-2.0
// session: the per-connection program the fork/exec server execs
// (fork_exec.h). It inherits exactly one fd, a channel to the server, and
// receives over it the client's socket and the established GSS context,
// then serves the client's wrapped requests until the client closes.
//
//   session --channel_fd=N [--user=NAME] [--verbose]
//
// Not meant to be started by hand: the server passes the fd number. In
// order: refuse to run if anything but stdio and the channel came across
// exec; with --user, drop privileges for good (privsep.h: setgroups,
// setresgid, setresuid, verified) BEFORE touching the channel, so that the
// context is only ever imported by the unprivileged process; tell the
// server "ready" (it checks our kernel-recorded credentials); open the
// channel (Channel::FromInheritedFd) and import the context and the client
// socket (ReceiveContext); serve. SIGTERM/SIGINT: close the connection and
// exit 0.
//
// Exit codes: 0 done (or stopped), 2 usage, 3 unexpected inherited fds,
// 4 privilege drop failed, 5 setup, channel or import failed, 6 the connection
// failed (a request did not verify, an I/O error).
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "examples/common/cli.h"
#include "examples/servers/privsep.h"
#include "examples/servers/serve.h"
#include "examples/servers/server_util.h"
#include "gssx/handoff.h"
#include "gssx/status.h"
#include "transport/channel.h"
#include "transport/peer.h"

ABSL_FLAG(int, channel_fd, -1, "the inherited channel to the server (required)");
ABSL_FLAG(std::string, user, "",
          "drop privileges to this user before importing the context "
          "(needs root)");
ABSL_FLAG(bool, verbose, false, "log the session's progress");

namespace gssx::examples {
namespace {

constexpr char kWho[] = "session";

// Opens the inherited channel, imports the context and the client socket,
// closes the channel (the server is done with it once we acked).
absl::StatusOr<ReceivedContext> Receive(int fd, uid_t server_uid) {
  transport::ChannelOptions copts;
  copts.policy = transport::PeerPolicy::SameUid().AllowUid(server_uid);
  absl::StatusOr<transport::Channel> channel =
      transport::Channel::FromInheritedFd(fd, copts);
  if (!channel.ok()) {
    return absl::Status(channel.status().code(),
                        absl::StrCat("channel: ", channel.status().message()));
  }
  if (channel->peer().pid != ::getppid()) {
    return absl::PermissionDeniedError(
        absl::StrCat("channel peer is pid ", channel->peer().pid,
                     ", not the server that started us (", ::getppid(), ")"));
  }
  ReceiveContextOptions ropts;
  ropts.max_extra_fds = 1;
  ropts.timeout = absl::Seconds(30);
  absl::StatusOr<ReceivedContext> r = ReceiveContext(*channel, ropts);
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        absl::StrCat("import: ", r.status().message()));
  }
  if (r->fds.size() != 1) return absl::DataLossError("import: no client socket");
  return r;
}

int Main() {
  const int fd = absl::GetFlag(FLAGS_channel_fd);
  if (fd <= 2) {
    Log(kWho, "--channel_fd is required (this program is started by fork_exec_server)");
    return 2;
  }
  // First, before this process opens anything itself.
  if (absl::Status s = CheckInheritedFds(fd); !s.ok()) {
    Log(kWho, absl::StrCat("refusing to run: ", s.message()));
    return 3;
  }
  const bool verbose = absl::GetFlag(FLAGS_verbose);
  absl::StatusOr<int> signals = InstallSignalPipe({SIGTERM, SIGINT});
  if (!signals.ok()) {
    Log(kWho, gssx::StatusText(signals.status()));
    return 5;
  }
  // The server made the socketpair, so SO_PEERCRED will name it with the
  // ids we have now, before any drop.
  const uid_t server_uid = ::geteuid();
  const std::string user = absl::GetFlag(FLAGS_user);
  if (!user.empty()) {
    absl::StatusOr<UserIds> ids = LookUpUser(user);
    absl::Status dropped = ids.ok() ? DropPrivileges(*ids) : ids.status();
    if (!dropped.ok()) {
      Log(kWho, absl::StrCat("cannot become ", user, ": ", gssx::StatusText(dropped)));
      return 4;
    }
    Log(kWho, absl::StrCat("dropped privileges to ", user, " (uid ", ids->uid,
                           " gid ", ids->gid, ")"));
  }
  if (absl::Status s = SendSessionReady(fd); !s.ok()) {
    Log(kWho, absl::StrCat("ready: ", gssx::StatusText(s)));
    return 5;
  }
  absl::StatusOr<ReceivedContext> r = Receive(fd, server_uid);
  if (!r.ok()) {
    Log(kWho, gssx::StatusText(r.status()));
    return 5;
  }
  if (verbose) {
    Log(kWho, absl::StrCat("imported the context and the client socket (uid ",
                           ::getuid(), ")"));
  }
  const int client = r->fds[0].get();
  int served = 0;
  for (;;) {
    struct pollfd p[2] = {{client, POLLIN, 0}, {*signals, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Log(kWho, absl::StrCat("poll: ", std::strerror(errno)));
      return 6;
    }
    if (p[1].revents & POLLIN) {
      Log(kWho, absl::StrCat("stopping on a signal after ", served,
                             " requests; closing the connection"));
      return 0;
    }
    absl::Status s = ServeOneRequest(r->context, client);
    if (absl::IsNotFound(s)) break;
    if (!s.ok()) {
      Log(kWho, absl::StrCat("closing the connection: ", gssx::StatusText(s)));
      return 6;
    }
    ++served;
  }
  if (verbose) Log(kWho, absl::StrCat("connection done, ", served, " requests"));
  return 0;
}

}  // namespace
}  // namespace gssx::examples

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "per-connection session of fork_exec_server: imports the context and "
      "client socket\nhanded over the inherited channel and serves the "
      "client.\nUsage: session --channel_fd=N [--user=NAME] [--verbose] "
      "(started by fork_exec_server)");
  gssx::examples::ParseCommandLine(argc, argv);
  return gssx::examples::Main();
}
