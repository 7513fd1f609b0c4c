// SPDX-License-Identifier: Apache-2.0
// Privilege separation for the fork/exec example: what the server and the
// session binary it execs do around the inherited channel, besides the
// handoff itself (fork_exec.h tells the whole sequence).
//
//   Server, before fork:   EnablePassCred(server_end, true);
//   Session, after exec:   CheckInheritedFds(channel_fd);
//                          DropPrivileges("nobody", ...);   // if asked
//                          SendSessionReady(channel_fd);
//   Server:                AwaitSessionReady(...) -> kernel-recorded
//                          credentials of the session, checked against a
//                          PeerPolicy; ReadProcessIds(pid) -> all its ids;
//                          EnablePassCred(server_end, false);
//   Both:                  transport::Channel on the same socket.
//
// Why the ready message: the channel is a socketpair() made by the server
// before fork, and for a socketpair SO_PEERCRED records the credentials of
// the process that called socketpair() — the server itself, before it
// forked. A PeerPolicy applied by transport::Channel to SO_PEERCRED can
// therefore not tell whether the session dropped its privileges. With
// SO_PASSCRED on the server's end (set before the session exists, so the
// kernel records credentials on every message the session sends) the
// session's first message carries its pid, uid and gid as the kernel saw
// them when it was sent: after the drop. That is what the server checks.
//
// Not thread-safe (getpwnam, process-wide credentials); call from a
// single-threaded process.
#ifndef GSSX_EXAMPLES_PRIVSEP_H_
#define GSSX_EXAMPLES_PRIVSEP_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "transport/peer.h"

namespace gssx::examples {

// Turns SO_PASSCRED on or off on a Unix socket.
absl::Status EnablePassCred(int socket_fd, bool on);

// OK if the only open fds are 0, 1, 2 and `keep`; otherwise
// FailedPrecondition naming each extra fd and what it is ("fd 5 ->
// socket:[1234]"). For a freshly exec'd program: anything else came across
// exec because someone forgot close-on-exec.
absl::Status CheckInheritedFds(int keep);

struct UserIds {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks a user up (getpwnam). NotFound if there is no such user.
absl::StatusOr<UserIds> LookUpUser(const std::string& name);

// Becomes `user` for good: setgroups({gid}) (only the user's primary group,
// no supplementary groups), setresgid(gid x3), setresuid(uid x3), in that
// order, then verifies: real, effective and saved uid and gid are the
// user's, the group list is {gid}, and setuid(0) / setgid(0) fail (unless
// the user is root). A process already running as exactly that uid and gid
// (and not root) has nothing to drop and is left alone. PermissionDenied
// (from the OS, e.g. not root) or Internal (a check failed after the calls
// succeeded); either way the caller must not continue.
absl::Status DropPrivileges(const UserIds& user);

// The session's "ready" message: one byte, no ancillary data (the kernel
// attaches the credentials, see above).
absl::Status SendSessionReady(int channel_fd);

// Waits for the ready message on `channel_fd` (whose SO_PASSCRED was on
// before the peer could send) and returns the credentials the kernel
// recorded. DeadlineExceeded; Unavailable if the peer closed (it died, or
// exec failed); DataLoss for anything but exactly the ready byte with one
// SCM_CREDENTIALS (any fds that came with it are closed);
// PermissionDenied if the credentials are missing (pid 0) or not from
// `expected_pid`.
absl::StatusOr<transport::PeerCredentials> AwaitSessionReady(
    int channel_fd, pid_t expected_pid, absl::Time deadline);

// Real, effective, saved and filesystem uids and gids, the supplementary
// groups, and the effective capabilities of process `pid`, from
// /proc/PID/status. Only meaningful while `pid` cannot be recycled (e.g.
// our own child, not yet reaped).
struct ProcessIds {
  std::vector<uid_t> uids;  // real, effective, saved, fs
  std::vector<gid_t> gids;  // real, effective, saved, fs
  std::vector<gid_t> groups;
  uint64_t effective_caps = 0;
};
absl::StatusOr<ProcessIds> ReadProcessIds(pid_t pid);

// OK if every uid of `ids` is `uid`, every gid is `gid`, the groups are at
// most {gid}, and it has no effective capability (the last only when uid is
// not 0). PermissionDenied naming the first mismatch otherwise.
absl::Status CheckDropped(const ProcessIds& ids, uid_t uid, gid_t gid);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_PRIVSEP_H_
