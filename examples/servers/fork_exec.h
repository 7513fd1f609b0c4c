// SPDX-License-Identifier: Apache-2.0
// The fork/exec server behind examples/fork_exec_server: privilege
// separation by exec. The server authenticates each client (the same
// framed protocol as the pre-fork server, serve.h: init token, accept
// token, one wrapped "welcome"), then starts a fresh process for it —
// fork, then exec of the separate session binary (examples/session.cc) —
// and hands it the established context and the client socket
// (gssx::HandOffContext). The session serves the client's wrapped requests
// and exits when the client is done.
//
// One connection, step by step (privsep.h has the helpers):
//  1. accept; the handshake (serve.h) is driven from the poll loop with the
//     other pending ones (handshakes.h).
//  2. socketpair (close-on-exec), SO_PASSCRED on the server's end.
//  3. fork; the child clears close-on-exec on its end of the pair only and
//     execs `session --channel_fd=N [--user=NAME]`. Every other fd of the
//     server is close-on-exec (the listener, the signal pipe, the other
//     clients; --port_fd and --stats_fd are made so at start-up), and the
//     session refuses to run if anything but stdio and the channel came
//     across.
//  4. The session drops privileges if asked (setgroups, setresgid,
//     setresuid to NAME's ids from getpwnam; verified), then sends one
//     "ready" byte. The kernel records its credentials on that message
//     (SO_PASSCRED), after the drop.
//  5. The server checks those credentials: the pid is its child's, the uid
//     is allowed by its PeerPolicy (only NAME's uid with --user; else its
//     own uid); with --user also /proc/PID/status (every uid and gid is
//     NAME's, no supplementary groups but NAME's gid, no capabilities).
//     Refused: the session is killed and the client dropped.
//  6. Both sides open a transport::Channel on the pair (the session with
//     Channel::FromInheritedFd). Its HELLO applies a PeerPolicy to
//     SO_PEERCRED — which for a socketpair records the process that called
//     socketpair(), i.e. the server before it forked, not the session after
//     its drop. So the channel's policy passes on the server's own uid and
//     proves nothing about the session; step 5 is the check that means
//     something. (A policy admitting only NAME's uid would refuse every
//     session, because SO_PEERCRED would say root.)
//  7. HandOffContext(channel, ctx, {client}); the session's ReceiveContext
//     imports it (the next sequence number continues after "welcome") and
//     acks. The server closes its copy of the client socket and the
//     channel. If the session dies before importing, the context is
//     reclaimed and one more session is tried.
//
// The server is single-threaded. Step 1 runs for every pending connection
// at once from the poll loop (PendingHandshakes, handshakes.h: a client
// that sends nothing holds up no one; at most kMaxPendingHandshakes, the
// oldest dropped first); steps 2-7 run for one authenticated connection at
// a time (a few milliseconds, mostly exec); live sessions run in parallel.
// Signals: SIGTERM/SIGINT stop it: no new connections, every session gets
// SIGTERM (it closes its connection and exits), sessions are reaped
// (SIGKILL after 10 s), the statistics line is logged and written to
// --stats_fd, exit 0. SIGCHLD reaps finished sessions.
#ifndef GSSX_EXAMPLES_FORK_EXEC_H_
#define GSSX_EXAMPLES_FORK_EXEC_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace gssx::examples {

struct ForkExecOptions {
  // "127.0.0.1:PORT" (PORT 0: the kernel picks; logged and written to
  // port_fd) or "unix:/path".
  std::string listen = "127.0.0.1:0";
  std::string keytab;  // the server's identity (gssx keygen)
  std::string trust;   // the clients it trusts
  // Absolute path of the session binary (examples/session).
  std::string session_binary;
  // Non-empty: sessions drop to this user (the server must be root, or be
  // that user already). The session imports a context and needs no key
  // file, so the keytab can stay readable by root only.
  std::string user;
  int port_fd = -1;   // if >= 0: the bound port, one line
  int stats_fd = -1;  // if >= 0: the statistics line, at exit
  // For one session: exec, ready message, channel HELLO, import and ack.
  absl::Duration session_timeout = absl::Seconds(10);
  bool verbose = false;  // passed on to sessions
};

struct ForkExecStats {
  int64_t connections = 0;     // authenticated
  int64_t sessions = 0;        // connections a session acknowledged
  int64_t refused = 0;         // sessions that failed the credential check
  int64_t retries = 0;         // connections reclaimed and given to a new session
  int64_t failures = 0;        // connections the server dropped
  int64_t session_errors = 0;  // sessions that exited non-zero or by a signal
};

// "connections=N sessions=N refused=N retries=N failures=N session_errors=N"
std::string ForkExecStatsToLine(const ForkExecStats& s);

// Runs the server until SIGTERM/SIGINT. Returns a process exit code.
// Every fd of the calling process must be close-on-exec (sessions refuse
// to run otherwise): fork_exec_server's main calls
// MarkInheritedFdsCloseOnExec (server_util.h) first thing; port_fd and
// stats_fd are marked here.
int RunForkExecServer(const ForkExecOptions& options);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_FORK_EXEC_H_
