// SPDX-License-Identifier: Apache-2.0
#include "gssx/krb5_bridge/mit_handshake.h"

#include <gssapi/gssapi_krb5.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace gssx::krb5 {

MitInitiator::MitInitiator(MitInitiator&& other) noexcept
    : target_(other.target_),
      flags_(other.flags_),
      ctx_(std::move(other.ctx_)),
      done_(other.done_) {
  other.target_ = GSS_C_NO_NAME;
}

MitInitiator& MitInitiator::operator=(MitInitiator&& other) noexcept {
  if (this != &other) {
    OM_uint32 minor = 0;
    if (target_ != GSS_C_NO_NAME) gss_release_name(&minor, &target_);
    target_ = other.target_;
    other.target_ = GSS_C_NO_NAME;
    flags_ = other.flags_;
    ctx_ = std::move(other.ctx_);
    done_ = other.done_;
  }
  return *this;
}

MitInitiator::~MitInitiator() {
  OM_uint32 minor = 0;
  if (target_ != GSS_C_NO_NAME) gss_release_name(&minor, &target_);
}

absl::StatusOr<MitInitiator> MitInitiator::Create(const std::string& target,
                                                  OM_uint32 flags) {
  MitInitiator init;
  init.flags_ = flags;
  OM_uint32 minor = 0;
  gss_buffer_desc name{target.size(), const_cast<char*>(target.data())};
  OM_uint32 major = gss_import_name(&minor, &name, GSS_KRB5_NT_PRINCIPAL_NAME,
                                    &init.target_);
  if (GSS_ERROR(major)) return MitStatus("gss_import_name", major, minor);
  return init;
}

absl::StatusOr<std::vector<uint8_t>> MitInitiator::Step(
    absl::Span<const uint8_t> input) {
  if (done_) return absl::FailedPreconditionError("context already established");
  OM_uint32 minor = 0;
  gss_buffer_desc in{input.size(), const_cast<uint8_t*>(input.data())};
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  OM_uint32 ret_flags = 0;
  OM_uint32 major = gss_init_sec_context(
      &minor, GSS_C_NO_CREDENTIAL, ctx_.out(), target_, gss_mech_krb5, flags_,
      GSS_C_INDEFINITE, GSS_C_NO_CHANNEL_BINDINGS,
      input.empty() ? GSS_C_NO_BUFFER : &in, nullptr, &out, &ret_flags,
      nullptr);
  if (GSS_ERROR(major)) {
    OM_uint32 ignored = 0;  // keep `minor`: it is MIT's reason
    gss_release_buffer(&ignored, &out);
    ctx_.Reset();
    return MitStatus("gss_init_sec_context", major, minor);
  }
  std::vector<uint8_t> token = TakeGssBuffer(&out);
  if (!(major & GSS_S_CONTINUE_NEEDED)) {
    done_ = true;
    if ((ret_flags & flags_) != flags_) {
      return absl::FailedPreconditionError(
          absl::StrCat("gss_init_sec_context: got flags ", ret_flags,
                       ", asked for ", flags_));
    }
  }
  return token;
}

absl::StatusOr<std::vector<uint8_t>> MitAcceptor::Step(
    absl::Span<const uint8_t> input) {
  if (done_) return absl::FailedPreconditionError("context already established");
  OM_uint32 minor = 0;
  gss_buffer_desc in{input.size(), const_cast<uint8_t*>(input.data())};
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  gss_name_t source = GSS_C_NO_NAME;
  OM_uint32 ret_flags = 0;
  OM_uint32 major = gss_accept_sec_context(
      &minor, ctx_.out(), GSS_C_NO_CREDENTIAL, &in, GSS_C_NO_CHANNEL_BINDINGS,
      &source, nullptr, &out, &ret_flags, nullptr, nullptr);
  if (GSS_ERROR(major)) {
    OM_uint32 ignored = 0;  // keep `minor`: it is MIT's reason
    gss_release_buffer(&ignored, &out);
    ctx_.Reset();
    return MitStatus("gss_accept_sec_context", major, minor);
  }
  std::vector<uint8_t> token = TakeGssBuffer(&out);
  if (!(major & GSS_S_CONTINUE_NEEDED)) {
    // The services are the initiator's choice (MIT turns on replay and
    // sequence detection only if the client asked): refuse a context
    // without the ones this acceptor requires.
    if ((ret_flags & required_flags_) != required_flags_) {
      if (source != GSS_C_NO_NAME) gss_release_name(&minor, &source);
      ctx_.Reset();
      return absl::PermissionDeniedError(absl::StrCat(
          "gss_accept_sec_context: the client's context lacks required "
          "services (flags 0x", absl::Hex(ret_flags), ", required 0x",
          absl::Hex(required_flags_), ")"));
    }
    done_ = true;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    if (!GSS_ERROR(gss_display_name(&minor, source, &text, nullptr))) {
      client_.assign(static_cast<const char*>(text.value), text.length);
      gss_release_buffer(&minor, &text);
    }
  }
  if (source != GSS_C_NO_NAME) gss_release_name(&minor, &source);
  return token;
}

absl::StatusOr<MitPair> EstablishInProcess(const std::string& target,
                                          OM_uint32 flags,
                                          OM_uint32 required_flags) {
  absl::StatusOr<MitInitiator> init = MitInitiator::Create(target, flags);
  if (!init.ok()) return init.status();
  MitAcceptor accept(required_flags);
  absl::StatusOr<std::vector<uint8_t>> token = init->Step({});
  // Kerberos with mutual authentication: AP-REQ, AP-REP. Bound the loop in
  // case a mechanism keeps asking.
  for (int round = 0; round < 8 && token.ok() && !token->empty(); ++round) {
    token = accept.Step(*token);
    if (!token.ok() || token->empty()) break;
    token = init->Step(*token);
  }
  if (!token.ok()) return token.status();
  if (!init->done() || !accept.done()) {
    return absl::InternalError("context establishment did not finish");
  }
  MitPair pair;
  pair.initiator = init->TakeContext();
  pair.acceptor = accept.TakeContext();
  pair.client = accept.client();
  return pair;
}

}  // namespace gssx::krb5
