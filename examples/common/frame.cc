// SPDX-License-Identifier: Apache-2.0
#include "examples/common/frame.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "transport/base/deadline.h"

namespace gssx::examples {
namespace {

// Reads exactly out.size() bytes. *got says how many arrived before EOF.
// Tries the socket first and polls only when it has nothing yet: a
// request that is already there costs one recv, not a poll and a recv.
// With `nothing_yet`: never waits; sets it if no byte had arrived.
absl::Status ReadExactly(int fd, absl::Span<uint8_t> out, absl::Time deadline,
                         size_t* got, bool* nothing_yet = nullptr) {
  *got = 0;
  while (*got < out.size()) {
    ssize_t n = ::recv(fd, out.data() + *got, out.size() - *got, MSG_DONTWAIT);
    if (n > 0) {
      *got += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return absl::OkStatus();  // EOF; *got tells
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::ErrnoToStatus(errno, "recv");
    }
    if (nothing_yet != nullptr) {
      // Nothing at all yet, or part: the caller goes on with a deadline.
      *nothing_yet = *got == 0;
      return absl::OkStatus();
    }
    const int timeout_ms = transport::PollTimeoutMs(deadline);
    struct pollfd p = {fd, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return absl::ErrnoToStatus(errno, "poll");
    if (r == 0) return absl::DeadlineExceededError("frame: timed out");
  }
  return absl::OkStatus();
}

// ReadFrame, or with !wait_for_start ReadFrameIfStarted.
absl::StatusOr<std::optional<std::vector<uint8_t>>> ReadFrameOrNothing(
    int fd, absl::Duration timeout, bool wait_for_start) {
  uint8_t header[4];
  size_t got = 0;
  bool nothing_yet = false;
  // The clock only once a frame has begun (or when waiting for one).
  absl::Time deadline = absl::InfiniteFuture();
  if (wait_for_start && timeout != absl::InfiniteDuration()) {
    deadline = absl::Now() + timeout;
  }
  if (absl::Status s = ReadExactly(fd, absl::MakeSpan(header), deadline, &got,
                                   wait_for_start ? nullptr : &nothing_yet);
      !s.ok()) {
    return s;
  }
  if (nothing_yet) return std::nullopt;
  if (!wait_for_start && timeout != absl::InfiniteDuration()) {
    deadline = absl::Now() + timeout;
  }
  if (got < 4 && got > 0) {
    // The rest of the header, within the deadline.
    size_t more = 0;
    if (absl::Status s = ReadExactly(fd, absl::MakeSpan(header).subspan(got),
                                     deadline, &more);
        !s.ok()) {
      return s;
    }
    got += more;
  }
  if (got == 0) return absl::NotFoundError("end of stream");
  if (got < 4) return absl::DataLossError("frame header cut short");
  size_t len = (size_t{header[0]} << 24) | (size_t{header[1]} << 16) |
               (size_t{header[2]} << 8) | header[3];
  if (len > kMaxFrame) {
    return absl::InvalidArgumentError(absl::StrCat("frame of ", len, " bytes"));
  }
  std::vector<uint8_t> bytes(len);
  if (absl::Status s = ReadExactly(fd, absl::MakeSpan(bytes), deadline, &got);
      !s.ok()) {
    return s;
  }
  if (got < len) return absl::DataLossError("frame cut short");
  return bytes;
}

}  // namespace

absl::Status WriteFrame(int fd, absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kMaxFrame) return absl::InvalidArgumentError("frame too large");
  uint8_t header[4] = {static_cast<uint8_t>(bytes.size() >> 24),
                       static_cast<uint8_t>(bytes.size() >> 16),
                       static_cast<uint8_t>(bytes.size() >> 8),
                       static_cast<uint8_t>(bytes.size())};
  struct iovec iov[2] = {{header, 4},
                         {const_cast<uint8_t*>(bytes.data()), bytes.size()}};
  size_t total = 4 + bytes.size(), done = 0;
  while (done < total) {
    struct msghdr msg = {};
    struct iovec rest[2];
    int n_iov = 0;
    size_t skip = done;
    for (auto& v : iov) {
      if (skip >= v.iov_len) {
        skip -= v.iov_len;
        continue;
      }
      rest[n_iov++] = {static_cast<uint8_t*>(v.iov_base) + skip, v.iov_len - skip};
      skip = 0;
    }
    msg.msg_iov = rest;
    msg.msg_iovlen = n_iov;
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "sendmsg");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> ReadFrame(int fd, absl::Duration timeout) {
  absl::StatusOr<std::optional<std::vector<uint8_t>>> f =
      ReadFrameOrNothing(fd, timeout, /*wait_for_start=*/true);
  if (!f.ok()) return f.status();
  return std::move(**f);
}

absl::StatusOr<std::optional<std::vector<uint8_t>>> ReadFrameIfStarted(
    int fd, absl::Duration timeout) {
  return ReadFrameOrNothing(fd, timeout, /*wait_for_start=*/false);
}

}  // namespace gssx::examples
