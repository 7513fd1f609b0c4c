// SPDX-License-Identifier: Apache-2.0
// prefork_server: a pre-forked worker pool that authenticates each client
// in the master and hands the client socket plus its GSS context to an
// idle worker (see prefork.h).
//
//   bazel run //examples:prefork_server -- --keytab server.keytab
//       --trust server.trust --listen 127.0.0.1:0 --workers 4
//
// Keys: `gssx keygen --name demo@localhost --keytab server.keytab
// --trust client.trust` and `gssx keygen --name alice --keytab
// client.keytab --trust server.trust`. SIGTERM or Ctrl-C stops it.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "examples/common/cli.h"
#include "examples/servers/prefork.h"
#include "examples/servers/server_flags.h"
#include "examples/servers/server_util.h"

// What the binary says it is, in its first log line. The upgrade demo
// builds a second binary from these sources with another value
// (//examples:prefork_server_v2), to show which one is running.
#ifndef GSSX_EXAMPLE_SERVER_VERSION
#define GSSX_EXAMPLE_SERVER_VERSION "1"
#endif

ABSL_FLAG(int, workers, 4,
          "number of pre-forked workers; 0: no handoff, the master serves "
          "every connection itself (a benchmark baseline)");
ABSL_FLAG(int, clients_per_worker, 1,
          "clients one worker serves at once (1: one at a time; more: each "
          "worker multiplexes up to that many from one poll)");
ABSL_FLAG(std::string, keytab, "", "the server's keytab (gssx keygen)");
ABSL_FLAG(std::string, trust, "", "trust file naming the clients");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "pre-fork server: authenticate in the master, hand socket + GSS "
      "context to a worker.\nUsage: prefork_server --keytab FILE --trust "
      "FILE [--listen 127.0.0.1:0] [--workers 4]");
  gssx::examples::ParseCommandLine(argc, argv);
  gssx::examples::PreforkOptions o;
  gssx::examples::ApplyServerFlags(&o);  // --listen --port_fd --stats_fd --verbose
  o.workers = absl::GetFlag(FLAGS_workers);
  o.clients_per_worker = absl::GetFlag(FLAGS_clients_per_worker);
  o.keytab = absl::GetFlag(FLAGS_keytab);
  o.trust = absl::GetFlag(FLAGS_trust);
  if (o.keytab.empty() || o.trust.empty() || o.workers < 0 ||
      o.clients_per_worker < 1) {
    std::fprintf(stderr, "prefork_server: --keytab and --trust are required, "
                         "--workers must be >= 0, --clients_per_worker >= 1 (--help)\n");
    return 2;
  }
  gssx::examples::Log("master", "prefork_server version " GSSX_EXAMPLE_SERVER_VERSION);
  return gssx::examples::RunPreforkServer(o);
}
