// SPDX-License-Identifier: Apache-2.0
// RFC 2744 security contexts over gssx::Context (gssx/context.h):
// establishment, per-message calls (and their version 1 names), inquiry,
// deletion, and gss_export_sec_context / gss_import_sec_context.
//
// Establishment: the gssx mechanism is one round trip (Noise IK). The
// initiator's first gss_init_sec_context returns GSS_S_CONTINUE_NEEDED and
// the init token; gss_accept_sec_context returns GSS_S_COMPLETE and the
// reply; the initiator's second call takes the reply and returns
// GSS_S_COMPLETE with an empty output token. A failed call creates no
// context; a failed continuation leaves the handle live but empty (it
// answers GSS_S_NO_CONTEXT) until gss_delete_sec_context.
//
// Every context made through this API is transferable (GSS_C_TRANS_FLAG):
// RFC 2744 programs never ask for it, and export is what gssx is for.
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gssx/capi/internal/common.h"
#include "gssx/context.h"
#include "gssx/status.h"

using gssx::ChannelBindings;
using gssx::Context;
using gssx::ContextInfo;
using gssx::CredentialUsage;
using gssx::Credentials;
using gssx::ErrorKind;
using gssx::Minor;
using gssx::Name;
using gssx::SupplementaryBits;
using gssx::capi::internal::CallingError;
using gssx::capi::internal::ClearNewContext;
using gssx::capi::internal::ClearOutputs;
using gssx::capi::internal::ClaimImportedToken;
using gssx::capi::internal::ContextEntry;
using gssx::capi::internal::Contexts;
using gssx::capi::internal::CredOrDefault;
using gssx::capi::internal::Entry;
using gssx::capi::internal::Error;
using gssx::capi::internal::FindContext;
using gssx::capi::internal::FindName;
using gssx::capi::internal::ForgetImportedToken;
using gssx::capi::internal::IsOurMechanism;
using gssx::capi::internal::KeyOf;
using gssx::capi::internal::NewContextHandle;
using gssx::capi::internal::NewNameHandle;
using gssx::capi::internal::ReadBuffer;
using gssx::capi::internal::ReadOid;
using gssx::capi::internal::RequestedLifetime;
using gssx::capi::internal::SecondsUntil;
using gssx::capi::internal::SetBuffer;
using gssx::capi::internal::SetSecretBuffer;
using gssx::capi::internal::StaticMechanismOid;
using gssx::capi::internal::Translate;
using gssx::capi::internal::UnclaimImportedToken;

namespace {

constexpr OM_uint32 kRequestableFlags =
    GSS_C_DELEG_FLAG | GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG |
    GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG |
    GSS_C_ANON_FLAG;

std::vector<uint8_t> Copy(absl::Span<const uint8_t> bytes) {
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

// Reads channel bindings; false if a buffer in them is unreadable.
bool ReadBindings(gss_channel_bindings_t cb,
                  std::optional<ChannelBindings>* out) {
  if (cb == GSS_C_NO_CHANNEL_BINDINGS) {
    out->reset();
    return true;
  }
  absl::Span<const uint8_t> initiator, acceptor, data;
  if (!ReadBuffer(&cb->initiator_address, true, &initiator) ||
      !ReadBuffer(&cb->acceptor_address, true, &acceptor) ||
      !ReadBuffer(&cb->application_data, true, &data)) {
    return false;
  }
  ChannelBindings bindings;
  bindings.initiator_address_type = cb->initiator_addrtype;
  bindings.initiator_address = Copy(initiator);
  bindings.acceptor_address_type = cb->acceptor_addrtype;
  bindings.acceptor_address = Copy(acceptor);
  bindings.application_data = Copy(data);
  *out = std::move(bindings);
  return true;
}

OM_uint32 SecondsOf(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return GSS_C_INDEFINITE;
  if (d <= absl::ZeroDuration()) return 0;
  const int64_t s = absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)));
  if (s >= static_cast<int64_t>(GSS_C_INDEFINITE)) return GSS_C_INDEFINITE - 1;
  return static_cast<OM_uint32>(s);
}

