// LockedPool: small secret buffers carved out of a few large locked regions,
// so that a secret costs no system call on the hot path.
//
// Each region is one sodium_malloc allocation (guard pages around it,
// mlock()ed, excluded from core dumps). Slots come in power-of-two size
// classes from 64 bytes to kMaxPooledSize; a freed slot is wiped before it
// goes back on its free list. Regions are kept for the life of the process.
// Thread-safe. SecretBuffer uses it; not a public API.
#ifndef GSSX_TRANSPORT_INTERNAL_LOCKED_POOL_H_
#define GSSX_TRANSPORT_INTERNAL_LOCKED_POOL_H_

#include <cstddef>
#include <cstdint>

namespace gssx::transport::internal {

inline constexpr size_t kMinPooledSize = 64;
inline constexpr size_t kMaxPooledSize = 64 * 1024;

struct PoolStats {
  size_t regions = 0;
  size_t region_bytes = 0;
  size_t slots_in_use = 0;
};

// A zeroed slot of at least `size` bytes (size <= kMaxPooledSize), its real
// size in *slot_size; nullptr (errno set) if no region could be allocated.
void* PoolAllocate(size_t size, size_t* slot_size);

// Wipes the whole slot and returns it to the pool.
void PoolFree(void* slot, size_t slot_size);

PoolStats GetPoolStats();

}  // namespace gssx::transport::internal

#endif  // GSSX_TRANSPORT_INTERNAL_LOCKED_POOL_H_
