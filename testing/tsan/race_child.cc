// SPDX-License-Identifier: Apache-2.0
// Helper for annotations_test: a write under an absl::Mutex and a write
// without it, ordered only by a relaxed flag (which orders nothing). Under
// ThreadSanitizer this is a race and must be reported (exit code 66), even
// with absl_tsan_annotations.cc linked in. Run in a fresh process: TSan
// reuses finished threads' state, which can hide a race in a process that
// already ran other threads.
#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"

int main() {
  absl::Mutex mu;
  int x = 0;
  std::atomic<int> flag{0};
  std::thread a([&] {
    absl::MutexLock lock(&mu);
    x = 1;
    flag.store(1, std::memory_order_relaxed);
  });
  std::thread b([&] {
    while (flag.load(std::memory_order_relaxed) == 0) {
    }
    x = 2;  // no lock: a race
  });
  a.join();
  b.join();
  return x == 2 ? 0 : 1;
}
