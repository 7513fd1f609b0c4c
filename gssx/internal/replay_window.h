// SPDX-License-Identifier: Apache-2.0
// The receive side's record of which sequence numbers it has seen, for the
// RFC 2743 supplementary bits. Internal.
//
//   ReplayWindow w;                    // nothing seen; expects 0 next
//   SupplementaryBits bits = w.Check(seq);   // before: what would it be?
//   ... authenticate the token ...
//   w.Record(seq);                     // only for authentic tokens
//
// The window covers the kSize sequence numbers below next_expected() (the
// highest seen + 1). Check(seq), for a token whose number is seq:
//   seq == next_expected       0 (in order)
//   seq >  next_expected       kGapToken (earlier tokens are missing)
//   seq <  next_expected and
//     older than the window    kOldToken
//     seen before              kDuplicateToken
//     not seen before          kUnseqToken (a later one came first)
//   seq >  kMaxSequence        kOldToken, and Record() ignores it (callers
//                              refuse such numbers before, see above)
// Which of these a context reports depends on its REPLAY / SEQUENCE flags
// (context.h); the window itself always records.
//
// State for export: next_expected() and the bitmap, bit i of word i/64
// meaning "next_expected - 1 - i was seen". FromState() validates it.
#ifndef GSSX_INTERNAL_REPLAY_WINDOW_H_
#define GSSX_INTERNAL_REPLAY_WINDOW_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "gssx/status.h"

namespace gssx::internal {

// Sequence numbers go up to 2^64 - 2, so that next_expected() (the highest
// seen + 1) never wraps. A larger number is refused by the per-message
// parser before it reaches a window (per_message.h).
inline constexpr uint64_t kMaxSequence = ~uint64_t{0} - 1;

class ReplayWindow {
 public:
  static constexpr size_t kWords = 2;
  static constexpr uint64_t kSize = 64 * kWords;  // 128 sequence numbers
  using Bitmap = std::array<uint64_t, kWords>;

  ReplayWindow() = default;

  // A window from exported state; nullopt if inconsistent (bits set for
  // numbers below 0, or the highest number not marked seen).
  static std::optional<ReplayWindow> FromState(uint64_t next_expected,
                                               const Bitmap& bitmap);

  SupplementaryBits Check(uint64_t seq) const;
  void Record(uint64_t seq);

  uint64_t next_expected() const { return next_; }
  const Bitmap& bitmap() const { return bits_; }

 private:
  bool Seen(uint64_t distance) const {
    return (bits_[distance / 64] >> (distance % 64)) & 1;
  }
  void Mark(uint64_t distance) {
    bits_[distance / 64] |= uint64_t{1} << (distance % 64);
  }
  void ShiftOlder(uint64_t by);

  uint64_t next_ = 0;
  Bitmap bits_{};
};

}  // namespace gssx::internal

#endif  // GSSX_INTERNAL_REPLAY_WINDOW_H_
