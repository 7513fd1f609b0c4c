// SPDX-License-Identifier: Apache-2.0
// Helpers shared by gssx's libFuzzer targets (testing/fuzz/*_fuzzer.cc and
// the gssx-level ones): a cursor over the input bytes, an fd counter, a
// raw-socket sender, and FUZZ_CHECK, which aborts (a crash libFuzzer
// records) when an invariant of the code under test is broken.
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     gssx::fuzz::FuzzInput in(data, size);
//     const uint8_t mode = in.U8();
//     ...
//     FUZZ_CHECK(gssx::fuzz::CountOpenFds() == before, "fd leak");
//   }
//
// Caveats: every helper is deterministic for a given input (no clocks, no
// randomness), so a crash replays. Not thread-safe; fuzz targets are
// single-threaded.
#ifndef GSSX_TESTING_FUZZ_FUZZ_UTIL_H_
#define GSSX_TESTING_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace gssx::fuzz {

// Reads the fuzz input front to back. Reads past the end yield zeros (and
// empty spans), so every input is valid.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t U8();
  uint16_t U16();
  uint32_t U32();
  uint64_t U64();
  // Up to `n` bytes (fewer at the end of the input).
  absl::Span<const uint8_t> Bytes(size_t n);
  // A chunk prefixed by its length (one byte, or two when `wide`).
  absl::Span<const uint8_t> Chunk(bool wide = false);
  // Everything not read yet.
  absl::Span<const uint8_t> Rest();
  size_t remaining() const { return size_ - pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The number of open fds of this process (/proc/self/fd).
int CountOpenFds();

// Sends one SOCK_SEQPACKET message with `fds` attached; returns errno or 0.
// Retries EINTR only: the socket should have room.
int SendRaw(int socket, absl::Span<const uint8_t> body,
            absl::Span<const int> fds);

// Reads and discards every message waiting on `socket` (closing any fds
// they carry); returns how many were read.
int DrainRaw(int socket);

// Prints the failed condition, an explanation and a status (each optional)
// to stderr and aborts. FUZZ_CHECK(cond[, "why"][, status]) calls these.
[[noreturn]] void Violation(const char* file, int line, const char* cond,
                            const char* why, const absl::Status& status);
[[noreturn]] inline void Violation(const char* file, int line,
                                   const char* cond) {
  Violation(file, line, cond, "", absl::OkStatus());
}
[[noreturn]] inline void Violation(const char* file, int line, const char* cond,
                                   const char* why) {
  Violation(file, line, cond, why, absl::OkStatus());
}
[[noreturn]] inline void Violation(const char* file, int line, const char* cond,
                                   const absl::Status& status) {
  Violation(file, line, cond, "", status);
}

}  // namespace gssx::fuzz

#define FUZZ_CHECK(cond, ...)                                            \
  do {                                                                   \
    if (!(cond)) {                                                       \
      ::gssx::fuzz::Violation(__FILE__, __LINE__, #cond, ##__VA_ARGS__); \
    }                                                                    \
  } while (0)

#endif  // GSSX_TESTING_FUZZ_FUZZ_UTIL_H_
