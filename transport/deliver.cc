#include "transport/deliver.h"

#include <utility>

#include "transport/errors.h"

namespace gssx::transport {
namespace {

// `why` the handoff failed, unless restoring failed: then that.
absl::Status RestoreOr(const RestoreFn& restore, const SecretBuffer& token,
                       absl::Status why) {
  absl::Status restored = restore(token);
  return restored.ok() ? why : restored;
}

}  // namespace

absl::StatusOr<Delivery> DeliverToken(Channel& channel, SecretBuffer& token,
                                      absl::Span<const int> extra_fds,
                                      const DeliverOptions& options,
                                      const RestoreFn& restore) {
  absl::StatusOr<Handoff> sent = channel.Send(token.span(), extra_fds);
  if (!sent.ok()) {
    // Nothing left this process: the token is still ours.
    return RestoreOr(restore, token, sent.status());
  }
  token.Clear();
  if (options.after_send) options.after_send();
  absl::Status acked = channel.AwaitAck(*sent, options.ack_timeout);
  if (acked.ok()) return Delivery::kAcknowledged;
  absl::StatusOr<SecretBuffer> back = sent->Reclaim();
  if (back.ok()) return RestoreOr(restore, *back, acked);
  if (IsError(back.status(), ErrorKind::kAlreadyConsumed)) {
    return Delivery::kConsumedWithoutAck;
  }
  // The reclaim itself failed (e.g. ENOMEM): report it; the handoff dies
  // with `sent`.
  return back.status();
}

}  // namespace gssx::transport
