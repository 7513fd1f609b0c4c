// SPDX-License-Identifier: Apache-2.0
// Length-prefixed frames on a stream socket, for the live-upgrade tests
// (gssx and MIT) and their target programs: u32 little-endian length
// (<= 64 KiB), then the bytes. Blocking; no dependencies.
#ifndef GSSX_TESTING_FRAMES_H_
#define GSSX_TESTING_FRAMES_H_

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace gssx::testing {

inline bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);  // a closed peer: false
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

inline bool WriteFrame(int fd, const std::vector<uint8_t>& bytes) {
  uint8_t len[4];
  for (int i = 0; i < 4; ++i) len[i] = static_cast<uint8_t>(bytes.size() >> (8 * i));
  return WriteAll(fd, len, 4) && WriteAll(fd, bytes.data(), bytes.size());
}

// nullopt on EOF or error (including EOF mid-frame).
inline std::optional<std::vector<uint8_t>> ReadFrame(int fd) {
  auto read_all = [fd](uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t r = read(fd, p, n);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  };
  uint8_t len[4];
  if (!read_all(len, 4)) return std::nullopt;
  size_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<size_t>(len[i]) << (8 * i);
  if (n > 65536) return std::nullopt;
  std::vector<uint8_t> bytes(n);
  if (!read_all(bytes.data(), n)) return std::nullopt;
  return bytes;
}

}  // namespace gssx::testing

#endif  // GSSX_TESTING_FRAMES_H_
