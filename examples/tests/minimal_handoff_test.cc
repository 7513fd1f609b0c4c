// SPDX-License-Identifier: Apache-2.0
// The minimal example runs as documented: the worker imports the context
// and unwraps the client's message, the parent holds no context after the
// handoff, and the last line is the verdict.
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "testing/run_program.h"

namespace gssx::examples {
namespace {

TEST(MinimalHandoffTest, WorkerUnwrapsWithTheHandedOffContext) {
  ::gssx::testing::ProgramResult r = ::gssx::testing::RunProgram(
      ::gssx::testing::RunfilesPath("examples/minimal_handoff"), {});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "imported the context, unwrapped \"hello from alice\""))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "it holds none now: yes")) << r.out;
  EXPECT_TRUE(absl::EndsWith(r.out, "minimal_handoff: OK\n")) << r.out;
}

}  // namespace
}  // namespace gssx::examples
