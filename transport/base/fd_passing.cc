// SPDX-License-Identifier: Apache-2.0
#include "transport/base/fd_passing.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "transport/base/deadline.h"
#include "transport/base/errors.h"
#include "transport/base/retry.h"
#include "transport/base/syscalls.h"

namespace gssx::transport {
namespace {

using internal::RetryOnEintr;
using internal::Sys;

// Control data for one message, on the stack (no allocation per message):
// the most fds a message can carry, and credentials.
union ControlBuffer {
  struct cmsghdr align;
  char bytes[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage) +
             CMSG_SPACE(sizeof(struct ucred))];
};

bool IsPeerGone(int e) {
  return e == EPIPE || e == ECONNRESET || e == ENOTCONN;
}

absl::Status PeerClosed(const char* call, int e) {
  return MakeError(ErrorKind::kPeerClosed,
                   absl::StrCat("peer closed the channel (", call, ": ",
                                std::strerror(e), ")"),
                   e);
}

}  // namespace

ssize_t SendMessageOnce(int socket, absl::Span<const uint8_t> body,
                        absl::Span<const int> fds, int flags) {
  if (fds.size() > kMaxFdsPerMessage) {
    errno = EINVAL;
    return -1;
  }
  struct iovec iov = {const_cast<uint8_t*>(body.data()), body.size()};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ControlBuffer control;
  if (!fds.empty()) {
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    std::memset(control.bytes, 0, msg.msg_controllen);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  return RetryOnEintr(
      [&] { return Sys().sendmsg(socket, &msg, MSG_NOSIGNAL | flags); });
}

absl::Status SendWithFds(int socket, absl::Span<const uint8_t> body,
                         absl::Span<const int> fds, absl::Duration timeout) {
  if (fds.size() > kMaxFdsPerMessage) {
    return MakeError(ErrorKind::kBadArgument, "too many fds for a message");
  }
  // The deadline is only needed if the socket buffer is full; reading the
  // clock for every message would be wasted on the common path.
  absl::Time deadline = absl::InfinitePast();
  for (;;) {
    if (SendMessageOnce(socket, body, fds, MSG_DONTWAIT) >= 0) {
      return absl::OkStatus();
    }
    if (errno == EAGAIN) {
      if (deadline == absl::InfinitePast()) deadline = DeadlineAfter(timeout);
      if (absl::Status w = WaitUntilReady(socket, POLLOUT, deadline, "send");
          !w.ok()) {
        return w;
      }
      continue;
    }
    if (IsPeerGone(errno)) return PeerClosed("sendmsg", errno);
    return OsError(errno, "sendmsg");
  }
}

absl::Status ReceivedMessage::Check() const {
  if (body_truncated) {
    return MakeError(ErrorKind::kMessageTruncated,
                     "message longer than any valid message");
  }
  if (control_truncated) {
    // The kernel could not install every fd: more than the receiver
    // accepts, or the receiver at RLIMIT_NOFILE (it does not say which).
    return MakeError(ErrorKind::kControlTruncated,
                     "fds lost in transit: receiver out of descriptors "
                     "(EMFILE) or control message cut",
                     EMFILE);
  }
  if (unexpected_control) {
    return MakeError(ErrorKind::kMalformed, "message: unexpected control data");
  }
  return absl::OkStatus();
}

ssize_t ReceiveMessageOnce(int socket, absl::Span<uint8_t> buffer,
                           const ReceiveWithFdsOptions& options,
                           ReceivedMessage* out) {
  *out = ReceivedMessage();
  if (options.max_fds > kMaxFdsPerMessage) {
    errno = EINVAL;
    return -1;
  }
  struct iovec iov = {buffer.data(), buffer.size()};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // Room for max_fds fds (and credentials if asked), nothing more: the
  // kernel sets MSG_CTRUNC for the rest and never installs them.
  ControlBuffer control;
  size_t control_size =
      options.max_fds > 0 ? CMSG_SPACE(sizeof(int) * options.max_fds) : 0;
  if (options.credentials) control_size += CMSG_SPACE(sizeof(struct ucred));
  if (control_size > 0) {
    msg.msg_control = control.bytes;
    msg.msg_controllen = control_size;
  }
  const ssize_t n = RetryOnEintr([&] {
    return Sys().recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | options.flags);
  });
  if (n < 0) return n;
  // Own every fd at once, whatever else is wrong with the message.
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      out->fds.reserve(out->fds.size() + count);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        out->fds.emplace_back(fd);
      }
    } else if (options.credentials && c->cmsg_level == SOL_SOCKET &&
               c->cmsg_type == SCM_CREDENTIALS &&
               c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
      struct ucred cred;
      std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
      out->credentials = cred;
    } else {
      out->unexpected_control = true;
    }
  }
  out->size = std::min(static_cast<size_t>(n), buffer.size());
  out->body_truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  out->control_truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
  return n;
}

absl::StatusOr<ReceivedMessage> ReceiveWithFds(
    int socket, absl::Span<uint8_t> buffer,
    const ReceiveWithFdsOptions& options) {
  if (options.max_fds > kMaxFdsPerMessage) {
    return MakeError(ErrorKind::kBadArgument,
                     "max_fds above the kernel's limit per message");
  }
  ReceivedMessage m;
  bool reset_seen = false;
  // Without a deadline, block in recvmsg itself (one system call less);
  // with one, poll first.
  const bool block = options.deadline == absl::InfiniteFuture();
  ReceiveWithFdsOptions once = options;
  if (!block) once.flags |= MSG_DONTWAIT;
  bool ready = block;
  for (;;) {
    if (!ready) {
      if (absl::Status w =
              WaitUntilReady(socket, POLLIN, options.deadline, "receive");
          !w.ok()) {
        return w;
      }
    }
    ready = false;
    const ssize_t n = ReceiveMessageOnce(socket, buffer, once, &m);
    if (n > 0) return m;
    if (n == 0) {
      return MakeError(ErrorKind::kPeerClosed, "peer closed the channel");
    }
    if (errno == EAGAIN) {
      if (options.flags & MSG_DONTWAIT) {
        return MakeError(ErrorKind::kTimeout, "no message waiting", EAGAIN);
      }
      continue;
    }
    if (errno == ECONNRESET && !reset_seen) {
      // A peer that closed with our messages unread makes the next recv
      // fail once with ECONNRESET, ahead of what it sent before closing
      // (a refusal HELLO, an ack). Read on: the error is now cleared.
      reset_seen = true;
      continue;
    }
    if (IsPeerGone(errno)) {
      return MakeError(ErrorKind::kPeerClosed, "peer closed the channel",
                       errno);
    }
    return OsError(errno, "recvmsg");
  }
}

}  // namespace gssx::transport
