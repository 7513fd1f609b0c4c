// SPDX-License-Identifier: Apache-2.0
// The system's MIT Kerberos GSS-API (libgssapi_krb5), held the gssx way:
// contexts owned by a move-only handle, MIT's status pairs turned into
// absl::Status with MIT's own words, and export tokens kept in locked
// memory.
//
//   MitContext ctx = ...;                     // from gss_accept_sec_context
//   absl::StatusOr<std::vector<uint8_t>> wrapped = ctx.Wrap(bytes);
//   absl::StatusOr<transport::SecretBuffer> token = ExportMitContext(ctx);
//   absl::StatusOr<MitContext> back = ImportMitContext(token->span());
//
// This file links MIT's gss_* symbols. gssx's own C ABI (libgssx.so,
// //gssx/capi) defines the same names; a program links one or the other,
// never both (//gssx/krb5_bridge:symbol_separation_test checks the bridge).
//
// What gssx protects and what it cannot: the export token is copied out
// of the buffer MIT returns into locked memory and that buffer is wiped
// before it is released; in transit the token is ciphertext in a sealed
// memfd (bridge.h). MIT itself keeps its live contexts — session keys
// included — in ordinary heap memory, and gss_export_sec_context frees an
// intermediate serialized copy without wiping it: both are outside gssx's
// control.
//
// Thread safety: a MitContext is used by one thread at a time (MIT's
// contexts are not safe for concurrent use); distinct contexts are
// independent.
#ifndef GSSX_KRB5_BRIDGE_MIT_CONTEXT_H_
#define GSSX_KRB5_BRIDGE_MIT_CONTEXT_H_

#include <gssapi/gssapi.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "transport/base/secret_buffer.h"

namespace gssx::krb5 {

// The per-message services a context must have to be accepted and to be
// handed off (bridge.h): replay and sequence detection (a message seen
// before, or out of order, is refused), confidentiality, integrity.
inline constexpr OM_uint32 kRequiredServices = GSS_C_REPLAY_FLAG |
                                               GSS_C_SEQUENCE_FLAG |
                                               GSS_C_CONF_FLAG |
                                               GSS_C_INTEG_FLAG;

// MIT's (major, minor) pair, as carried by the statuses made here.
struct MitCodes {
  OM_uint32 major = 0;
  OM_uint32 minor = 0;
};

inline constexpr absl::string_view kMitPayloadUrl =
    "type.gssx.dev/gssx.krb5.MitStatus";

// A status for a failed MIT call: "<call>: <major text>: <minor text>",
// with the codes attached. Canonical code by routine error: NO_CONTEXT,
// CONTEXT_EXPIRED, CREDENTIALS_EXPIRED → FailedPrecondition; NO_CRED,
// DEFECTIVE_CREDENTIAL → Unauthenticated; BAD_MECH, UNAVAILABLE →
// Unimplemented; FAILURE → Internal; other errors and the replay /
// sequence supplementary bits → InvalidArgument.
absl::Status MitStatus(absl::string_view call, OM_uint32 major,
                       OM_uint32 minor);
// The codes a status carries (none for OK or a status not made here).
std::optional<MitCodes> MitCodesOf(const absl::Status& status);

// Copies a buffer MIT allocated (a token, a wrapped message) and releases
// it with gss_release_buffer. Not for secrets: see ExportMitContext.
std::vector<uint8_t> TakeGssBuffer(gss_buffer_desc* buffer);

// Owns one MIT context handle: gss_delete_sec_context on destruction.
class MitContext {
 public:
  MitContext() = default;
  explicit MitContext(gss_ctx_id_t handle) : handle_(handle) {}
  MitContext(MitContext&& other) noexcept : handle_(other.release()) {}
  MitContext& operator=(MitContext&& other) noexcept;
  MitContext(const MitContext&) = delete;
  MitContext& operator=(const MitContext&) = delete;
  ~MitContext() { Reset(); }

  bool valid() const { return handle_ != GSS_C_NO_CONTEXT; }
  gss_ctx_id_t get() const { return handle_; }
  // For MIT calls that create or update the handle in place
  // (gss_init_sec_context, gss_accept_sec_context).
  gss_ctx_id_t* out() { return &handle_; }
  gss_ctx_id_t release() {
    gss_ctx_id_t h = handle_;
    handle_ = GSS_C_NO_CONTEXT;
    return h;
  }
  void Reset();

  // gss_wrap with confidentiality (required: an error if MIT could not
  // encrypt) and default QOP.
  // (Not const: both advance the context's sequence state.)
  absl::StatusOr<std::vector<uint8_t>> Wrap(absl::Span<const uint8_t> message);
  // gss_unwrap. Besides errors, the supplementary replay and sequence
  // answers (duplicate, old, unseq, gap) are errors here: a message seen
  // before is never handed to the caller.
  absl::StatusOr<std::vector<uint8_t>> Unwrap(absl::Span<const uint8_t> wrapped);

  struct Info {
    bool krb5 = false;           // mechanism is Kerberos 5
    bool open = false;           // fully established
    bool locally_initiated = false;
    OM_uint32 flags = 0;         // GSS_C_*_FLAG
    OM_uint32 lifetime = 0;      // seconds
  };
  // gss_inquire_context.
  absl::StatusOr<Info> Inquire() const;

 private:
  gss_ctx_id_t handle_ = GSS_C_NO_CONTEXT;
};

// gss_export_sec_context into locked memory. The buffer MIT hands out is
// wiped before it is released (MIT builds it from an internal serialized
// copy, which it frees without wiping: see "What gssx protects" above).
// OK: `ctx` is empty (MIT deactivates an exported context). Error: `ctx`
// as MIT left it — still valid, unless MIT had to delete the context
// (then empty). If no locked memory is left for the copy, the context is
// re-imported into `ctx` and the error says so (or that it is lost).
absl::StatusOr<transport::SecretBuffer> ExportMitContext(MitContext& ctx);

// gss_import_sec_context. MIT accepts the same token any number of times
// (each import is a full live copy of the context): single import is what
// the transport's latch adds (bridge.h).
absl::StatusOr<MitContext> ImportMitContext(absl::Span<const uint8_t> token);

}  // namespace gssx::krb5

#endif  // GSSX_KRB5_BRIDGE_MIT_CONTEXT_H_
