// SPDX-License-Identifier: Apache-2.0
#include "examples/testing/server_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "transport/base/deadline.h"

namespace gssx::examples::testing {
namespace {

using transport::UniqueFd;

absl::Status MakePipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  r->Reset(p[0]);
  w->Reset(p[1]);
  return absl::OkStatus();
}

// Reads one line (without the newline) from `fd`, waiting until `deadline`.
absl::StatusOr<std::string> ReadLine(int fd, absl::Time deadline) {
  std::string line;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int n = ::poll(&p, 1, transport::PollTimeoutMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "poll");
    if (n == 0) return absl::DeadlineExceededError("no line in time");
    char c;
    ssize_t got = ::read(fd, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return absl::ErrnoToStatus(errno, "read");
    if (got == 0) {
      if (line.empty()) return absl::NotFoundError("closed without a line");
      return line;
    }
    if (c == '\n') return line;
    line.push_back(c);
  }
}

// Our children that are still processes (running or zombies), from /proc.
std::vector<pid_t> OurChildren() {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  const std::string self = std::to_string(::getpid());
  while (struct dirent* e = ::readdir(dir)) {
    pid_t pid;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
    std::string stat;
    if (!std::getline(in, stat)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces; parse after ')'.
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> f =
        absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipEmpty());
    if (f.size() > 1 && f[1] == self) out.push_back(pid);
  }
  ::closedir(dir);
  return out;
}

void KillAndReap(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

}  // namespace

void ExpectCleanExit(const ServerExit& e,
                     std::initializer_list<std::pair<const char*, int64_t>> stats) {
  EXPECT_EQ(e.code, 0) << e.stats_line;
  for (const auto& [name, value] : stats) {
    EXPECT_EQ(e.Stat(name), value) << name << " in " << e.stats_line;
  }
}

pid_t ParentOf(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  int ppid = -1;
  if (f.size() < 2 || !absl::SimpleAtoi(f[1], &ppid)) return -1;
  return ppid;
}

std::string MakeTempDir(absl::string_view name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(tmp ? tmp : "/tmp", "/", name, "-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) return "";
  return templ;
}

int64_t ServerExit::Stat(const std::string& key) const {
  auto it = stats.find(key);
  int64_t v;
  if (it == stats.end() || !absl::SimpleAtoi(it->second, &v)) return -1;
  return v;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, std::vector<std::string> args,
    absl::Duration timeout) {
  // Orphans of the server (workers, sessions it failed to reap) come to us.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    return absl::ErrnoToStatus(errno, "prctl(PR_SET_CHILD_SUBREAPER)");
  }
  // Children the test had before (e.g. a test KDC) are not the server's.
  std::vector<pid_t> before = OurChildren();
  const absl::Time deadline = absl::Now() + timeout;
  std::unique_ptr<ServerProcess> s(new ServerProcess());
  s->preexisting_ = std::move(before);
  UniqueFd port_r, port_w, stats_w, log_w;
  for (absl::Status st : {MakePipe(&port_r, &port_w), MakePipe(&s->stats_, &stats_w),
                          MakePipe(&s->log_, &log_w),
                          MakePipe(&s->stop_reader_r_, &s->stop_reader_w_)}) {
    if (!st.ok()) return st;
  }
  args.insert(args.begin(), binary);
  args.push_back(absl::StrCat("--port_fd=", port_w.get()));
  args.push_back(absl::StrCat("--stats_fd=", stats_w.get()));
  // Everything the child needs, prepared before fork: the test has threads,
  // so the child only makes async-signal-safe calls until exec.
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int pw = port_w.get(), sw = stats_w.get(), lw = log_w.get();
  absl::StatusOr<gssx::testing::ForkedChild> child =
      gssx::testing::ForkedChild::Start([&]() -> int {
        if (::dup2(lw, STDERR_FILENO) < 0) return 120;
        if (::fcntl(pw, F_SETFD, 0) != 0 || ::fcntl(sw, F_SETFD, 0) != 0) return 121;
        ::execv(argv[0], argv.data());
        return 122;
      });
  if (!child.ok()) return child.status();
  s->child_.emplace(std::move(*child));
  port_w.Reset();
  stats_w.Reset();
  log_w.Reset();
  s->reader_ = std::thread([p = s.get()] { p->ReadLog(); });

  absl::StatusOr<std::string> line = ReadLine(port_r.get(), deadline);
  if (!line.ok() || !absl::SimpleAtoi(*line, &s->port_) || s->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat(
        binary, " did not report a port: ",
        line.ok() ? absl::StrCat("'", *line, "'") : line.status().ToString()));
  }
  return s;
}

