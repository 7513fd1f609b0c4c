// SPDX-License-Identifier: Apache-2.0
#include "testing/fuzz/fuzz_util.h"

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

#include "transport/base/fd_passing.h"

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
  return transport::SendMessageOnce(socket, body, fds, MSG_DONTWAIT) < 0
             ? errno
             : 0;
}

int DrainRaw(int socket) {
  int count = 0;
  transport::ReceiveWithFdsOptions options;
  options.max_fds = transport::kMaxFdsPerMessage;
  options.flags = MSG_DONTWAIT;
  for (;;) {
    uint8_t body[512];
    transport::ReceivedMessage m;  // closes the fds it carried
    if (transport::ReceiveMessageOnce(socket, absl::MakeSpan(body), options,
                                      &m) <= 0) {
      return count;
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
