// SPDX-License-Identifier: Apache-2.0
// The one seam between gssx and the kernel.
//
// Every system call the transport and the C ABI make goes through Sys(), a
// table of function pointers that defaults to the real calls. Fault-injection
// tests swap the table (ScopedSyscalls) to make one call site fail with a
// chosen errno; production code never touches it. Not part of the public API.
#ifndef GSSX_TRANSPORT_BASE_SYSCALLS_H_
#define GSSX_TRANSPORT_BASE_SYSCALLS_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>

namespace gssx::transport::internal {

struct Syscalls {
  int (*memfd_create)(const char* name, unsigned int flags);
  ssize_t (*pwrite)(int fd, const void* buf, size_t count, off_t offset);
  ssize_t (*pread)(int fd, void* buf, size_t count, off_t offset);
  int (*fcntl)(int fd, int cmd, long arg);
  int (*fchmod)(int fd, mode_t mode);
  int (*fstat)(int fd, struct stat* st);
  int (*ftruncate)(int fd, off_t length);
  ssize_t (*sendmsg)(int fd, const struct msghdr* msg, int flags);
  ssize_t (*recvmsg)(int fd, struct msghdr* msg, int flags);
  int (*socket)(int domain, int type, int protocol);
  int (*socketpair)(int domain, int type, int protocol, int sv[2]);
  int (*bind)(int fd, const struct sockaddr* addr, socklen_t len);
  int (*listen)(int fd, int backlog);
  int (*accept4)(int fd, struct sockaddr* addr, socklen_t* len, int flags);
  int (*connect)(int fd, const struct sockaddr* addr, socklen_t len);
  int (*getsockopt)(int fd, int level, int name, void* val, socklen_t* len);
  int (*poll)(struct pollfd* fds, nfds_t n, int timeout_ms);
  int (*close)(int fd);
  // The locked pool's regions (locked_pool.cc).
  void* (*mmap)(void* addr, size_t len, int prot, int flags, int fd,
                off_t off);
  int (*mprotect)(void* addr, size_t len, int prot);
  int (*mlock)(const void* addr, size_t len);
  int (*madvise)(void* addr, size_t len, int advice);
};

// The table in force. Reads are cheap; it is replaced only by tests.
const Syscalls& Sys();

// The real calls.
const Syscalls& RealSyscalls();

// Test-only: installs `table` for the lifetime of this object. Not
// thread-safe with respect to concurrent gssx calls: install it before the
// code under test runs.
class ScopedSyscalls {
 public:
  explicit ScopedSyscalls(const Syscalls& table);
  ~ScopedSyscalls();
  ScopedSyscalls(const ScopedSyscalls&) = delete;
  ScopedSyscalls& operator=(const ScopedSyscalls&) = delete;

 private:
  const Syscalls* previous_;
};

}  // namespace gssx::transport::internal

#endif  // GSSX_TRANSPORT_BASE_SYSCALLS_H_
