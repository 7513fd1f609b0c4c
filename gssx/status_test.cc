// SPDX-License-Identifier: Apache-2.0
#include "gssx/status.h"

#include <cerrno>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "gssx/testing/gssx_matchers.h"
#include "transport/base/errors.h"

namespace gssx {
namespace {

using ::gssx::testing::HasGssError;

TEST(StatusTest, PayloadRoundTrip) {
  absl::Status s = MakeError(ErrorKind::kBadBindings,
                             Minor::kChannelBindingsMismatch, "differ");
  EXPECT_EQ(KindOf(s), ErrorKind::kBadBindings);
  EXPECT_EQ(MinorOf(s), static_cast<uint32_t>(Minor::kChannelBindingsMismatch));
  EXPECT_EQ(ErrnoOf(s), 0);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "differ");
}

TEST(StatusTest, GssCodes) {
  // RFC 2744 values: GSS_S_DEFECTIVE_TOKEN is 9 << 16, GSS_S_DUPLICATE_TOKEN
  // is 1 << 1.
  absl::Status s = MakeError(ErrorKind::kDefectiveToken,
                             Minor::kTokenMalformed, "x");
  EXPECT_EQ(GssMajorStatus(s), 9u << 16);
  EXPECT_EQ(GssMajorStatus(absl::OkStatus(), kDuplicateToken), 2u);
  EXPECT_EQ(GssMajorStatus(absl::OkStatus()), 0u);
  EXPECT_EQ(GssMinorStatus(s), static_cast<uint32_t>(Minor::kTokenMalformed));
  EXPECT_EQ(static_cast<uint32_t>(ErrorKind::kNameNotMn), 18u);
  EXPECT_EQ(static_cast<uint32_t>(ErrorKind::kNoContext), 8u);
  EXPECT_EQ(kGapToken, 16u);
}

TEST(StatusTest, OsErrorsCarryTheErrno) {
  absl::Status s = OsError(EMFILE, "memfd_create");
  EXPECT_THAT(s, HasGssError(ErrorKind::kFailure, Minor::kOsError));
  EXPECT_EQ(ErrnoOf(s), EMFILE);
  EXPECT_EQ(GssMinorStatus(s), static_cast<uint32_t>(EMFILE));
  EXPECT_EQ(DescribeMinorStatus(EMFILE), std::strerror(EMFILE));
}

TEST(StatusTest, TransportStatusesMapAsTheDesignSays) {
  using T = transport::ErrorKind;
  struct Case {
    T transport;
    ErrorKind gssx;
  } cases[] = {
      {T::kAlreadyConsumed, ErrorKind::kNoContext},
      {T::kMalformed, ErrorKind::kDefectiveToken},
      {T::kNotSealed, ErrorKind::kDefectiveToken},
      {T::kSizeMismatch, ErrorKind::kDefectiveToken},
      {T::kAuthenticationFailed, ErrorKind::kDefectiveToken},
      {T::kPeerNotAllowed, ErrorKind::kUnauthorized},
      {T::kRefusedByPeer, ErrorKind::kUnauthorized},
      {T::kUnsupported, ErrorKind::kUnavailable},
      {T::kPeerClosed, ErrorKind::kFailure},
  };
  for (const Case& c : cases) {
    absl::Status t = transport::MakeError(c.transport, "t");
    EXPECT_EQ(KindOf(t), c.gssx) << transport::ErrorKindName(c.transport);
    EXPECT_EQ(MinorOf(t),
              kTransportMinorBase + static_cast<uint32_t>(c.transport));
    absl::Status converted = ToGssxStatus(t);
    EXPECT_EQ(KindOf(converted), c.gssx);
    EXPECT_EQ(MinorOf(converted), MinorOf(t));
  }
  absl::Status enomem = transport::OsError(ENOMEM, "sodium_malloc");
  EXPECT_EQ(KindOf(enomem), ErrorKind::kFailure);
  EXPECT_EQ(GssMinorStatus(enomem), static_cast<uint32_t>(ENOMEM));
  EXPECT_EQ(DescribeMinorStatus(MinorOf(transport::MakeError(
                T::kAlreadyConsumed, "x"))),
            "The context token was already imported elsewhere.");
}

TEST(StatusTest, ForeignStatusesAreFailures) {
  absl::Status s = absl::InternalError("boom");
  EXPECT_EQ(KindOf(s), ErrorKind::kFailure);
  EXPECT_EQ(MinorOf(s), static_cast<uint32_t>(Minor::kInternal));
  EXPECT_EQ(KindOf(ToGssxStatus(s)), ErrorKind::kFailure);
  EXPECT_EQ(ToGssxStatus(s).message(), "boom");
  EXPECT_TRUE(ToGssxStatus(absl::OkStatus()).ok());
  EXPECT_EQ(KindOf(absl::OkStatus()), ErrorKind::kNone);
}

TEST(StatusTest, EveryCodeHasASentence) {
  for (uint32_t k = 0; k <= 18; ++k) {
    EXPECT_FALSE(DescribeErrorKind(static_cast<ErrorKind>(k)).empty()) << k;
    EXPECT_NE(ErrorKindName(static_cast<ErrorKind>(k)), "unknown") << k;
  }
  for (uint32_t m = kMinorBase + 1; m < kMinorBase + 130; ++m) {
    const std::string text = DescribeMinorStatus(m);
    EXPECT_FALSE(text.empty());
  }
  EXPECT_EQ(DescribeMinorStatus(static_cast<uint32_t>(Minor::kKeytabInsecure)),
            "The keytab is not safe: accessible by group or others (mode "
            "must be 0600 or stricter), owned by another user, or in a "
            "directory another user can change.");
  EXPECT_THAT(DescribeMinorStatus(0x7fffffff), ::testing::HasSubstr("Unknown"));
}

}  // namespace
}  // namespace gssx
