// SPDX-License-Identifier: Apache-2.0
// client: connects to a gssx example server, authenticates, sends N
// wrapped requests per connection, verifies each reply, reports.
//
//   bazel run //examples:client -- --connect 127.0.0.1:PORT
//       --keytab client.keytab --trust client.trust --connections 10
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "examples/common/cli.h"
#include "examples/clients/client.h"
#include "gssx/credentials.h"
#include "gssx/status.h"

ABSL_FLAG(std::string, connect, "", "HOST:PORT or unix:PATH");
ABSL_FLAG(std::string, keytab, "", "the client's keytab (its first identity is used)");
ABSL_FLAG(std::string, trust, "", "trust file naming the server");
ABSL_FLAG(std::string, service, "demo@localhost", "the server's identity");
ABSL_FLAG(int, connections, 1, "connections, one after another");
ABSL_FLAG(int, requests, 10, "wrapped requests per connection");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gssx example client.\nUsage: client --connect HOST:PORT --keytab FILE "
      "--trust FILE [--connections N] [--requests N]");
  gssx::examples::ParseCommandLine(argc, argv);
  gssx::AcquireOptions acquire;
  acquire.keytab_path = absl::GetFlag(FLAGS_keytab);
  acquire.trust_path = absl::GetFlag(FLAGS_trust);
  acquire.usage = gssx::CredentialUsage::kInitiate;
  absl::StatusOr<gssx::Credentials> cred = gssx::Credentials::Acquire(acquire);
  if (!cred.ok()) {
    std::fprintf(stderr, "client: credentials: %s\n", gssx::StatusText(cred.status()).c_str());
    return 1;
  }
  gssx::examples::ClientOptions o;
  o.connect = absl::GetFlag(FLAGS_connect);
  o.service = absl::GetFlag(FLAGS_service);
  o.requests = absl::GetFlag(FLAGS_requests);
  int failures = 0, requests = 0;
  const int n = absl::GetFlag(FLAGS_connections);
  for (int i = 0; i < n; ++i) {
    int ok = 0;
    absl::Status s = gssx::examples::RunClientConnection(*cred, o, &ok);
    requests += ok;
    if (!s.ok()) {
      ++failures;
      std::fprintf(stderr, "client: connection %d: %s\n", i, gssx::StatusText(s).c_str());
    }
  }
  std::printf("client: %d connections, %d verified replies, %d failed connections\n",
              n, requests, failures);
  return failures == 0 ? 0 : 1;
}
