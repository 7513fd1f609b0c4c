// SPDX-License-Identifier: Apache-2.0
// ThreadSanitizer annotations for Debian's (uninstrumented) Abseil.
//
// Debian builds libabsl without -fsanitize=thread, so ThreadSanitizer does
// not see absl::Mutex or absl::call_once synchronise anything: their atomics
// and futex waits happen inside the uninstrumented library. Every access
// guarded by an absl::Mutex (the locked pool's free lists, say) is then
// reported as a data race, and so is everything published by a call_once
// initialiser (libsodium's CPU-feature flags after sodium_init). Those are
// false positives, and suppressing them would hide real races in the same
// code.
//
// Instead, this file gives TSan the information an instrumented Abseil
// would: linked into test binaries under --config=tsan only (//testing:
// test_main selects it), it interposes the out-of-line absl::Mutex lock and
// unlock functions and absl::base_internal::SpinLockWait, calls the real
// ones (dlsym(RTLD_NEXT)), and reports the same __tsan_mutex_* /
// __tsan_acquire events that Abseil's own ABSL_TSAN_MUTEX_* macros emit
// when it is built with TSan. Races on data the mutex does not guard are
// still reported; nothing is suppressed.
//
// Covered: Mutex::Lock/Unlock/TryLock/ReaderLock/ReaderUnlock/ReaderTryLock
// and call_once (whose waiters return from SpinLockWait having observed
// kOnceDone with acquire semantics). Not covered: CondVar and Mutex::Await/
// LockWhen (they release and retake the mutex inside the library); code
// that uses them under TSan needs more annotations here.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/base/internal/spinlock_wait.h"
#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"

namespace {

#define GSSX_STR2(x) #x
#define GSSX_STR(x) GSSX_STR2(x)

// The mangled name of absl::<rest>, inline namespace included.
void* Real(const char* rest) {
  char name[256];
#if ABSL_OPTION_USE_INLINE_NAMESPACE
  const char* ns = GSSX_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  std::snprintf(name, sizeof name, "_ZN4absl%zu%s%s", std::strlen(ns), ns,
                rest);
#else
  std::snprintf(name, sizeof name, "_ZN4absl%s", rest);
#endif
  void* f = ::dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "absl_tsan_annotations: %s not found\n", name);
    std::abort();
  }
  return f;
}

using MutexFn = void (*)(absl::Mutex*);
using TryFn = bool (*)(absl::Mutex*);

#define GSSX_REAL(type, rest)                                  \
  ([] {                                                        \
    static const type fn = reinterpret_cast<type>(Real(rest)); \
    return fn;                                                 \
  }())

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  __tsan_mutex_pre_lock(this, 0);
  GSSX_REAL(MutexFn, "5Mutex4LockEv")(this);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::Unlock() {
  __tsan_mutex_pre_unlock(this, 0);
  GSSX_REAL(MutexFn, "5Mutex6UnlockEv")(this);
  __tsan_mutex_post_unlock(this, 0);
}

bool Mutex::TryLock() {
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = GSSX_REAL(TryFn, "5Mutex7TryLockEv")(this);
  __tsan_mutex_post_lock(
      this, __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed),
      0);
  return locked;
}

void Mutex::ReaderLock() {
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  GSSX_REAL(MutexFn, "5Mutex10ReaderLockEv")(this);
  __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
}

void Mutex::ReaderUnlock() {
  __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  GSSX_REAL(MutexFn, "5Mutex12ReaderUnlockEv")(this);
  __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

bool Mutex::ReaderTryLock() {
  const unsigned flags = __tsan_mutex_read_lock | __tsan_mutex_try_lock;
  __tsan_mutex_pre_lock(this, flags);
  const bool locked = GSSX_REAL(TryFn, "5Mutex13ReaderTryLockEv")(this);
  __tsan_mutex_post_lock(
      this, flags | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

namespace base_internal {

// call_once: the initialiser publishes with an instrumented release store
// (kOnceDone, in call_once.h); a waiter sees it here, uninstrumented.
uint32_t SpinLockWait(std::atomic<uint32_t>* w, int n,
                      const SpinLockWaitTransition trans[],
                      SchedulingMode scheduling_mode) {
  using Fn = uint32_t (*)(std::atomic<uint32_t>*, int,
                          const SpinLockWaitTransition[], SchedulingMode);
  const uint32_t v =
      GSSX_REAL(Fn,
                "13base_internal12SpinLockWaitEPSt6atomicIjEiPKNS1_"
                "22SpinLockWaitTransitionENS1_14SchedulingModeE")(
          w, n, trans, scheduling_mode);
  __tsan_acquire(w);
  return v;
}

}  // namespace base_internal
ABSL_NAMESPACE_END
}  // namespace absl