// An empty trust store trusts nobody: a handshake refused for want of
// trust says so, and where the trust was to come from.
absl::Status WithTrustHint(absl::Status status, const Credentials& cred) {
  const uint32_t minor = gssx::MinorOf(status);
  if ((minor != static_cast<uint32_t>(Minor::kUnknownTarget) &&
       minor != static_cast<uint32_t>(Minor::kUntrustedInitiator)) ||
      cred.trust().size() != 0) {
    return status;
  }
  return gssx::MakeError(
      gssx::KindOf(status), static_cast<Minor>(minor),
      absl::StrCat(status.message(),
                   std::getenv("GSSX_TRUST") == nullptr
                       ? "; nobody is trusted: GSSX_TRUST is not set and no "
                         "trust file was given"
                       : "; nobody is trusted: the trust file lists no one"));
}

OM_uint32 AlreadyEstablished(OM_uint32* minor_status) {
  return Translate(Error(ErrorKind::kFailure,
                         Minor::kContextAlreadyEstablished,
                         "gss_accept_sec_context completes in one call; "
                         "this context is already established"),
                   minor_status);
}

// Runs `op(Context&)` on the live context of `handle`, under its lock.
template <typename Op>
OM_uint32 WithContext(OM_uint32* minor_status, gss_ctx_id_t handle, Op op) {
  absl::StatusOr<std::shared_ptr<ContextEntry>> entry = FindContext(handle);
  if (!entry.ok()) return Translate(entry.status(), minor_status);
  absl::MutexLock lock(&(*entry)->mu);
  return op((*entry)->context);
}

OM_uint32 GetMic(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                 gss_qop_t qop_req, const gss_buffer_t message_buffer,
                 gss_buffer_t message_token) {
  ClearOutputs(message_token);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> message;
    if (!ReadBuffer(message_buffer, /*optional=*/false, &message)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (message_token == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    return WithContext(minor_status, context_handle, [&](Context& ctx) {
      absl::StatusOr<std::vector<uint8_t>> mic = ctx.GetMic(message, qop_req);
      if (!mic.ok()) return Translate(mic.status(), minor_status);
      return Translate(SetBuffer(message_token, *mic, false), minor_status);
    });
  });
}

OM_uint32 VerifyMic(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                    const gss_buffer_t message_buffer,
                    const gss_buffer_t token_buffer, gss_qop_t* qop_state) {
  ClearOutputs(qop_state);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> message, token;
    if (!ReadBuffer(message_buffer, /*optional=*/false, &message) ||
        !ReadBuffer(token_buffer, /*optional=*/false, &token)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    return WithContext(minor_status, context_handle, [&](Context& ctx) {
      absl::StatusOr<SupplementaryBits> bits = ctx.VerifyMic(message, token);
      if (!bits.ok()) return Translate(bits.status(), minor_status);
      if (qop_state != nullptr) *qop_state = GSS_C_QOP_DEFAULT;
      return Translate(absl::OkStatus(), minor_status, *bits);
    });
  });
}

OM_uint32 Wrap(OM_uint32* minor_status, gss_ctx_id_t context_handle,
               int conf_req_flag, gss_qop_t qop_req,
               const gss_buffer_t input_message_buffer, int* conf_state,
               gss_buffer_t output_message_buffer) {
  ClearOutputs(conf_state, output_message_buffer);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> message;
    if (!ReadBuffer(input_message_buffer, /*optional=*/false, &message)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (output_message_buffer == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    return WithContext(minor_status, context_handle, [&](Context& ctx) {
      absl::StatusOr<gssx::WrapResult> wrapped =
          ctx.Wrap(message, conf_req_flag != 0, qop_req);
      if (!wrapped.ok()) return Translate(wrapped.status(), minor_status);
      gss_buffer_desc out;
      if (absl::Status s = SetBuffer(&out, wrapped->token, false); !s.ok()) {
        return Translate(s, minor_status);
      }
      *output_message_buffer = out;
      if (conf_state != nullptr) *conf_state = wrapped->confidential ? 1 : 0;
      return Translate(absl::OkStatus(), minor_status);
    });
  });
}

