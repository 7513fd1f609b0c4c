// SPDX-License-Identifier: Apache-2.0
#include "gssx/internal/replay_window.h"

namespace gssx::internal {

std::optional<ReplayWindow> ReplayWindow::FromState(uint64_t next_expected,
                                                    const Bitmap& bitmap) {
  ReplayWindow w;
  w.next_ = next_expected;
  w.bits_ = bitmap;
  // Distances >= next_expected would be negative sequence numbers.
  for (uint64_t d = next_expected; d < kSize; ++d) {
    if (w.Seen(d)) return std::nullopt;
  }
  if (next_expected > 0 && !w.Seen(0)) return std::nullopt;
  return w;
}

SupplementaryBits ReplayWindow::Check(uint64_t seq) const {
  if (seq > kMaxSequence) return kOldToken;  // never recorded, see Record
  if (seq >= next_) return seq == next_ ? 0 : kGapToken;
  const uint64_t distance = next_ - 1 - seq;
  if (distance >= kSize) return kOldToken;
  return Seen(distance) ? kDuplicateToken : kUnseqToken;
}

void ReplayWindow::Record(uint64_t seq) {
  // next_ = seq + 1 would wrap to 0. The per-message parser refuses such
  // numbers first; this keeps the window sound whoever calls it.
  if (seq > kMaxSequence) return;
  if (seq >= next_) {
    ShiftOlder(seq - next_ + 1);
    Mark(0);
    next_ = seq + 1;
    return;
  }
  const uint64_t distance = next_ - 1 - seq;
  if (distance < kSize) Mark(distance);
}

void ReplayWindow::ShiftOlder(uint64_t by) {
  if (by >= kSize) {
    bits_.fill(0);
    return;
  }
  const size_t words = static_cast<size_t>(by / 64);
  const unsigned bits = static_cast<unsigned>(by % 64);
  for (size_t i = kWords; i-- > 0;) {
    uint64_t v = 0;
    if (i >= words) {
      v = bits_[i - words] << bits;
      if (bits != 0 && i > words) v |= bits_[i - words - 1] >> (64 - bits);
    }
    bits_[i] = v;
  }
}

}  // namespace gssx::internal
