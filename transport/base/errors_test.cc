// SPDX-License-Identifier: Apache-2.0
// transport::StatusText: statuses as user-facing lines, without payload
// bytes.
#include "transport/base/errors.h"

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace gssx::transport {
namespace {

// True if every byte is printable ASCII.
bool Printable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

TEST(StatusTextTest, TransportStatusNamesItsKindNotItsPayload) {
  absl::Status s = MakeError(ErrorKind::kAlreadyConsumed, "token taken");
  // What ToString() would show a user: the payload, escaped bytes and all.
  ASSERT_TRUE(absl::StrContains(s.ToString(), std::string(kErrorPayloadUrl)));
  const std::string text = StatusText(s);
  EXPECT_EQ(text, "token taken (already-consumed)");
  EXPECT_FALSE(absl::StrContains(text, "type.gssx.dev"));
}

TEST(StatusTextTest, ErrnoIsSpelledOnceInWords) {
  EXPECT_EQ(StatusText(MakeError(ErrorKind::kPeerClosed, "peer closed",
                                 ECONNRESET)),
            "peer closed (peer-closed: Connection reset by peer)");
  // OsError's message already has strerror: not repeated.
  EXPECT_EQ(StatusText(OsError(EBADF, "fcntl")),
            "fcntl: Bad file descriptor (os-error)");
}

TEST(StatusTextTest, OtherStatusesShowTheirCodeName) {
  EXPECT_EQ(StatusText(absl::OkStatus()), "OK");
  EXPECT_EQ(StatusText(absl::InvalidArgumentError("bad spec")),
            "bad spec (INVALID_ARGUMENT)");
  EXPECT_EQ(StatusText(absl::InternalError("")), "INTERNAL");
  absl::Status foreign = absl::UnknownError("odd");
  foreign.SetPayload("type.example/x", absl::Cord(std::string("\x01\x02\xff", 3)));
  EXPECT_EQ(StatusText(foreign), "odd (UNKNOWN)");
}

TEST(StatusTextTest, EveryKindIsPrintable) {
  for (uint32_t k = 1; k <= static_cast<uint32_t>(ErrorKind::kUnsupported);
       ++k) {
    const std::string text =
        StatusText(MakeError(static_cast<ErrorKind>(k), "m", EPERM));
    EXPECT_TRUE(Printable(text)) << text;
    EXPECT_FALSE(absl::StrContains(text, "type.gssx.dev")) << text;
  }
}

}  // namespace
}  // namespace gssx::transport
