// SPDX-License-Identifier: Apache-2.0
// Deadlines for poll(): the one conversion from an absl::Time deadline to
// poll's milliseconds, and the one wait-until-ready helper.
//
//   const absl::Time deadline = DeadlineAfter(options.timeout);
//   if (absl::Status s = WaitUntilReady(fd, POLLIN, deadline, "receive");
//       !s.ok()) {
//     return s;  // kTimeout "timed out waiting to receive", or kOs (poll)
//   }
//
// Rounding is always up: a poll() that times out has reached the deadline,
// and a deadline still ahead never yields 0 (which would busy-loop).
#ifndef GSSX_TRANSPORT_BASE_DEADLINE_H_
#define GSSX_TRANSPORT_BASE_DEADLINE_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace gssx::transport {

// poll()'s timeout for `deadline`, seen at `now`: -1 for
// absl::InfiniteFuture(), 0 once the deadline has passed, else the time
// left rounded up to whole milliseconds (so at least 1), at most 2^30.
int PollTimeoutMs(absl::Time deadline, absl::Time now);
inline int PollTimeoutMs(absl::Time deadline) {
  return PollTimeoutMs(deadline, absl::Now());
}

// The deadline `timeout` from now; absl::InfiniteFuture() for
// absl::InfiniteDuration() (and for timeouts too large to add).
absl::Time DeadlineAfter(absl::Duration timeout);

// Waits until `fd` is ready for `events` (POLLIN, POLLOUT; POLLHUP and
// POLLERR count as ready) or `deadline` passes, retrying EINTR with the
// time that is left. Calls poll() through the syscall seam. Errors:
// kTimeout ("timed out waiting to <what>"), kOs (poll failed, errno kept).
absl::Status WaitUntilReady(int fd, short events, absl::Time deadline,
                            const char* what);

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_BASE_DEADLINE_H_
