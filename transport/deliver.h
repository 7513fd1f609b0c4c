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
// The generic handoff (handoff.h) is this with a codec's export and
// import: gssx's HandOffContext (gssx/handoff.h) and the MIT Kerberos
// bridge's HandOffMitContext use it with their codecs.
#ifndef GSSX_TRANSPORT_DELIVER_H_
#define GSSX_TRANSPORT_DELIVER_H_

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "transport/channel.h"
#include "transport/base/secret_buffer.h"

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
  // How long the reclaim may take. It runs on a helper thread
  // (ReclaimWithin): on kernels before about 6.14 the latch can wait,
  // uninterruptibly, for a peer that stalls a write() to the memfd
  // (transport/README.md, "Kernel note"), and the caller's event loop
  // must not wait with it.
  absl::Duration reclaim_timeout = absl::Seconds(5);
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
// import the token; or kTimeout with "outcome unknown" if the reclaim did
// not finish within reclaim_timeout (see ReclaimWithin: the token is then
// imported at most once, possibly never).
// Reclaims `handoff` (Handoff::Reclaim, retried a few times on transient
// errors) on a helper thread and waits for it at most `bound`. Its answer
// if it came in time. Otherwise kTimeout: the latch is stuck in the kernel
// (an uninterruptible wait, which no signal or close ends — see the kernel
// note in transport/README.md); the helper thread keeps the handoff and
// finishes when the kernel lets it, then wipes what it reclaimed. Exactly-
// once still holds: whichever of the helper's latch and an importer's
// comes first wins, so the token is imported at most once — and may be
// lost to both sides. If no thread can be started, reclaims inline.
// A helper that answered in time has exited when this returns (joined):
// the caller may fork (only a timed-out one outlives the call).
absl::StatusOr<SecretBuffer> ReclaimWithin(Handoff handoff,
                                           absl::Duration bound);

// How many ReclaimWithin helper threads are still running (reclaims that
// outlived their bound, or are about to finish).
int RunningReclaims();

absl::StatusOr<Delivery> DeliverToken(Channel& channel, SecretBuffer& token,
                                      absl::Span<const int> extra_fds,
                                      const DeliverOptions& options,
                                      const RestoreFn& restore);

// The same in two steps, for event loops that cannot block on the ack.
//
//   absl::StatusOr<PendingDelivery> p =
//       StartDelivery(channel, *token, {client_fd}, restore);
//   // ... poll(channel.fd(), POLLIN) (and the caller's own deadline) ...
//   absl::StatusOr<std::optional<Delivery>> d = p->Check(channel);
//   // d.ok() && !d->has_value(): no answer yet, poll again.
//   // d.ok() && d->has_value(): delivered. !d.ok(): not delivered; as
//   //   DeliverToken's errors (restore ran, or the outcome is unknown).
//   // At the caller's deadline: p->Abandon(timeout_status).
//
// A Check may read answers that belong to other PendingDeliveries of the
// same channel (they are kept for them), so after the channel's fd was
// readable, Check every pending delivery of that channel.
class PendingDelivery {
 public:
  PendingDelivery(PendingDelivery&&) = default;
  PendingDelivery& operator=(PendingDelivery&&) = default;
  // Destroying an unfinished one gives up the right to reclaim (the token
  // is then the importer's, or nobody's): finish it with Check or Abandon.

  // True once Check or Abandon reached an outcome.
  bool done() const { return handoff_.resolved(); }

  // Reads what has arrived on `channel` (the one the token was sent on)
  // without waiting. nullopt: no answer yet (the delivery stays pending).
  // A Delivery: acked. An error: the peer refused the token, closed the
  // channel or sent garbage; the token was reclaimed and restored (errors
  // exactly as DeliverToken's). Calling it once done: kBadArgument.
  absl::StatusOr<std::optional<Delivery>> Check(Channel& channel);

  // Gives up waiting: reclaims the token and restores it; returns `why`
  // (or restore's error, or "outcome unknown" as DeliverToken) — or
  // kConsumedWithoutAck if the importer had already consumed it. Does not
  // need the channel (works after it is gone). Once done: kBadArgument.
  absl::StatusOr<Delivery> Abandon(absl::Status why);

 private:
  friend absl::StatusOr<PendingDelivery> StartDelivery(
      Channel& channel, SecretBuffer& token, absl::Span<const int> extra_fds,
      RestoreFn restore);
  PendingDelivery(Handoff handoff, RestoreFn restore)
      : handoff_(std::move(handoff)), restore_(std::move(restore)) {}
  Handoff handoff_;
  RestoreFn restore_;
};

// Sends as DeliverToken does and returns without waiting for the ack.
// Error: nothing was sent and `restore` got `token` back (its error if it
// failed). OK: `token` is wiped; `restore` is kept and called later, by
// Check or Abandon, if the token comes back.
absl::StatusOr<PendingDelivery> StartDelivery(Channel& channel,
                                              SecretBuffer& token,
                                              absl::Span<const int> extra_fds,
                                              RestoreFn restore);

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_DELIVER_H_
