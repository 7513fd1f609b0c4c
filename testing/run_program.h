// SPDX-License-Identifier: Apache-2.0
// Running a built program from a test: its stdout through a pipe, its
// stderr through a file (so neither can fill while the other is read),
// with a deadline (a program still running then is killed: a failure,
// never a hung suite).
//
//   ProgramResult r = RunProgram(RunfilesPath("examples/demo"), {"--help"});
//   EXPECT_EQ(r.exit_code, 0);
//   EXPECT_THAT(r.out, HasSubstr("usage"));
#ifndef GSSX_TESTING_RUN_PROGRAM_H_
#define GSSX_TESTING_RUN_PROGRAM_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gssx::testing {

// TEST_SRCDIR/TEST_WORKSPACE/<path>, e.g. "examples/prefork_server".
std::string RunfilesPath(absl::string_view path);

struct ProgramResult {
  int exit_code = -1;  // 128+N if killed by signal N; -2: deadline passed
  std::string out;     // all of stdout
  std::string err;     // all of stderr
  absl::Duration took;
};

struct RunOptions {
  absl::Duration timeout = absl::Seconds(60);
  // Runs in the child before the exec (e.g. a umask).
  std::function<void()> in_child;
};

// execv(path, [path] + args). exit_code -1 if it could not be started.
ProgramResult RunProgram(const std::string& path,
                         const std::vector<std::string>& args,
                         const RunOptions& options = {});

}  // namespace gssx::testing

#endif  // GSSX_TESTING_RUN_PROGRAM_H_
