// SPDX-License-Identifier: Apache-2.0
#include "testing/child.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "transport/base/deadline.h"

namespace gssx::testing {
namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ForkedChild& ForkedChild::operator=(ForkedChild&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) (void)Kill();
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

ForkedChild::~ForkedChild() {
  if (pid_ > 0) (void)Kill();
}

absl::StatusOr<ForkedChild> ForkedChild::Start(std::function<int()> body) {
  pid_t pid = ::fork();
  if (pid < 0) {
    return absl::ErrnoToStatus(errno, "fork");
  }
  if (pid == 0) {
    int code = body();
    ::_exit(code);
  }
  return ForkedChild(pid);
}

absl::StatusOr<int> ForkedChild::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("no child");
  const absl::Time deadline = transport::DeadlineAfter(timeout);
  // A pidfd becomes readable when the child exits: wait on it with poll's
  // timeout (no sleeping, no SIGCHLD handler to disturb the code under test).
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd < 0) return absl::ErrnoToStatus(errno, "pidfd_open");
  if (!transport::WaitUntilReady(pidfd, POLLIN, deadline, "the child to exit")
           .ok()) {
    ::close(pidfd);
    pid_t pid = pid_;
    (void)Kill();
    return absl::DeadlineExceededError(
        absl::StrCat("child ", pid, " still running after ",
                     absl::FormatDuration(timeout), "; killed"));
  }
  ::close(pidfd);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  pid_ = -1;
  if (r < 0) return absl::ErrnoToStatus(errno, "waitpid");
  return DecodeWaitStatus(status);
}

std::optional<int> ForkedChild::Exited() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return std::nullopt;
  pid_ = -1;
  return DecodeWaitStatus(status);
}

absl::StatusOr<int> ForkedChild::Kill() {
  if (pid_ <= 0) return absl::FailedPreconditionError("no child");
  ::kill(pid_, SIGKILL);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  pid_ = -1;
  if (r < 0) return absl::ErrnoToStatus(errno, "waitpid");
  return DecodeWaitStatus(status);
}

}  // namespace gssx::testing
