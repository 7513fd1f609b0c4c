// SPDX-License-Identifier: Apache-2.0
#include "gssx/krb5_bridge/mit_context.h"

#include <gssapi/gssapi_krb5.h>
#include <sodium.h>

#include <cstring>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace gssx::krb5 {
namespace {

// One of MIT's status codes as text (all of gss_display_status's lines).
std::string DisplayStatus(OM_uint32 code, int type) {
  std::string out;
  OM_uint32 context = 0;
  do {
    OM_uint32 minor = 0;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    OM_uint32 major =
        gss_display_status(&minor, code, type, GSS_C_NO_OID, &context, &text);
    if (GSS_ERROR(major)) break;
    if (!out.empty()) out += "; ";
    out.append(static_cast<const char*>(text.value), text.length);
    gss_release_buffer(&minor, &text);
  } while (context != 0);
  return out;
}

absl::StatusCode CodeFor(OM_uint32 major) {
  switch (GSS_ROUTINE_ERROR(major)) {
    case GSS_S_NO_CONTEXT:
    case GSS_S_CONTEXT_EXPIRED:
    case GSS_S_CREDENTIALS_EXPIRED:
      return absl::StatusCode::kFailedPrecondition;
    case GSS_S_NO_CRED:
    case GSS_S_DEFECTIVE_CREDENTIAL:
      return absl::StatusCode::kUnauthenticated;
    case GSS_S_BAD_MECH:
    case GSS_S_UNAVAILABLE:
      return absl::StatusCode::kUnimplemented;
    case GSS_S_FAILURE:
      return absl::StatusCode::kInternal;
    default:
      return absl::StatusCode::kInvalidArgument;
  }
}

// The supplementary bits that mean "this message was seen before or is out
// of order": refused by Unwrap.
constexpr OM_uint32 kReplayBits = GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN |
                                  GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN;

bool SameOid(gss_const_OID a, gss_const_OID b) {
  return a != GSS_C_NO_OID && b != GSS_C_NO_OID && a->length == b->length &&
         std::memcmp(a->elements, b->elements, a->length) == 0;
}


}  // namespace

std::vector<uint8_t> TakeGssBuffer(gss_buffer_desc* buffer) {
  const auto* p = static_cast<const uint8_t*>(buffer->value);
  std::vector<uint8_t> out(p, p + buffer->length);
  OM_uint32 minor = 0;
  gss_release_buffer(&minor, buffer);
  return out;
}

absl::Status MitStatus(absl::string_view call, OM_uint32 major,
                       OM_uint32 minor) {
  std::string text = absl::StrCat(call, ": ", DisplayStatus(major, GSS_C_GSS_CODE));
  if (minor != 0) {
    absl::StrAppend(&text, ": ", DisplayStatus(minor, GSS_C_MECH_CODE));
  }
  absl::Status s(GSS_ERROR(major) ? CodeFor(major)
                                  : absl::StatusCode::kInvalidArgument,
                 text);
  uint8_t codes[8];
  std::memcpy(codes, &major, 4);
  std::memcpy(codes + 4, &minor, 4);
  s.SetPayload(kMitPayloadUrl,
               absl::Cord(absl::string_view(reinterpret_cast<char*>(codes), 8)));
  return s;
}

std::optional<MitCodes> MitCodesOf(const absl::Status& status) {
  auto p = status.GetPayload(kMitPayloadUrl);  // absl::optional<Cord>
  if (!p || p->size() != 8) return std::nullopt;
  std::string bytes(*p);
  MitCodes codes;
  std::memcpy(&codes.major, bytes.data(), 4);
  std::memcpy(&codes.minor, bytes.data() + 4, 4);
  return codes;
}

MitContext& MitContext::operator=(MitContext&& other) noexcept {
  if (this != &other) {
    Reset();
    handle_ = other.release();
  }
  return *this;
}

void MitContext::Reset() {
  if (handle_ == GSS_C_NO_CONTEXT) return;
  OM_uint32 minor = 0;
  gss_delete_sec_context(&minor, &handle_, GSS_C_NO_BUFFER);
  handle_ = GSS_C_NO_CONTEXT;
}

