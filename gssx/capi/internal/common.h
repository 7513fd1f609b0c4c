// SPDX-License-Identifier: Apache-2.0
// What every RFC 2744 entry point of //gssx/capi shares: the one
// Status -> (major, minor) translation, the exception barrier, buffers,
// OIDs and OID sets in their C form, and the live-handle tables.
// Internal to //gssx/capi.
//
//   extern "C" OM_uint32 gss_foo(OM_uint32* minor_status, gss_name_t name,
//                                gss_buffer_t out) {
//     ClearOutputs(out);
//     return Entry(minor_status, [&]() -> OM_uint32 {
//       if (out == nullptr) return CallingError(minor_status,
//                                               GSS_S_CALL_INACCESSIBLE_WRITE);
//       absl::StatusOr<std::shared_ptr<const Name>> n = FindName(name);
//       if (!n.ok()) return Translate(n.status(), minor_status);
//       ...
//       return Translate(absl::OkStatus(), minor_status);
//     });
//   }
//
// Rules kept by every entry point: every output is emptied on entry, before
// anything can fail (ClearOutputs, as MIT krb5 does), and filled only on
// success; *minor_status is always written; nothing throws across
// extern "C" (Entry catches everything, std::bad_alloc becoming
// GSS_S_FAILURE with ENOMEM).
#ifndef GSSX_CAPI_INTERNAL_COMMON_H_
#define GSSX_CAPI_INTERNAL_COMMON_H_

#include <gssapi/gssapi.h>
#include <gssx/gssx.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gssx/capi/internal/handle_table.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/name.h"
#include "gssx/oid.h"
#include "gssx/status.h"
#include "transport/channel.h"
#include "transport/base/secret_buffer.h"

