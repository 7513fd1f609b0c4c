// SPDX-License-Identifier: Apache-2.0
#include "transport/base/locked_pool.h"

#include <sodium.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "transport/base/syscalls.h"

namespace gssx::transport::internal {
namespace {

constexpr int kClasses = 12;  // 32 B .. 64 KiB
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

// The pool's lock. Not absl::Mutex: Debian builds Abseil without NDEBUG,
// so every absl::Mutex::Lock runs the deadlock detector (a lookup in a
// global graph under a global spinlock), which cost more than the
// critical sections it protects (a free-list push or pop), on every
// secret buffer allocated and freed. The pool takes none of gssx's other
// locks while holding this one (only malloc's and stdio's, when it grows),
// so there is no deadlock to detect; a plain mutex, annotated for clang's
// thread-safety analysis.
class ABSL_LOCKABLE PoolMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE PoolLock {
 public:
  explicit PoolLock(PoolMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->Lock();
  }
  ~PoolLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  PoolLock(const PoolLock&) = delete;
  PoolLock& operator=(const PoolLock&) = delete;

 private:
  PoolMutex* const mu_;
};

class Pool {
 public:
  Pool() {
    // mlock does not survive fork: the child would hold every inherited
    // secret in swappable memory. Lock the regions again in the child (and
    // keep the mutex consistent across the fork).
    ::pthread_atfork(
        []() ABSL_NO_THREAD_SAFETY_ANALYSIS { GetPoolForFork().mu_.Lock(); },
        []() ABSL_NO_THREAD_SAFETY_ANALYSIS { GetPoolForFork().mu_.Unlock(); },
        []() ABSL_NO_THREAD_SAFETY_ANALYSIS {
          GetPoolForFork().RelockInChild();
        });
  }

  void* Allocate(size_t size, size_t* slot_size) {
    const int c = ClassOf(size);
    PoolLock lock(&mu_);
    std::vector<void*>& free = free_[c];
    if (free.empty() && !Grow(c)) return nullptr;
    void* slot = free.back();
    free.pop_back();
    ++stats_.slots_in_use;
    stats_.slot_bytes_in_use += SlotSize(c);
    *slot_size = SlotSize(c);
    return slot;
  }

  void Free(void* slot, size_t slot_size) {
    sodium_memzero(slot, slot_size);
    PoolLock lock(&mu_);
    free_[ClassOf(slot_size)].push_back(slot);
    --stats_.slots_in_use;
    stats_.slot_bytes_in_use -= slot_size;
  }

  PoolStats Stats() {
    PoolLock lock(&mu_);
    return stats_;
  }

  void* AllocateLarge(size_t size, size_t* mapped_size) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    if (size > SIZE_MAX - 3 * page) {
      errno = ENOMEM;
      return nullptr;
    }
    const size_t bytes = (size + page - 1) / page * page;
    uint8_t* region = MapGuarded(bytes, page);
    if (region == nullptr) return nullptr;
    PoolLock lock(&mu_);
    if (Sys().madvise(region, bytes, MADV_DONTDUMP) != 0) {
      Warn("madvise(MADV_DONTDUMP)", errno);
    }
    const bool locked = Sys().mlock(region, bytes) == 0;
    if (locked) {
      stats_.locked_bytes += bytes;
    } else {
      ++stats_.unlocked_regions;
      Warn("mlock", errno);
    }
    ++stats_.regions;
    stats_.region_bytes += bytes;
    ++stats_.slots_in_use;
    stats_.slot_bytes_in_use += bytes;
    large_[region] = Large{bytes, locked};
    *mapped_size = bytes;
    return region;  // fresh anonymous pages: zeroed
  }

  void FreeLarge(void* p, size_t mapped_size) {
    sodium_memzero(p, mapped_size);
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    {
      PoolLock lock(&mu_);
      auto it = large_.find(p);
      if (it != large_.end()) {
        if (it->second.locked) {
          stats_.locked_bytes -= it->second.bytes;
        } else {
          --stats_.unlocked_regions;
        }
        --stats_.regions;
        stats_.region_bytes -= it->second.bytes;
        --stats_.slots_in_use;
        stats_.slot_bytes_in_use -= it->second.bytes;
        large_.erase(it);
      }
    }
    ::munmap(static_cast<uint8_t*>(p) - page, mapped_size + 2 * page);
  }

