// SPDX-License-Identifier: Apache-2.0
#include "transport/base/unique_fd.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "transport/base/syscalls.h"

namespace gssx::transport {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0 && fd_ != fd) {
    // Never retried: on Linux the descriptor is released even on EINTR.
    if (internal::Sys().close(fd_) != 0 && errno == EBADF) {
      std::fprintf(stderr, "gssx: close(%d) returned EBADF: fd owned twice\n",
                   fd_);
      std::abort();
    }
  }
  fd_ = fd;
}

}  // namespace gssx::transport
