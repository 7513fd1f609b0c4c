// SPDX-License-Identifier: Apache-2.0
#include "transport/base/csprng.h"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "absl/base/config.h"
#include "gtest/gtest.h"
#include "testing/capabilities.h"
#include "testing/child.h"
#include "testing/status_matchers.h"

namespace gssx::transport::internal {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::IsOkAndHolds;

using Block = std::array<uint8_t, 64>;

Block Draw() {
  Block b{};
  RandomBytes(absl::MakeSpan(b));
  return b;
}

bool AllZero(absl::Span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

// Writes all of `bytes` to `fd` (a pipe); false on failure.
bool WriteAll(int fd, const void* bytes, size_t n) {
  const auto* p = static_cast<const uint8_t*>(bytes);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* bytes, size_t n) {
  auto* p = static_cast<uint8_t*>(bytes);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

TEST(CsprngTest, OutputIsNotZeroAndNeverRepeats) {
  std::set<Block> seen;
  for (int i = 0; i < 1000; ++i) {
    Block b = Draw();
    EXPECT_FALSE(AllZero(b));
    EXPECT_TRUE(seen.insert(b).second) << "repeated output at draw " << i;
  }
}

TEST(CsprngTest, UsesALockedWipeOnForkPage) {
  (void)Draw();
  // Every supported kernel (>= 4.14) has MADV_WIPEONFORK, and the test
  // runs with room for one locked page.
  EXPECT_EQ(GetCsprngMode(), CsprngMode::kWipeOnFork);
  EXPECT_GE(CsprngSeedsForTest(), 1u);
}

TEST(CsprngTest, OddSizesAndLargeRequestsAcrossRefills) {
  // Sizes that straddle the 480-byte runs between rekeys, and one request
  // far larger than a run.
  for (size_t n : {size_t{1}, size_t{7}, size_t{72}, size_t{479},
                   size_t{480}, size_t{481}, size_t{4096}, size_t{70000}}) {
    std::vector<uint8_t> a(n), b(n);
    RandomBytes(absl::MakeSpan(a));
    RandomBytes(absl::MakeSpan(b));
    EXPECT_NE(a, b) << n;
    if (n >= 16) {
      EXPECT_FALSE(AllZero(a)) << n;
    }
  }
  RandomBytes(absl::Span<uint8_t>());  // empty: nothing to do, no crash
}

TEST(CsprngTest, BytesLookUniform) {
  // 1 MiB+ of output (it also crosses a reseed): every byte value within
  // a wide band around the mean, and a chi-square far from the tails
  // (255 degrees of freedom: mean 255, sd ~22.6; bounds at ~±7 sd).
  std::vector<uint8_t> out((1u << 20) + 4096);
  const uint64_t seeds_before = CsprngSeedsForTest();
  RandomBytes(absl::MakeSpan(out));
  (void)Draw();
  EXPECT_GT(CsprngSeedsForTest(), seeds_before);
  std::array<double, 256> count{};
  for (uint8_t b : out) ++count[b];
  const double expected = static_cast<double>(out.size()) / 256;
  double chi2 = 0;
  for (double c : count) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_GT(chi2, 100.0);
  EXPECT_LT(chi2, 420.0);
}

TEST(CsprngTest, ParentAndForkedChildDrawDifferentBytes) {
  // Leave part of a run buffered: a copied state would make the child
  // return exactly the parent's next bytes.
  (void)Draw();
  (void)Draw();
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([&] {
    ::close(p[0]);
    // The child starts unseeded (its page was wiped) and seeds on use.
    if (CsprngSeedsForTest() != 0) return 3;
    Block b = Draw();
    if (CsprngSeedsForTest() != 1) return 4;
    return WriteAll(p[1], b.data(), b.size()) ? 0 : 2;
  });
  ASSERT_TRUE(child.ok()) << child.status();
  ::close(p[1]);
  Block parent = Draw();
  Block from_child{};
  const bool got = ReadAll(p[0], from_child.data(), from_child.size());
  ::close(p[0]);
  EXPECT_THAT(child->Wait(), IsOkAndHolds(0));
  ASSERT_TRUE(got);
  EXPECT_NE(parent, from_child);
  EXPECT_FALSE(AllZero(from_child));
}

TEST(CsprngTest, RawCloneWithoutAtforkHandlersStillReseeds) {
#ifdef ABSL_HAVE_THREAD_SANITIZER
  // TSan's runtime takes its own locks around fork(); a raw clone skips
  // that, and the child can hang on a lock TSan's thread held.
  GTEST_SKIP() << "raw clone() is not safe under ThreadSanitizer";
#endif
  // A bare clone(SIGCHLD) skips pthread_atfork handlers: only the kernel
  // (MADV_WIPEONFORK) can tell the child's generator it was copied.
  (void)Draw();
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const long pid = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr,
                             nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(p[0]);
    Block b = Draw();
    ::_exit(WriteAll(p[1], b.data(), b.size()) ? 0 : 2);
  }
  ::close(p[1]);
  Block parent = Draw();
  Block from_child{};
  const bool got = ReadAll(p[0], from_child.data(), from_child.size());
  ::close(p[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(static_cast<pid_t>(pid), &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_TRUE(got);
  EXPECT_NE(parent, from_child);
}

// Forward secrecy: what was handed out is not left in the state.
TEST(CsprngTest, OutputsDoNotStayInTheState) {
  for (int i = 0; i < 100; ++i) {
    Block b = Draw();
    EXPECT_FALSE(CsprngStateContainsForTest(absl::MakeConstSpan(b.data(), 16)))
        << "draw " << i;
  }
}

// A child that cannot lock the state page again (mlock is not inherited)
// must not use it: it falls back to the kernel, and its output is its own.
TEST(CsprngTest, ChildThatCannotLockFallsBackToTheKernel) {
#if defined(ABSL_HAVE_ADDRESS_SANITIZER) || defined(ABSL_HAVE_THREAD_SANITIZER)
  // The sanitizers' runtimes make mlock a no-op that always succeeds.
  GTEST_SKIP() << "mlock is a no-op under this sanitizer: a failing mlock "
                  "cannot be shown";
#endif
  (void)Draw();
  ASSERT_EQ(GetCsprngMode(), CsprngMode::kWipeOnFork);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([&] {
    ::close(p[0]);
    // No lock rights: no CAP_IPC_LOCK, RLIMIT_MEMLOCK 0.
    ::gssx::testing::DropEffectiveCapability(CAP_IPC_LOCK);
    struct rlimit none = {0, 0};
    if (::setrlimit(RLIMIT_MEMLOCK, &none) != 0) return 3;
    Block b = Draw();
    if (GetCsprngMode() != CsprngMode::kKernelOnly) return 4;
    if (AllZero(b)) return 5;
    return WriteAll(p[1], b.data(), b.size()) ? 0 : 2;
  });
  ASSERT_TRUE(child.ok()) << child.status();
  ::close(p[1]);
  Block parent = Draw();
  Block from_child{};
  const bool got = ReadAll(p[0], from_child.data(), from_child.size());
  ::close(p[0]);
  EXPECT_THAT(child->Wait(absl::Seconds(30)), IsOkAndHolds(0));
  ASSERT_TRUE(got);
  EXPECT_NE(parent, from_child);
  EXPECT_EQ(GetCsprngMode(), CsprngMode::kWipeOnFork);  // the parent keeps it
}

TEST(CsprngTest, SiblingChildrenDrawDifferentBytes) {
  (void)Draw();
  constexpr int kChildren = 4;
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::vector<ForkedChild> children;
  for (int i = 0; i < kChildren; ++i) {
    absl::StatusOr<ForkedChild> c = ForkedChild::Start([&] {
      ::close(p[0]);
      Block b = Draw();
      return WriteAll(p[1], b.data(), b.size()) ? 0 : 2;
    });
    ASSERT_TRUE(c.ok()) << c.status();
    children.push_back(std::move(*c));
  }
  ::close(p[1]);
  std::set<Block> seen = {Draw()};
  for (int i = 0; i < kChildren; ++i) {
    Block b{};
    ASSERT_TRUE(ReadAll(p[0], b.data(), b.size()));
    EXPECT_TRUE(seen.insert(b).second) << "child " << i << " repeated a stream";
  }
  ::close(p[0]);
  for (ForkedChild& c : children) EXPECT_THAT(c.Wait(), IsOkAndHolds(0));
}

TEST(CsprngTest, ThreadsNeverShareOutput) {
  constexpr int kThreads = 4;
  constexpr int kDraws = 2000;
  std::vector<std::vector<Block>> out(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&out, t] {
      for (int i = 0; i < kDraws; ++i) out[t].push_back(Draw());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<Block> seen;
  for (const auto& v : out) {
    for (const Block& b : v) EXPECT_TRUE(seen.insert(b).second);
  }
  EXPECT_EQ(seen.size(), size_t{kThreads} * kDraws);
}

}  // namespace
}  // namespace gssx::transport::internal