 private:
  struct Region {
    uint8_t* start;
    size_t bytes;
  };
  struct Large {
    size_t bytes;
    bool locked;
  };

  // Maps [guard][bytes][guard]; the middle readable and writable. nullptr
  // (errno set) on failure.
  static uint8_t* MapGuarded(size_t bytes, size_t page) {
    void* map = Sys().mmap(nullptr, bytes + 2 * page, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return nullptr;
    auto* region = static_cast<uint8_t*>(map) + page;
    if (Sys().mprotect(region, bytes, PROT_READ | PROT_WRITE) != 0) {
      int e = errno;
      ::munmap(map, bytes + 2 * page);
      errno = e;
      return nullptr;
    }
    return region;
  }

  static Pool& GetPoolForFork();

  // Runs in the child with mu_ held (taken before fork).
  void RelockInChild() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    stats_.locked_bytes = 0;
    stats_.unlocked_regions = 0;
    for (const Region& r : regions_) {
      if (Sys().mlock(r.start, r.bytes) == 0) {
        stats_.locked_bytes += r.bytes;
      } else {
        ++stats_.unlocked_regions;
        Warn("mlock (after fork)", errno);
      }
    }
    for (auto& [start, large] : large_) {
      large.locked = Sys().mlock(start, large.bytes) == 0;
      if (large.locked) {
        stats_.locked_bytes += large.bytes;
      } else {
        ++stats_.unlocked_regions;
        Warn("mlock (after fork)", errno);
      }
    }
    mu_.Unlock();
  }

  // Maps [guard][region][guard], excludes it from core dumps, locks it.
  bool Grow(int c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t slot = SlotSize(c);
    const size_t bytes = slot * 4 > kRegionSize ? slot * 4 : kRegionSize;
    uint8_t* region = MapGuarded(bytes, page);
    if (region == nullptr) return false;
    // Best effort, but say so: a failure means the pages may be in a dump.
    if (Sys().madvise(region, bytes, MADV_DONTDUMP) != 0) {
      Warn("madvise(MADV_DONTDUMP)", errno);
    }
    if (Sys().mlock(region, bytes) == 0) {
      stats_.locked_bytes += bytes;
    } else {
      ++stats_.unlocked_regions;
      Warn("mlock", errno);
    }
    ++stats_.regions;
    stats_.region_bytes += bytes;
    regions_.push_back(Region{region, bytes});
    for (size_t off = 0; off + slot <= bytes; off += slot) {
      free_[c].push_back(region + off);
    }
    return true;
  }

  void Warn(const char* call, int e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (warned_) return;
    warned_ = true;
    const bool lock = std::strncmp(call, "mlock", 5) == 0;
    std::fprintf(stderr,
                 "gssx: warning: %s failed for a secret-memory region (%s); "
                 "%s Reported once; see "
                 "gssx::transport::GetLockedMemoryStats().\n",
                 call, std::strerror(e),
                 lock ? "secrets there may be swapped. Raise RLIMIT_MEMLOCK "
                        "(ulimit -l) or grant CAP_IPC_LOCK."
                      : "secrets there may appear in core dumps.");
  }

  PoolMutex mu_;
  std::array<std::vector<void*>, kClasses> free_ ABSL_GUARDED_BY(mu_);
  PoolStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<Region> regions_ ABSL_GUARDED_BY(mu_);
  std::map<void*, Large> large_ ABSL_GUARDED_BY(mu_);
  bool warned_ ABSL_GUARDED_BY(mu_) = false;
};

Pool& GetPool() {
  static Pool* pool = new Pool;  // never destroyed: slots may outlive main
  return *pool;
}

Pool& Pool::GetPoolForFork() { return GetPool(); }

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

void* LargeAllocate(size_t size, size_t* mapped_size) {
  return GetPool().AllocateLarge(size, mapped_size);
}

void LargeFree(void* p, size_t mapped_size) {
  GetPool().FreeLarge(p, mapped_size);
}

}  // namespace gssx::transport::internal
