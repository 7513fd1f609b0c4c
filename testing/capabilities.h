// SPDX-License-Identifier: Apache-2.0
// Capabilities in tests: drop one from the effective set of this process
// (e.g. CAP_IPC_LOCK, so that RLIMIT_MEMLOCK applies to root too).
#ifndef GSSX_TESTING_CAPABILITIES_H_
#define GSSX_TESTING_CAPABILITIES_H_

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace gssx::testing {

// True on success (also when the capability was not held).
inline bool DropEffectiveCapability(int cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  data[cap / 32].effective &= ~(1u << (cap % 32));
  return ::syscall(SYS_capset, &hdr, data) == 0;
}

}  // namespace gssx::testing

#endif  // GSSX_TESTING_CAPABILITIES_H_
