// SPDX-License-Identifier: Apache-2.0
// The example client: connect, authenticate (GSS handshake in frames),
// check the server's wrapped welcome, then send N wrapped requests and
// verify each wrapped reply (content, integrity, no replay/gap bits).
//
//   absl::StatusOr<ClientSession> s = ClientSession::Open(cred, options);
//   absl::Status r = s->Request(0);   // "request 0" -> "re: request 0"
//
// RunClientConnection does both for options.requests requests.
#ifndef GSSX_EXAMPLES_CLIENT_H_
#define GSSX_EXAMPLES_CLIENT_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {

struct ClientOptions {
  std::string connect;  // "127.0.0.1:PORT" or "unix:/path"
  std::string service = "demo@localhost";  // the server's identity
  int requests = 10;
  // If set, called before request i (0-based) is sent: tests pause here
  // until the server has done something (e.g. handed the connection back).
  std::function<void(int request)> before_request;
  // How long to wait for each frame from the server.
  absl::Duration reply_timeout = absl::Seconds(30);
};

// One authenticated connection: its socket and its initiator context.
// Movable; closes the connection when destroyed. One thread at a time.
class ClientSession {
 public:
  // Connects to options.connect, authenticates and checks the welcome.
  static absl::StatusOr<ClientSession> Open(const Credentials& cred,
                                            const ClientOptions& options);

  // Sends the wrapped request "request <n>" and checks the reply: it
  // unwraps with this context, carries no supplementary bits (no replay,
  // gap, old or out-of-order token: the server's sequence numbers go on
  // from where they were) and says "re: request <n>". DataLoss otherwise;
  // frame and context errors as they come. After an error the session is
  // unusable.
  absl::Status Request(int n);

  int fd() const { return fd_.get(); }

 private:
  ClientSession(transport::UniqueFd fd, Context ctx, absl::Duration timeout)
      : fd_(std::move(fd)), ctx_(std::move(ctx)), timeout_(timeout) {}

  transport::UniqueFd fd_;
  Context ctx_;
  absl::Duration timeout_;
};

// One connection. *requests_ok counts the verified replies.
absl::Status RunClientConnection(const Credentials& cred,
                                 const ClientOptions& options,
                                 int* requests_ok);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_CLIENT_H_
