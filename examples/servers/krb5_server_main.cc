// SPDX-License-Identifier: Apache-2.0
// krb5_server: pre-fork server on MIT Kerberos; see krb5_server.h.
//
//   KRB5_KTNAME=FILE:service.keytab bazel run //examples:krb5_server --
//       --listen 127.0.0.1:0 --workers 2
//
// The service's keys come from the default keytab (KRB5_KTNAME or
// /etc/krb5.keytab), the realm from krb5.conf (KRB5_CONFIG). SIGTERM or
// Ctrl-C stops it.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "examples/common/cli.h"
#include "examples/servers/krb5_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "HOST:PORT (PORT 0: any free port, printed) or unix:PATH");
ABSL_FLAG(int, workers, 2, "number of pre-forked workers (>= 1)");
ABSL_FLAG(int, port_fd, -1, "write the bound port to this fd (for harnesses)");
ABSL_FLAG(int, stats_fd, -1, "write the statistics line to this fd at exit");
ABSL_FLAG(bool, verbose, false, "log every connection");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "pre-fork server on MIT Kerberos: accept in the master, hand socket + "
      "MIT context to a worker through gssx.\nUsage: krb5_server "
      "[--listen 127.0.0.1:0] [--workers 2]");
  gssx::examples::ParseCommandLine(argc, argv);
  gssx::examples::Krb5ServerOptions o;
  o.listen = absl::GetFlag(FLAGS_listen);
  o.workers = absl::GetFlag(FLAGS_workers);
  o.port_fd = absl::GetFlag(FLAGS_port_fd);
  o.stats_fd = absl::GetFlag(FLAGS_stats_fd);
  o.verbose = absl::GetFlag(FLAGS_verbose);
  if (o.workers < 1) {
    std::fprintf(stderr, "krb5_server: --workers must be >= 1\n");
    return 2;
  }
  return gssx::examples::RunKrb5Server(o);
}
