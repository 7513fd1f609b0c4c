// SPDX-License-Identifier: Apache-2.0
#include "gssx/status.h"

#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "transport/base/errors.h"

namespace gssx {
namespace {

struct Decoded {
  ErrorKind kind = ErrorKind::kNone;
  uint32_t minor = 0;
  int errno_value = 0;
};

absl::StatusCode CodeFor(ErrorKind kind, int errno_value) {
  switch (kind) {
    case ErrorKind::kNone:
      return absl::StatusCode::kOk;
    case ErrorKind::kBadMech:
    case ErrorKind::kBadName:
    case ErrorKind::kBadNameType:
    case ErrorKind::kBadStatus:
    case ErrorKind::kBadQop:
    case ErrorKind::kDefectiveToken:
    case ErrorKind::kDefectiveCredential:
      return absl::StatusCode::kInvalidArgument;
    case ErrorKind::kBadBindings:
    case ErrorKind::kBadMic:
      return absl::StatusCode::kUnauthenticated;
    case ErrorKind::kNoCred:
      return absl::StatusCode::kNotFound;
    case ErrorKind::kNoContext:
    case ErrorKind::kCredentialsExpired:
    case ErrorKind::kContextExpired:
    case ErrorKind::kUnavailable:
    case ErrorKind::kNameNotMn:
      return absl::StatusCode::kFailedPrecondition;
    case ErrorKind::kUnauthorized:
      return absl::StatusCode::kPermissionDenied;
    case ErrorKind::kDuplicateElement:
      return absl::StatusCode::kAlreadyExists;
    case ErrorKind::kFailure:
      return errno_value != 0 ? absl::ErrnoToStatusCode(errno_value)
                              : absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kUnknown;
}

// Payload: kind, minor, errno; 4 bytes each, little-endian.
absl::Cord EncodePayload(ErrorKind kind, uint32_t minor, int errno_value) {
  char bytes[12];
  const uint32_t words[3] = {static_cast<uint32_t>(kind), minor,
                             static_cast<uint32_t>(errno_value)};
  for (int w = 0; w < 3; ++w) {
    for (int i = 0; i < 4; ++i) {
      bytes[4 * w + i] = static_cast<char>((words[w] >> (8 * i)) & 0xff);
    }
  }
  return absl::Cord(absl::string_view(bytes, sizeof bytes));
}

std::optional<Decoded> DecodePayload(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorPayloadUrl);
  if (!payload.has_value() || payload->size() != 12) return std::nullopt;
  const std::string flat(*payload);
  uint32_t words[3] = {0, 0, 0};
  for (int w = 0; w < 3; ++w) {
    for (int i = 0; i < 4; ++i) {
      words[w] |= static_cast<uint32_t>(static_cast<uint8_t>(flat[4 * w + i]))
                  << (8 * i);
    }
  }
  Decoded d;
  d.kind = static_cast<ErrorKind>(words[0]);
  d.minor = words[1];
  d.errno_value = static_cast<int>(words[2]);
  return d;
}

// docs/design.md "Status codes": how transport failures surface through gssx.
ErrorKind KindForTransport(transport::ErrorKind kind) {
  using T = transport::ErrorKind;
  switch (kind) {
    case T::kNone:
      return ErrorKind::kNone;
    case T::kNotMemfd:
    case T::kNotReadWrite:
    case T::kNotSealed:
    case T::kSizeMismatch:
    case T::kMalformed:
    case T::kAuthenticationFailed:
    case T::kMessageTruncated:
      return ErrorKind::kDefectiveToken;
    case T::kAlreadyConsumed:
      return ErrorKind::kNoContext;
    case T::kPeerNotAllowed:
    case T::kRefusedByPeer:
      return ErrorKind::kUnauthorized;
    case T::kUnsupported:
      return ErrorKind::kUnavailable;
    case T::kTooManyFds:
    case T::kControlTruncated:
    case T::kPeerClosed:
    case T::kRejectedByPeer:
    case T::kTimeout:
    case T::kOs:
    case T::kBadArgument:
      return ErrorKind::kFailure;
  }
  return ErrorKind::kFailure;
}

Decoded Decode(const absl::Status& status) {
  if (status.ok()) return Decoded{};
  if (std::optional<Decoded> d = DecodePayload(status); d.has_value()) {
    return *d;
  }
  const transport::ErrorKind tkind = transport::KindOf(status);
  if (tkind != transport::ErrorKind::kNone) {
    Decoded d;
    d.kind = KindForTransport(tkind);
    d.minor = kTransportMinorBase + static_cast<uint32_t>(tkind);
    d.errno_value = transport::ErrnoOf(status);
    return d;
  }
  Decoded d;
  d.kind = ErrorKind::kFailure;
  d.minor = static_cast<uint32_t>(Minor::kInternal);
  return d;
}

absl::Status Make(ErrorKind kind, uint32_t minor, int errno_value,
                  absl::string_view message) {
  absl::Status status(CodeFor(kind, errno_value), message);
  status.SetPayload(kErrorPayloadUrl, EncodePayload(kind, minor, errno_value));
  return status;
}

absl::string_view DescribeMinor(Minor minor) {
  switch (minor) {
    case Minor::kNone: return "No further information.";
    case Minor::kNoContextHandle: return "There is no security context.";
    case Minor::kContextDeleted:
      return "The security context was deleted.";
    case Minor::kContextExported:
      return "The security context was exported; this handle no longer "
             "refers to it.";
    case Minor::kContextNotEstablished:
      return "The security context is not fully established yet.";
    case Minor::kContextAlreadyEstablished:
      return "The security context is already established.";
    case Minor::kHandshakeFailed:
      return "An earlier step of this context's handshake failed.";
    case Minor::kContextNotTransferable:
      return "The security context was made non-transferable.";
    case Minor::kSequenceExhausted:
      return "The context's sequence numbers are exhausted.";
    case Minor::kLifetimeExpired:
      return "The lifetime has expired.";
    case Minor::kTokenMalformed:
      return "The token is malformed or truncated.";
    case Minor::kWrongMechanism:
      return "The token belongs to another mechanism.";
    case Minor::kWrongTokenType:
      return "The token is of the wrong type for this step.";
    case Minor::kHandshakeDecryptFailed:
      return "The handshake token could not be decrypted: it was altered, "
             "or it is addressed to a key this party does not hold.";
    case Minor::kPayloadMalformed:
      return "The handshake payload is malformed.";
    case Minor::kUnknownTarget:
      return "The target name has no public key in the trust file.";
    case Minor::kUntrustedInitiator:
      return "The initiator's name and key are not in the trust file.";
    case Minor::kTargetNameMismatch:
      return "The acceptor's identity is not the target name.";
    case Minor::kChannelBindingsMismatch:
      return "The channel bindings of the two parties differ.";
    case Minor::kCredentialUsage:
      return "The credential may not be used for this operation.";
    case Minor::kRequiredServicesMissing:
      return "The context lacks services this party requires (replay or "
             "sequence detection, confidentiality, integrity).";
    case Minor::kMessageAuthFailed:
      return "The per-message token failed to verify.";
    case Minor::kWrongDirection:
      return "The per-message token was sent by this party, not its peer.";
    case Minor::kUnsupportedQop:
      return "Only the default quality of protection (0) is supported.";
    case Minor::kMessageTooLarge:
      return "The message is too large.";
    case Minor::kNameMalformed: return "The name is malformed.";
    case Minor::kNameTypeUnsupported:
      return "The name type is not supported.";
    case Minor::kNameNotMechanismName:
      return "The name is not a mechanism name (canonicalize it first).";
    case Minor::kExportedNameMalformed:
      return "The exported name token is malformed.";
    case Minor::kNameEmpty: return "The name is empty.";
    case Minor::kOidMalformed: return "The object identifier is malformed.";
    case Minor::kNoKeytab:
      return "No keytab was given and GSSX_KEYTAB is not set.";
    case Minor::kKeytabUnreadable: return "The keytab cannot be read.";
    case Minor::kKeytabInsecure:
      return "The keytab is not safe: accessible by group or others (mode "
             "must be 0600 or stricter), owned by another user, or in a "
             "directory another user can change.";
    case Minor::kKeytabMalformed: return "The keytab is malformed.";
    case Minor::kIdentityNotFound:
      return "The keytab holds no identity of that name.";
    case Minor::kDuplicateIdentity:
      return "That identity is already present.";
    case Minor::kTrustUnreadable: return "The trust file cannot be read.";
    case Minor::kTrustInsecure:
      return "The trust file is not safe: writable by group or others, "
             "owned by another user, or in a directory another user can "
             "change.";
    case Minor::kTrustMalformed: return "The trust file is malformed.";
    case Minor::kNoIdentity: return "The keytab holds no identity.";
    case Minor::kExportTokenMalformed:
      return "The exported context token is malformed or truncated.";
    case Minor::kExportTokenVersion:
      return "The exported context token has an unsupported version.";
    case Minor::kExportTokenChecksum:
      return "The exported context token is corrupted (checksum).";
    case Minor::kOsError: return "A system call failed.";
    case Minor::kInternal: return "Internal error.";
    case Minor::kBadArgument: return "An argument is invalid.";
    case Minor::kNotSupported:
      return "The gssx mechanism does not support this request.";
    case Minor::kCredStoreKeyUnknown:
      return "The credential store has a key other than \"keytab\" and "
             "\"trust\".";
    case Minor::kNoLocalAccount:
      return "No local account has the name's identity.";
    case Minor::kUpgradeRefused:
      return "The other binary refused the live upgrade.";
    case Minor::kNotUpgrading:
      return "This process was not started as a live upgrade's successor "
             "(GSSX_UPGRADE_FD is not set).";
    case Minor::kUpgradeFailed:
      return "An earlier step of this live upgrade failed: commit or abort "
             "it to get every session back.";
  }
  return "";
}

}  // namespace

absl::Status MakeError(ErrorKind kind, Minor minor,
                       absl::string_view message) {
  return Make(kind, static_cast<uint32_t>(minor), 0, message);
}

absl::Status OsError(int errno_value, absl::string_view call) {
  return Make(ErrorKind::kFailure, static_cast<uint32_t>(Minor::kOsError),
              errno_value,
              absl::StrCat(call, ": ", std::strerror(errno_value)));
}

ErrorKind KindOf(const absl::Status& status) { return Decode(status).kind; }

uint32_t MinorOf(const absl::Status& status) { return Decode(status).minor; }

int ErrnoOf(const absl::Status& status) { return Decode(status).errno_value; }

absl::Status ToGssxStatus(const absl::Status& status) {
  if (status.ok() || DecodePayload(status).has_value()) return status;
  const Decoded d = Decode(status);
  absl::Status out = Make(d.kind, d.minor, d.errno_value, status.message());
  // A transport status keeps its own payload too, so that
  // transport::KindOf / IsError still read it after the conversion.
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) {
        if (url != kErrorPayloadUrl) out.SetPayload(url, payload);
      });
  return out;
}

