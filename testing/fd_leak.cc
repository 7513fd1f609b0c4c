// SPDX-License-Identifier: Apache-2.0
#include "testing/fd_leak.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gssx::testing {
namespace {

std::set<int> ListFds() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int own = ::dirfd(dir);
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (fd != own) fds.insert(fd);
  }
  ::closedir(dir);
  return fds;
}

std::string Describe(int fd) {
  char target[256];
  std::string path = absl::StrCat("/proc/self/fd/", fd);
  ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
  return absl::StrCat("fd ", fd, " -> ",
                      n > 0 ? std::string(target, n) : std::string("?"));
}

class FdLeakListener : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo&) override {
    before_ = FdSnapshot::Take();
  }
  void OnTestEnd(const ::testing::TestInfo&) override {
    std::string leaked = before_.LeakedSince();
    if (!leaked.empty()) ADD_FAILURE() << "fd leak: " << leaked;
  }

 private:
  FdSnapshot before_;
};

}  // namespace

FdSnapshot FdSnapshot::Take() {
  FdSnapshot s;
  s.fds_ = ListFds();
  return s;
}

std::string FdSnapshot::LeakedSince() const {
  std::string out;
  for (int fd : ListFds()) {
    if (fds_.count(fd) == 0) absl::StrAppend(&out, out.empty() ? "" : ", ", Describe(fd));
  }
  return out;
}

int CountOpenFds() { return static_cast<int>(ListFds().size()); }

void InstallFdLeakCheck() {
  ::testing::TestEventListeners& listeners =
      ::testing::UnitTest::GetInstance()->listeners();
  // gtest calls OnTestEnd in reverse order of registration: appended after
  // the printer, the check runs first and a leak shows as FAILED there too.
  listeners.Append(new FdLeakListener);
}

}  // namespace gssx::testing
