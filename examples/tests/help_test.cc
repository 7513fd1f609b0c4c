// SPDX-License-Identifier: Apache-2.0
// Every example binary answers --help: usage on stdout, exit 0, nothing
// run (the krb5 demo starts no realm or KDC).
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/run_program.h"

namespace gssx::examples {
namespace {

using ::gssx::testing::ProgramResult;

// --help does nothing but print: a binary still running after 20 s
// started its real work.
ProgramResult RunBinary(const std::string& name, const std::vector<std::string>& args) {
  return ::gssx::testing::RunProgram(
      ::gssx::testing::RunfilesPath("examples/" + name), args,
      {.timeout = absl::Seconds(20)});
}

class HelpTest : public ::testing::TestWithParam<const char*> {};

TEST_P(HelpTest, PrintsUsageAndExitsZero) {
  const std::string name = GetParam();
  for (const char* flag : {"--help", "-h"}) {
    ProgramResult r = RunBinary(name, {flag});
    EXPECT_EQ(r.exit_code, 0) << name << " " << flag << "\n" << r.err;
    EXPECT_TRUE(absl::StrContains(absl::AsciiStrToLower(r.out), "usage"))
        << name << " " << flag << ": " << r.out;
    EXPECT_EQ(r.err, "") << name << " " << flag;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Examples, HelpTest,
    ::testing::Values("prefork_server", "client", "demo", "session",
                      "fork_exec_server", "handoff_load", "krb5_server",
                      "krb5_client", "krb5_demo", "self_accepting_server",
                      "prefork_server_v2", "upgrade_demo"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      return std::string(info.param);
    });

TEST(HelpTest, FlagsOfTheProgramAreListed) {
  ProgramResult r = RunBinary("prefork_server", {"--help"});
  EXPECT_TRUE(absl::StrContains(r.out, "--workers")) << r.out;
  // Abseil's own flags are not the program's.
  EXPECT_FALSE(absl::StrContains(r.out, "--flagfile")) << r.out;
}

TEST(HelpTest, Krb5DemoRunsNothingOnHelpAndRefusesArguments) {
  ProgramResult r = RunBinary("krb5_demo", {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  // What the demo prints once it starts: the realm, the clients, a verdict.
  EXPECT_FALSE(absl::StrContains(r.out, "== a throwaway Kerberos realm"))
      << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "krb5 demo:")) << r.out;
  EXPECT_LT(r.took, absl::Seconds(5));
  ProgramResult bad = RunBinary("krb5_demo", {"extra"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad.err, "takes no arguments")) << bad.err;
}

}  // namespace
}  // namespace gssx::examples
