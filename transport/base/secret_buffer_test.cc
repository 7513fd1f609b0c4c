// SPDX-License-Identifier: Apache-2.0
#include "transport/base/secret_buffer.h"

#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/capabilities.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "transport/base/syscalls.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

// AddressSanitizer intercepts mlock and does nothing (its shadow memory
// would be locked too), so locking can only be observed without it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMlockIsReal = false;
#else
constexpr bool kMlockIsReal = true;
#endif
#define SKIP_WITHOUT_REAL_MLOCK() \
  if (!kMlockIsReal) GTEST_SKIP() << "ASan makes mlock a no-op"

bool AllZero(const SecretBuffer& b) {
  for (size_t i = 0; i < b.size(); ++i) {
    if (b.data()[i] != 0) return false;
  }
  return true;
}

// Drops CAP_IPC_LOCK from the effective set, so RLIMIT_MEMLOCK applies even
// to root (inside Bazel's sandbox it already does).
bool DropIpcLock() {
  return ::gssx::testing::DropEffectiveCapability(CAP_IPC_LOCK);
}

TEST(SecretBufferTest, CreateIsZeroedAndTruncateWipesTail) {
  ASSERT_OK_AND_ASSIGN(SecretBuffer b, SecretBuffer::Create(100));
  EXPECT_EQ(b.size(), 100u);
  EXPECT_TRUE(AllZero(b));
  std::memset(b.data(), 0xAB, b.size());
  uint8_t* tail = b.data() + 10;
  b.Truncate(10);
  EXPECT_EQ(b.size(), 10u);
  for (int i = 0; i < 90; ++i) EXPECT_EQ(tail[i], 0) << i;
}

TEST(SecretBufferTest, ReusedSlotNeverShowsThePreviousSecret) {
  uint8_t* first;
  {
    ASSERT_OK_AND_ASSIGN(SecretBuffer a, SecretBuffer::Create(64));
    std::memset(a.data(), 0x5A, a.size());
    first = a.data();
  }
  // Free lists are LIFO: the same slot comes back.
  ASSERT_OK_AND_ASSIGN(SecretBuffer b, SecretBuffer::Create(40));
  EXPECT_EQ(b.data(), first);
  // The whole slot is wiped, not only the part the new owner asked for.
  for (int i = 0; i < 64; ++i) EXPECT_EQ(first[i], 0) << i;
}

TEST(SecretBufferTest, MoveTransfersOwnership) {
  ASSERT_OK_AND_ASSIGN(SecretBuffer a, SecretBuffer::CopyOf(
                                           std::vector<uint8_t>{1, 2, 3}));
  SecretBuffer b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented
  EXPECT_TRUE(b.Equals(std::vector<uint8_t>{1, 2, 3}));
  EXPECT_FALSE(b.Equals(std::vector<uint8_t>{1, 2, 4}));
}

// The process's locked memory (VmLck in /proc/self/status), in bytes; -1
// if unreadable.
long VmLckBytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long vmlck = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "VmLck: %ld kB", &vmlck) == 1) break;
  }
  std::fclose(f);
  return vmlck < 0 ? -1 : vmlck * 1024;
}

// issue 17 item 7: buffers over 64 KiB were sodium_malloc allocations,
// outside the statistics (and sodium_malloc ignores a failed mlock).
// They are their own guarded mapping now, counted while they live.
TEST(SecretBufferTest, LargeBuffersUseTheirOwnAllocationAndAreCounted) {
  LockedMemoryStats before = GetLockedMemoryStats();
  {
    ASSERT_OK_AND_ASSIGN(SecretBuffer big, SecretBuffer::Create(200 * 1024));
    EXPECT_TRUE(AllZero(big));
    std::memset(big.data(), 0x77, big.size());
    LockedMemoryStats during = GetLockedMemoryStats();
    EXPECT_EQ(during.buffers_in_use, before.buffers_in_use + 1);
    EXPECT_GE(during.buffer_bytes_in_use,
              before.buffer_bytes_in_use + 200 * 1024);
    EXPECT_EQ(during.regions, before.regions + 1);
    EXPECT_GE(during.locked_bytes, before.locked_bytes + 200 * 1024);
    EXPECT_EQ(during.unlocked_regions, before.unlocked_regions);
  }
  LockedMemoryStats after = GetLockedMemoryStats();
  EXPECT_EQ(after.buffers_in_use, before.buffers_in_use);
  EXPECT_EQ(after.buffer_bytes_in_use, before.buffer_bytes_in_use);
  EXPECT_EQ(after.regions, before.regions);
  EXPECT_EQ(after.locked_bytes, before.locked_bytes);
}

