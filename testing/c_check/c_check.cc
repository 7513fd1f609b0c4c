// SPDX-License-Identifier: Apache-2.0
#include "testing/c_check/c_check.h"

#include <unistd.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/fd_leak.h"

namespace {

using ::gssx::testing::ForkedChild;

std::vector<std::unique_ptr<ForkedChild>>& Children() {
  static auto* const children = new std::vector<std::unique_ptr<ForkedChild>>;
  return *children;
}

ForkedChild* Child(int id) {
  if (id < 0 || static_cast<size_t>(id) >= Children().size()) return nullptr;
  return Children()[id].get();
}

// Kills the children a test left behind.
class ChildReaper : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo&) override { Children().clear(); }
};

[[maybe_unused]] const bool kRegistered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new ChildReaper);
  return true;
}();

}  // namespace

extern "C" {

void c_check_failed(const char* file, int line, const char* message) {
  ADD_FAILURE_AT(file, line) << "check failed: " << message;
}

void c_check_u64_failed(const char* file, int line, const char* expr,
                        unsigned long long actual,
                        unsigned long long expected) {
  ADD_FAILURE_AT(file, line)
      << expr << " is " << actual << ", expected " << expected;
}

int c_check_start_child(int (*body)(void*), void* arg) {
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([body, arg] {
    ::alarm(60);  // never outlives a forgotten wait by long
    return body(arg);
  });
  if (!child.ok()) return -1;
  Children().push_back(std::make_unique<ForkedChild>(*std::move(child)));
  return static_cast<int>(Children().size() - 1);
}

int c_check_wait_child(int id, int timeout_seconds) {
  ForkedChild* child = Child(id);
  if (child == nullptr) return -1;
  absl::StatusOr<int> code = child->Wait(absl::Seconds(timeout_seconds));
  return code.ok() ? *code : -1;
}

int c_check_kill_child(int id) {
  ForkedChild* child = Child(id);
  if (child == nullptr) return -1;
  absl::StatusOr<int> code = child->Kill();
  return code.ok() ? *code : -1;
}

pid_t c_check_child_pid(int id) {
  ForkedChild* child = Child(id);
  return child == nullptr ? -1 : child->pid();
}

int c_check_count_open_fds(void) { return gssx::testing::CountOpenFds(); }

}  // extern "C"
