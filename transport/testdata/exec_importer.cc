// SPDX-License-Identifier: Apache-2.0
// A separate program for channel_test: started by fork+exec with a channel
// fd number in argv[1], it opens the inherited channel, imports one token
// and the pipe fd sent with it, and writes the token through that pipe.
// Exit 0 on success; any other code names the failing step. It also checks
// that nothing but stdio and the channel came across exec.
#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "transport/channel.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const int fd = std::atoi(argv[1]);
  // Only 0, 1, 2 and the channel may be open (everything else is CLOEXEC).
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 3;
  int others = 0;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    int n = std::atoi(e->d_name);
    if (n > 2 && n != fd && n != dirfd(dir)) ++others;
  }
  closedir(dir);
  if (others != 0) return 4;
  absl::StatusOr<gssx::transport::Channel> ch =
      gssx::transport::Channel::FromInheritedFd(fd);
  if (!ch.ok()) return 5;
  gssx::transport::ReceiveOptions opts;
  opts.max_extra_fds = 1;
  absl::StatusOr<gssx::transport::ReceivedToken> r = ch->Receive(opts);
  if (!r.ok() || r->fds.size() != 1) return 6;
  ssize_t n = write(r->fds[0].get(), r->token.data(), r->token.size());
  return n == static_cast<ssize_t>(r->token.size()) ? 0 : 7;
}
