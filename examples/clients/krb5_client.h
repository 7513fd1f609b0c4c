// SPDX-License-Identifier: Apache-2.0
// The MIT Kerberos example client (the server is krb5_server.h): connect,
// establish a context with gss_init_sec_context from the default ccache
// (a ticket from kinit; KRB5CCNAME), mutual authentication, then send N
// wrapped requests and check each wrapped reply: it must unwrap with no
// replay or sequence bits and say "worker <pid>: re: <request>".
#ifndef GSSX_EXAMPLES_KRB5_CLIENT_H_
#define GSSX_EXAMPLES_KRB5_CLIENT_H_

#include <sys/types.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gssx::examples {

struct Krb5ClientOptions {
  std::string connect;                         // "127.0.0.1:PORT" or unix:PATH
  std::string service = "echo/localhost";      // Kerberos principal (realm optional)
  int requests = 3;
  // If set: called before each request (0-based), e.g. to pause a client
  // mid-connection in a test.
  std::function<void(int request)> before_request;
};

struct Krb5ClientResult {
  int requests_ok = 0;
  std::set<pid_t> worker_pids;  // the processes that answered
  std::vector<pid_t> answered_by;  // per request answered, in order
};

// One connection. Errors: connect's, MIT's (gss_* with MIT's message), the
// frame errors, or DataLoss for a reply that is not the expected one.
absl::StatusOr<Krb5ClientResult> RunKrb5Client(const Krb5ClientOptions& options);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_KRB5_CLIENT_H_
