// SPDX-License-Identifier: Apache-2.0
// Every example binary answers --help: usage on stdout, exit 0, nothing
// run (the krb5 demo starts no realm or KDC).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::transport::UniqueFd;

std::string BinaryPath(const std::string& name) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "gssx", "/examples/",
                      name);
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  absl::Duration took;
};

RunResult RunBinary(const std::string& name, const std::vector<std::string>& args) {
  RunResult result;
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string err_path =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, ".stderr");
  UniqueFd err_fd(::open(err_path.c_str(),
                         O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!err_fd.valid()) return result;
  const std::string path = BinaryPath(name);
  const absl::Time start = absl::Now();
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([&] {
    if (::dup2(out_write.get(), STDOUT_FILENO) < 0) return 126;
    if (::dup2(err_fd.get(), STDERR_FILENO) < 0) return 126;
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    return 127;
  });
  if (!child.ok()) return result;
  out_write.Reset();
  result.out = ReadAll(out_read.get());
  // --help does nothing but print: a binary still running after 20 s
  // started its real work.
  absl::StatusOr<int> code = child->Wait(absl::Seconds(20));
  result.took = absl::Now() - start;
  result.exit_code = code.ok() ? *code : -2;
  if (::lseek(err_fd.get(), 0, SEEK_SET) == 0) result.err = ReadAll(err_fd.get());
  return result;
}

class HelpTest : public ::testing::TestWithParam<const char*> {};

TEST_P(HelpTest, PrintsUsageAndExitsZero) {
  const std::string name = GetParam();
  for (const char* flag : {"--help", "-h"}) {
    RunResult r = RunBinary(name, {flag});
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
                      "krb5_client", "krb5_demo"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      return std::string(info.param);
    });

TEST(HelpTest, FlagsOfTheProgramAreListed) {
  RunResult r = RunBinary("prefork_server", {"--help"});
  EXPECT_TRUE(absl::StrContains(r.out, "--workers")) << r.out;
  // Abseil's own flags are not the program's.
  EXPECT_FALSE(absl::StrContains(r.out, "--flagfile")) << r.out;
}

TEST(HelpTest, Krb5DemoRunsNothingOnHelpAndRefusesArguments) {
  RunResult r = RunBinary("krb5_demo", {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  // What the demo prints once it starts: the realm, the clients, a verdict.
  EXPECT_FALSE(absl::StrContains(r.out, "== a throwaway Kerberos realm"))
      << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "krb5 demo:")) << r.out;
  EXPECT_LT(r.took, absl::Seconds(5));
  RunResult bad = RunBinary("krb5_demo", {"extra"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad.err, "takes no arguments")) << bad.err;
}

}  // namespace
}  // namespace gssx::examples
