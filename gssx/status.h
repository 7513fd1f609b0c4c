// SPDX-License-Identifier: Apache-2.0
// gssx error kinds and GSS-API status codes: what every gssx call returns
// inside an absl::Status, and how the C ABI turns it into (major, minor).
//
//   absl::StatusOr<Context::HandshakeStep> r = Context::Accept(cred, token);
//   if (!r.ok()) {
//     if (KindOf(r.status()) == ErrorKind::kBadBindings) { ... }
//     OM_uint32 major = GssMajorStatus(r.status());   // e.g. GSS_S_BAD_BINDINGS
//     OM_uint32 minor = GssMinorStatus(r.status());   // kChannelBindingsMismatch
//     std::string text = DescribeMinorStatus(minor);  // a sentence
//   }
//
// Every non-OK status made by gssx carries a payload (type URL
// kErrorPayloadUrl) with three numbers:
//   - an ErrorKind: the GSS-API routine error (RFC 2744 §3.9.1). Its value
//     is the routine-error number itself, so the C major status is
//     `kind << 16` (GSS_C_ROUTINE_ERROR_OFFSET), see GssMajorStatus();
//   - a minor code (enum Minor, or a transport error kind mapped into
//     kTransportMinorBase + kind) saying precisely what went wrong;
//   - the errno of an OS failure (kFailure), or 0.
// The absl::StatusCode is chosen for C++ callers who look only at it (see
// CodeFor in status.cc); the payload is authoritative.
//
// Supplementary information (RFC 2743 §1.2.1.1) is not an error: per-message
// calls that succeed return those bits beside their result (kDuplicateToken
// etc. below), and the C ABI ORs them into the major status.
//
// Statuses from //transport (transport/base/errors.h) are understood too:
// KindOf() and friends map them as the table in docs/design.md "Status
// codes" says (an already-consumed token is kNoContext with minor "already
// imported", a refused peer is kUnauthorized, an OS failure is kFailure with
// its errno).
// A status with no payload at all (a bug) reads as kFailure / kInternal.
#ifndef GSSX_STATUS_H_
#define GSSX_STATUS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gssx {

// GSS-API routine errors, numbered as in RFC 2744 (GSS_S_BAD_MECH is 1 <<
// 16, so kBadMech is 1, and so on). The C ABI's major status is
// `static_cast<uint32_t>(kind) << 16`.
enum class ErrorKind : uint32_t {
  kNone = 0,                  // GSS_S_COMPLETE (an OK status)
  kBadMech = 1,               // unsupported mechanism / token of another mech
  kBadName = 2,               // invalid or unusable name
  kBadNameType = 3,           // unsupported name type
  kBadBindings = 4,           // channel bindings mismatch
  kBadStatus = 5,             // invalid status code (gss_display_status)
  kBadMic = 6,                // GSS_S_BAD_SIG: a MIC / wrap token failed to verify
  kNoCred = 7,                // no usable credentials
  kNoContext = 8,             // no context: empty, deleted or exported handle
  kDefectiveToken = 9,        // malformed or undecryptable token
  kDefectiveCredential = 10,  // malformed keytab / trust file
  kCredentialsExpired = 11,
  kContextExpired = 12,
  kFailure = 13,              // anything else; OS failures (errno in minor)
  kBadQop = 14,               // unsupported quality of protection
  kUnauthorized = 15,         // refused by policy (untrusted peer)
  kUnavailable = 16,          // operation not available (e.g. export of a
                              // non-transferable context)
  kDuplicateElement = 17,     // the element already exists
  kNameNotMn = 18,            // the name is not a mechanism name
};

// Supplementary status bits (RFC 2744 values, GSS_C_SUPPLEMENTARY_OFFSET 0),
// returned beside a successful VerifyMic / Unwrap. A bitmask of these.
using SupplementaryBits = uint32_t;
inline constexpr SupplementaryBits kContinueNeeded = 1u << 0;
// The token is authentic but was already processed (a replay).
inline constexpr SupplementaryBits kDuplicateToken = 1u << 1;
// The token is authentic but too old to be checked for duplication.
inline constexpr SupplementaryBits kOldToken = 1u << 2;
// The token is authentic but a later one was already processed.
inline constexpr SupplementaryBits kUnseqToken = 1u << 3;
// The token is authentic but earlier ones were skipped.
inline constexpr SupplementaryBits kGapToken = 1u << 4;

// Minor codes of gssx itself. They start at kMinorBase, far above any errno
// (OS failures carry the errno itself as minor), and never change value.
inline constexpr uint32_t kMinorBase = 0x67737800;  // "gsx\0"
// Transport error kinds (transport/base/errors.h) become
// kTransportMinorBase + static_cast<uint32_t>(transport::ErrorKind).
inline constexpr uint32_t kTransportMinorBase = 0x67737900;

