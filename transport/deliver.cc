// SPDX-License-Identifier: Apache-2.0
#include "transport/deliver.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "transport/errors.h"

namespace gssx::transport {
namespace {

constexpr int kReclaimRetries = 3;
constexpr absl::Duration kReclaimRetryPause = absl::Milliseconds(1);

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
  // A transient failure (ENOMEM...) leaves the handoff unresolved: try a
  // few more times before giving up the right to reclaim.
  absl::StatusOr<SecretBuffer> back = sent->Reclaim();
  for (int retry = 0; retry < kReclaimRetries && !sent->resolved(); ++retry) {
    absl::SleepFor(kReclaimRetryPause);
    back = sent->Reclaim();
  }
  if (back.ok()) return RestoreOr(restore, *back, acked);
  if (IsError(back.status(), ErrorKind::kAlreadyConsumed)) {
    return Delivery::kConsumedWithoutAck;
  }
  // Still failing: the outcome is unknown (the importer may yet import
  // the token, or nobody will). The handoff dies with `sent`.
  // (Same kind and errno as the reclaim's error.)
  const std::string message =
      absl::StrCat("handoff outcome unknown (", acked.message(),
                   "; reclaim failed: ", back.status().message(), ")");
  if (KindOf(back.status()) == ErrorKind::kNone) {
    return absl::Status(back.status().code(), message);
  }
  return MakeError(KindOf(back.status()), message, ErrnoOf(back.status()));
}

}  // namespace gssx::transport
