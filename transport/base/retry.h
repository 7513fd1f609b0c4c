// SPDX-License-Identifier: Apache-2.0
// Retries a system call while it fails with EINTR (never use for close()).
#ifndef GSSX_TRANSPORT_BASE_RETRY_H_
#define GSSX_TRANSPORT_BASE_RETRY_H_

#include <cerrno>

namespace gssx::transport::internal {

template <typename F>
auto RetryOnEintr(F&& f) -> decltype(f()) {
  decltype(f()) result;
  do {
    result = f();
  } while (result == -1 && errno == EINTR);
  return result;
}

}  // namespace gssx::transport::internal

#endif  // GSSX_TRANSPORT_BASE_RETRY_H_