absl::StatusOr<std::vector<uint8_t>> MitContext::Wrap(
    absl::Span<const uint8_t> message) {
  OM_uint32 minor = 0;
  int conf_state = 0;
  gss_buffer_desc in{message.size(),
                     const_cast<uint8_t*>(message.data())};
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  OM_uint32 major = gss_wrap(&minor, handle_, /*conf_req_flag=*/1,
                             GSS_C_QOP_DEFAULT, &in, &conf_state, &out);
  if (GSS_ERROR(major)) return MitStatus("gss_wrap", major, minor);
  std::vector<uint8_t> wrapped = TakeGssBuffer(&out);
  if (!conf_state) {
    return absl::FailedPreconditionError(
        "gss_wrap: the context cannot provide confidentiality");
  }
  return wrapped;
}

absl::StatusOr<std::vector<uint8_t>> MitContext::Unwrap(
    absl::Span<const uint8_t> wrapped) {
  OM_uint32 minor = 0;
  int conf_state = 0;
  gss_qop_t qop = 0;
  gss_buffer_desc in{wrapped.size(), const_cast<uint8_t*>(wrapped.data())};
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  OM_uint32 major =
      gss_unwrap(&minor, handle_, &in, &out, &conf_state, &qop);
  if (GSS_ERROR(major) || (major & kReplayBits) != 0) {
    OM_uint32 ignored = 0;  // keep `minor`: it is MIT's reason
    if (!GSS_ERROR(major)) gss_release_buffer(&ignored, &out);
    return MitStatus("gss_unwrap", major, minor);
  }
  std::vector<uint8_t> message = TakeGssBuffer(&out);
  if (!conf_state) {
    return absl::InvalidArgumentError("gss_unwrap: message was not encrypted");
  }
  return message;
}

absl::StatusOr<MitContext::Info> MitContext::Inquire() const {
  OM_uint32 minor = 0;
  gss_OID mech = GSS_C_NO_OID;
  OM_uint32 flags = 0, lifetime = 0;
  int local = 0, open = 0;
  OM_uint32 major = gss_inquire_context(&minor, handle_, nullptr, nullptr,
                                        &lifetime, &mech, &flags, &local, &open);
  if (GSS_ERROR(major)) return MitStatus("gss_inquire_context", major, minor);
  Info info;
  info.krb5 = SameOid(mech, gss_mech_krb5);
  info.open = open != 0;
  info.locally_initiated = local != 0;
  info.flags = flags;
  info.lifetime = lifetime;
  return info;
}

absl::StatusOr<transport::SecretBuffer> ExportMitContext(MitContext& ctx) {
  if (!ctx.valid()) {
    return MitStatus("gss_export_sec_context",
                     GSS_S_CALL_BAD_STRUCTURE | GSS_S_NO_CONTEXT, 0);
  }
  OM_uint32 minor = 0;
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  OM_uint32 major = gss_export_sec_context(&minor, ctx.out(), &token);
  if (GSS_ERROR(major)) return MitStatus("gss_export_sec_context", major, minor);
  // MIT sets the handle to GSS_C_NO_CONTEXT on success; make sure.
  (void)ctx.release();
  const auto* bytes = static_cast<const uint8_t*>(token.value);
  absl::StatusOr<transport::SecretBuffer> locked =
      transport::SecretBuffer::CopyOf(absl::MakeConstSpan(bytes, token.length));
  if (!locked.ok()) {
    // No locked memory for the copy (memory exhausted): put the context
    // back rather than lose it, and say which happened.
    OM_uint32 import_minor = 0;
    OM_uint32 import_major =
        gss_import_sec_context(&import_minor, &token, ctx.out());
    if (GSS_ERROR(import_major)) {
      locked = absl::Status(
          locked.status().code(),
          absl::StrCat(locked.status().message(),
                       "; the context is lost (re-import failed: ",
                       MitStatus("gss_import_sec_context", import_major,
                                 import_minor)
                           .message(),
                       ")"));
    } else {
      locked = absl::Status(
          locked.status().code(),
          absl::StrCat(locked.status().message(), "; the context is back"));
    }
  }
  // The token holds the session keys in the clear: wipe the buffer MIT
  // handed out whatever happened.
  sodium_memzero(token.value, token.length);
  gss_release_buffer(&minor, &token);
  return locked;
}

absl::StatusOr<MitContext> ImportMitContext(absl::Span<const uint8_t> token) {
  OM_uint32 minor = 0;
  gss_buffer_desc in{token.size(), const_cast<uint8_t*>(token.data())};
  MitContext ctx;
  OM_uint32 major = gss_import_sec_context(&minor, &in, ctx.out());
  if (GSS_ERROR(major)) return MitStatus("gss_import_sec_context", major, minor);
  return ctx;
}

}  // namespace gssx::krb5