OM_uint32 Unwrap(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                 const gss_buffer_t input_message_buffer,
                 gss_buffer_t output_message_buffer, int* conf_state,
                 gss_qop_t* qop_state) {
  ClearOutputs(output_message_buffer, conf_state, qop_state);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> token;
    if (!ReadBuffer(input_message_buffer, /*optional=*/false, &token)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (output_message_buffer == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    return WithContext(minor_status, context_handle, [&](Context& ctx) {
      absl::StatusOr<gssx::UnwrapResult> opened = ctx.Unwrap(token);
      if (!opened.ok()) return Translate(opened.status(), minor_status);
      // The plaintext goes to the caller as an ordinary buffer (RFC 2744
      // has no other kind), NUL-terminated for convenience.
      gss_buffer_desc out;
      if (absl::Status s = SetBuffer(&out, opened->message, true); !s.ok()) {
        return Translate(s, minor_status);
      }
      *output_message_buffer = out;
      if (conf_state != nullptr) *conf_state = opened->confidential ? 1 : 0;
      if (qop_state != nullptr) *qop_state = GSS_C_QOP_DEFAULT;
      return Translate(absl::OkStatus(), minor_status, opened->supplementary);
    });
  });
}

}  // namespace

extern "C" {

OM_uint32 gss_init_sec_context(
    OM_uint32* minor_status, const gss_cred_id_t initiator_cred_handle,
    gss_ctx_id_t* context_handle, const gss_name_t target_name,
    const gss_OID mech_type, OM_uint32 req_flags, OM_uint32 time_req,
    const gss_channel_bindings_t input_chan_bindings,
    const gss_buffer_t input_token, gss_OID* actual_mech_type,
    gss_buffer_t output_token, OM_uint32* ret_flags, OM_uint32* time_rec) {
  // *context_handle is input/output: the caller's, never cleared.
  ClearOutputs(actual_mech_type, output_token, ret_flags, time_rec);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr || output_token == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::Span<const uint8_t> input;
    std::optional<ChannelBindings> bindings;
    if (!ReadBuffer(input_token, /*optional=*/true, &input) ||
        !ReadBindings(input_chan_bindings, &bindings)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (!IsOurMechanism(mech_type)) {
      return Translate(Error(ErrorKind::kBadMech, Minor::kWrongMechanism,
                             "not the gssx mechanism"),
                       minor_status);
    }

    // Later call: the acceptor's reply.
    if (*context_handle != GSS_C_NO_CONTEXT) {
      return WithContext(minor_status, *context_handle, [&](Context& ctx) {
        absl::StatusOr<std::vector<uint8_t>> next = ctx.Continue(input);
        if (!next.ok()) return Translate(next.status(), minor_status);
        absl::StatusOr<ContextInfo> info = ctx.Inquire();
        if (!info.ok()) return Translate(info.status(), minor_status);
        gss_buffer_desc out;
        if (absl::Status s = SetBuffer(&out, *next, false); !s.ok()) {
          return Translate(s, minor_status);
        }
        *output_token = out;
        if (actual_mech_type != nullptr) {
          *actual_mech_type = StaticMechanismOid();
        }
        if (ret_flags != nullptr) *ret_flags = info->flags;
        if (time_rec != nullptr) *time_rec = SecondsUntil(info->expiry);
        return Translate(absl::OkStatus(), minor_status,
                         info->established ? 0 : gssx::kContinueNeeded);
      });
    }

    // First call.
    if (target_name == GSS_C_NO_NAME) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (!input.empty()) {
      return Translate(Error(ErrorKind::kDefectiveToken,
                             Minor::kWrongTokenType,
                             "the first gss_init_sec_context takes no "
                             "input token"),
                       minor_status);
    }
    absl::StatusOr<std::shared_ptr<const Name>> target = FindName(target_name);
    if (!target.ok()) return Translate(target.status(), minor_status);
    absl::StatusOr<std::shared_ptr<const Credentials>> cred =
        CredOrDefault(initiator_cred_handle, CredentialUsage::kInitiate);
    if (!cred.ok()) return Translate(cred.status(), minor_status);
    gssx::InitOptions options;
    options.target = **target;
    options.flags = req_flags & kRequestableFlags;
    options.lifetime = RequestedLifetime(time_req);
    options.bindings = std::move(bindings);
    options.transferable = true;
    absl::StatusOr<gssx::HandshakeStep> step =
        Context::Initiate(**cred, options);
    if (!step.ok()) {
      return Translate(WithTrustHint(step.status(), **cred), minor_status);
    }
    absl::StatusOr<ContextInfo> info = step->context.Inquire();
    if (!info.ok()) return Translate(info.status(), minor_status);
    gss_buffer_desc out;
    if (absl::Status s = SetBuffer(&out, step->output_token, false); !s.ok()) {
      return Translate(s, minor_status);
    }
    *output_token = out;
    *context_handle = NewContextHandle(std::move(step->context));
    if (actual_mech_type != nullptr) *actual_mech_type = StaticMechanismOid();
    if (ret_flags != nullptr) *ret_flags = info->flags;
    if (time_rec != nullptr) *time_rec = SecondsUntil(info->expiry);
    return Translate(absl::OkStatus(), minor_status,
                     info->established ? 0 : gssx::kContinueNeeded);
  });
}

