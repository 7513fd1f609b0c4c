// SPDX-License-Identifier: Apache-2.0
#include "testing/fuzz/fuzz_util.h"

#include "transport/testing/raw_messages.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace gssx::fuzz {

uint8_t FuzzInput::U8() {
  if (pos_ >= size_) return 0;
  return data_[pos_++];
}

uint16_t FuzzInput::U16() {
  uint16_t v = U8();
  return static_cast<uint16_t>(v | (uint16_t{U8()} << 8));
}

uint32_t FuzzInput::U32() {
  uint32_t lo = U16();
  return lo | (uint32_t{U16()} << 16);
}

uint64_t FuzzInput::U64() {
  uint64_t lo = U32();
  return lo | (uint64_t{U32()} << 32);
}

absl::Span<const uint8_t> FuzzInput::Bytes(size_t n) {
  if (n > remaining()) n = remaining();
  absl::Span<const uint8_t> out(data_ + pos_, n);
  pos_ += n;
  return out;
}

absl::Span<const uint8_t> FuzzInput::Chunk(bool wide) {
  return Bytes(wide ? U16() : U8());
}

absl::Span<const uint8_t> FuzzInput::Rest() { return Bytes(remaining()); }

int CountOpenFds() {
  // getdents on /proc/self/fd, minus the directory's own fd.
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n - 1;
}

int SendRaw(int socket, absl::Span<const uint8_t> body,
            absl::Span<const int> fds) {
  return ::gssx::testing::SendRawMessage(socket, body, fds, /*dont_wait=*/true);
}

int DrainRaw(int socket) {
  int count = 0;
  for (;;) {
    uint8_t body[512];
    char control[CMSG_SPACE(sizeof(int) * 253)];
    struct iovec iov = {body, sizeof body};
    struct msghdr msg;
    std::memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(socket, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return count;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
         c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        ::close(fd);
      }
    }
    ++count;
  }
}

void Violation(const char* file, int line, const char* cond, const char* why,
               const absl::Status& status) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s%s%s\n", file, line,
               cond, *why ? ": " : "", why);
  if (!status.ok()) {
    std::fprintf(stderr, "  status: %s\n", status.ToString().c_str());
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace gssx::fuzz
