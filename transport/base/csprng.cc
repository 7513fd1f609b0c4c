// SPDX-License-Identifier: Apache-2.0
#include "transport/base/csprng.h"

#include <pthread.h>
#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>

// Linux 4.14; the value is ABI.
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

namespace gssx::transport::internal {
namespace {

constexpr size_t kKeySize = crypto_stream_chacha20_ietf_KEYBYTES;
// Eight ChaCha20 blocks: libsodium's vectorised ChaCha20 works eight
// blocks at a time, so this is the cheapest output per byte.
constexpr size_t kBlockSize = 512;
constexpr uint64_t kReseedBytes = uint64_t{1} << 20;

// The whole generator state. It sits alone in a page that is zeroed in a
// forked child (MADV_WIPEONFORK), so an all-zero State must mean "seed me".
struct State {
  uint64_t seeds;       // seeds from the kernel in this process; 0: unseeded
  uint64_t since_seed;  // bytes handed out since the last seed
  uint32_t available;   // unread bytes at the end of `block`
  uint8_t key[kKeySize];
  uint8_t block[kBlockSize];
};

// Guarded by g_mu. The mapping is inherited across fork (its contents are
// wiped there), so the pointer and the mode stay valid in a child.
std::mutex g_mu;
State* g_state = nullptr;
size_t g_page = 0;
CsprngMode g_mode = CsprngMode::kUnused;

// A fork while another thread holds g_mu would leave the child's copy
// locked forever: hold it across fork, release it on both sides. Installed
// while the library is loaded (static initialization), so before g_mu can
// ever be locked — never in a window where a concurrent fork could copy a
// held g_mu into a child without handlers. If registration fails, the
// generator is never used (every call goes to the kernel).
const bool g_atfork_registered =
    ::pthread_atfork([] { g_mu.lock(); }, [] { g_mu.unlock(); },
                     [] { g_mu.unlock(); }) == 0;

// Maps [guard][state page][guard]: locked, not dumped, wiped on fork. On
// any failure — including a kernel without MADV_WIPEONFORK, where nothing
// would keep a forked child from continuing the parent's stream, or from
// holding the parent's next keys in memory that is no longer locked — the
// process uses the kernel for every request instead.
void Setup() {
  g_mode = CsprngMode::kKernelOnly;
  if (!g_atfork_registered) return;
  // Selects libsodium's fastest ChaCha20 (idempotent and thread-safe).
  if (sodium_init() < 0) return;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  static_assert(sizeof(State) <= 4096, "State must fit in one page");
  void* map = ::mmap(nullptr, 3 * page, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return;
  auto* state = static_cast<uint8_t*>(map) + page;
  if (::mprotect(state, page, PROT_READ | PROT_WRITE) != 0 ||
      ::madvise(state, page, MADV_WIPEONFORK) != 0 ||
      ::mlock(state, page) != 0) {
    ::munmap(map, 3 * page);
    return;
  }
  (void)::madvise(state, page, MADV_DONTDUMP);  // best effort, as the pool
  g_state = reinterpret_cast<State*>(state);
  g_page = page;
  g_mode = CsprngMode::kWipeOnFork;
}

// Fresh key from the kernel. mlock is not inherited across fork, so the
// page is locked again here (a no-op in the process that mapped it); if
// that fails, this process falls back to the kernel for good.
bool Seed(State& s) {
  if (::mlock(&s, g_page) != 0) {
    sodium_memzero(&s, sizeof s);
    g_mode = CsprngMode::kKernelOnly;
    return false;
  }
  const uint64_t seeds = s.seeds;
  sodium_memzero(&s, sizeof s);
  randombytes_buf(s.key, sizeof s.key);
  s.seeds = seeds + 1;
  return true;
}

// One keystream run under the current key; its head becomes the next key
// (and is wiped from the block), the rest is output.
void Refill(State& s) {
  static constexpr uint8_t kNonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
  crypto_stream_chacha20_ietf(s.block, sizeof s.block, kNonce, s.key);
  std::memcpy(s.key, s.block, kKeySize);
  sodium_memzero(s.block, kKeySize);
  s.available = kBlockSize - kKeySize;
}

}  // namespace

void RandomBytes(absl::Span<uint8_t> out) {
  if (out.empty()) return;
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_mode == CsprngMode::kUnused) Setup();
  if (g_mode == CsprngMode::kKernelOnly) {
    randombytes_buf(out.data(), out.size());
    return;
  }
  State& s = *g_state;
  if (s.seeds == 0 || s.since_seed >= kReseedBytes) {
    if (!Seed(s)) {
      randombytes_buf(out.data(), out.size());
      return;
    }
  }
  size_t done = 0;
  while (done < out.size()) {
    if (s.available == 0) Refill(s);
    const size_t take = std::min<size_t>(out.size() - done, s.available);
    uint8_t* from = s.block + kBlockSize - s.available;
    std::memcpy(out.data() + done, from, take);
    sodium_memzero(from, take);  // an output never stays behind
    s.available -= static_cast<uint32_t>(take);
    done += take;
  }
  s.since_seed += out.size();
}

CsprngMode GetCsprngMode() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_mode;
}

bool CsprngStateContainsForTest(absl::Span<const uint8_t> bytes) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_state == nullptr || bytes.empty()) return false;
  const uint8_t* begin = reinterpret_cast<const uint8_t*>(g_state);
  const uint8_t* end = begin + sizeof(State);
  return std::search(begin, end, bytes.begin(), bytes.end()) != end;
}

uint64_t CsprngSeedsForTest() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_state == nullptr) return 0;
  return g_state->seeds;
}

}  // namespace gssx::transport::internal
