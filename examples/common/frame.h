// SPDX-License-Identifier: Apache-2.0
// Length-prefixed frames over a stream socket, for the example programs:
// 4-byte big-endian length, then the bytes. At most kMaxFrame bytes.
// `fd` must be a socket (reads use recv with MSG_DONTWAIT and poll only
// when nothing has arrived yet; blocking or not, either works).
#ifndef GSSX_EXAMPLES_FRAME_H_
#define GSSX_EXAMPLES_FRAME_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace gssx::examples {

inline constexpr size_t kMaxFrame = 1 << 20;

// Writes one frame (all of it, retrying on EINTR and short writes).
absl::Status WriteFrame(int fd, absl::Span<const uint8_t> bytes);

// Reads one frame. NotFound at a clean end of stream before a frame starts;
// DataLoss for a frame cut short; DeadlineExceeded if nothing complete
// arrives in `timeout`.
absl::StatusOr<std::vector<uint8_t>> ReadFrame(
    int fd, absl::Duration timeout = absl::InfiniteDuration());

// The same if the frame has begun to arrive; nullopt, after one recv that
// found nothing, if it has not (then the caller polls: a server that
// wakes up for a request it expects reads it at once, without a poll).
// `timeout` runs from the first byte.
absl::StatusOr<std::optional<std::vector<uint8_t>>> ReadFrameIfStarted(
    int fd, absl::Duration timeout);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_FRAME_H_
