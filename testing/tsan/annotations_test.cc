// SPDX-License-Identifier: Apache-2.0
// Checks absl_tsan_annotations.cc both ways under --config=tsan: accesses
// ordered by absl::Mutex or absl::call_once are not reported, and a real
// race next to them still is. Under other builds the mutex and call_once
// cases run as plain tests and the race case is skipped.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

#if defined(__SANITIZE_THREAD__)
#define GSSX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GSSX_TSAN 1
#endif
#endif

namespace {

TEST(AbslTsanAnnotationsTest, MutexOrdersAccesses) {
  absl::Mutex mu;
  long counter = 0;  // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        absl::MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter, 20000);
}

TEST(AbslTsanAnnotationsTest, CallOncePublishesItsResult) {
  static absl::once_flag once;
  static int value = 0;
  std::vector<std::thread> threads;
  std::atomic<int> seen{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      absl::call_once(once, [] { value = 42; });
      if (value == 42) seen.fetch_add(1);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(seen.load(), 8);
}

// race_child writes under the mutex and without it, ordered only by a
// relaxed flag: TSan must still call that a race (exit code 66).
TEST(AbslTsanAnnotationsTest, UnguardedAccessIsStillReported) {
#ifndef GSSX_TSAN
  GTEST_SKIP() << "not a ThreadSanitizer build";
#else
  const char* dir = std::getenv("TEST_SRCDIR");
  ASSERT_NE(dir, nullptr) << "run under bazel test";
  std::string child = std::string(dir) + "/gssx/testing/tsan/race_child";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl(child.c_str(), child.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 66) << "TSan did not report the race";
#endif
}

}  // namespace
