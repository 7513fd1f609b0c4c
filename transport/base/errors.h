// SPDX-License-Identifier: Apache-2.0
// Transport error kinds: one specific, machine-readable reason per failure.
//
//   absl::Status s = channel.Receive(opts).status();
//   if (IsError(s, ErrorKind::kAlreadyConsumed)) { ... another importer won ... }
//   int e = ErrnoOf(s);   // the errno behind an OS failure, or 0
//
// Every status the transport returns carries a payload (type URL
// kErrorPayloadUrl) naming its ErrorKind and, for OS failures, the errno.
// The canonical absl code is chosen so that callers who look only at it
// still do the right thing (see each kind). The C ABI maps kinds to GSS
// major/minor codes in one place.
#ifndef GSSX_TRANSPORT_BASE_ERRORS_H_
#define GSSX_TRANSPORT_BASE_ERRORS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gssx::transport {

enum class ErrorKind : uint32_t {
  kNone = 0,
  // The fd is not a memfd (pipe, socket, regular or linked tmpfs file).
  // InvalidArgument.
  kNotMemfd = 1,
  // The memfd was not opened read-write. InvalidArgument.
  kNotReadWrite = 2,
  // F_SEAL_WRITE or F_SEAL_GROW missing: contents could change. InvalidArgument.
  kNotSealed = 3,
  // File size differs from what the header / message says (e.g. truncated
  // by the sender after sending). InvalidArgument.
  kSizeMismatch = 4,
  // Header or message bytes malformed (magic, version, bounds). InvalidArgument.
  kMalformed = 5,
  // Authentication with the one-time key failed (wrong key, altered bytes).
  // InvalidArgument.
  kAuthenticationFailed = 6,
  // The consume latch (F_SEAL_SEAL) was already set: another importer, or
  // the exporter's reclaim, took this token. FailedPrecondition.
  kAlreadyConsumed = 7,
  // The message carried more fds than the receiver accepts (all closed),
  // or arrived while the receiver already held Channel::kMaxQueuedHandoffs
  // unreceived handoffs (the negative ack a flooding peer gets).
  // ResourceExhausted.
  kTooManyFds = 8,
  // The control message was cut short by the kernel for another reason
  // (typically the receiver at RLIMIT_NOFILE). ResourceExhausted, errno EMFILE.
  kControlTruncated = 9,
  // Message body longer than any valid message. InvalidArgument.
  kMessageTruncated = 10,
  // The peer closed the channel (or died). Unavailable.
  kPeerClosed = 11,
  // Our policy refused the peer's credentials. PermissionDenied.
  kPeerNotAllowed = 12,
  // The peer's policy refused our credentials. PermissionDenied.
  kRefusedByPeer = 13,
  // The importer rejected the token without consuming it. Aborted.
  kRejectedByPeer = 14,
  // No answer in time. DeadlineExceeded.
  kTimeout = 15,
  // A system call failed; ErrnoOf() says why. Code from absl::ErrnoToStatus.
  kOs = 16,
  // An argument violates the API contract (e.g. an fd < 0). InvalidArgument.
  kBadArgument = 17,
  // The kernel lacks something required. Unimplemented.
  kUnsupported = 18,
};

inline constexpr absl::string_view kErrorPayloadUrl =
    "type.gssx.dev/gssx.transport.Error";

// A status of the given kind. `errno_value` is kept for kOs (and may be set
// for others that stem from an errno).
absl::Status MakeError(ErrorKind kind, absl::string_view message,
                       int errno_value = 0);

// A kOs status for a failed system call: "<call>: <strerror>".
absl::Status OsError(int errno_value, absl::string_view call);

// The kind a status carries; kNone for OK or a status not made here.
ErrorKind KindOf(const absl::Status& status);
inline bool IsError(const absl::Status& status, ErrorKind kind) {
  return KindOf(status) == kind;
}

// The errno a status carries, or 0.
int ErrnoOf(const absl::Status& status);

// A short stable name ("already-consumed"), for logs and tests.
absl::string_view ErrorKindName(ErrorKind kind);

// A status as a user-facing line: its message and, in parentheses, its
// kind's stable name (and the errno's text when the message lacks it);
// for a status not made here, its message and absl code name. Never the
// payload bytes that absl::Status::ToString() prints.
//   "peer closed the channel (peer-closed)"
std::string StatusText(const absl::Status& status);

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_BASE_ERRORS_H_
