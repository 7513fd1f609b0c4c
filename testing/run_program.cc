// SPDX-License-Identifier: Apache-2.0
#include "testing/run_program.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/child.h"
#include "transport/base/unique_fd.h"

namespace gssx::testing {
namespace {

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

}  // namespace

std::string RunfilesPath(absl::string_view path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", ws ? ws : "gssx", "/", path);
}

ProgramResult RunProgram(const std::string& path,
                         const std::vector<std::string>& args,
                         const RunOptions& options) {
  using transport::UniqueFd;
  ProgramResult result;
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  // An unlinked file: nothing left behind, no name to clash.
  const char* tmp = std::getenv("TEST_TMPDIR");
  UniqueFd err_fd(::open(tmp != nullptr ? tmp : "/tmp",
                         O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!err_fd.valid()) return result;
  const absl::Time start = absl::Now();
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([&] {
    if (options.in_child) options.in_child();
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
  absl::StatusOr<int> code = child->Wait(options.timeout);
  result.took = absl::Now() - start;
  result.exit_code = code.ok() ? *code : -2;
  if (::lseek(err_fd.get(), 0, SEEK_SET) == 0) result.err = ReadAll(err_fd.get());
  return result;
}

}  // namespace gssx::testing