std::string ServerProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void ServerProcess::Signal(int sig) const {
  if (pid() > 0) ::kill(pid(), sig);
}

void ServerProcess::ReadLog() {
  std::string partial;
  char buf[4096];
  for (;;) {
    struct pollfd p[2] = {{log_.get(), POLLIN, 0}, {stop_reader_r_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents != 0) return;  // Stop() or the destructor
    ssize_t n = ::read(log_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      std::string line = partial.substr(0, nl);
      partial.erase(0, nl + 1);
      std::fprintf(stderr, "  | %s\n", line.c_str());
      absl::MutexLock l(&mu_);
      lines_.push_back(std::move(line));
    }
  }
  absl::MutexLock l(&mu_);
  if (!partial.empty()) lines_.push_back(partial);
  log_closed_ = true;
}

bool ServerProcess::WaitForLog(absl::string_view text, absl::Duration timeout) {
  auto found = [&]() {
    for (const std::string& l : lines_) {
      if (absl::StrContains(l, text)) return true;
    }
    return false;
  };
  auto done = [&]() { return found() || log_closed_; };
  absl::MutexLock l(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return found();
}

bool ServerProcess::HasLog(absl::string_view text) {
  return !LogLinesWith(text).empty();
}

std::vector<std::string> ServerProcess::LogLinesWith(absl::string_view text) {
  absl::MutexLock l(&mu_);
  std::vector<std::string> out;
  for (const std::string& line : lines_) {
    if (absl::StrContains(line, text)) out.push_back(line);
  }
  return out;
}

std::vector<pid_t> ServerProcess::ServersLeftovers() const {
  std::vector<pid_t> out;
  for (pid_t pid : OurChildren()) {
    if (std::find(preexisting_.begin(), preexisting_.end(), pid) ==
        preexisting_.end()) {
      out.push_back(pid);
    }
  }
  return out;
}

absl::Status ServerProcess::CheckNoDescendants(absl::Duration timeout) {
  // The server's stderr pipe is shared by every process it started: EOF
  // means they have all exited (or closed stderr, which ours never do).
  bool closed;
  {
    absl::MutexLock l(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&log_closed_), timeout);
    closed = log_closed_;
  }
  std::vector<pid_t> left = ServersLeftovers();
  KillAndReap(left);
  if (!left.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        left.size(), " process(es) outlived the server and were not reaped by it: ",
        absl::StrJoin(left, ", ")));
  }
  if (!closed) {
    return absl::FailedPreconditionError(
        "the server's stderr is still open: something it started is still running");
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerExit> ServerProcess::Stop(absl::Duration timeout) {
  if (!child_ || child_->pid() <= 0) return absl::FailedPreconditionError("not running");
  const absl::Time deadline = absl::Now() + timeout;
  Signal(SIGTERM);
  ServerExit e;
  absl::StatusOr<std::string> line = ReadLine(stats_.get(), deadline);
  if (line.ok()) e.stats_line = *line;
  absl::StatusOr<int> code = child_->Wait(std::max(deadline - absl::Now(), absl::Seconds(1)));
  if (!code.ok()) return code.status();
  e.code = *code;
  absl::Status descendants =
      CheckNoDescendants(std::max(deadline - absl::Now(), absl::Seconds(1)));
  (void)!::write(stop_reader_w_.get(), "x", 1);
  if (reader_.joinable()) reader_.join();
  if (!descendants.ok()) return descendants;
  for (absl::string_view kv : absl::StrSplit(e.stats_line, ' ', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    e.stats[p.first] = p.second;
  }
  return e;
}

ServerProcess::~ServerProcess() {
  if (child_ && child_->pid() > 0) {
    (void)child_->Kill();
    KillAndReap(ServersLeftovers());  // its workers or sessions, now orphans
  }
  if (stop_reader_w_.valid()) (void)!::write(stop_reader_w_.get(), "x", 1);
  if (reader_.joinable()) reader_.join();
}

}  // namespace gssx::examples::testing
