// SPDX-License-Identifier: Apache-2.0
// Handing an established context — and the client connection that goes
// with it — to another process, exactly once.
//
// Exporter (e.g. a pre-fork master):
//   absl::StatusOr<Delivery> d =
//       HandOffContext(worker_channel, ctx, {client_fd});
//   if (d.ok()) {
//     close(client_fd);            // the worker has its own copy now
//   } else {
//     // Not delivered: ctx holds the context again (reclaimed through the
//     // kernel latch), usable or hand-off-able to another worker.
//   }
// Importer (a worker):
//   absl::StatusOr<ReceivedContext> r = ReceiveContext(channel, {1});
//   // r->context continues exactly where the exporter stopped;
//   // r->fds[0] is the client socket.
//
// The context's export token (gss_export_sec_context's bytes, in locked
// memory) travels through transport::Channel: sealed into a memfd as
// ciphertext, the one-time key in the message body, consumed by the
// importer's F_SEAL_SEAL latch (transport/channel.h). The importer parses
// the token BEFORE consuming it, so a token it cannot import is left for
// the exporter to reclaim.
//
// Thread safety: as transport::Channel and Context — one thread at a time.
#ifndef GSSX_HANDOFF_H_
#define GSSX_HANDOFF_H_

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gssx/context.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/base/unique_fd.h"

namespace gssx {

// kAcknowledged, or kConsumedWithoutAck: the importer consumed the token
// but its ack never came (it died or closed right after importing).
using Delivery = transport::Delivery;
// ack_timeout (default 30 s) and after_send (a seam for fault drills).
using HandOffOptions = transport::DeliverOptions;

// Exports `ctx` and sends it with copies of `extra_fds` (the caller keeps
// its own) in one message, then waits for the importer. OK: `ctx` is empty
// (exported; its secrets wiped). Error: the context was not delivered and
// `ctx` holds it again, reclaimed and re-imported — except when the export
// itself failed (`ctx` untouched), re-importing the reclaimed token
// failed for lack of memory (kFailure; `ctx` empty: the context is lost,
// reported as such), or the reclaim itself kept failing (`ctx` empty,
// "handoff outcome unknown": the importer may still import it; see
// transport/deliver.h). Errors: Export's (kNoContext,
// kUnavailable, kContextExpired), transport's mapped by status.h (peer
// closed / rejected / timed out → the kind says which).
absl::StatusOr<Delivery> HandOffContext(transport::Channel& channel,
                                        Context& ctx,
                                        absl::Span<const int> extra_fds,
                                        const HandOffOptions& options = {});

struct ReceivedContext {
  Context context;
  std::vector<transport::UniqueFd> fds;  // the extra fds, in order sent
};

struct ReceiveContextOptions {
  size_t max_extra_fds = 0;
  absl::Duration timeout = absl::InfiniteDuration();
  // import.required_flags unset: kDefaultRequiredFlags (replay, sequence,
  // conf, integ); set it to 0 to take any context.
  ImportOptions import;
};

// Receives one context (and its extra fds), imports it, consumes the token
// and acks. A token that does not import (malformed, expired, lacking the
// required services: kUnauthorized / kRequiredServicesMissing) is
// rejected unconsumed: the exporter gets it back.
absl::StatusOr<ReceivedContext> ReceiveContext(
    transport::Channel& channel, const ReceiveContextOptions& options = {});

// Raw form (docs/design.md "Raw form"): the export token as plaintext in a
// sealed memfd, for callers with their own fd transport. OK: `ctx` is empty. Prefer the
// channel form: this one leaves plaintext secrets in shmem until imported.
absl::StatusOr<transport::UniqueFd> ExportContextToFd(Context& ctx);
// Verifies, imports and consumes such an fd (the caller still closes it).
// An fd whose token was already imported is kNoContext with the
// "already imported" minor code. options.required_flags unset:
// kDefaultRequiredFlags, as ReceiveContext; a context without them is
// left unconsumed.
absl::StatusOr<Context> ImportContextFromFd(int token_fd,
                                            const ImportOptions& options = {});

}  // namespace gssx

#endif  // GSSX_HANDOFF_H_
