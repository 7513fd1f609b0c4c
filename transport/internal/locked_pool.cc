#include "transport/internal/locked_pool.h"

#include <sodium.h>

#include <array>
#include <cerrno>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "transport/internal/syscalls.h"

namespace gssx::transport::internal {
namespace {

constexpr int kClasses = 11;  // 64 B .. 64 KiB
constexpr size_t kRegionSize = 64 * 1024;

int ClassOf(size_t size) {
  int c = 0;
  size_t s = kMinPooledSize;
  while (s < size) {
    s <<= 1;
    ++c;
  }
  return c;
}

size_t SlotSize(int c) { return kMinPooledSize << c; }

class Pool {
 public:
  void* Allocate(size_t size, size_t* slot_size) {
    const int c = ClassOf(size);
    absl::MutexLock lock(&mu_);
    std::vector<void*>& free = free_[c];
    if (free.empty() && !Grow(c)) return nullptr;
    void* slot = free.back();
    free.pop_back();
    ++in_use_;
    *slot_size = SlotSize(c);
    return slot;
  }

  void Free(void* slot, size_t slot_size) {
    sodium_memzero(slot, slot_size);
    absl::MutexLock lock(&mu_);
    free_[ClassOf(slot_size)].push_back(slot);
    --in_use_;
  }

  PoolStats Stats() {
    absl::MutexLock lock(&mu_);
    return PoolStats{regions_, region_bytes_, in_use_};
  }

 private:
  bool Grow(int c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const size_t slot = SlotSize(c);
    const size_t bytes = slot * 4 > kRegionSize ? slot * 4 : kRegionSize;
    errno = 0;
    auto* region = static_cast<uint8_t*>(Sys().sodium_malloc(bytes));
    if (region == nullptr) {
      if (errno == 0) errno = ENOMEM;
      return false;
    }
    sodium_memzero(region, bytes);
    ++regions_;
    region_bytes_ += bytes;
    for (size_t off = 0; off + slot <= bytes; off += slot) {
      free_[c].push_back(region + off);
    }
    return true;
  }

  absl::Mutex mu_;
  std::array<std::vector<void*>, kClasses> free_ ABSL_GUARDED_BY(mu_);
  size_t regions_ ABSL_GUARDED_BY(mu_) = 0;
  size_t region_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

Pool& GetPool() {
  static Pool* pool = new Pool;  // never destroyed: slots may outlive main
  return *pool;
}

}  // namespace

void* PoolAllocate(size_t size, size_t* slot_size) {
  if (size > kMaxPooledSize) {
    errno = EINVAL;
    return nullptr;
  }
  return GetPool().Allocate(size, slot_size);
}

void PoolFree(void* slot, size_t slot_size) { GetPool().Free(slot, slot_size); }

PoolStats GetPoolStats() { return GetPool().Stats(); }

}  // namespace gssx::transport::internal
