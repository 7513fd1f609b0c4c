// SPDX-License-Identifier: Apache-2.0
#include "gssx/internal/replay_window.h"

#include <algorithm>
#include <random>
#include <set>

#include "gtest/gtest.h"

namespace gssx::internal {
namespace {

// A reference model: the set of everything seen.
SupplementaryBits Model(const std::set<uint64_t>& seen, uint64_t next,
                        uint64_t seq) {
  if (seq >= next) return seq == next ? 0 : kGapToken;
  if (next - 1 - seq >= ReplayWindow::kSize) return kOldToken;
  return seen.count(seq) ? kDuplicateToken : kUnseqToken;
}

TEST(ReplayWindowTest, MatchesAReferenceModel) {
  std::mt19937_64 rng(7);
  ReplayWindow w;
  std::set<uint64_t> seen;
  uint64_t next = 0;
  for (int i = 0; i < 20000; ++i) {
    // Mostly near the front, sometimes far ahead or far behind.
    uint64_t seq;
    const int pick = static_cast<int>(rng() % 10);
    if (pick < 6) {
      seq = next + rng() % 4;
    } else if (pick < 9) {
      seq = next > 0 ? next - 1 - rng() % std::min<uint64_t>(next, 200) : 0;
    } else {
      seq = next + rng() % 300;
    }
    ASSERT_EQ(w.Check(seq), Model(seen, next, seq)) << i << " seq " << seq;
    w.Record(seq);
    seen.insert(seq);
    if (seq >= next) next = seq + 1;
    ASSERT_EQ(w.next_expected(), next);
    // The exported state reproduces the window.
    std::optional<ReplayWindow> copy =
        ReplayWindow::FromState(w.next_expected(), w.bitmap());
    ASSERT_TRUE(copy.has_value());
  }
}

TEST(ReplayWindowTest, RejectsInconsistentState) {
  EXPECT_TRUE(ReplayWindow::FromState(0, {0, 0}).has_value());
  EXPECT_FALSE(ReplayWindow::FromState(0, {1, 0}).has_value());
  EXPECT_TRUE(ReplayWindow::FromState(3, {0b011, 0}).has_value());
  EXPECT_TRUE(ReplayWindow::FromState(3, {0b101, 0}).has_value());
  EXPECT_FALSE(ReplayWindow::FromState(3, {0b1001, 0}).has_value());
  EXPECT_FALSE(ReplayWindow::FromState(3, {0b110, 0}).has_value());
  EXPECT_FALSE(ReplayWindow::FromState(100, {1, 1ull << 63}).has_value());
  EXPECT_TRUE(ReplayWindow::FromState(1000, {1, 1ull << 63}).has_value());
}

TEST(ReplayWindowTest, HugeJumpsAndTheTopOfTheRange) {
  ReplayWindow w;
  w.Record(5);
  const uint64_t big = (~uint64_t{0}) - 2;
  EXPECT_EQ(w.Check(big), kGapToken);
  w.Record(big);
  EXPECT_EQ(w.Check(5), kOldToken);
  EXPECT_EQ(w.Check(big), kDuplicateToken);
  EXPECT_EQ(w.Check(big + 1), 0u);
  w.Record(big + 1);
  EXPECT_EQ(w.next_expected(), ~uint64_t{0});
}

// Numbers above kMaxSequence never come from an honest sender (the
// per-message parser refuses them); the window must not wrap on one either.
TEST(ReplayWindowTest, NumbersAboveTheMaximumDoNotWrapTheWindow) {
  ReplayWindow w;
  w.Record(0);
  w.Record(1);
  const uint64_t top = ~uint64_t{0};
  ASSERT_GT(top, kMaxSequence);
  EXPECT_EQ(w.Check(top), kOldToken);
  w.Record(top);
  EXPECT_EQ(w.next_expected(), 2u);
  EXPECT_EQ(w.Check(1), kDuplicateToken);
  EXPECT_EQ(w.Check(2), 0u);
}

}  // namespace
}  // namespace gssx::internal