// Under a lowered RLIMIT_MEMLOCK a 16 MiB secret cannot be locked: it is
// served, but visibly degraded (counted, warned), as small ones are.
TEST(SecretBufferTest, LargeBufferOverTheLockLimitDegradesVisibly) {
  SKIP_WITHOUT_REAL_MLOCK();
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([] {
    if (!DropIpcLock()) return 10;
    struct rlimit lim = {1u << 20, 1u << 20};
    if (setrlimit(RLIMIT_MEMLOCK, &lim) != 0) return 11;
    const LockedMemoryStats before = GetLockedMemoryStats();
    {
      absl::StatusOr<SecretBuffer> big = SecretBuffer::Create(16u << 20);
      if (!big.ok()) return 12;
      std::memset(big->data(), 1, big->size());
      const LockedMemoryStats s = GetLockedMemoryStats();
      std::printf("16 MiB secret under a 1 MiB lock limit: VmLck %ld bytes, "
                  "unlocked regions %zu -> %zu, buffers in use %zu -> %zu\n",
                  VmLckBytes(), before.unlocked_regions, s.unlocked_regions,
                  before.buffers_in_use, s.buffers_in_use);
      std::fflush(stdout);
      if (s.unlocked_regions != before.unlocked_regions + 1) return 13;
      if (s.buffers_in_use != before.buffers_in_use + 1) return 14;
      if (s.locked_bytes != before.locked_bytes) return 15;
    }
    const LockedMemoryStats after = GetLockedMemoryStats();
    if (after.unlocked_regions != before.unlocked_regions) return 16;
    return 0;
  }));
  EXPECT_THAT(child.Wait(absl::Seconds(60)), IsOkAndHolds(0));
}

// Within the limit it is locked (VmLck grows by its size) and excluded from
// core dumps (the "dd" VmFlag of its mapping).
TEST(SecretBufferTest, LargeBufferIsLockedAndNotDumped) {
  SKIP_WITHOUT_REAL_MLOCK();
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([] {
    // The test's own lock limit (or CAP_IPC_LOCK) is enough for 1 MiB.
    const long before = VmLckBytes();
    absl::StatusOr<SecretBuffer> big = SecretBuffer::Create(1u << 20);
    if (!big.ok()) return 12;
    if (GetLockedMemoryStats().unlocked_regions != 0) return 11;
    if (VmLckBytes() - before < (1l << 20)) return 13;
    // Find the mapping that holds it in /proc/self/smaps.
    FILE* f = std::fopen("/proc/self/smaps", "r");
    if (f == nullptr) return 14;
    char line[512];
    bool inside = false, dontdump = false;
    const auto addr = reinterpret_cast<uintptr_t>(big->data());
    while (std::fgets(line, sizeof line, f)) {
      unsigned long lo, hi;
      if (std::sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
        inside = addr >= lo && addr < hi;
      } else if (inside && std::strncmp(line, "VmFlags:", 8) == 0) {
        dontdump = std::strstr(line, " dd") != nullptr;
      }
    }
    std::fclose(f);
    return dontdump ? 0 : 15;
  }));
  EXPECT_THAT(child.Wait(absl::Seconds(60)), IsOkAndHolds(0));
}

// mlock is not inherited: a forked child locks large buffers again too.
TEST(SecretBufferTest, LargeBufferIsRelockedInAForkedChild) {
  SKIP_WITHOUT_REAL_MLOCK();
  ASSERT_OK_AND_ASSIGN(SecretBuffer big, SecretBuffer::Create(2u << 20));
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([] {
    const long vmlck = VmLckBytes();
    const LockedMemoryStats s = GetLockedMemoryStats();
    std::printf("forked child: VmLck %ld bytes, stats say %zu locked\n",
                vmlck, s.locked_bytes);
    std::fflush(stdout);
    if (vmlck < (2l << 20)) return 11;
    return static_cast<size_t>(vmlck) >= s.locked_bytes ? 0 : 12;
  }));
  EXPECT_THAT(child.Wait(absl::Seconds(30)), IsOkAndHolds(0));
}

// docs/design.md "Locked memory and scale": 10,000 contexts' keys in the
// default 8 MiB limit.
TEST(SecretBufferTest, TenThousandKeyPairsFitInEightMiBLocked) {
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([] {
    if (!DropIpcLock()) return 10;
    struct rlimit lim = {8u << 20, 8u << 20};
    if (setrlimit(RLIMIT_MEMLOCK, &lim) != 0) return 11;
    std::vector<SecretBuffer> keys;
    for (int i = 0; i < 20000; ++i) {  // two 32-byte keys per context
      absl::StatusOr<SecretBuffer> k = SecretBuffer::Create(32);
      if (!k.ok()) return 12;
      k->data()[0] = 1;
      keys.push_back(std::move(*k));
    }
    LockedMemoryStats s = GetLockedMemoryStats();
    if (s.unlocked_regions != 0) return 13;  // nothing degraded
    if (s.locked_bytes > (8u << 20)) return 14;
    std::printf("20000 x 32-byte keys: %zu regions, %zu bytes locked\n",
                s.regions, s.locked_bytes);
    std::fflush(stdout);  // the child leaves through _exit
    return 0;
  }));
  EXPECT_THAT(child.Wait(absl::Seconds(60)), IsOkAndHolds(0));
}

