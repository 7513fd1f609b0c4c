// SPDX-License-Identifier: Apache-2.0
// ForkedChild: run a function in a forked child process, with a deadline.
//
//   absl::StatusOr<ForkedChild> c = ForkedChild::Start([&] {
//     ... child work ...
//     return 0;                       // the child's exit code
//   });
//   absl::StatusOr<int> code = c->Wait(absl::Seconds(10));
//
// The child runs the function and calls _exit with its result (no atexit
// handlers, no gtest teardown in the child). A child still running at the
// deadline is SIGKILLed and Wait returns DeadlineExceeded: a hung child is a
// failure, never a hung suite. The destructor kills and reaps a child that
// was never waited for. Exit code 128+N means killed by signal N.
#ifndef GSSX_TESTING_CHILD_H_
#define GSSX_TESTING_CHILD_H_

#include <sys/types.h>

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gssx::testing {

class ForkedChild {
 public:
  ForkedChild(ForkedChild&& other) noexcept : pid_(other.pid_) {
    other.pid_ = -1;
  }
  ForkedChild& operator=(ForkedChild&& other) noexcept;
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;
  ~ForkedChild();

  static absl::StatusOr<ForkedChild> Start(std::function<int()> body);

  pid_t pid() const { return pid_; }
  // Waits for the exit code (128+signal if killed by a signal).
  absl::StatusOr<int> Wait(absl::Duration timeout = absl::Seconds(60));
  // SIGKILL, then reap. Returns the exit code as Wait.
  absl::StatusOr<int> Kill();
  // Without waiting: the exit code (as Wait; the child is reaped) if the
  // child has exited, nullopt while it runs (or if there is no child).
  std::optional<int> Exited();

 private:
  explicit ForkedChild(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace gssx::testing

#endif  // GSSX_TESTING_CHILD_H_
