// SPDX-License-Identifier: Apache-2.0
// gMock matchers for absl::Status / absl::StatusOr (the packaged Abseil
// predates absl's own) and for gssx transport error kinds.
//
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(child.Wait(), IsOkAndHolds(0));
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(r.status(), HasErrorKind(transport::ErrorKind::kNotSealed));
//   ASSERT_OK_AND_ASSIGN(auto v, MakeThing());
#ifndef GSSX_TESTING_STATUS_MATCHERS_H_
#define GSSX_TESTING_STATUS_MATCHERS_H_

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "transport/base/errors.h"

namespace gssx::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status: " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code,
          "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s;
  return s.code() == code;
}

MATCHER_P(IsOkAndHolds, value, "is OK and holds " + ::testing::PrintToString(value)) {
  if (!arg.ok()) {
    *result_listener << "status: " << arg.status();
    return false;
  }
  *result_listener << "holds " << ::testing::PrintToString(*arg);
  return *arg == value;
}

MATCHER_P(HasErrorKind, kind,
          std::string("has transport error kind ") +
              std::string(transport::ErrorKindName(kind))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s << " (kind "
                   << transport::ErrorKindName(transport::KindOf(s)) << ")";
  return transport::KindOf(s) == kind;
}

}  // namespace gssx::testing

#define GSSX_CONCAT_INNER_(a, b) a##b
#define GSSX_CONCAT_(a, b) GSSX_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(GSSX_CONCAT_(status_or_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)                \
  auto tmp = (expr);                                              \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status();         \
  lhs = std::move(*tmp)
#define ASSERT_OK(expr)                                  \
  do {                                                   \
    const absl::Status gssx_s_ = ::gssx::testing::GetStatus(expr); \
    ASSERT_TRUE(gssx_s_.ok()) << #expr << ": " << gssx_s_;          \
  } while (0)
#define EXPECT_OK(expr)                                  \
  do {                                                   \
    const absl::Status gssx_s_ = ::gssx::testing::GetStatus(expr); \
    EXPECT_TRUE(gssx_s_.ok()) << #expr << ": " << gssx_s_;          \
  } while (0)

#endif  // GSSX_TESTING_STATUS_MATCHERS_H_
