// SPDX-License-Identifier: Apache-2.0
// The pre-fork server behind examples/prefork_server and the demo.
//
// The master listens (TCP on loopback, or a Unix path) and pre-forks N
// workers (the worker pool, worker_pool.h, shared with krb5_server.h). For
// each client it accepts, the master runs the GSS handshake (framed
// tokens, frame.h) from its poll loop, beside the other pending ones
// (handshakes.h: a client that sends nothing holds up no one), sends one
// wrapped welcome message, and hands the client socket and the established
// context to an idle worker in one message (gssx::HandOffContext). The
// worker serves wrapped request/response frames whose sequence numbers
// continue from the master's. Failures follow the pool's policy: a context
// that did not reach a worker is reclaimed and goes to the next idle one
// (the client notices nothing); dead workers are replaced. A worker told
// to stop (SIGTERM) hands its connection back to the master, which passes
// it on.
//
// With workers = 0 there is no handoff at all: the master serves every
// connection itself, multiplexed in its poll loop, with the same request
// code the workers run (serve.h). That mode exists as the baseline for
// //examples:handoff_load; it is not how anyone should run the server.
//
// Master signals: SIGTERM/SIGINT stop (workers are stopped, connections
// closed); SIGUSR1 makes the next handoff a fault drill: the chosen worker
// is stopped, the context sent, the worker SIGKILLed before it can import,
// and the master reclaims (this is how the demo kills a worker mid-handoff);
// SIGUSR2 asks one busy worker to stop, so that it hands its connection
// back (the master passes it on and starts a replacement worker); SIGHUP
// upgrades live to the binary at the server's own path: the workers hand
// their connections back between requests and the new master takes the
// listener and every authenticated connection (live_upgrade.h).
#ifndef GSSX_EXAMPLES_PREFORK_H_
#define GSSX_EXAMPLES_PREFORK_H_

#include <string>

namespace gssx::examples {

struct PreforkOptions {
  // "127.0.0.1:PORT" (PORT may be 0: the kernel picks; it is logged and
  // written to port_fd) or "unix:/path".
  std::string listen = "127.0.0.1:0";
  // Pre-forked workers; 0: no handoff, the master serves connections.
  int workers = 4;
  // Clients a worker serves at once (worker_pool.h): 1, a worker serves
  // one client at a time; more, each worker multiplexes up to that many
  // from one poll.
  int clients_per_worker = 1;
  std::string keytab;  // the server's identity (gssx keygen)
  std::string trust;   // the clients it trusts
  // If >= 0: the bound TCP port (or 0 for unix) is written here as one line.
  int port_fd = -1;
  // If >= 0: at exit, the statistics line (StatsToLine, worker_pool.h) is
  // written here.
  int stats_fd = -1;
  bool verbose = false;  // a log line per connection
};

// Runs the server until SIGTERM/SIGINT. Returns a process exit code.
int RunPreforkServer(const PreforkOptions& options);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_PREFORK_H_
