// SPDX-License-Identifier: Apache-2.0
// The server side of the example protocol (the client side is client.h),
// shared by every example server so that they differ only in where the
// context lives:
//  1. AuthenticateClient: the client sends its init token in a frame
//     (frame.h), the server answers with its accept token in a frame and
//     then one wrapped "welcome" frame. The caller then owns an established
//     acceptor context whose next send sequence number is 1.
//  2. ServeOneRequest, repeatedly: read one wrapped request frame, unwrap
//     it (it must verify with no replay/gap bits), answer with a wrapped
//     "re: <request>" frame.
// Used by the pre-fork master and workers (prefork.h; the master alone
// when workers = 0), the fork/exec server and its session binary.
//
//   absl::StatusOr<Context> ctx = AuthenticateClient(cred, client_fd);
//   for (;;) {
//     absl::Status s = ServeOneRequest(ctx, client_fd);
//     if (absl::IsNotFound(s)) break;   // the client closed: done
//     if (!s.ok()) { log(s); break; }   // drop the connection
//   }
//
// Thread safety: as Context (one thread at a time per context).
#ifndef GSSX_EXAMPLES_SERVE_H_
#define GSSX_EXAMPLES_SERVE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gssx/context.h"
#include "gssx/credentials.h"

namespace gssx::examples {

// How long the client has to send its init token.
inline constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);

// Step 1 on `client` (a connected stream socket the caller owns). Errors:
// the frame errors (NotFound if the client closed first, DeadlineExceeded
// after kHandshakeTimeout), Context::Accept's (an untrusted client, a
// defective token...), write errors.
// Blocks for up to kHandshakeTimeout: a server loop must not call it (one
// idle client would stall every other); servers drive handshakes with
// PendingHandshakes (handshakes.h), which calls AnswerClient.
absl::StatusOr<Context> AuthenticateClient(const Credentials& cred, int client);

// Step 1 once the client's init token (`init`, its first frame) has been
// read: Context::Accept, then the accept token and the wrapped welcome are
// written to `client`. Errors as AuthenticateClient, less the read's.
absl::StatusOr<Context> AnswerClient(const Credentials& cred, int client,
                                     const std::vector<uint8_t>& init);

// How long a request frame, once begun, may take to arrive in full.
inline constexpr absl::Duration kRequestTimeout = absl::Seconds(30);

// Reads one request from `client` (a connected stream socket the caller
// owns), answers it. OK: answered. NotFound: the client closed the
// connection cleanly before a new frame. Otherwise the connection is
// unusable and the caller should close it: frame errors (DataLoss,
// DeadlineExceeded, OS errors), the context's unwrap/wrap errors, or
// DataLoss for a request carrying supplementary bits (replayed, old, out
// of order).
absl::Status ServeOneRequest(Context& ctx, int client);

// The same for a request that has already begun to arrive: false (after
// one recv, nothing read) if none has, so that a worker that has just
// received a client serves its waiting first request without a poll.
absl::StatusOr<bool> ServeRequestIfArrived(Context& ctx, int client);

// The second half of ServeOneRequest: `frame` is the request read.
absl::Status AnswerRequest(Context& ctx, int client,
                           const std::vector<uint8_t>& frame);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_SERVE_H_
