// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/server_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gssx::examples {

using transport::UniqueFd;

namespace {

// The self-pipe's write end, read by the handler; both ends stay open for
// the life of the process (see InstallSignalPipe).
std::atomic<int> g_signal_pipe_w{-1};
int g_signal_pipe_r = -1;

void OnSignal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  (void)!::write(g_signal_pipe_w.load(), &b, 1);
  errno = saved;
}

void WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

void Log(absl::string_view who, absl::string_view line) {
  WriteAll(STDERR_FILENO, absl::StrCat("[", who, " ", ::getpid(), "] ", line, "\n"));
}

void WriteLine(int fd, const std::string& line) {
  if (fd >= 0) WriteAll(fd, absl::StrCat(line, "\n"));
}

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  return line;
}

absl::Status SetCloseOnExec(int fd) {
  if (fd < 0) return absl::OkStatus();
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("fcntl(", fd, ", F_SETFD)"));
  }
  return absl::OkStatus();
}

absl::Status MarkInheritedFdsCloseOnExec() {
#ifdef SYS_close_range
  constexpr unsigned kCloseRangeCloexec = 1u << 2;  // CLOSE_RANGE_CLOEXEC
  if (::syscall(SYS_close_range, 3u, ~0u, kCloseRangeCloexec) == 0) {
    return absl::OkStatus();
  }
  if (errno != ENOSYS && errno != EINVAL) {
    return absl::ErrnoToStatus(errno, "close_range");
  }
#endif
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return absl::ErrnoToStatus(errno, "opendir /proc/self/fd");
  absl::Status result;
  while (struct dirent* e = ::readdir(dir)) {
    int fd;
    if (!absl::SimpleAtoi(e->d_name, &fd) || fd <= 2 || fd == ::dirfd(dir)) continue;
    if (absl::Status s = SetCloseOnExec(fd); !s.ok()) result = s;
  }
  ::closedir(dir);
  return result;
}

absl::StatusOr<int> InstallSignalPipe(std::initializer_list<int> signals) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  const int old_r = g_signal_pipe_r, old_w = g_signal_pipe_w.exchange(p[1]);
  g_signal_pipe_r = p[0];
  if (old_r >= 0) ::close(old_r);
  if (old_w >= 0) ::close(old_w);
  for (int s : signals) {
    struct sigaction sa = {};
    sa.sa_handler = OnSignal;
    sa.sa_flags = SA_RESTART | (s == SIGCHLD ? SA_NOCLDSTOP : 0);
    sigemptyset(&sa.sa_mask);
    if (::sigaction(s, &sa, nullptr) != 0) {
      return absl::ErrnoToStatus(errno, "sigaction");
    }
  }
  return p[0];
}

std::vector<int> ReadSignals(int signal_pipe) {
  std::vector<int> out;
  unsigned char buf[64];
  ssize_t n;
  while ((n = ::read(signal_pipe, buf, sizeof buf)) > 0 ||
         (n < 0 && errno == EINTR)) {
    for (ssize_t i = 0; i < n; ++i) out.push_back(buf[i]);
  }
  return out;
}

absl::StatusOr<UniqueFd> Listen(const std::string& spec, int* port) {
  *port = 0;
  if (absl::StartsWith(spec, "unix:")) {
    std::string path = spec.substr(5);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
      return absl::InvalidArgumentError("bad unix socket path");
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("bind ", path));
    }
    if (::listen(fd.get(), 128) != 0) return absl::ErrnoToStatus(errno, "listen");
    return fd;
  }
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  int p = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError("listen address must be HOST:PORT or unix:PATH");
  }
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(p));
  if (::inet_pton(AF_INET, parts[0].c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError("listen host must be an IPv4 address");
  }
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind ", spec));
  }
  if (::listen(fd.get(), 256) != 0) return absl::ErrnoToStatus(errno, "listen");
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::ErrnoToStatus(errno, "getsockname");
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

absl::StatusOr<transport::UniqueFd> Connect(const std::string& spec) {
  if (absl::StartsWith(spec, "unix:")) {
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::string path = spec.substr(5);
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
      return absl::InvalidArgumentError("bad unix socket path");
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    transport::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("connect ", spec));
    }
    return fd;
  }
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  int port = 0;
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port) ||
      ::inet_pton(AF_INET, parts[0].c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError("connect address must be HOST:PORT or unix:PATH");
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  transport::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("connect ", spec));
  }
  return fd;
}

}  // namespace gssx::examples
