// SPDX-License-Identifier: Apache-2.0
// The exporter's half of handing over something that lives as a token —
// typically an exported security context — with the guarantee that it is
// never lost: send, wait for the importer's ack, and if the ack does not
// come, take the token back through the latch and rebuild from it.
//
//   absl::StatusOr<SecretBuffer> token = Export(obj);          // obj empty
//   absl::StatusOr<Delivery> d = DeliverToken(
//       channel, *token, {client_fd}, {},
//       [&](const SecretBuffer& back) { return ReimportInto(obj, back); });
//   // d.ok(): delivered (kAcknowledged), or consumed by a peer that died
//   //   before acking (kConsumedWithoutAck).
//   // !d.ok(): not delivered; `restore` ran and obj is whole again — or,
//   //   if `restore` itself failed, its status says why obj is lost; or
//   //   the reclaim kept failing and nobody knows (see DeliverToken).
//
// gssx's HandOffContext (gssx/handoff.h) and the MIT Kerberos bridge's
// HandOffMitContext (gssx/krb5/bridge.h) are this with their own export
// and import.
#ifndef GSSX_TRANSPORT_DELIVER_H_
#define GSSX_TRANSPORT_DELIVER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "transport/channel.h"
#include "transport/secret_buffer.h"

namespace gssx::transport {

enum class Delivery {
  // The importer imported the token and said so.
  kAcknowledged,
  // The importer consumed the token but its ack never came (it died or
  // closed right after importing): what the token stood for lives, or
  // died, with it.
  kConsumedWithoutAck,
};

struct DeliverOptions {
  // How long to wait for the importer's ack before taking the token back.
  absl::Duration ack_timeout = absl::Seconds(30);
  // Called once the message is on its way, before waiting for the ack: a
  // seam for fault drills (e.g. killing the importer mid-handoff).
  std::function<void()> after_send;
};

// Rebuilds the caller's object from a token that came back (or never
// left). OK: rebuilt. Otherwise the object is lost, and this says why.
using RestoreFn = std::function<absl::Status(const SecretBuffer& token)>;

// Sends `token` with copies of `extra_fds` (the caller keeps its own) in
// one message and waits for the ack. Once the message is sent, `token` is
// wiped (the only copies left: the memfd's ciphertext and the key the
// handoff keeps for reclaiming). If the send fails, `restore` gets `token`;
// if the ack does not come (peer closed, rejected, timeout), the token is
// reclaimed and `restore` gets it back. Errors: `restore`'s if it failed,
// else why the handoff failed (transport's kinds: kPeerClosed,
// kRejectedByPeer, kTimeout, ...) — or, if the reclaim itself keeps
// failing (kOs, e.g. ENOMEM, after a few retries), its error with
// "outcome unknown": `restore` was not called, and the importer may still
// import the token.
absl::StatusOr<Delivery> DeliverToken(Channel& channel, SecretBuffer& token,
                                      absl::Span<const int> extra_fds,
                                      const DeliverOptions& options,
                                      const RestoreFn& restore);

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_DELIVER_H_