OM_uint32 gss_accept_sec_context(
    OM_uint32* minor_status, gss_ctx_id_t* context_handle,
    const gss_cred_id_t acceptor_cred_handle,
    const gss_buffer_t input_token_buffer,
    const gss_channel_bindings_t input_chan_bindings, gss_name_t* src_name,
    gss_OID* mech_type, gss_buffer_t output_token, OM_uint32* ret_flags,
    OM_uint32* time_rec, gss_cred_id_t* delegated_cred_handle) {
  // *context_handle is input/output: the caller's, never cleared.
  ClearOutputs(src_name, mech_type, output_token, ret_flags, time_rec,
               delegated_cred_handle);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr || output_token == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::Span<const uint8_t> input;
    std::optional<ChannelBindings> bindings;
    if (!ReadBuffer(input_token_buffer, /*optional=*/false, &input) ||
        !ReadBindings(input_chan_bindings, &bindings)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (*context_handle != GSS_C_NO_CONTEXT) {
      absl::StatusOr<std::shared_ptr<ContextEntry>> entry =
          FindContext(*context_handle);
      if (!entry.ok()) return Translate(entry.status(), minor_status);
      return AlreadyEstablished(minor_status);
    }
    absl::StatusOr<std::shared_ptr<const Credentials>> cred =
        CredOrDefault(acceptor_cred_handle, CredentialUsage::kAccept);
    if (!cred.ok()) return Translate(cred.status(), minor_status);
    gssx::AcceptOptions options;
    options.bindings = std::move(bindings);
    options.transferable = true;
    absl::StatusOr<gssx::HandshakeStep> step =
        Context::Accept(**cred, input, options);
    if (!step.ok()) {
      return Translate(WithTrustHint(step.status(), **cred), minor_status);
    }
    absl::StatusOr<ContextInfo> info = step->context.Inquire();
    if (!info.ok()) return Translate(info.status(), minor_status);
    gss_buffer_desc out;
    if (absl::Status s = SetBuffer(&out, step->output_token, false); !s.ok()) {
      return Translate(s, minor_status);
    }
    *output_token = out;
    *context_handle = NewContextHandle(std::move(step->context));
    if (src_name != nullptr) {
      *src_name = info->source.empty() ? GSS_C_NO_NAME
                                       : NewNameHandle(info->source);
    }
    if (mech_type != nullptr) *mech_type = StaticMechanismOid();
    if (ret_flags != nullptr) *ret_flags = info->flags;
    if (time_rec != nullptr) *time_rec = SecondsUntil(info->expiry);
    if (delegated_cred_handle != nullptr) {
      *delegated_cred_handle = GSS_C_NO_CREDENTIAL;  // never delegated
    }
    return Translate(absl::OkStatus(), minor_status,
                     info->established ? 0 : gssx::kContinueNeeded);
  });
}

