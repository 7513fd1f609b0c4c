// SPDX-License-Identifier: Apache-2.0
// The example client: connect, authenticate (GSS handshake in frames),
// check the server's wrapped welcome, then send N wrapped requests and
// verify each wrapped reply (content, integrity, no replay/gap bits).
#ifndef GSSX_EXAMPLES_CLIENT_H_
#define GSSX_EXAMPLES_CLIENT_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "gssx/credentials.h"

namespace gssx::examples {

struct ClientOptions {
  std::string connect;  // "127.0.0.1:PORT" or "unix:/path"
  std::string service = "demo@localhost";  // the server's identity
  int requests = 10;
  // If set, called before request i (0-based) is sent: tests pause here
  // until the server has done something (e.g. handed the connection back).
  std::function<void(int request)> before_request;
};

// One connection. *requests_ok counts the verified replies.
absl::Status RunClientConnection(const Credentials& cred,
                                 const ClientOptions& options,
                                 int* requests_ok);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_CLIENT_H_
