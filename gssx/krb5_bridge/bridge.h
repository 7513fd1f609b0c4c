// SPDX-License-Identifier: Apache-2.0
// Moving live MIT Kerberos GSS-API contexts between processes through the
// gssx transport, exactly once.
//
// Exporter (e.g. a server's accepting process):
//   MitContext ctx = ...;   // established by gss_accept_sec_context
//   absl::StatusOr<Delivery> d = HandOffMitContext(channel, ctx, {client_fd});
//   if (d.ok()) close(client_fd);   // the worker has the socket and context
//   else { /* ctx holds the context again: serve it or try another worker */ }
// Importer (a worker):
//   absl::StatusOr<ReceivedMitContext> r =
//       ReceiveMitContext(channel, {.max_extra_fds = 1});
//   r->context.Unwrap(...);  r->fds[0] is the client socket.
//
// The token is MIT's own gss_export_sec_context output, carried as is
// (ciphertext in a sealed memfd, one-time key in the message body:
// transport/channel.h). MIT will import one export token any number of
// times, in any number of processes, each import a full copy that accepts
// the client's messages; here the importer runs MIT's import on the
// decrypted token, then sets the kernel latch (F_SEAL_SEAL), and only the
// process that set it keeps its context. Every other attempt on the same
// handoff — a second worker holding a copy of the memfd, the exporter's
// reclaim after the worker imported, a replayed message — fails with
// transport's kAlreadyConsumed and deletes what it imported.
//
// A token MIT cannot import (or, by default, one that is not an
// established Kerberos 5 context) is rejected unconsumed: the exporter
// reclaims it and gets its context back.
//
// Links MIT's GSS-API (libgssapi_krb5) and gssx's transport, never gssx's
// mechanism or its C ABI (libgssx.so): see mit_context.h.
//
// Thread safety: as transport::Channel and MitContext — one thread at a
// time per channel and per context.
#ifndef GSSX_KRB5_BRIDGE_BRIDGE_H_
#define GSSX_KRB5_BRIDGE_BRIDGE_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/base/unique_fd.h"

namespace gssx::krb5 {

// kAcknowledged, or kConsumedWithoutAck: the importer consumed the token
// but its ack never came (it died or closed right after importing).
using Delivery = transport::Delivery;
// ack_timeout (default 30 s) and after_send (a seam for fault drills).
using HandOffOptions = transport::DeliverOptions;

// Exports `ctx` with MIT's gss_export_sec_context and sends the token with
// copies of `extra_fds` (the caller keeps its own) in one message, then
// waits for the importer's ack. OK: `ctx` is empty. Error: not delivered,
// and `ctx` holds the context again (the token reclaimed through the latch
// and re-imported) — except when the export itself failed (`ctx` as MIT
// left it), re-importing the reclaimed token failed (MIT's error; `ctx`
// empty: the context is lost, and it is reported), or the reclaim itself
// kept failing (`ctx` empty, "handoff outcome unknown": the importer may
// still import it; transport/deliver.h). Errors
// from the transport carry its ErrorKind (kPeerClosed, kRejectedByPeer,
// kTimeout, ...); from MIT, MitCodesOf() gives MIT's codes.
absl::StatusOr<Delivery> HandOffMitContext(transport::Channel& channel,
                                           MitContext& ctx,
                                           absl::Span<const int> extra_fds,
                                           const HandOffOptions& options = {});

// The non-blocking split of HandOffMitContext, for event loops: exports
// `ctx` and sends the token without waiting for the ack. Error: nothing
// was sent and `ctx` holds the context again (as HandOffMitContext's
// errors). OK: `ctx` is empty until the delivery finishes
// (transport::PendingDelivery::Check / Abandon); if the token comes back
// it is re-imported into `ctx`, which must outlive the PendingDelivery.
absl::StatusOr<transport::PendingDelivery> StartMitHandOff(
    transport::Channel& channel, MitContext& ctx,
    absl::Span<const int> extra_fds);

struct ReceivedMitContext {
  MitContext context;
  std::vector<transport::UniqueFd> fds;  // the extra fds, in order sent
};

struct ReceiveMitContextOptions {
  size_t max_extra_fds = 0;
  absl::Duration timeout = absl::InfiniteDuration();
  // Reject (unconsumed) a token whose context is not an established
  // Kerberos 5 context with at least `required_services` (GSS_C_*_FLAG).
  bool require_established_krb5 = true;
  OM_uint32 required_services = kRequiredServices;
};

// Receives one token, imports it with MIT's gss_import_sec_context, sets
// the latch, acks. Errors: transport's (kAlreadyConsumed: another importer
// or the exporter's reclaim won; kPeerClosed; ...), MIT's import error, or
// InvalidArgument for a context that is not established Kerberos 5 or
// lacks the required services — the last two rejected unconsumed.
absl::StatusOr<ReceivedMitContext> ReceiveMitContext(
    transport::Channel& channel, const ReceiveMitContextOptions& options = {});

// Raw form, for callers with their own fd transport: MIT's token as
// plaintext in a sealed memfd (transport::SealRawToken). OK: `ctx` is
// empty. Prefer the channel form: this one leaves the token, session keys
// included, in shmem until it is imported.
absl::StatusOr<transport::UniqueFd> ExportMitContextToFd(MitContext& ctx);
// Verifies, imports, latches and empties such an fd (the caller still
// closes it). A second import of the same fd, in any process, is
// kAlreadyConsumed.
absl::StatusOr<MitContext> ImportMitContextFromFd(
    int token_fd, bool require_established_krb5 = true,
    OM_uint32 required_services = kRequiredServices);

}  // namespace gssx::krb5

#endif  // GSSX_KRB5_BRIDGE_BRIDGE_H_
