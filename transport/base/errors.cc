// SPDX-License-Identifier: Apache-2.0
#include "transport/base/errors.h"

#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gssx::transport {
namespace {

absl::StatusCode CodeFor(ErrorKind kind, int errno_value) {
  switch (kind) {
    case ErrorKind::kNone:
      return absl::StatusCode::kOk;
    case ErrorKind::kNotMemfd:
    case ErrorKind::kNotReadWrite:
    case ErrorKind::kNotSealed:
    case ErrorKind::kSizeMismatch:
    case ErrorKind::kMalformed:
    case ErrorKind::kAuthenticationFailed:
    case ErrorKind::kMessageTruncated:
    case ErrorKind::kBadArgument:
      return absl::StatusCode::kInvalidArgument;
    case ErrorKind::kAlreadyConsumed:
      return absl::StatusCode::kFailedPrecondition;
    case ErrorKind::kTooManyFds:
    case ErrorKind::kControlTruncated:
      return absl::StatusCode::kResourceExhausted;
    case ErrorKind::kPeerClosed:
      return absl::StatusCode::kUnavailable;
    case ErrorKind::kPeerNotAllowed:
    case ErrorKind::kRefusedByPeer:
      return absl::StatusCode::kPermissionDenied;
    case ErrorKind::kRejectedByPeer:
      return absl::StatusCode::kAborted;
    case ErrorKind::kTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    case ErrorKind::kOs:
      return absl::ErrnoToStatusCode(errno_value);
    case ErrorKind::kUnsupported:
      return absl::StatusCode::kUnimplemented;
  }
  return absl::StatusCode::kUnknown;
}

// Payload: 4 bytes kind, 4 bytes errno, little-endian.
absl::Cord EncodePayload(ErrorKind kind, int errno_value) {
  char bytes[8];
  uint32_t k = static_cast<uint32_t>(kind);
  uint32_t e = static_cast<uint32_t>(errno_value);
  for (int i = 0; i < 4; ++i) {
    bytes[i] = static_cast<char>((k >> (8 * i)) & 0xff);
    bytes[4 + i] = static_cast<char>((e >> (8 * i)) & 0xff);
  }
  return absl::Cord(absl::string_view(bytes, sizeof bytes));
}

bool DecodePayload(const absl::Status& status, uint32_t* kind, uint32_t* err) {
  auto payload = status.GetPayload(kErrorPayloadUrl);
  if (!payload.has_value() || payload->size() != 8) return false;
  std::string flat(*payload);
  *kind = *err = 0;
  for (int i = 0; i < 4; ++i) {
    *kind |= static_cast<uint32_t>(static_cast<uint8_t>(flat[i])) << (8 * i);
    *err |= static_cast<uint32_t>(static_cast<uint8_t>(flat[4 + i])) << (8 * i);
  }
  return true;
}

}  // namespace

absl::Status MakeError(ErrorKind kind, absl::string_view message,
                       int errno_value) {
  absl::Status status(CodeFor(kind, errno_value), message);
  status.SetPayload(kErrorPayloadUrl, EncodePayload(kind, errno_value));
  return status;
}

absl::Status OsError(int errno_value, absl::string_view call) {
  return MakeError(ErrorKind::kOs,
                   absl::StrCat(call, ": ", std::strerror(errno_value)),
                   errno_value);
}

ErrorKind KindOf(const absl::Status& status) {
  uint32_t kind, err;
  if (status.ok() || !DecodePayload(status, &kind, &err)) return ErrorKind::kNone;
  return static_cast<ErrorKind>(kind);
}

int ErrnoOf(const absl::Status& status) {
  uint32_t kind, err;
  if (status.ok() || !DecodePayload(status, &kind, &err)) return 0;
  return static_cast<int>(err);
}

absl::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone: return "none";
    case ErrorKind::kNotMemfd: return "not-memfd";
    case ErrorKind::kNotReadWrite: return "not-read-write";
    case ErrorKind::kNotSealed: return "not-sealed";
    case ErrorKind::kSizeMismatch: return "size-mismatch";
    case ErrorKind::kMalformed: return "malformed";
    case ErrorKind::kAuthenticationFailed: return "authentication-failed";
    case ErrorKind::kAlreadyConsumed: return "already-consumed";
    case ErrorKind::kTooManyFds: return "too-many-fds";
    case ErrorKind::kControlTruncated: return "control-truncated";
    case ErrorKind::kMessageTruncated: return "message-truncated";
    case ErrorKind::kPeerClosed: return "peer-closed";
    case ErrorKind::kPeerNotAllowed: return "peer-not-allowed";
    case ErrorKind::kRefusedByPeer: return "refused-by-peer";
    case ErrorKind::kRejectedByPeer: return "rejected-by-peer";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kOs: return "os-error";
    case ErrorKind::kBadArgument: return "bad-argument";
    case ErrorKind::kUnsupported: return "unsupported";
  }
  return "unknown";
}

std::string StatusText(const absl::Status& status) {
  if (status.ok()) return "OK";
  const ErrorKind kind = KindOf(status);
  std::string text(status.message());
  const std::string tag =
      kind != ErrorKind::kNone
          ? std::string(ErrorKindName(kind))
          : absl::StatusCodeToString(status.code());
  if (text.empty()) return tag;
  absl::StrAppend(&text, " (", tag);
  const int e = ErrnoOf(status);
  if (e != 0) {
    const char* why = std::strerror(e);
    if (!absl::StrContains(text, why)) absl::StrAppend(&text, ": ", why);
  }
  absl::StrAppend(&text, ")");
  return text;
}

}  // namespace gssx::transport
