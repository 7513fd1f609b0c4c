// SPDX-License-Identifier: Apache-2.0
// The `gssx` binary (//gssx/tool:gssx_tool) as a user runs it: --help,
// --version, keygen --help, and keygen making missing parent directories.
#include <fcntl.h>
#include <gssx/gssx.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/run_program.h"
#include "transport/base/unique_fd.h"

namespace gssx {
namespace {

using ::gssx::transport::UniqueFd;

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 07777;
  return st.st_mode & 07777;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

using RunResult = ::gssx::testing::ProgramResult;

// Runs the tool with `args` under `umask_value`.
RunResult RunTool(const std::vector<std::string>& args,
                  mode_t umask_value = 022) {
  return ::gssx::testing::RunProgram(
      ::gssx::testing::RunfilesPath("gssx/tool/gssx_tool"), args,
      {.in_child = [umask_value] { ::umask(umask_value); }});
}

TEST(GssxToolTest, HelpListsTheCommandsAndExitsZero) {
  for (const char* flag : {"--help", "help"}) {
    RunResult r = RunTool({flag});
    EXPECT_EQ(r.exit_code, 0) << flag;
    EXPECT_TRUE(absl::StrContains(r.out, "usage: gssx")) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "keygen")) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "--version")) << r.out;
    EXPECT_EQ(r.err, "");
  }
}

TEST(GssxToolTest, VersionIsTheHeaderVersion) {
  RunResult r = RunTool({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "gssx " GSSX_VERSION_STRING "\n");
}

TEST(GssxToolTest, KeygenHelpExitsZeroOnStdout) {
  RunResult r = RunTool({"keygen", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.out, "usage: gssx keygen")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "--trust")) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(GssxToolTest, UsageErrorsExitTwoOnStderr) {
  RunResult r = RunTool({"keygen", "--name", "alice"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(absl::StrContains(r.err, "keygen needs --name and --keytab"))
      << r.err;
  EXPECT_EQ(RunTool({"--bogus"}).exit_code, 2);
}

TEST(GssxToolTest, KeygenCreatesMissingParentsWith0700AndSaysWhichFile) {
  // Under every umask the new directories are exactly 0700.
  int round = 0;
  for (mode_t umask_value : {0000, 0022, 0077, 0777}) {
    const std::string top = absl::StrCat(TestDir(), "/parents", round++);
    ASSERT_FALSE(Exists(top));
    const std::string keytab = top + "/etc/svc/keytab";
    const std::string trust = top + "/share/trust";
    RunResult r = RunTool({"keygen", "--name", "http@web1", "--keytab", keytab,
                           "--trust", trust},
                          umask_value);
    ASSERT_EQ(r.exit_code, 0) << std::oct << umask_value << " " << r.err;
    for (const std::string& dir :
         {top, top + "/etc", top + "/etc/svc", top + "/share"}) {
      EXPECT_EQ(ModeOf(dir), 0700u) << dir << " umask " << std::oct
                                    << umask_value;
      EXPECT_TRUE(absl::StrContains(
          r.err, absl::StrCat("created the directory ", dir, " (mode 0700)")))
          << r.err;
    }
    EXPECT_EQ(ModeOf(keytab), 0600u);
    EXPECT_TRUE(Exists(trust));
    EXPECT_TRUE(absl::StrContains(
        r.err, "private key of http@web1 appended to the keytab " + keytab))
        << r.err;
    EXPECT_TRUE(absl::StrContains(
        r.err, "public key of http@web1 appended to the trust file " + trust))
        << r.err;
    EXPECT_TRUE(absl::StartsWith(r.out, "http@web1 ")) << r.out;
  }
}

TEST(GssxToolTest, KeygenLeavesExistingDirectoriesAlone) {
  const std::string dir = absl::StrCat(TestDir(), "/existing");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  RunResult r = RunTool({"keygen", "--name", "alice", "--keytab",
                         dir + "/keytab"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ModeOf(dir), 0755u);
  EXPECT_FALSE(absl::StrContains(r.err, "created the directory")) << r.err;
  // Without --trust it still says where the public half must go.
  EXPECT_TRUE(absl::StrContains(r.err, "trust file of every peer")) << r.err;
}

TEST(GssxToolTest, KeygenRefusesAFileWhereADirectoryMustBe) {
  const std::string file = absl::StrCat(TestDir(), "/plain_file");
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                     0600));
  ASSERT_TRUE(fd.valid());
  RunResult r = RunTool({"keygen", "--name", "alice", "--keytab",
                         file + "/sub/keytab"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, file + " is not a directory")) << r.err;
  EXPECT_FALSE(Exists(file + "/sub"));
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace gssx
