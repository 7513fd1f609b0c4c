// SPDX-License-Identifier: Apache-2.0
#include "transport/base/secret_buffer.h"

#include <sodium.h>

#include <cerrno>
#include <cstring>

#include "absl/base/call_once.h"
#include "transport/base/errors.h"
#include "transport/base/locked_pool.h"
#include "transport/base/syscalls.h"

namespace gssx::transport {

absl::Status EnsureSodium() {
  static absl::once_flag once;
  static int result = -1;
  absl::call_once(once, [] { result = sodium_init(); });
  if (result < 0) {
    return MakeError(ErrorKind::kUnsupported, "sodium_init failed");
  }
  return absl::OkStatus();
}

LockedMemoryStats GetLockedMemoryStats() {
  internal::PoolStats p = internal::GetPoolStats();
  LockedMemoryStats s;
  s.regions = p.regions;
  s.region_bytes = p.region_bytes;
  s.locked_bytes = p.locked_bytes;
  s.unlocked_regions = p.unlocked_regions;
  s.buffers_in_use = p.slots_in_use;
  s.buffer_bytes_in_use = p.slot_bytes_in_use;
  return s;
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(other.data_), size_(other.size_), slot_size_(other.slot_size_) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.slot_size_ = 0;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    Clear();
    data_ = other.data_;
    size_ = other.size_;
    slot_size_ = other.slot_size_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.slot_size_ = 0;
  }
  return *this;
}

SecretBuffer::~SecretBuffer() { Clear(); }

absl::StatusOr<SecretBuffer> SecretBuffer::Create(size_t size) {
  if (absl::Status s = EnsureSodium(); !s.ok()) return s;
  SecretBuffer buffer;
  if (size == 0) return buffer;
  errno = 0;
  if (size <= internal::kMaxPooledSize) {
    size_t slot = 0;
    void* p = internal::PoolAllocate(size, &slot);
    if (p == nullptr) {
      return OsError(errno != 0 ? errno : ENOMEM, "mmap (secret pool)");
    }
    buffer.data_ = static_cast<uint8_t*>(p);  // zeroed: wiped on free
    buffer.size_ = size;
    buffer.slot_size_ = slot;
    return buffer;
  }
  size_t mapped = 0;
  void* p = internal::LargeAllocate(size, &mapped);
  if (p == nullptr) {
    return OsError(errno != 0 ? errno : ENOMEM, "mmap (large secret)");
  }
  buffer.data_ = static_cast<uint8_t*>(p);  // fresh pages: zeroed
  buffer.size_ = size;
  buffer.slot_size_ = mapped;
  return buffer;
}

absl::StatusOr<SecretBuffer> SecretBuffer::CopyOf(
    absl::Span<const uint8_t> bytes) {
  absl::StatusOr<SecretBuffer> buffer = Create(bytes.size());
  if (buffer.ok() && !bytes.empty()) {
    std::memcpy(buffer->data(), bytes.data(), bytes.size());
  }
  return buffer;
}

void SecretBuffer::Truncate(size_t new_size) {
  if (new_size >= size_) return;
  sodium_memzero(data_ + new_size, size_ - new_size);
  size_ = new_size;
}

bool SecretBuffer::Equals(absl::Span<const uint8_t> other) const {
  if (other.size() != size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data(), size_) == 0;
}

void SecretBuffer::Clear() {
  // Both paths wipe the whole allocation, truncated tail included.
  if (data_ != nullptr) {
    if (slot_size_ > internal::kMaxPooledSize) {
      internal::LargeFree(data_, slot_size_);
    } else {
      internal::PoolFree(data_, slot_size_);
    }
  }
  data_ = nullptr;
  size_ = 0;
  slot_size_ = 0;
}

}  // namespace gssx::transport
