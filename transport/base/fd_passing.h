// SPDX-License-Identifier: Apache-2.0
// The one socket-I/O layer for messages that carry fds (SCM_RIGHTS) over
// AF_UNIX sockets (SOCK_SEQPACKET, or datagrams). Every call goes through
// the syscall seam (syscalls.h), so fault-injection tests reach it.
//
//   // Sender: one message, the fds duplicated into the receiver.
//   absl::Status s = SendWithFds(sock, body, {memfd.get()}, absl::Seconds(5));
//
//   // Receiver (recvmsg_safe semantics): every fd the kernel installed is
//   // owned at once, whatever else is wrong with the message; received fds
//   // are close-on-exec; a cut body or cut fds are flagged, never silent.
//   uint8_t buf[256];
//   absl::StatusOr<ReceivedMessage> m =
//       ReceiveWithFds(sock, absl::MakeSpan(buf), {.max_fds = 1});
//   if (!m.ok()) ...                  // kPeerClosed, kTimeout, kOs
//   if (absl::Status c = m->Check(); !c.ok()) ...  // named errors below
//
// Thread-compatible: calls on one socket from several threads interleave
// whole messages, as the kernel does.
#ifndef GSSX_TRANSPORT_BASE_FD_PASSING_H_
#define GSSX_TRANSPORT_BASE_FD_PASSING_H_

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {

// The kernel's limit on fds in one SCM_RIGHTS message (SCM_MAX_FD).
inline constexpr size_t kMaxFdsPerMessage = 253;

// One sendmsg(): `body` with `fds` attached (SCM_RIGHTS; no control data
// if `fds` is empty), flags MSG_NOSIGNAL | `flags`, EINTR retried. Returns
// the bytes sent, or -1 with errno set (EINVAL for more than
// kMaxFdsPerMessage fds). For callers that handle errno themselves.
ssize_t SendMessageOnce(int socket, absl::Span<const uint8_t> body,
                        absl::Span<const int> fds, int flags = 0);

// Sends one message, waiting while the socket buffer is full for at most
// `timeout` (the clock is read only if it is full). Errors: kBadArgument
// (more than kMaxFdsPerMessage fds), kPeerClosed (EPIPE, ECONNRESET,
// ENOTCONN; errno kept), kTimeout, kOs.
absl::Status SendWithFds(int socket, absl::Span<const uint8_t> body,
                         absl::Span<const int> fds,
                         absl::Duration timeout = absl::InfiniteDuration());

// One message as received.
struct ReceivedMessage {
  // Bytes of the body in the caller's buffer (at most its size).
  size_t size = 0;
  // Every fd the message carried, owned (closed with the message unless
  // moved out), close-on-exec.
  std::vector<UniqueFd> fds;
  // MSG_TRUNC: the body was longer than the buffer (the rest is lost).
  bool body_truncated = false;
  // MSG_CTRUNC: fds or control data did not fit (more fds than max_fds, or
  // the receiver at RLIMIT_NOFILE); those fds are lost (never installed).
  bool control_truncated = false;
  // A control message other than SCM_RIGHTS (and SCM_CREDENTIALS, when
  // asked for) arrived; it was dropped.
  bool unexpected_control = false;
  // The sender's kernel-recorded credentials (SCM_CREDENTIALS; the
  // receiving socket needs SO_PASSCRED), when asked for and present.
  std::optional<struct ucred> credentials;

  // OK, or the named error for the first thing wrong, in this order:
  // kMessageTruncated (body), kControlTruncated (fds lost; errno EMFILE,
  // its usual cause), kMalformed ("unexpected control data").
  absl::Status Check() const;
};

struct ReceiveWithFdsOptions {
  // Room for this many fds (at most kMaxFdsPerMessage); more is
  // control_truncated.
  size_t max_fds = 0;
  // Also accept (and return) SCM_CREDENTIALS.
  bool credentials = false;
  // absl::InfiniteFuture(): block in recvmsg(); otherwise poll first and
  // give up with kTimeout at the deadline.
  absl::Time deadline = absl::InfiniteFuture();
  // Extra recvmsg() flags. MSG_DONTWAIT: ReceiveWithFds returns kTimeout
  // (errno EAGAIN) at once when no message is waiting.
  int flags = 0;
};

// One recvmsg() into `buffer`, flags MSG_CMSG_CLOEXEC | `flags`, EINTR
// retried; every received fd lands in out->fds before anything else is
// looked at. Returns the byte count recvmsg() returned, or -1 with errno
// set (then `out` holds nothing).
ssize_t ReceiveMessageOnce(int socket, absl::Span<uint8_t> buffer,
                           const ReceiveWithFdsOptions& options,
                           ReceivedMessage* out);

// Receives one message, waiting until options.deadline. A first
// ECONNRESET (the peer closed with our messages unread) is skipped once,
// so that what the peer sent before closing is still read. Errors:
// kPeerClosed (0 bytes — end of stream — or EPIPE/ECONNRESET/ENOTCONN;
// fds a 0-byte message carried are closed), kTimeout, kBadArgument
// (max_fds above kMaxFdsPerMessage), kOs. Truncation and unexpected control
// data are not errors here: see ReceivedMessage::Check().
absl::StatusOr<ReceivedMessage> ReceiveWithFds(
    int socket, absl::Span<uint8_t> buffer,
    const ReceiveWithFdsOptions& options);

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_BASE_FD_PASSING_H_
