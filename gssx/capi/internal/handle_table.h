// SPDX-License-Identifier: Apache-2.0
// HandleTable: the live set behind one kind of C handle (gss_ctx_id_t,
// gss_cred_id_t, gss_name_t, gssx_channel_t). Internal to //gssx/capi.
//
//   HandleTable<NameEntry>& names = Names();
//   uintptr_t h = names.Insert(std::make_shared<NameEntry>(...));
//   std::shared_ptr<NameEntry> e = names.Find(h);   // nullptr: not live
//   std::shared_ptr<NameEntry> gone = names.Remove(h);
//
// A handle is an opaque value, never a pointer the library dereferences:
// Find() answers from a hash map in O(1), so a stale, released, exported
// or made-up handle is simply not found (GSS_S_NO_CONTEXT and friends),
// never undefined behaviour. Values come from one process-wide counter and
// are never reused, so a stale handle cannot alias a newer object, and a
// handle of one kind is never a live handle of another kind.
//
// Objects are held by shared_ptr: a call that found an object keeps it
// alive while another thread removes it; what the object then answers is
// the object's business (a context deleted meanwhile answers kNoContext).
// Thread-safe.
#ifndef GSSX_CAPI_INTERNAL_HANDLE_TABLE_H_
#define GSSX_CAPI_INTERNAL_HANDLE_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace gssx::capi::internal {

// The next handle value: never 0, never repeated in this process.
uintptr_t NextHandleValue();

template <typename T>
class HandleTable {
 public:
  HandleTable() = default;
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // Registers `object` (not null) under a fresh handle value.
  uintptr_t Insert(std::shared_ptr<T> object) {
    const uintptr_t handle = NextHandleValue();
    absl::MutexLock lock(&mu_);
    live_.emplace(handle, std::move(object));
    return handle;
  }

  // The live object of `handle`, or nullptr.
  std::shared_ptr<T> Find(uintptr_t handle) const {
    if (handle == 0) return nullptr;
    absl::MutexLock lock(&mu_);
    auto it = live_.find(handle);
    return it == live_.end() ? nullptr : it->second;
  }

  // Unregisters `handle`; returns its object, or nullptr if not live.
  std::shared_ptr<T> Remove(uintptr_t handle) {
    if (handle == 0) return nullptr;
    absl::MutexLock lock(&mu_);
    auto it = live_.find(handle);
    if (it == live_.end()) return nullptr;
    std::shared_ptr<T> object = std::move(it->second);
    live_.erase(it);
    return object;
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return live_.size();
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uintptr_t, std::shared_ptr<T>> live_ ABSL_GUARDED_BY(mu_);
};

// Handle <-> table key. The C types are pointers to incomplete structs.
template <typename Handle>
uintptr_t KeyOf(Handle handle) {
  return reinterpret_cast<uintptr_t>(handle);
}
template <typename Handle>
Handle HandleOf(uintptr_t key) {
  return reinterpret_cast<Handle>(key);
}

}  // namespace gssx::capi::internal

#endif  // GSSX_CAPI_INTERNAL_HANDLE_TABLE_H_
