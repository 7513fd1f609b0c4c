// SPDX-License-Identifier: Apache-2.0
// The `gssx` binary (//gssx/tool:gssx_tool) as a user runs it: --help,
// --version, keygen --help, and keygen making missing parent directories.
#include <fcntl.h>
#include <gssx/gssx.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "transport/base/unique_fd.h"

namespace gssx {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::transport::UniqueFd;

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string ToolPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "gssx",
                      "/gssx/tool/gssx_tool");
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
};

// Runs the tool with `args` under `umask_value`. stderr goes to a file (so
// neither pipe can fill while the other is read).
RunResult RunTool(const std::vector<std::string>& args,
                  mode_t umask_value = 022) {
  RunResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return result;
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const std::string err_path = absl::StrCat(TestDir(), "/tool_stderr");
  UniqueFd err_fd(::open(err_path.c_str(),
                         O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!err_fd.valid()) return result;
  const std::string tool = ToolPath();
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([&] {
    ::umask(umask_value);
    if (::dup2(write_end.get(), STDOUT_FILENO) < 0) return 126;
    if (::dup2(err_fd.get(), STDERR_FILENO) < 0) return 126;
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(tool.c_str()));
    for (const std::string& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    ::execv(tool.c_str(), argv.data());
    return 127;
  });
  if (!child.ok()) return result;
  write_end.Reset();
  result.out = ReadAll(read_end.get());
  absl::StatusOr<int> code = child->Wait(absl::Seconds(60));
  result.exit_code = code.ok() ? *code : -2;
  if (::lseek(err_fd.get(), 0, SEEK_SET) == 0) result.err = ReadAll(err_fd.get());
  return result;
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