OM_uint32 gss_process_context_token(OM_uint32* minor_status,
                                    const gss_ctx_id_t context_handle,
                                    const gss_buffer_t token_buffer) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> token;
    if (!ReadBuffer(token_buffer, /*optional=*/false, &token)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    return WithContext(minor_status, context_handle, [&](Context& ctx) {
      absl::StatusOr<ContextInfo> info = ctx.Inquire();
      if (!info.ok()) return Translate(info.status(), minor_status);
      // The gssx mechanism emits no context-level tokens after
      // establishment (gss_delete_sec_context makes none), so whatever
      // arrives here is not one of its tokens.
      return Translate(Error(ErrorKind::kDefectiveToken,
                             Minor::kWrongTokenType,
                             "gssx has no context-level tokens"),
                       minor_status);
    });
  });
}

OM_uint32 gss_delete_sec_context(OM_uint32* minor_status,
                                 gss_ctx_id_t* context_handle,
                                 gss_buffer_t output_token) {
  ClearOutputs(output_token);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    std::shared_ptr<ContextEntry> entry =
        Contexts().Remove(KeyOf(*context_handle));
    if (entry == nullptr) {
      return Translate(FindContext(*context_handle).status(), minor_status);
    }
    *context_handle = GSS_C_NO_CONTEXT;
    {
      absl::MutexLock lock(&entry->mu);
      // An empty context (failed handshake) is fine to delete too.
      entry->context.Delete().IgnoreError();
    }
    return GSS_S_COMPLETE;  // output_token: empty (gssx makes none)
  });
}

OM_uint32 gss_context_time(OM_uint32* minor_status,
                           const gss_ctx_id_t context_handle,
                           OM_uint32* time_rec) {
  ClearOutputs(time_rec);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (time_rec == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    return WithContext(minor_status, context_handle, [&](Context& ctx) {
      absl::StatusOr<absl::Duration> left = ctx.TimeRemaining();
      if (!left.ok()) return Translate(left.status(), minor_status);
      *time_rec = SecondsOf(*left);
      return Translate(absl::OkStatus(), minor_status);
    });
  });
}

OM_uint32 gss_inquire_context(OM_uint32* minor_status,
                              const gss_ctx_id_t context_handle,
                              gss_name_t* src_name, gss_name_t* targ_name,
                              OM_uint32* lifetime_rec, gss_OID* mech_type,
                              OM_uint32* ctx_flags, int* locally_initiated,
                              int* open) {
  ClearOutputs(src_name, targ_name, lifetime_rec, mech_type, ctx_flags,
               locally_initiated, open);
  return Entry(minor_status, [&]() -> OM_uint32 {
    return WithContext(minor_status, context_handle, [&](Context& ctx) {
      absl::StatusOr<ContextInfo> info = ctx.Inquire();
      if (!info.ok()) return Translate(info.status(), minor_status);
      if (src_name != nullptr) {
        *src_name = info->source.empty() ? GSS_C_NO_NAME
                                         : NewNameHandle(info->source);
      }
      if (targ_name != nullptr) {
        *targ_name = info->target.empty() ? GSS_C_NO_NAME
                                          : NewNameHandle(info->target);
      }
      if (lifetime_rec != nullptr) *lifetime_rec = SecondsUntil(info->expiry);
      if (mech_type != nullptr) *mech_type = StaticMechanismOid();
      if (ctx_flags != nullptr) *ctx_flags = info->flags;
      if (locally_initiated != nullptr) {
        *locally_initiated = info->locally_initiated ? 1 : 0;
      }
      if (open != nullptr) *open = info->established ? 1 : 0;
      return Translate(absl::OkStatus(), minor_status);
    });
  });
}

