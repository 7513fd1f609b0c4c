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
#include "examples/servers/server_flags.h"

ABSL_FLAG(int, workers, 2, "number of pre-forked workers (>= 1)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "pre-fork server on MIT Kerberos: accept in the master, hand socket + "
      "MIT context to a worker through gssx.\nUsage: krb5_server "
      "[--listen 127.0.0.1:0] [--workers 2]");
  gssx::examples::ParseCommandLine(argc, argv);
  gssx::examples::Krb5ServerOptions o;
  gssx::examples::ApplyServerFlags(&o);  // --listen --port_fd --stats_fd --verbose
  o.workers = absl::GetFlag(FLAGS_workers);
  if (o.workers < 1) {
    std::fprintf(stderr, "krb5_server: --workers must be >= 1\n");
    return 2;
  }
  return gssx::examples::RunKrb5Server(o);
}
