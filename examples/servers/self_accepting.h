// SPDX-License-Identifier: Apache-2.0
// The self-accepting pre-fork server: the baseline //examples:handoff_load
// measures the handoff against (issue 16), not a design to copy.
//
// Apache "prefork" style: the master loads the credentials (the keytab),
// listens, and pre-forks N workers; every worker holds the keytab, blocks
// in accept() on the shared listening socket, authenticates the client
// itself (serve.h: AuthenticateClient, the same handshake and welcome as
// the pre-fork master), then serves its wrapped requests (ServeOneRequest)
// until the client closes, and accepts again. The same protocol, the same
// client, the same worker count as the handoff server (prefork.h) — but
// every worker sees the long-term keys, which is what the handoff avoids.
//
// The master only waits: SIGTERM/SIGINT stop the workers (each finishes
// the connection it is serving, then exits); a worker that dies is
// replaced. The workers count connections and failures in one shared
// page (no system call per connection; a killed worker's counts survive
// it). At exit the statistics line (worker_pool.h StatsToLine: connections,
// failures, worker_deaths; handoffs and the rest 0) is written to
// stats_fd.
#ifndef GSSX_EXAMPLES_SERVERS_SELF_ACCEPTING_H_
#define GSSX_EXAMPLES_SERVERS_SELF_ACCEPTING_H_

#include "examples/servers/prefork.h"
#include "examples/servers/worker_pool.h"

namespace gssx::examples {

// Uses listen, workers (>= 1), keytab, trust, port_fd, stats_fd, verbose.
// Runs until SIGTERM/SIGINT. Returns a process exit code.
int RunSelfAcceptingServer(const PreforkOptions& options);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_SERVERS_SELF_ACCEPTING_H_