OM_uint32 gss_wrap_size_limit(OM_uint32* minor_status,
                              const gss_ctx_id_t context_handle,
                              int conf_req_flag, gss_qop_t qop_req,
                              OM_uint32 req_output_size,
                              OM_uint32* max_input_size) {
  ClearOutputs(max_input_size);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (max_input_size == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    return WithContext(minor_status, context_handle, [&](Context& ctx) {
      absl::StatusOr<size_t> limit =
          ctx.WrapSizeLimit(req_output_size, conf_req_flag != 0, qop_req);
      if (!limit.ok()) return Translate(limit.status(), minor_status);
      *max_input_size = static_cast<OM_uint32>(
          std::min<size_t>(*limit, std::numeric_limits<OM_uint32>::max()));
      return Translate(absl::OkStatus(), minor_status);
    });
  });
}

OM_uint32 gss_get_mic(OM_uint32* minor_status,
                      const gss_ctx_id_t context_handle, gss_qop_t qop_req,
                      const gss_buffer_t message_buffer,
                      gss_buffer_t message_token) {
  return GetMic(minor_status, context_handle, qop_req, message_buffer,
                message_token);
}

OM_uint32 gss_verify_mic(OM_uint32* minor_status,
                         const gss_ctx_id_t context_handle,
                         const gss_buffer_t message_buffer,
                         const gss_buffer_t token_buffer,
                         gss_qop_t* qop_state) {
  return VerifyMic(minor_status, context_handle, message_buffer, token_buffer,
                   qop_state);
}

OM_uint32 gss_wrap(OM_uint32* minor_status, const gss_ctx_id_t context_handle,
                   int conf_req_flag, gss_qop_t qop_req,
                   const gss_buffer_t input_message_buffer, int* conf_state,
                   gss_buffer_t output_message_buffer) {
  return Wrap(minor_status, context_handle, conf_req_flag, qop_req,
              input_message_buffer, conf_state, output_message_buffer);
}

OM_uint32 gss_unwrap(OM_uint32* minor_status,
                     const gss_ctx_id_t context_handle,
                     const gss_buffer_t input_message_buffer,
                     gss_buffer_t output_message_buffer, int* conf_state,
                     gss_qop_t* qop_state) {
  return Unwrap(minor_status, context_handle, input_message_buffer,
                output_message_buffer, conf_state, qop_state);
}

// Version 1 names. A negative qop_req is no valid QOP: passed on as a
// value the mechanism rejects (GSS_S_BAD_QOP).
OM_uint32 gss_sign(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                   int qop_req, gss_buffer_t message_buffer,
                   gss_buffer_t message_token) {
  return GetMic(minor_status, context_handle, static_cast<gss_qop_t>(qop_req),
                message_buffer, message_token);
}

OM_uint32 gss_verify(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                     gss_buffer_t message_buffer, gss_buffer_t token_buffer,
                     int* qop_state) {
  ClearOutputs(qop_state);
  gss_qop_t qop = 0;
  const OM_uint32 major = VerifyMic(minor_status, context_handle,
                                    message_buffer, token_buffer, &qop);
  if (!GSS_ERROR(major) && qop_state != nullptr) {
    *qop_state = static_cast<int>(qop);
  }
  return major;
}

OM_uint32 gss_seal(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                   int conf_req_flag, int qop_req,
                   gss_buffer_t input_message_buffer, int* conf_state,
                   gss_buffer_t output_message_buffer) {
  return Wrap(minor_status, context_handle, conf_req_flag,
              static_cast<gss_qop_t>(qop_req), input_message_buffer,
              conf_state, output_message_buffer);
}

OM_uint32 gss_unseal(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                     gss_buffer_t input_message_buffer,
                     gss_buffer_t output_message_buffer, int* conf_state,
                     int* qop_state) {
  ClearOutputs(qop_state);
  gss_qop_t qop = 0;
  const OM_uint32 major =
      Unwrap(minor_status, context_handle, input_message_buffer,
             output_message_buffer, conf_state, &qop);
  if (!GSS_ERROR(major) && qop_state != nullptr) {
    *qop_state = static_cast<int>(qop);
  }
  return major;
}

