// SPDX-License-Identifier: Apache-2.0
// LockedPool: secret buffers carved out of a few large locked regions, so
// that a secret costs no system call on the hot path and ten thousand live
// contexts fit in the default 8 MiB RLIMIT_MEMLOCK (docs/design.md "Locked
// memory and scale").
//
// Each region is its own mmap with a PROT_NONE guard page on either side,
// excluded from core dumps (MADV_DONTDUMP) and mlock()ed. Slots come in
// power-of-two size classes from kMinPooledSize to kMaxPooledSize; a freed
// slot is wiped before it goes back on its free list, and handed out again
// zeroed. Regions are kept for the life of the process.
//
// When mlock fails (RLIMIT_MEMLOCK reached, no CAP_IPC_LOCK), the pool does
// not refuse service: the region is used unlocked (still MADV_DONTDUMP and
// guarded), the failure is counted (GetPoolStats().unlocked_regions), and
// one warning goes to stderr per process.
//
// Buffers over kMaxPooledSize get a mapping of their own
// (LargeAllocate): the same guard pages, MADV_DONTDUMP, mlock with the
// same degraded mode, relocked in a forked child, and counted while they
// live as one region and one slot (unlocked_regions included); LargeFree
// wipes and unmaps it. (They were sodium_malloc allocations, which ignore
// a failed mlock, are not relocked after fork and were not counted.)
//
// Thread-safe. SecretBuffer uses it; not a public API (SecretBuffer's
// header exposes the statistics).
#ifndef GSSX_TRANSPORT_BASE_LOCKED_POOL_H_
#define GSSX_TRANSPORT_BASE_LOCKED_POOL_H_

#include <cstddef>
#include <cstdint>

namespace gssx::transport::internal {

inline constexpr size_t kMinPooledSize = 32;
inline constexpr size_t kMaxPooledSize = 64 * 1024;

struct PoolStats {
  size_t regions = 0;
  size_t region_bytes = 0;      // usable bytes in all regions
  size_t locked_bytes = 0;      // of which mlock()ed
  size_t unlocked_regions = 0;  // regions whose mlock failed (degraded)
  size_t slots_in_use = 0;
  size_t slot_bytes_in_use = 0;
};

// A zeroed slot of at least `size` bytes (size <= kMaxPooledSize), its real
// size in *slot_size; nullptr (errno set) if no region could be mapped.
void* PoolAllocate(size_t size, size_t* slot_size);

// Wipes the whole slot and returns it to the pool.
void PoolFree(void* slot, size_t slot_size);

PoolStats GetPoolStats();

// A zeroed mapping of at least `size` bytes (size > 0), its real size in
// *mapped_size; nullptr (errno set) if it could not be mapped.
void* LargeAllocate(size_t size, size_t* mapped_size);

// Wipes, unlocks and unmaps what LargeAllocate returned.
void LargeFree(void* p, size_t mapped_size);

}  // namespace gssx::transport::internal

#endif  // GSSX_TRANSPORT_BASE_LOCKED_POOL_H_
