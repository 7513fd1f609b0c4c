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
// SIGUSR1 arms a fault drill: the worker chosen for the next handoff is
// stopped, then SIGKILLed once the message is sent; the master reclaims the
// context through the latch and hands the client to another worker.
//
// The master authenticates one client at a time (a client has 10 s to
// send each handshake token). Workers serve one client at a time and tell the master when they are
// free again (a byte on a pipe); the master accepts only while a worker is
// idle, so the kernel's backlog queues the rest. A handoff that fails
// (worker died, rejected the token) brings the context back through the
// latch; the master tries the next idle worker, and drops the connection
// only when none is left.
//
// Links MIT's GSS-API and gssx's transport only (never libgssx.so).
#ifndef GSSX_EXAMPLES_KRB5_SERVER_H_
#define GSSX_EXAMPLES_KRB5_SERVER_H_

#include <string>

namespace gssx::examples {

struct Krb5ServerOptions {
  std::string listen = "127.0.0.1:0";
  int workers = 2;
  // For harnesses: the bound port is written to port_fd; at exit one line
  // "connections=N handoffs=N reclaims=N dropped=N worker_deaths=N" to
  // stats_fd.
  int port_fd = -1;
  int stats_fd = -1;
  bool verbose = false;
};

// Runs until SIGTERM or SIGINT; returns the process exit code.
int RunKrb5Server(const Krb5ServerOptions& options);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_KRB5_SERVER_H_