TEST(SecretBufferTest, LockLimitReachedDegradesButServes) {
  SKIP_WITHOUT_REAL_MLOCK();
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([] {
    if (!DropIpcLock()) return 10;
    struct rlimit lim = {256u << 10, 256u << 10};
    if (setrlimit(RLIMIT_MEMLOCK, &lim) != 0) return 11;
    std::vector<SecretBuffer> keys;
    for (int i = 0; i < 20000; ++i) {  // 640 KiB of slots > 256 KiB limit
      absl::StatusOr<SecretBuffer> k = SecretBuffer::Create(32);
      if (!k.ok()) return 12;
      keys.push_back(std::move(*k));
    }
    LockedMemoryStats s = GetLockedMemoryStats();
    if (s.unlocked_regions == 0) return 13;  // the limit was never hit?
    if (s.locked_bytes > (256u << 10)) return 14;
    return 0;
  }));
  EXPECT_THAT(child.Wait(absl::Seconds(60)), IsOkAndHolds(0));
}

TEST(SecretBufferTest, MlockFailureIsCountedNotFatal) {
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([] {
    internal::Syscalls table = internal::RealSyscalls();
    table.mlock = [](const void*, size_t) {
      errno = ENOMEM;
      return -1;
    };
    internal::ScopedSyscalls no_lock(table);
    size_t before = GetLockedMemoryStats().unlocked_regions;
    std::vector<SecretBuffer> bufs;
    for (int i = 0; i < 10; ++i) {  // 10 x 16 KiB slots: new regions
      absl::StatusOr<SecretBuffer> b = SecretBuffer::Create(16 * 1024);
      if (!b.ok()) return 10;
      bufs.push_back(std::move(*b));
    }
    return GetLockedMemoryStats().unlocked_regions > before ? 0 : 11;
  }));
  EXPECT_THAT(child.Wait(absl::Seconds(60)), IsOkAndHolds(0));
}

TEST(SecretBufferTest, MmapFailureIsAnError) {
  internal::Syscalls table = internal::RealSyscalls();
  table.mmap = [](void*, size_t, int, int, int, off_t) -> void* {
    errno = ENOMEM;
    return MAP_FAILED;
  };
  internal::ScopedSyscalls no_map(table);
  // A class no other test uses, so the pool must grow.
  absl::StatusOr<SecretBuffer> b = SecretBuffer::Create(60 * 1024);
  EXPECT_THAT(b, ::gssx::testing::HasErrorKind(ErrorKind::kOs));
  EXPECT_EQ(ErrnoOf(b.status()), ENOMEM);
}

TEST(SecretBufferTest, PoolIsRelockedInAForkedChild) {
  SKIP_WITHOUT_REAL_MLOCK();
  // Make sure the pool has regions before the fork.
  ASSERT_OK_AND_ASSIGN(SecretBuffer held, SecretBuffer::Create(32));
  ASSERT_GT(GetLockedMemoryStats().locked_bytes, 0u);
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([] {
    // VmLck in /proc/self/status counts this process's locked memory;
    // mlock is not inherited across fork, so it is ours again only if the
    // pool relocked its regions.
    FILE* f = std::fopen("/proc/self/status", "r");
    if (f == nullptr) return 10;
    char line[256];
    long vmlck = -1;
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "VmLck: %ld kB", &vmlck) == 1) break;
    }
    std::fclose(f);
    LockedMemoryStats s = GetLockedMemoryStats();
    return vmlck > 0 && static_cast<size_t>(vmlck) * 1024 >= s.locked_bytes
               ? 0
               : 11;
  }));
  EXPECT_THAT(child.Wait(absl::Seconds(30)), IsOkAndHolds(0));
}

TEST(SecretBufferTest, ConcurrentAllocateAndFree) {
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        absl::StatusOr<SecretBuffer> b =
            SecretBuffer::Create(32 + static_cast<size_t>((i * 7 + t) % 2000));
        if (!b.ok() || !AllZero(*b)) {
          ++failures;
          continue;
        }
        std::memset(b->data(), t + 1, b->size());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace gssx::transport
