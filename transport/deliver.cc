// SPDX-License-Identifier: Apache-2.0
#include "transport/deliver.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "transport/base/errors.h"

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

// What the helper thread and the waiting caller share. std::mutex and
// std::condition_variable, which ThreadSanitizer sees (Debian's Abseil is
// uninstrumented, and testing/tsan does not cover absl::Mutex::Await).
struct ReclaimJob {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;                     // guarded by mu
  absl::StatusOr<SecretBuffer> result;   // guarded by mu
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
  std::thread helper;
  try {
    running_reclaims.fetch_add(1);
    helper = std::thread([job, shared]() mutable {
      absl::StatusOr<SecretBuffer> back = ReclaimWithRetries(*shared);
      // The memfd copy and the key go before the caller hears (with its
      // reference dropped below, this is the last one).
      shared.reset();
      running_reclaims.fetch_sub(1);
      std::lock_guard<std::mutex> lock(job->mu);
      job->result = std::move(back);
      job->done = true;
      job->cv.notify_all();
    });
  } catch (const std::system_error&) {
    // No thread to be had (EAGAIN): the loop waits, as it always did.
    running_reclaims.fetch_sub(1);
    return ReclaimWithRetries(*shared);
  }
  shared.reset();
  {
    std::unique_lock<std::mutex> lock(job->mu);
    if (!job->cv.wait_for(lock, absl::ToChronoNanoseconds(bound),
                          [&job] { return job->done; })) {
      helper.detach();  // stuck in the kernel: it finishes on its own
      return MakeError(
          ErrorKind::kTimeout,
          absl::StrCat("reclaim still blocked in the kernel after ",
                       absl::FormatDuration(bound),
                       " (a peer stalling a write to the token memfd?); it "
                       "goes on in the background: the token is imported at "
                       "most once, possibly never"));
    }
  }
  // It has answered; what is left is its exit (dropping `job`, the
  // thread's own teardown: under ASan, giving its allocator cache back
  // under the allocator's locks). Joined, so that the caller is
  // single-threaded again when this returns: a caller that forks next
  // (the worker pool replaces a dead worker right after taking its
  // handoff back) must not fork while the helper holds such a lock — the
  // child would inherit it locked and block on it for ever.
  helper.join();
  return std::move(job->result);
}

namespace {

// After an unacknowledged send (`acked` says why): takes the token back
// through the latch — off this thread, bounded by `bound` (ReclaimWithin:
// the latch can stall in the kernel), with a few retries of a transient
// failure (ENOMEM...) — and restores it. `sent` is resolved afterwards,
// whatever happened.
absl::StatusOr<Delivery> ReclaimAndRestore(Handoff& sent,
                                           const RestoreFn& restore,
                                           absl::Status acked,
                                           absl::Duration bound) {
  absl::StatusOr<SecretBuffer> back = ReclaimWithin(std::move(sent), bound);
  if (back.ok()) return RestoreOr(restore, *back, acked);
  if (IsError(back.status(), ErrorKind::kAlreadyConsumed)) {
    return Delivery::kConsumedWithoutAck;
  }
  // Still failing: the outcome is unknown (the importer may yet import
  // the token, or nobody will). The handoff died with the reclaim.
  // (Same kind and errno as the reclaim's error.)
  const std::string message =
      absl::StrCat("handoff outcome unknown (", acked.message(),
                   "; reclaim failed: ", back.status().message(), ")");
  if (KindOf(back.status()) == ErrorKind::kNone) {
    return absl::Status(back.status().code(), message);
  }
  return MakeError(KindOf(back.status()), message, ErrnoOf(back.status()));
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
  return ReclaimAndRestore(*sent, restore, acked, options.reclaim_timeout);
}

absl::StatusOr<PendingDelivery> StartDelivery(Channel& channel,
                                              SecretBuffer& token,
                                              absl::Span<const int> extra_fds,
                                              RestoreFn restore) {
  absl::StatusOr<Handoff> sent = channel.Send(token.span(), extra_fds);
  if (!sent.ok()) return RestoreOr(restore, token, sent.status());
  token.Clear();
  return PendingDelivery(std::move(*sent), std::move(restore));
}

absl::StatusOr<std::optional<Delivery>> PendingDelivery::Check(
    Channel& channel) {
  if (done()) {
    return MakeError(ErrorKind::kBadArgument, "delivery already finished");
  }
  absl::Status acked = channel.AwaitAck(handoff_, absl::ZeroDuration());
  if (acked.ok()) return Delivery::kAcknowledged;
  if (IsError(acked, ErrorKind::kTimeout)) return std::nullopt;
  absl::StatusOr<Delivery> d = ReclaimAndRestore(
      handoff_, restore_, acked, DeliverOptions().reclaim_timeout);
  if (!d.ok()) return d.status();
  return *d;
}

absl::StatusOr<Delivery> PendingDelivery::Abandon(absl::Status why) {
  if (done()) {
    return MakeError(ErrorKind::kBadArgument, "delivery already finished");
  }
  return ReclaimAndRestore(handoff_, restore_, std::move(why),
                           DeliverOptions().reclaim_timeout);
}

}  // namespace gssx::transport