namespace gssx::capi_internal {

// ------------------------------------------------------------ status

// THE translation of a gssx (or transport) status to RFC 2744: writes the
// minor status (the errno for an OS failure, else the gssx minor code; 0
// for OK) and returns the major status with `supplementary` ORed in.
OM_uint32 Translate(const absl::Status& status, OM_uint32* minor_status,
                    SupplementaryBits supplementary = 0);

// The detail of this thread's last error whose minor status was `minor`
// (the message of the status Translate turned into it, without the
// "gssx: " prefix), if this thread returned that code recently:
// gss_display_status appends it to the code's description, as MIT keeps a
// thread's last error message per code. Translate records it.
std::optional<std::string> MinorDetail(OM_uint32 minor);

// A calling error (GSS_S_CALL_*): minor status 0.
OM_uint32 CallingError(OM_uint32* minor_status, OM_uint32 calling_error);

// A status of `kind` / `minor` made at the C edge.
absl::Status Error(ErrorKind kind, Minor minor, absl::string_view message);

// Runs `body` with the exception barrier. minor_status must not be NULL
// (GSS_S_CALL_INACCESSIBLE_WRITE otherwise); it is set to 0 first.
template <typename Body>
OM_uint32 Entry(OM_uint32* minor_status, Body&& body) noexcept {
  if (minor_status == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor_status = 0;
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Translate(OsError(ENOMEM, "allocation"), minor_status);
  } catch (...) {
    return Translate(Error(ErrorKind::kFailure, Minor::kInternal,
                           "unexpected exception"),
                     minor_status);
  }
}

// ------------------------------------------------------------ outputs

// Outputs set on entry. Each entry point's first statement empties every
// output it has, where the pointer is not NULL, before Entry and before any
// check that can fail (a NULL minor_status included), so a caller may
// release every output after any error, as MIT krb5 allows: buffers become
// GSS_C_EMPTY_BUFFER, names / credentials GSS_C_NO_NAME /
// GSS_C_NO_CREDENTIAL, OIDs GSS_C_NO_OID, OID sets and buffer sets NULL,
// flags, times, conf_state, qop, cred_usage and booleans 0.
//
// Context handles have no ClearOutput overload on purpose: most are
// input/output handles that the caller owns (gss_init_sec_context,
// gss_delete_sec_context, gss_export_sec_context...), which must never be
// cleared; the output-only ones (the import calls) use ClearNewContext.
// Likewise a uid or an fd is not cleared to 0 (root; stdin): see
// gss_pname_to_uid and gssx_export_sec_context_fd.
inline void ClearOutput(gss_buffer_t out) noexcept {
  if (out != GSS_C_NO_BUFFER) {
    out->length = 0;
    out->value = nullptr;
  }
}
inline void ClearOutput(gss_name_t* out) noexcept {
  if (out != nullptr) *out = GSS_C_NO_NAME;
}
inline void ClearOutput(gss_cred_id_t* out) noexcept {
  if (out != nullptr) *out = GSS_C_NO_CREDENTIAL;
}
inline void ClearOutput(gss_OID* out) noexcept {
  if (out != nullptr) *out = GSS_C_NO_OID;
}
inline void ClearOutput(gss_OID_set* out) noexcept {
  if (out != nullptr) *out = GSS_C_NO_OID_SET;
}
inline void ClearOutput(gss_buffer_set_t* out) noexcept {
  if (out != nullptr) *out = GSS_C_NO_BUFFER_SET;
}
inline void ClearOutput(OM_uint32* out) noexcept {  // flags, times, qop
  if (out != nullptr) *out = 0;
}
inline void ClearOutput(int* out) noexcept {  // conf_state, cred_usage, ...
  if (out != nullptr) *out = 0;
}
template <typename... Outputs>
void ClearOutputs(Outputs... outputs) noexcept {
  (ClearOutput(outputs), ...);
}
// An output-only context handle (gss_import_sec_context and friends).
inline void ClearNewContext(gss_ctx_id_t* out) noexcept {
  if (out != nullptr) *out = GSS_C_NO_CONTEXT;
}

// ------------------------------------------------------------ buffers

// Reads an input buffer. False (a calling error for the caller to report)
// if `buffer` is NULL and not `optional`, or has a length but no value.
// NULL and optional reads as empty.
bool ReadBuffer(const gss_buffer_desc* buffer, bool optional,
                absl::Span<const uint8_t>* out);

// Fills an output buffer with a malloc()ed copy of `bytes`, NUL-terminated
// (the NUL not counted in length): strings are directly printable. Empty
// `bytes` as a token (`as_string` false): {0, NULL}. kFailure / ENOMEM.
absl::Status SetBuffer(gss_buffer_t out, absl::Span<const uint8_t> bytes,
                       bool as_string);
absl::Status SetString(gss_buffer_t out, absl::string_view text);

// Hands out `secret` (locked memory) as `out`; gss_release_buffer wipes and
// frees it. Consumes `secret`.
void SetSecretBuffer(gss_buffer_t out, transport::SecretBuffer secret);

// gss_release_buffer's work: wipes and frees a secret buffer, frees any
// other, and empties `buffer`.
void ReleaseBuffer(gss_buffer_t buffer);

// ------------------------------------------------------------ OIDs

// The static descriptors behind the GSS_C_NT_* constants and
// GSS_GSSX_MECHANISM; the library only ever returns these as gss_OID.
gss_OID StaticMechanismOid();
gss_OID StaticOidFor(const Oid& oid);  // nullptr if not one of ours
bool IsStaticOid(const gss_OID_desc* oid);

// Reads a C OID. False if it has a length but no elements (or absurd
// length). GSS_C_NO_OID reads as the empty Oid.
bool ReadOid(const gss_OID_desc* oid, Oid* out);
// Whether a C OID (not NULL) holds exactly `oid`'s bytes.
bool OidEquals(const gss_OID_desc* a, const Oid& b);
// GSS_C_NO_OID or the gssx mechanism.
bool IsOurMechanism(const gss_OID_desc* mech);

// A malloc()ed OID set holding copies of `oids` (gss_release_oid_set frees
// it). nullptr when memory runs out.
gss_OID_set NewOidSet(std::initializer_list<const Oid*> oids);
// Appends a copy of `member` unless present. kFailure / ENOMEM.
absl::Status AddToOidSet(gss_OID_set set, absl::Span<const uint8_t> member);
bool OidSetContains(const gss_OID_set_desc* set, const Oid& oid);
// A malloc()ed copy of one OID (gss_str_to_oid), tracked so that
// gss_release_oid frees only what it made.
gss_OID NewTrackedOid(const Oid& oid);
// True if `oid` was made by NewTrackedOid and is now freed.
bool ReleaseTrackedOid(gss_OID oid);

// ------------------------------------------------------------ handles

struct ContextEntry {
  absl::Mutex mu;
  Context context ABSL_GUARDED_BY(mu);
};

struct ChannelEntry {
  explicit ChannelEntry(transport::Channel c) : channel(std::move(c)) {}
  absl::Mutex mu;
  transport::Channel channel ABSL_GUARDED_BY(mu);
};

HandleTable<ContextEntry>& Contexts();
HandleTable<const Credentials>& Creds();
HandleTable<const Name>& Names();
HandleTable<ChannelEntry>& Channels();

// Looks up a handle; the error is the RFC 2744 one for a handle that is not
// live (GSS_S_NO_CONTEXT, GSS_S_NO_CRED, GSS_S_BAD_NAME).
absl::StatusOr<std::shared_ptr<ContextEntry>> FindContext(gss_ctx_id_t h);
absl::StatusOr<std::shared_ptr<const Credentials>> FindCred(gss_cred_id_t h);
absl::StatusOr<std::shared_ptr<const Name>> FindName(gss_name_t h);

// The credential of `h`, or for GSS_C_NO_CREDENTIAL the default one,
// acquired now from $GSSX_KEYTAB / $GSSX_TRUST for `usage` (credentials.cc).
absl::StatusOr<std::shared_ptr<const Credentials>> CredOrDefault(
    gss_cred_id_t h, CredentialUsage usage);

// Registers a new live object and returns its C handle.
gss_ctx_id_t NewContextHandle(Context context);
gss_name_t NewNameHandle(Name name);
gss_cred_id_t NewCredHandle(Credentials cred);

// ------------------------------------------------------------ time

// Seconds from now until `expiry`, rounded up, as RFC 2744 reports
// lifetimes: GSS_C_INDEFINITE for absl::InfiniteFuture(), 0 if past.
OM_uint32 SecondsUntil(absl::Time expiry);
// A requested lifetime (time_req): 0 and GSS_C_INDEFINITE mean "as long as
// possible" (zero duration).
absl::Duration RequestedLifetime(OM_uint32 time_req);

// ------------------------------------------------------------ byte tokens

// Records that a gss_export_sec_context byte token was imported in this
// process. kNoContext (minor: already imported) if it already was: the
// same token imported twice would give two live copies of one context.
absl::Status ClaimImportedToken(absl::Span<const uint8_t> token);
// Undoes ClaimImportedToken for a token whose import then failed.
void UnclaimImportedToken(absl::Span<const uint8_t> token);
// A new export produced `token`: importing it once more is legitimate.
void ForgetImportedToken(absl::Span<const uint8_t> token);

}  // namespace gssx::capi_internal

#endif  // GSSX_CAPI_INTERNAL_COMMON_H_
