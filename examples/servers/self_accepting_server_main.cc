// SPDX-License-Identifier: Apache-2.0
// self_accepting_server: the Apache-prefork-style baseline of
// //examples:handoff_load as a program of its own (self_accepting.h), so
// that it can be traced (strace -f -c, perf) like prefork_server.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "examples/common/cli.h"
#include "examples/servers/self_accepting.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "HOST:PORT (PORT 0: any free port, printed) or unix:PATH");
ABSL_FLAG(int, workers, 4, "number of pre-forked workers (each accepts)");
ABSL_FLAG(std::string, keytab, "", "the server's keytab (gssx keygen)");
ABSL_FLAG(std::string, trust, "", "trust file naming the clients");
ABSL_FLAG(int, port_fd, -1, "write the bound port to this fd (for harnesses)");
ABSL_FLAG(int, stats_fd, -1, "write the statistics line to this fd at exit");
ABSL_FLAG(bool, verbose, false, "log every connection");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "self-accepting pre-fork server (benchmark baseline): every worker "
      "accepts and authenticates its own clients.\nUsage: "
      "self_accepting_server --keytab FILE --trust FILE [--listen "
      "127.0.0.1:0] [--workers 4]");
  gssx::examples::ParseCommandLine(argc, argv);
  gssx::examples::PreforkOptions o;
  o.listen = absl::GetFlag(FLAGS_listen);
  o.workers = absl::GetFlag(FLAGS_workers);
  o.keytab = absl::GetFlag(FLAGS_keytab);
  o.trust = absl::GetFlag(FLAGS_trust);
  o.port_fd = absl::GetFlag(FLAGS_port_fd);
  o.stats_fd = absl::GetFlag(FLAGS_stats_fd);
  o.verbose = absl::GetFlag(FLAGS_verbose);
  if (o.keytab.empty() || o.trust.empty() || o.workers < 1) {
    std::fprintf(stderr, "self_accepting_server: --keytab and --trust are required, "
                         "--workers must be >= 1 (--help)\n");
    return 2;
  }
  return gssx::examples::RunSelfAcceptingServer(o);
}
