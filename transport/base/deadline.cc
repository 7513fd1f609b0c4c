// SPDX-License-Identifier: Apache-2.0
#include "transport/base/deadline.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "transport/base/errors.h"
#include "transport/base/syscalls.h"

namespace gssx::transport {

int PollTimeoutMs(absl::Time deadline, absl::Time now) {
  if (deadline == absl::InfiniteFuture()) return -1;
  const absl::Duration left = deadline - now;
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))),
      int64_t{1} << 30));
}

absl::Time DeadlineAfter(absl::Duration timeout) {
  // Time + Duration saturates: an infinite or huge timeout stays infinite.
  return absl::Now() + timeout;
}

absl::Status WaitUntilReady(int fd, short events, absl::Time deadline,
                            const char* what) {
  for (;;) {
    struct pollfd p = {fd, events, 0};
    const int n = internal::Sys().poll(&p, 1, PollTimeoutMs(deadline));
    if (n > 0) return absl::OkStatus();
    if (n == 0) {
      return MakeError(ErrorKind::kTimeout,
                       absl::StrCat("timed out waiting to ", what));
    }
    if (errno != EINTR) return OsError(errno, "poll");
  }
}

}  // namespace gssx::transport
