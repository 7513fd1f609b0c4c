// SPDX-License-Identifier: Apache-2.0
// The generic handoff (handoff.h) and Channel::Receive with a codec
// (codec.h): export, import before the latch, the optional check, restore.
#include "transport/handoff.h"

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/codec.h"
#include "transport/base/errors.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

// A test value: a string that is emptied when exported. The receiver
// refuses strings that start with "bad" (Check), and nobody can import
// "garbage" or export "stuck".
struct WordCodec {
  using Value = std::string;
  int* checks = nullptr;  // counts Check calls
  absl::StatusOr<SecretBuffer> Export(std::string& word) const {
    if (word == "stuck") return absl::FailedPreconditionError("stuck");
    absl::StatusOr<SecretBuffer> bytes = SecretBuffer::CopyOf(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(word.data()),
                            word.size()));
    if (bytes.ok()) word.clear();
    return bytes;
  }
  absl::StatusOr<std::string> Import(absl::Span<const uint8_t> bytes) const {
    std::string word(bytes.begin(), bytes.end());
    if (word == "garbage") return absl::DataLossError("not a word");
    return word;
  }
  absl::Status Check(const std::string& word) const {
    if (checks != nullptr) ++*checks;
    if (word.rfind("bad", 0) == 0) return absl::PermissionDeniedError("bad");
    return absl::OkStatus();
  }
};

const absl::Duration kWait = absl::Seconds(10);

TEST(HandOffTest, DeliversTheValueAndItsFds) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  ASSERT_OK_AND_ASSIGN(auto extra, MakeSocketPair());
  std::string word = "hello";
  DeliverOptions options;
  absl::StatusOr<Received<std::string>> got;
  options.after_send = [&] {
    got = pair.second.Receive(WordCodec(), {1, kWait});
  };
  EXPECT_THAT(HandOff(pair.first, word, WordCodec(), {extra.first.get()},
                      options),
              IsOkAndHolds(Delivery::kAcknowledged));
  EXPECT_TRUE(word.empty());
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->value, "hello");
  ASSERT_EQ(got->fds.size(), 1u);
  EXPECT_TRUE(got->fds[0].valid());
}

TEST(HandOffTest, RefusedByCheckComesBackWithoutBeingChecked) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  std::string word = "bad apple";
  int checks = 0;
  DeliverOptions options;
  options.after_send = [&] {
    EXPECT_EQ(pair.second.Receive(WordCodec{&checks}).status().code(),
              absl::StatusCode::kPermissionDenied);
  };
  // The exporter's codec counts too: restoring must not check.
  EXPECT_THAT(HandOff(pair.first, word, WordCodec{&checks}, {}, options),
              HasErrorKind(ErrorKind::kRejectedByPeer));
  EXPECT_EQ(word, "bad apple");
  EXPECT_EQ(checks, 1);
}

TEST(HandOffTest, ImportFailureRejectsUnconsumed) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  std::string word = "garbage";
  DeliverOptions options;
  options.after_send = [&] {
    EXPECT_EQ(pair.second.Receive(WordCodec()).status().code(),
              absl::StatusCode::kDataLoss);
  };
  // Restoring "garbage" fails too: the value is lost, and that is the
  // error.
  EXPECT_EQ(HandOff(pair.first, word, WordCodec(), {}, options).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(HandOffTest, ExportFailureSendsNothingAndLeavesTheValue) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  std::string word = "stuck";
  EXPECT_EQ(HandOff(pair.first, word, WordCodec(), {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(word, "stuck");
  EXPECT_THAT(pair.second.Receive(WordCodec(), {0, absl::ZeroDuration()}),
              HasErrorKind(ErrorKind::kTimeout));
}

TEST(StartHandOffTest, AbandonRestores) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  std::string word = "later";
  ASSERT_OK_AND_ASSIGN(PendingDelivery p,
                       StartHandOff(pair.first, word, WordCodec(), {}));
  EXPECT_TRUE(word.empty());
  EXPECT_EQ(p.Abandon(absl::CancelledError("no")).status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(word, "later");
  // The receiver finds the token taken back.
  EXPECT_THAT(pair.second.Receive(WordCodec(), {0, kWait}),
              HasErrorKind(ErrorKind::kAlreadyConsumed));
}

TEST(RawFormTest, ExportToFdAndImportOnce) {
  std::string word = "raw";
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, ExportToFd(word, WordCodec()));
  EXPECT_TRUE(word.empty());
  EXPECT_THAT(ImportFromFd(fd.get(), WordCodec()), IsOkAndHolds(std::string("raw")));
  EXPECT_THAT(ImportFromFd(fd.get(), WordCodec()),
              HasErrorKind(ErrorKind::kAlreadyConsumed));
}

TEST(RawFormTest, RefusedTokenStaysImportable) {
  std::string word = "bad but fine";
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, ExportToFd(word, WordCodec()));
  EXPECT_EQ(ImportFromFd(fd.get(), WordCodec()).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A receiver without that check still gets it: it was not consumed.
  EXPECT_THAT(ImportFromFd(fd.get(), BytesCodec()), IsOk());
}

}  // namespace
}  // namespace gssx::transport
