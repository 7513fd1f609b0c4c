// SPDX-License-Identifier: Apache-2.0
#include "examples/privsep.h"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "transport/base/errors.h"
#include "transport/base/fd_passing.h"

namespace gssx::examples {

absl::Status EnablePassCred(int socket_fd, bool on) {
  int v = on ? 1 : 0;
  if (::setsockopt(socket_fd, SOL_SOCKET, SO_PASSCRED, &v, sizeof v) != 0) {
    return absl::ErrnoToStatus(errno, "setsockopt(SO_PASSCRED)");
  }
  return absl::OkStatus();
}

absl::Status CheckInheritedFds(int keep) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return absl::ErrnoToStatus(errno, "opendir /proc/self/fd");
  std::vector<std::string> extra;
  while (struct dirent* e = ::readdir(dir)) {
    int fd;
    if (!absl::SimpleAtoi(e->d_name, &fd)) continue;  // "." and ".."
    if (fd <= 2 || fd == keep || fd == ::dirfd(dir)) continue;
    char target[256] = {};
    std::string link = absl::StrCat("/proc/self/fd/", fd);
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    extra.push_back(absl::StrCat("fd ", fd, " -> ", n > 0 ? target : "?"));
  }
  ::closedir(dir);
  if (extra.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("inherited more than stdio and the channel: ",
                   absl::StrJoin(extra, ", ")));
}

absl::StatusOr<UserIds> LookUpUser(const std::string& name) {
  errno = 0;
  struct passwd* pw = ::getpwnam(name.c_str());
  if (pw == nullptr) {
    return errno != 0 ? absl::ErrnoToStatus(errno, absl::StrCat("getpwnam ", name))
                      : absl::NotFoundError(absl::StrCat("no user named ", name));
  }
  return UserIds{name, pw->pw_uid, pw->pw_gid};
}

absl::Status DropPrivileges(const UserIds& user) {
  const uid_t uid = user.uid;
  const gid_t gid = user.gid;
  if (::getuid() == uid && ::geteuid() == uid && ::getgid() == gid &&
      ::getegid() == gid && uid != 0) {
    return absl::OkStatus();  // already that user; nothing to drop
  }
  // Groups first, then gid, then uid: each step needs the privilege the
  // next one gives up.
  if (::setgroups(1, &gid) != 0) return absl::ErrnoToStatus(errno, "setgroups");
  if (::setresgid(gid, gid, gid) != 0) return absl::ErrnoToStatus(errno, "setresgid");
  if (::setresuid(uid, uid, uid) != 0) return absl::ErrnoToStatus(errno, "setresuid");
  // Trust, but verify: a partial drop is worse than none.
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (::getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid) {
    return absl::InternalError("uids not all dropped");
  }
  if (::getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid) {
    return absl::InternalError("gids not all dropped");
  }
  gid_t groups[2];
  int n = ::getgroups(2, groups);
  if (n != 1 || groups[0] != gid) {
    return absl::InternalError("supplementary groups not dropped");
  }
  if (uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
    return absl::InternalError("could become root again after the drop");
  }
  if (gid != 0 && (::setgid(0) == 0 || ::setegid(0) == 0)) {
    return absl::InternalError("could regain gid 0 after the drop");
  }
  return absl::OkStatus();
}

absl::Status SendSessionReady(int channel_fd) {
  const char ready = 'R';
  ssize_t n;
  do {
    n = ::send(channel_fd, &ready, 1, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return absl::ErrnoToStatus(errno, "send(ready)");
  return absl::OkStatus();
}

absl::StatusOr<transport::PeerCredentials> AwaitSessionReady(
    int channel_fd, pid_t expected_pid, absl::Time deadline) {
  uint8_t body[2];
  transport::ReceiveWithFdsOptions options;
  // Room for a few fds a broken peer might add (closed with the message);
  // more than that is control_truncated.
  options.max_fds = 8;
  options.credentials = true;
  options.deadline = deadline;
  absl::StatusOr<transport::ReceivedMessage> m =
      transport::ReceiveWithFds(channel_fd, absl::MakeSpan(body), options);
  if (!m.ok()) {
    if (transport::IsError(m.status(), transport::ErrorKind::kTimeout)) {
      return absl::DeadlineExceededError("session not ready in time");
    }
    if (transport::IsError(m.status(), transport::ErrorKind::kPeerClosed)) {
      return absl::UnavailableError("session closed the channel");
    }
    return m.status();
  }
  if (!m->Check().ok() || !m->fds.empty() || m->size != 1 || body[0] != 'R') {
    return absl::DataLossError("malformed ready message from the session");
  }
  const std::optional<struct ucred>& cred = m->credentials;
  // pid 0: no credentials were recorded when the message was sent (the
  // uid would then read as the overflow uid, 65534 — "nobody" — which is
  // exactly why it must not be taken at face value).
  if (!cred.has_value() || cred->pid == 0) {
    return absl::PermissionDeniedError(
        "ready message without kernel-recorded credentials (SO_PASSCRED was "
        "not on when it was sent)");
  }
  if (cred->pid != expected_pid) {
    return absl::PermissionDeniedError(absl::StrCat(
        "ready message from pid ", cred->pid, ", expected ", expected_pid));
  }
  transport::PeerCredentials out;
  out.pid = cred->pid;
  out.uid = cred->uid;
  out.gid = cred->gid;
  return out;
}

namespace {

template <typename T>
bool ParseIds(absl::string_view text, std::vector<T>* out) {
  out->clear();
  for (absl::string_view f :
       absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    uint64_t v;
    if (!absl::SimpleAtoi(f, &v)) return false;
    out->push_back(static_cast<T>(v));
  }
  return true;
}

}  // namespace

absl::StatusOr<ProcessIds> ReadProcessIds(pid_t pid) {
  std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  ProcessIds ids;
  int found = 0;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = line;
    if (absl::ConsumePrefix(&l, "Uid:")) {
      found += ParseIds(l, &ids.uids) && ids.uids.size() == 4;
    } else if (absl::ConsumePrefix(&l, "Gid:")) {
      found += ParseIds(l, &ids.gids) && ids.gids.size() == 4;
    } else if (absl::ConsumePrefix(&l, "Groups:")) {
      found += ParseIds(l, &ids.groups);
    } else if (absl::ConsumePrefix(&l, "CapEff:")) {
      found += absl::SimpleHexAtoi(absl::StripAsciiWhitespace(l), &ids.effective_caps);
    }
  }
  if (found != 4) return absl::DataLossError(absl::StrCat("unexpected ", path));
  return ids;
}

absl::Status CheckDropped(const ProcessIds& ids, uid_t uid, gid_t gid) {
  for (uid_t u : ids.uids) {
    if (u != uid) {
      return absl::PermissionDeniedError(absl::StrCat(
          "uids ", absl::StrJoin(ids.uids, "/"), ", expected all ", uid));
    }
  }
  for (gid_t g : ids.gids) {
    if (g != gid) {
      return absl::PermissionDeniedError(absl::StrCat(
          "gids ", absl::StrJoin(ids.gids, "/"), ", expected all ", gid));
    }
  }
  if (ids.groups.size() > 1 || (ids.groups.size() == 1 && ids.groups[0] != gid)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "supplementary groups ", absl::StrJoin(ids.groups, ","), ", expected ", gid));
  }
  if (uid != 0 && ids.effective_caps != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "effective capabilities ", absl::Hex(ids.effective_caps)));
  }
  return absl::OkStatus();
}

}  // namespace gssx::examples
