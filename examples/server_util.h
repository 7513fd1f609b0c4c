// SPDX-License-Identifier: Apache-2.0
// Plumbing shared by the example servers (prefork, fork_exec, session):
// log lines, the listening socket, and a self-pipe for signals.
//
//   absl::StatusOr<int> signals = InstallSignalPipe({SIGTERM, SIGCHLD});
//   int port;
//   absl::StatusOr<UniqueFd> listener = Listen("127.0.0.1:0", &port);
//   Log("server", absl::StrCat("listening on port ", port));
//   // poll() listener and *signals; ReadSignals(*signals) says which.
//
// Not thread-safe: one self-pipe per process (a forked child that calls
// InstallSignalPipe again gets its own and closes its copy of the
// parent's write end).
#ifndef GSSX_EXAMPLES_SERVER_UTIL_H_
#define GSSX_EXAMPLES_SERVER_UTIL_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {

// Writes "[who pid] line\n" to stderr in one write(2), so that lines from
// several processes sharing stderr do not interleave.
void Log(absl::string_view who, absl::string_view line);

// Listens on "HOST:PORT" (IPv4; PORT 0: the kernel picks one, returned in
// *port) or "unix:PATH" (*port = 0). The socket is close-on-exec.
// InvalidArgument for a malformed spec; the OS error otherwise.
absl::StatusOr<transport::UniqueFd> Listen(const std::string& spec, int* port);

// Connects a stream socket (close-on-exec) to "HOST:PORT" (IPv4) or
// "unix:PATH". InvalidArgument for a malformed spec; the OS error otherwise.
absl::StatusOr<transport::UniqueFd> Connect(const std::string& spec);

// Routes `signals` to a self-pipe (SA_RESTART; SIGCHLD also SA_NOCLDSTOP)
// and returns its read end (close-on-exec, non-blocking): one byte, the
// signal number, per delivery. The pipe belongs to this module and lives
// until the process exits or calls InstallSignalPipe again (then the old
// pipe is closed, after the handlers point to the new one): a handler
// writing into a pipe whose read end is gone would raise SIGPIPE.
absl::StatusOr<int> InstallSignalPipe(std::initializer_list<int> signals);

// Drains the self-pipe: the signals delivered since the last call, in order.
std::vector<int> ReadSignals(int signal_pipe);

// Marks every fd above 2 close-on-exec: whatever this process inherited
// (its own parent may have leaked fds to it) stays here and goes no
// further than an exec. Call first thing in main, before opening anything.
// close_range(CLOSE_RANGE_CLOEXEC) where the kernel has it (5.11+), else
// one fcntl per fd in /proc/self/fd.
absl::Status MarkInheritedFdsCloseOnExec();

// Marks an fd handed to us by a harness (--port_fd, --stats_fd)
// close-on-exec, so that it goes no further than this process. A negative
// fd is ignored.
absl::Status SetCloseOnExec(int fd);

// Writes `line` and a newline to `fd` (if >= 0), retrying short writes.
void WriteLine(int fd, const std::string& line);

// Reads up to a newline (not included) or end of file from `fd`, a byte at
// a time (so nothing past the line is consumed), blocking.
std::string ReadLine(int fd);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_SERVER_UTIL_H_
