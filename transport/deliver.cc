#include "transport/deliver.h"

#include <atomic>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "transport/errors.h"

namespace gssx::transport {
namespace {

constexpr int kReclaimRetries = 3;
constexpr absl::Duration kReclaimRetryPause = absl::Milliseconds(1);

std::atomic<int> running_reclaims{0};

absl::StatusOr<SecretBuffer> ReclaimWithRetries(Handoff& handoff) {
  absl::StatusOr<SecretBuffer> back = handoff.Reclaim();
  for (int retry = 0; retry < kReclaimRetries && !handoff.resolved(); ++retry) {
    absl::SleepFor(kReclaimRetryPause);
    back = handoff.Reclaim();
  }
  return back;
}

// What the helper thread and the waiting caller share.
struct ReclaimJob {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::StatusOr<SecretBuffer> result ABSL_GUARDED_BY(mu);
};

// `why` the handoff failed, unless restoring failed: then that.
absl::Status RestoreOr(const RestoreFn& restore, const SecretBuffer& token,
                       absl::Status why) {
  absl::Status restored = restore(token);
  return restored.ok() ? why : restored;
}

}  // namespace

int RunningReclaims() { return running_reclaims.load(); }

absl::StatusOr<SecretBuffer> ReclaimWithin(Handoff handoff,
                                           absl::Duration bound) {
  if (handoff.resolved()) return handoff.Reclaim();  // its kBadArgument
  // The ack ledger belongs to the channel's thread: leave it here.
  handoff.DetachFromChannel();
  auto job = std::make_shared<ReclaimJob>();
  auto shared = std::make_shared<Handoff>(std::move(handoff));
  try {
    running_reclaims.fetch_add(1);
    std::thread([job, shared]() mutable {
      absl::StatusOr<SecretBuffer> back = ReclaimWithRetries(*shared);
      // The memfd copy and the key go before the caller hears (with its
      // reference dropped below, this is the last one).
      shared.reset();
      running_reclaims.fetch_sub(1);
      absl::MutexLock lock(&job->mu);
      job->result = std::move(back);
      job->done = true;
    }).detach();
  } catch (const std::system_error&) {
    // No thread to be had (EAGAIN): the loop waits, as it always did.
    running_reclaims.fetch_sub(1);
    return ReclaimWithRetries(*shared);
  }
  shared.reset();
  absl::MutexLock lock(&job->mu);
  if (!job->mu.AwaitWithTimeout(absl::Condition(&job->done), bound)) {
    return MakeError(
        ErrorKind::kTimeout,
        absl::StrCat("reclaim still blocked in the kernel after ",
                     absl::FormatDuration(bound),
                     " (a peer stalling a write to the token memfd?); it "
                     "goes on in the background: the token is imported at "
                     "most once, possibly never"));
  }
  return std::move(job->result);
}

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
  // few more times before giving up the right to reclaim. Off this thread
  // and bounded: the latch can stall in the kernel (ReclaimWithin).
  absl::StatusOr<SecretBuffer> back =
      ReclaimWithin(*std::move(sent), options.reclaim_timeout);
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
