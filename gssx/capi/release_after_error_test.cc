// SPDX-License-Identifier: Apache-2.0
// Runs testdata/release_after_error.c (gss_localname -> error ->
// gss_release_buffer of an uninitialised buffer, the case of issue 12):
// under valgrind in an ordinary build, directly in an ASan build (the
// program is built with the same sanitizer; valgrind cannot run it).
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "testing/child.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GSSX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GSSX_SANITIZED 1
#endif
#endif

namespace {

std::string ProgramPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return std::string(srcdir == nullptr ? "." : srcdir) +
         "/gssx/gssx/capi/release_after_error";
}

// Runs argv in a child (stdout/stderr go to the test log): its exit code.
int RunProgram(std::vector<std::string> args) {
  absl::StatusOr<gssx::testing::ForkedChild> child =
      gssx::testing::ForkedChild::Start([&args] {
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        return 127;
      });
  if (!child.ok()) return -1;
  absl::StatusOr<int> code = child->Wait(absl::Seconds(120));
  return code.ok() ? *code : -1;
}

TEST(ReleaseAfterError, LocalnameErrorThenReleaseOfUninitialisedBuffer) {
  ASSERT_EQ(::access(ProgramPath().c_str(), X_OK), 0) << ProgramPath();
#ifdef GSSX_SANITIZED
  EXPECT_EQ(RunProgram({ProgramPath()}), 0);
#else
  const std::string valgrind = "/usr/bin/valgrind";
  ASSERT_EQ(::access(valgrind.c_str(), X_OK), 0)
      << "valgrind is needed (tools/setup installs it)";
  // Any memcheck error (an uninitialised value used, an invalid free)
  // makes the exit code 97.
  EXPECT_EQ(RunProgram({valgrind, "--error-exitcode=97", "--leak-check=no",
                 ProgramPath()}),
            0);
#endif
}

}  // namespace
