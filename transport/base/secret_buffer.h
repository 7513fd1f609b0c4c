// SPDX-License-Identifier: Apache-2.0
// SecretBuffer: secret bytes in locked, guarded memory (libsodium).
//
//   absl::StatusOr<SecretBuffer> key = SecretBuffer::Create(32);
//   randombytes_buf(key->data(), key->size());
//   absl::Span<const uint8_t> view = key->span();
//
// Buffers up to 64 KiB are slots of a few large locked regions
// (locked_pool.h: no system call per buffer, 32-byte granularity),
// larger ones are their own mapping. Either way the pages are mlock()ed
// (never swapped; again in a forked child), excluded from core dumps,
// surrounded by guard pages, counted in GetLockedMemoryStats(), and the
// bytes are wiped when the buffer dies. If the lock limit is reached,
// memory is used unlocked rather than refusing service: counted in
// unlocked_regions, one warning on stderr.
// Move-only; never copy secrets into std::string or std::vector.
//
// Not thread-safe for concurrent mutation; distinct buffers are independent.
#ifndef GSSX_TRANSPORT_BASE_SECRET_BUFFER_H_
#define GSSX_TRANSPORT_BASE_SECRET_BUFFER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace gssx::transport {

// Initializes libsodium once per process, thread-safely. Every gssx entry
// point that uses libsodium calls it; calling it again is cheap.
absl::Status EnsureSodium();

// What the secret-memory pool holds, for monitoring.
struct LockedMemoryStats {
  size_t regions = 0;            // pool regions + live large buffers
  size_t region_bytes = 0;       // usable bytes in all regions
  size_t locked_bytes = 0;       // of which mlock()ed
  size_t unlocked_regions = 0;   // > 0: degraded (mlock failed); warned once
  size_t buffers_in_use = 0;     // live pooled SecretBuffers
  size_t buffer_bytes_in_use = 0;
};
LockedMemoryStats GetLockedMemoryStats();

class SecretBuffer {
 public:
  // An empty buffer (size 0, no allocation).
  SecretBuffer() = default;
  SecretBuffer(SecretBuffer&& other) noexcept;
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer();

  // `size` zeroed bytes in locked memory. ResourceExhausted (ErrorKind kOs,
  // errno ENOMEM) when the allocation or the lock fails.
  static absl::StatusOr<SecretBuffer> Create(size_t size);
  // A locked copy of `bytes`.
  static absl::StatusOr<SecretBuffer> CopyOf(absl::Span<const uint8_t> bytes);

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  absl::Span<uint8_t> span() { return absl::MakeSpan(data_, size_); }
  absl::Span<const uint8_t> span() const {
    return absl::MakeConstSpan(data_, size_);
  }

  // Wipes the bytes past `new_size` and makes `new_size` the visible size.
  // The allocation keeps its capacity. Requires new_size <= size().
  void Truncate(size_t new_size);

  // Constant-time comparison of contents (sodium_memcmp).
  bool Equals(absl::Span<const uint8_t> other) const;

  // Wipes and frees now; the buffer becomes empty.
  void Clear();

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  // The allocation's size: a pool slot (<= kMaxPooledSize), or a large
  // buffer's own mapping (> kMaxPooledSize). 0 when empty.
  size_t slot_size_ = 0;
};

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_BASE_SECRET_BUFFER_H_
