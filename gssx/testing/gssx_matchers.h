// SPDX-License-Identifier: Apache-2.0
// gMock matchers for gssx statuses (gssx/status.h): the GSS routine error
// and, optionally, the minor code.
//
//   EXPECT_THAT(r.status(), HasGssError(gssx::ErrorKind::kDefectiveToken));
//   EXPECT_THAT(r, HasGssError(gssx::ErrorKind::kNoCred,
//                              gssx::Minor::kKeytabInsecure));
#ifndef GSSX_TESTING_GSSX_MATCHERS_H_
#define GSSX_TESTING_GSSX_MATCHERS_H_

#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gssx/status.h"
#include "testing/status_matchers.h"

namespace gssx::testing {

inline std::string DescribeGss(const absl::Status& s) {
  return std::string(ErrorKindName(KindOf(s))) + " / minor " +
         std::to_string(MinorOf(s)) + " (" +
         DescribeMinorStatus(GssMinorStatus(s)) + "): " + s.ToString();
}

MATCHER_P(HasGssError, kind,
          std::string("has gssx error kind ") +
              std::string(::gssx::ErrorKindName(kind))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << DescribeGss(s);
  return ::gssx::KindOf(s) == kind;
}

MATCHER_P2(HasGssError, kind, minor,
           std::string("has gssx error kind ") +
               std::string(::gssx::ErrorKindName(kind)) + " and minor " +
               std::to_string(static_cast<uint32_t>(minor))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << DescribeGss(s);
  return ::gssx::KindOf(s) == kind &&
         ::gssx::MinorOf(s) == static_cast<uint32_t>(minor);
}

}  // namespace gssx::testing

#endif  // GSSX_TESTING_GSSX_MATCHERS_H_
