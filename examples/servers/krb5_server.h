// SPDX-License-Identifier: Apache-2.0
// krb5_server: a pre-fork server on the system's MIT Kerberos GSS-API.
// The master accepts each TCP client, runs gss_accept_sec_context with the
// default keytab (KRB5_KTNAME), and hands the established context and the
// client socket in one message to an idle worker (gssx/krb5_bridge/bridge.h:
// MIT's gss_export_sec_context → sealed memfd over the gssx channel →
// gss_import_sec_context in the worker, exactly once). The worker then
// answers the client's wrapped requests itself.
//
// Wire protocol (krb5_client.h is the other side), frames of frame.h:
//   client → server  the initiator's tokens, until the context is
//                    established (with mutual authentication: the AP-REQ);
//   server → client  the acceptor's tokens (the AP-REP);
//   then, repeatedly, client → server a wrapped request, server → client
//   the wrapped reply "worker <pid>: re: <request>".
//
// The workers are the pre-fork worker pool (worker_pool.h), shared with
// the gssx pre-fork server (prefork.h): its signals (SIGUSR1 fault drill:
// the next handoff's worker is killed mid-way, the master reclaims the
// context through the latch and hands the client to another worker;
// SIGUSR2: a busy worker hands its client back), its failure policy (a
// worker is replaced only when it died; a refused or unanswered handoff
// goes to the next idle worker) and its statistics line.
//
// SIGHUP: live upgrade to the binary at the server's own path, exactly as
// the gssx pre-fork server (live_upgrade.h, docs/upgrade.md): the workers
// hand their clients back between two requests, the old master starts the
// new binary with its own arguments, offers it the listener and every
// client (MIT context through gss_export_sec_context, socket:
// gssx/krb5_bridge/upgrade.h) and exits 0 once the new one committed; if
// the new binary refuses or fails, every client came back and the old
// master keeps serving. The new master takes the listener and the clients
// instead of binding (it inherits the --stats_fd, not the --port_fd). Its
// signal pipe is installed before it takes over, so a SIGTERM or SIGHUP
// arriving meanwhile waits rather than killing it. GSSX_UPGRADE_DRILL
// (live_upgrade.h) makes a new master refuse or crash, for the fault
// tests.
//
// The master authenticates one client at a time (a client has 10 s to
// send each handshake token) and accepts only while a worker is idle, so
// the kernel's backlog queues the rest.
//
// Links MIT's GSS-API and gssx's transport only (never libgssx.so).
#ifndef GSSX_EXAMPLES_KRB5_SERVER_H_
#define GSSX_EXAMPLES_KRB5_SERVER_H_

#include <string>

namespace gssx::examples {

struct Krb5ServerOptions {
  std::string listen = "127.0.0.1:0";
  int workers = 2;
  // For harnesses: the bound port is written to port_fd; at exit the
  // statistics line (StatsToLine, worker_pool.h) to stats_fd.
  int port_fd = -1;
  int stats_fd = -1;
  bool verbose = false;
};

// Runs until SIGTERM or SIGINT; returns the process exit code.
int RunKrb5Server(const Krb5ServerOptions& options);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_KRB5_SERVER_H_