uint32_t GssMajorStatus(const absl::Status& status,
                        SupplementaryBits supplementary) {
  return (static_cast<uint32_t>(KindOf(status)) << 16) |
         (supplementary & 0xffff);
}

uint32_t GssMinorStatus(const absl::Status& status) {
  const Decoded d = Decode(status);
  // The errno is the minor code only for OS failures; elsewhere (e.g. the
  // latch's EPERM behind "already imported") the specific minor says more.
  if (d.errno_value != 0 && (d.minor == 0 || d.kind == ErrorKind::kFailure)) {
    return static_cast<uint32_t>(d.errno_value);
  }
  return d.minor;
}

std::string DescribeMinorStatus(uint32_t minor) {
  if (minor == 0) return "No further information.";
  if (minor > kMinorBase && minor < kTransportMinorBase) {
    absl::string_view text = DescribeMinor(static_cast<Minor>(minor));
    if (!text.empty()) return std::string(text);
  }
  if (minor > kTransportMinorBase && minor < kTransportMinorBase + 0x100) {
    const auto kind =
        static_cast<transport::ErrorKind>(minor - kTransportMinorBase);
    if (kind == transport::ErrorKind::kAlreadyConsumed) {
      return "The context token was already imported elsewhere.";
    }
    return absl::StrCat("Context transfer failed: ",
                        transport::ErrorKindName(kind), ".");
  }
  if (minor < 4096) return std::strerror(static_cast<int>(minor));
  return absl::StrCat("Unknown gssx minor status ", minor, ".");
}

