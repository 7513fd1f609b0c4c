// SPDX-License-Identifier: Apache-2.0
// A broken stand-in for examples/session, for privsep_test: it ignores
// --user and keeps the privileges it was started with, but otherwise
// behaves (says "ready", then tries to import). fork_exec_server run with
// --user must refuse it before handing anything over.
#include <cstdlib>
#include <cstring>
#include <string>

#include "examples/servers/privsep.h"
#include "gssx/handoff.h"
#include "transport/channel.h"

int main(int argc, char** argv) {
  int fd = -1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--channel_fd=", 13) == 0) fd = std::atoi(argv[i] + 13);
  }
  if (fd < 3) return 2;
  if (!gssx::examples::SendSessionReady(fd).ok()) return 5;
  gssx::transport::ChannelOptions copts;
  copts.open_timeout = absl::Seconds(30);
  absl::StatusOr<gssx::transport::Channel> ch =
      gssx::transport::Channel::FromInheritedFd(fd, copts);
  if (!ch.ok()) return 5;
  gssx::ReceiveContextOptions ropts;
  ropts.max_extra_fds = 1;
  ropts.timeout = absl::Seconds(30);
  return gssx::ReceiveContext(*ch, ropts).ok() ? 0 : 5;
}
