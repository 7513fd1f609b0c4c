// SPDX-License-Identifier: Apache-2.0
// krb5_client: the MIT Kerberos example client; see krb5_client.h.
//
//   kinit alice && bazel run //examples:krb5_client -- --connect
//       127.0.0.1:PORT --service echo/localhost@REALM --requests 3
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "examples/cli.h"
#include "examples/krb5_client.h"
#include "transport/base/errors.h"

ABSL_FLAG(std::string, connect, "", "server address: HOST:PORT or unix:PATH");
ABSL_FLAG(std::string, service, "echo/localhost",
          "the server's Kerberos principal");
ABSL_FLAG(int, requests, 3, "wrapped requests to send");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "krb5_client: a Kerberos client of krb5_server (MIT GSS-API; needs a\n"
      "ticket: kinit first).\n"
      "Usage: krb5_client --connect HOST:PORT [--service NAME] [--requests N]");
  gssx::examples::ParseCommandLine(argc, argv);
  gssx::examples::Krb5ClientOptions o;
  o.connect = absl::GetFlag(FLAGS_connect);
  o.service = absl::GetFlag(FLAGS_service);
  o.requests = absl::GetFlag(FLAGS_requests);
  if (o.connect.empty()) {
    std::fprintf(stderr, "krb5_client: --connect is required\n");
    return 2;
  }
  absl::StatusOr<gssx::examples::Krb5ClientResult> r =
      gssx::examples::RunKrb5Client(o);
  if (!r.ok()) {
    std::fprintf(stderr, "krb5_client: %s\n", gssx::transport::StatusText(r.status()).c_str());
    return 1;
  }
  std::printf("%d requests answered by worker pid(s) %s\n", r->requests_ok,
              absl::StrJoin(r->worker_pids, ", ").c_str());
  return 0;
}