absl::string_view DescribeErrorKind(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone: return "The routine completed successfully";
    case ErrorKind::kBadMech:
      return "An unsupported mechanism was requested";
    case ErrorKind::kBadName: return "An invalid name was supplied";
    case ErrorKind::kBadNameType:
      return "A supplied name was of an unsupported type";
    case ErrorKind::kBadBindings:
      return "Incorrect channel bindings were supplied";
    case ErrorKind::kBadStatus: return "An invalid status code was supplied";
    case ErrorKind::kBadMic:
      return "A token had an invalid MIC";
    case ErrorKind::kNoCred:
      return "No credentials were supplied, or the credentials were "
             "unavailable or inaccessible";
    case ErrorKind::kNoContext: return "No context has been established";
    case ErrorKind::kDefectiveToken: return "A token was invalid";
    case ErrorKind::kDefectiveCredential: return "A credential was invalid";
    case ErrorKind::kCredentialsExpired:
      return "The referenced credentials have expired";
    case ErrorKind::kContextExpired: return "The context has expired";
    case ErrorKind::kFailure: return "Unspecified GSS failure";
    case ErrorKind::kBadQop:
      return "The quality-of-protection requested could not be provided";
    case ErrorKind::kUnauthorized:
      return "The operation is forbidden by local security policy";
    case ErrorKind::kUnavailable:
      return "The operation or option is unavailable";
    case ErrorKind::kDuplicateElement:
      return "The requested credential element already exists";
    case ErrorKind::kNameNotMn:
      return "The provided name was not a mechanism name";
  }
  return "Unknown routine error";
}

