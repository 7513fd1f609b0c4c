// SPDX-License-Identifier: Apache-2.0
// End-to-end test harness: runs a REAL example server binary (from the
// test's runfiles) as a child process, the way a user would, and watches
// it through file descriptors only — no fixed ports, no sleeps.
//
//   absl::StatusOr<std::unique_ptr<ServerProcess>> s = ServerProcess::Start(
//       RunfilesPath("examples/prefork_server"), {"--keytab=...", ...});
//   ClientOptions c;  c.connect = absl::StrCat("127.0.0.1:", (*s)->port());
//   (*s)->Signal(SIGUSR1);
//   EXPECT_TRUE((*s)->WaitForLog("drill: killing worker", absl::Seconds(10)));
//   absl::StatusOr<ServerExit> e = (*s)->Stop();   // SIGTERM
//   EXPECT_EQ(e->code, 0);  EXPECT_GE(e->Stat("reclaims"), 1);
//
// The server gets --port_fd and --stats_fd (pipes: the port is read with a
// deadline; the statistics line after SIGTERM) and its stderr is a pipe
// that a thread reads into lines (echoed to the test's stderr, prefixed),
// so tests can wait for log lines with a deadline.
//
// Children: this process becomes a child subreaper (PR_SET_CHILD_SUBREAPER)
// so that a worker or session the server failed to reap would be re-
// parented here; Stop() fails if the server's log pipe is still held open
// by a descendant after it exited, or if any child is left (and kills and
// reaps such leftovers). A server still running when the harness is
// destroyed is SIGKILLed and reaped (testing/child.h).
//
// Thread safety: Signal, WaitForLog, HasLog and LogLinesWith may be called
// from any thread (clients call them from before_request hooks); Start,
// Stop and destruction from one thread.
#ifndef GSSX_EXAMPLES_TESTING_SERVER_PROCESS_H_
#define GSSX_EXAMPLES_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "testing/child.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples::testing {

// TEST_SRCDIR/TEST_WORKSPACE/<path>, e.g. "examples/prefork_server".
std::string RunfilesPath(absl::string_view path);

// A fresh directory under TEST_TMPDIR.
std::string MakeTempDir(absl::string_view name);

struct ServerExit {
  int code = -1;           // exit code; 128+N if killed by signal N
  std::string stats_line;  // as the server wrote it
  std::map<std::string, std::string> stats;
  // A numeric statistic, or -1 if absent.
  int64_t Stat(const std::string& key) const;
};

class ServerProcess {
 public:
  ~ServerProcess();

  // Starts `binary` with `args` plus --port_fd/--stats_fd and waits (up to
  // `timeout`) for the port it bound.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, std::vector<std::string> args,
      absl::Duration timeout = absl::Seconds(30));

  int port() const { return port_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  std::string address() const;  // "127.0.0.1:PORT"

  void Signal(int sig) const;

  // True once a log line containing `text` has appeared (at any time since
  // start); false if none did within `timeout`.
  bool WaitForLog(absl::string_view text, absl::Duration timeout);
  bool HasLog(absl::string_view text);
  std::vector<std::string> LogLinesWith(absl::string_view text);

  // SIGTERM; reads the statistics line and reaps the server (each within
  // `timeout`); then checks that no descendant outlived it.
  absl::StatusOr<ServerExit> Stop(absl::Duration timeout = absl::Seconds(30));

 private:
  ServerProcess() = default;
  void ReadLog();
  absl::Status CheckNoDescendants(absl::Duration timeout);
  // Our children now, less those we had before Start.
  std::vector<pid_t> ServersLeftovers() const;

  std::optional<gssx::testing::ForkedChild> child_;
  std::vector<pid_t> preexisting_;  // our children before Start
  int port_ = 0;
  transport::UniqueFd stats_;
  transport::UniqueFd log_;
  transport::UniqueFd stop_reader_r_, stop_reader_w_;
  std::thread reader_;

  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  bool log_closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gssx::examples::testing

#endif  // GSSX_EXAMPLES_TESTING_SERVER_PROCESS_H_
