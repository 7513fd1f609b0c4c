// SPDX-License-Identifier: Apache-2.0
#include "transport/base/syscalls.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace gssx::transport::internal {
namespace {

int RealMemfdCreate(const char* name, unsigned int flags) {
  return static_cast<int>(::syscall(SYS_memfd_create, name, flags));
}
int RealFcntl(int fd, int cmd, long arg) { return ::fcntl(fd, cmd, arg); }
int RealFstat(int fd, struct stat* st) { return ::fstat(fd, st); }

const Syscalls kReal = {
    RealMemfdCreate, ::pwrite,     ::pread,      RealFcntl, ::fchmod,
    RealFstat,       ::ftruncate,  ::sendmsg,    ::recvmsg, ::socket,
    ::socketpair,    ::bind,       ::listen,     ::accept4, ::connect,
    ::getsockopt,    ::poll,       ::close,      ::mmap,
    ::mprotect,      ::mlock,      ::madvise,
};

std::atomic<const Syscalls*> g_table{&kReal};

}  // namespace

const Syscalls& Sys() { return *g_table.load(std::memory_order_acquire); }
const Syscalls& RealSyscalls() { return kReal; }

ScopedSyscalls::ScopedSyscalls(const Syscalls& table)
    : previous_(g_table.exchange(&table, std::memory_order_acq_rel)) {}
ScopedSyscalls::~ScopedSyscalls() {
  g_table.store(previous_, std::memory_order_release);
}

}  // namespace gssx::transport::internal