OM_uint32 gss_export_sec_context(OM_uint32* minor_status,
                                 gss_ctx_id_t* context_handle,
                                 gss_buffer_t interprocess_token) {
  ClearOutputs(interprocess_token);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr || interprocess_token == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    const gss_ctx_id_t handle = *context_handle;
    return WithContext(minor_status, handle, [&](Context& ctx) {
      absl::StatusOr<gssx::transport::SecretBuffer> token =
          ctx.Export();
      if (!token.ok()) return Translate(token.status(), minor_status);
      // The context is gone: its handle dies first, then the token goes
      // out. A byte-identical token imported earlier (re-export of an
      // untouched imported context) may be imported once more.
      Contexts().Remove(KeyOf(handle));
      *context_handle = GSS_C_NO_CONTEXT;
      ForgetImportedToken(token->span());
      SetSecretBuffer(interprocess_token, *std::move(token));
      return Translate(absl::OkStatus(), minor_status);
    });
  });
}

OM_uint32 gss_import_sec_context(OM_uint32* minor_status,
                                 const gss_buffer_t interprocess_token,
                                 gss_ctx_id_t* context_handle) {
  ClearNewContext(context_handle);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> token;
    if (!ReadBuffer(interprocess_token, /*optional=*/false, &token)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (context_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (absl::Status s = ClaimImportedToken(token); !s.ok()) {
      return Translate(s, minor_status);
    }
    absl::StatusOr<Context> ctx = Context::Import(token);
    if (!ctx.ok()) {
      UnclaimImportedToken(token);
      return Translate(ctx.status(), minor_status);
    }
    *context_handle = NewContextHandle(*std::move(ctx));
    return GSS_S_COMPLETE;
  });
}

// MIT extensions (<gssapi/gssapi_ext.h>). MIT's context objects and
// options (Kerberos session keys, authorization data, ...) have no gssx
// counterpart and gssx defines none: a live context answers
// GSS_S_UNAVAILABLE / kNotSupported and is left as it was.
OM_uint32 gss_inquire_sec_context_by_oid(OM_uint32* minor_status,
                                         const gss_ctx_id_t context_handle,
                                         const gss_OID desired_object,
                                         gss_buffer_set_t* data_set) {
  ClearOutputs(data_set);
  return Entry(minor_status, [&]() -> OM_uint32 {
    gssx::Oid object;
    if (desired_object == GSS_C_NO_OID || !ReadOid(desired_object, &object)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (data_set == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    return WithContext(minor_status, context_handle, [&](Context&) {
      return Translate(Error(ErrorKind::kUnavailable, Minor::kNotSupported,
                             "gssx contexts have no objects to inquire by "
                             "OID"),
                       minor_status);
    });
  });
}

OM_uint32 gss_set_sec_context_option(OM_uint32* minor_status,
                                     gss_ctx_id_t* context_handle,
                                     const gss_OID desired_object,
                                     const gss_buffer_t value) {
  // *context_handle is input/output: the caller's, never cleared.
  return Entry(minor_status, [&]() -> OM_uint32 {
    gssx::Oid object;
    absl::Span<const uint8_t> bytes;
    if (desired_object == GSS_C_NO_OID || !ReadOid(desired_object, &object) ||
        !ReadBuffer(value, /*optional=*/true, &bytes)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (context_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    // MIT may create a context for an option set on GSS_C_NO_CONTEXT;
    // gssx has no such option, so GSS_C_NO_CONTEXT is GSS_S_NO_CONTEXT.
    return WithContext(minor_status, *context_handle, [&](Context&) {
      return Translate(Error(ErrorKind::kUnavailable, Minor::kNotSupported,
                             "gssx contexts have no options to set"),
                       minor_status);
    });
  });
}

}  // extern "C"
