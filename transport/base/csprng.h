// SPDX-License-Identifier: Apache-2.0
// A fork-safe userspace CSPRNG for the handoff's one-time keys, token ids
// and nonces: one getrandom per process (and per forked child) instead of
// one per token.
//
// Construction: "fast key erasure" (D. J. Bernstein, 2017) over ChaCha20.
// A 32-byte key seeded from the kernel (randombytes_buf → getrandom) makes
// one 512-byte ChaCha20 keystream block run (nonce 0; every key is used
// exactly once); its first 32 bytes replace the key at once and the other
// 480 are handed out front to back, each byte wiped as it leaves. So the
// state never holds an output that was already returned, and a later
// compromise of the state reveals nothing about earlier outputs. The
// generator reseeds from the kernel every 1 MiB of output.
//
// Where the state lives: its own page, mmap'ed with a guard page on either
// side, mlock()ed, MADV_DONTDUMP, and MADV_WIPEONFORK: a forked child —
// however it was forked (fork(), clone() without CLONE_VM; atfork handlers
// or not) — finds the page zeroed, which reads as "not seeded", and reseeds
// from the kernel before its first output. Parent and child therefore never
// share a stream, and a child never holds the parent's next keys in memory
// that is no longer locked (mlock is not inherited).
//
// If the page cannot be mapped, locked or marked MADV_WIPEONFORK (kernels
// before 4.14, or a seccomp policy refusing it) — or, in a forked child, be
// locked again — every call goes straight to the kernel (randombytes_buf):
// never a secret in swappable memory, never a shared stream, only slower.
//
// Thread-safe: one generator per process behind a mutex that pthread_atfork
// handlers, installed when the library loads, hold across fork(). A raw
// clone() skips those handlers: done while another thread is inside
// RandomBytes, the child's copy of the mutex stays locked (as with any
// mutex).
#ifndef GSSX_TRANSPORT_BASE_CSPRNG_H_
#define GSSX_TRANSPORT_BASE_CSPRNG_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace gssx::transport::internal {

// Fills `out` with cryptographically secure random bytes. Never fails
// (libsodium's randombytes aborts the process if the kernel cannot supply
// a seed).
void RandomBytes(absl::Span<uint8_t> out);

// How this process's generator works, for tests and monitoring.
enum class CsprngMode {
  kUnused,         // no output drawn yet in this process
  kWipeOnFork,     // locked page, MADV_WIPEONFORK
  kKernelOnly,     // no such page: every call is a getrandom
};
CsprngMode GetCsprngMode();

// Test-only: how many times the generator has seeded itself from the kernel
// in this process (0 in a forked child until its first output).
uint64_t CsprngSeedsForTest();

// Test-only: whether the generator's state still holds `bytes` anywhere
// (an output handed out must not stay behind).
bool CsprngStateContainsForTest(absl::Span<const uint8_t> bytes);

}  // namespace gssx::transport::internal

#endif  // GSSX_TRANSPORT_BASE_CSPRNG_H_
