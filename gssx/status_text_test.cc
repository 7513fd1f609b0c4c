// SPDX-License-Identifier: Apache-2.0
// gssx::StatusText: statuses as user-facing lines, without payload bytes.
#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gssx/status.h"
#include "gtest/gtest.h"
#include "transport/base/errors.h"

namespace gssx {
namespace {

TEST(StatusTextTest, GssxStatusNamesKindAndMinorNotPayload) {
  absl::Status s = MakeError(ErrorKind::kNoCred, Minor::kKeytabInsecure,
                             "gssx: keytab /k is group-readable");
  ASSERT_TRUE(absl::StrContains(s.ToString(), std::string(kErrorPayloadUrl)));
  const std::string text = StatusText(s);
  EXPECT_EQ(text, "gssx: keytab /k is group-readable (" +
                      std::string(ErrorKindName(ErrorKind::kNoCred)) + ": " +
                      DescribeMinorStatus(static_cast<uint32_t>(
                          Minor::kKeytabInsecure)) +
                      ")");
  EXPECT_FALSE(absl::StrContains(text, "type.gssx.dev"));
}

TEST(StatusTextTest, OsErrorIsNotRepeated) {
  const std::string text = StatusText(OsError(ENOENT, "open /x"));
  EXPECT_EQ(text, "open /x: No such file or directory (" +
                      std::string(ErrorKindName(ErrorKind::kFailure)) + ")");
}

TEST(StatusTextTest, TransportAndOtherStatuses) {
  EXPECT_EQ(StatusText(absl::OkStatus()), "OK");
  EXPECT_EQ(StatusText(transport::MakeError(
                transport::ErrorKind::kAlreadyConsumed, "token taken")),
            "token taken (already-consumed)");
  EXPECT_EQ(StatusText(absl::NotFoundError("no such user")),
            "no such user (NOT_FOUND)");
}

}  // namespace
}  // namespace gssx