absl::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone: return "none";
    case ErrorKind::kBadMech: return "bad-mech";
    case ErrorKind::kBadName: return "bad-name";
    case ErrorKind::kBadNameType: return "bad-name-type";
    case ErrorKind::kBadBindings: return "bad-bindings";
    case ErrorKind::kBadStatus: return "bad-status";
    case ErrorKind::kBadMic: return "bad-mic";
    case ErrorKind::kNoCred: return "no-cred";
    case ErrorKind::kNoContext: return "no-context";
    case ErrorKind::kDefectiveToken: return "defective-token";
    case ErrorKind::kDefectiveCredential: return "defective-credential";
    case ErrorKind::kCredentialsExpired: return "credentials-expired";
    case ErrorKind::kContextExpired: return "context-expired";
    case ErrorKind::kFailure: return "failure";
    case ErrorKind::kBadQop: return "bad-qop";
    case ErrorKind::kUnauthorized: return "unauthorized";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kDuplicateElement: return "duplicate-element";
    case ErrorKind::kNameNotMn: return "name-not-mn";
  }
  return "unknown";
}

std::string StatusText(const absl::Status& status) {
  if (status.ok()) return "OK";
  if (!DecodePayload(status).has_value()) {
    return transport::StatusText(status);
  }
  std::string text(status.message());
  std::string tag(ErrorKindName(KindOf(status)));
  const uint32_t minor = GssMinorStatus(status);
  if (minor != 0) {
    const std::string why = DescribeMinorStatus(minor);
    if (!absl::StrContains(text, why)) absl::StrAppend(&tag, ": ", why);
  }
  if (text.empty()) return tag;
  absl::StrAppend(&text, " (", tag, ")");
  return text;
}

}  // namespace gssx