enum class Minor : uint32_t {
  kNone = 0,
  // Contexts.
  kNoContextHandle = kMinorBase + 1,  // never created, or moved from
  kContextDeleted = kMinorBase + 2,
  kContextExported = kMinorBase + 3,
  kContextNotEstablished = kMinorBase + 4,
  kContextAlreadyEstablished = kMinorBase + 5,
  kHandshakeFailed = kMinorBase + 6,  // an earlier handshake step failed
  kContextNotTransferable = kMinorBase + 7,
  kSequenceExhausted = kMinorBase + 8,
  kLifetimeExpired = kMinorBase + 9,
  // Context tokens.
  kTokenMalformed = kMinorBase + 20,   // framing / length / structure
  kWrongMechanism = kMinorBase + 21,   // the token names another mechanism
  kWrongTokenType = kMinorBase + 22,   // e.g. an accept token to an acceptor
  kHandshakeDecryptFailed = kMinorBase + 23,  // altered, or for another key
  kPayloadMalformed = kMinorBase + 24,
  kUnknownTarget = kMinorBase + 25,       // target not in the trust file
  kUntrustedInitiator = kMinorBase + 26,  // initiator not in the trust file
  kTargetNameMismatch = kMinorBase + 27,
  kChannelBindingsMismatch = kMinorBase + 28,
  kCredentialUsage = kMinorBase + 29,  // credential not usable this way
  kRequiredServicesMissing = kMinorBase + 30,  // e.g. no replay detection
  // Per-message tokens.
  kMessageAuthFailed = kMinorBase + 40,
  kWrongDirection = kMinorBase + 41,  // our own token reflected back
  kUnsupportedQop = kMinorBase + 42,
  kMessageTooLarge = kMinorBase + 43,
  // Names and OIDs.
  kNameMalformed = kMinorBase + 60,
  kNameTypeUnsupported = kMinorBase + 61,
  kNameNotMechanismName = kMinorBase + 62,
  kExportedNameMalformed = kMinorBase + 63,
  kNameEmpty = kMinorBase + 64,
  kOidMalformed = kMinorBase + 65,
  // Credentials.
  kNoKeytab = kMinorBase + 80,         // no path given and GSSX_KEYTAB unset
  kKeytabUnreadable = kMinorBase + 81,
  kKeytabInsecure = kMinorBase + 82,   // group/world-accessible, not ours
  kKeytabMalformed = kMinorBase + 83,
  kIdentityNotFound = kMinorBase + 84,
  kDuplicateIdentity = kMinorBase + 85,
  kTrustUnreadable = kMinorBase + 86,
  kTrustInsecure = kMinorBase + 87,    // group/world-writable, not ours
  kTrustMalformed = kMinorBase + 88,
  kNoIdentity = kMinorBase + 89,       // the keytab holds no identity
  // Export tokens.
  kExportTokenMalformed = kMinorBase + 100,
  kExportTokenVersion = kMinorBase + 101,
  kExportTokenChecksum = kMinorBase + 102,
  // Other.
  kOsError = kMinorBase + 120,  // (never a minor status: the errno is)
  kInternal = kMinorBase + 121,
  kBadArgument = kMinorBase + 122,
  // The C ABI's MIT extensions (gssx/capi).
  kNotSupported = kMinorBase + 123,         // a request gssx has no use for
  kCredStoreKeyUnknown = kMinorBase + 124,  // not "keytab" / "trust"
  kNoLocalAccount = kMinorBase + 125,       // gss_localname, gss_pname_to_uid
  // Live upgrade through the C ABI (gssx/capi, <gssx/live_upgrade.h>).
  kUpgradeRefused = kMinorBase + 126,  // the new binary refused the upgrade
  kNotUpgrading = kMinorBase + 127,    // no inherited upgrade channel
  kUpgradeFailed = kMinorBase + 128,   // an earlier step failed; commit/abort
};

inline constexpr absl::string_view kErrorPayloadUrl =
    "type.gssx.dev/gssx.Error";

// A status of `kind` with minor code `minor`.
absl::Status MakeError(ErrorKind kind, Minor minor, absl::string_view message);
// A kFailure status for a failed system call ("<call>: <strerror>"),
// carrying `errno_value`.
absl::Status OsError(int errno_value, absl::string_view call);

// The kind a status carries: kNone for OK, the mapped kind for a transport
// status, kFailure for any other status without a gssx payload.
ErrorKind KindOf(const absl::Status& status);
// The minor code (a Minor value or kTransportMinorBase + transport kind);
// 0 for OK.
uint32_t MinorOf(const absl::Status& status);
// The errno behind an OS failure, or 0.
int ErrnoOf(const absl::Status& status);

// Converts any status to one carrying a gssx payload (OK stays OK, a gssx
// status is returned unchanged, a transport status is mapped, anything else
// becomes kFailure / kInternal with the original message). The original's
// payloads are kept: a converted transport status still answers
// transport::KindOf / IsError. gssx's one conversion point for statuses
// of the layers below (transport, libsodium, Noise's resource errors).
absl::Status ToGssxStatus(const absl::Status& status);

// The RFC 2744 major status: routine error | supplementary bits (calling
// errors are the C ABI's own business).
uint32_t GssMajorStatus(const absl::Status& status,
                        SupplementaryBits supplementary = 0);
// The RFC 2744 minor status: the errno for an OS failure, else MinorOf().
uint32_t GssMinorStatus(const absl::Status& status);

// A sentence for a minor status (gss_display_status with GSS_C_MECH_CODE):
// gssx minor codes, transport codes, and errno values (strerror).
std::string DescribeMinorStatus(uint32_t minor);
// A sentence for a routine error (gss_display_status with GSS_C_GSS_CODE).
absl::string_view DescribeErrorKind(ErrorKind kind);
// A short stable name ("defective-token"), for logs and tests.
absl::string_view ErrorKindName(ErrorKind kind);

// A status as a user-facing line: its message and, in parentheses, the
// kind's stable name and the minor status in words (unless the message
// already says it). Transport statuses as transport::StatusText; others
// with their absl code name. Never the payload bytes that
// absl::Status::ToString() prints.
//   "gssx: keytab /x: ... (no-cred: The keytab cannot be read.)"
std::string StatusText(const absl::Status& status);

}  // namespace gssx

#endif  // GSSX_STATUS_H_
