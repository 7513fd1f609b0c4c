// SPDX-License-Identifier: Apache-2.0
#include "gssx/krb5_bridge/bridge.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "transport/base/errors.h"
#include "transport/memfd_token.h"

namespace gssx::krb5 {
namespace {

// Imports the decrypted token BEFORE the latch, so that a token MIT cannot
// import is rejected unconsumed; keeps the context for after the latch. If
// the latch then fails (another importer won), `out` is destroyed with the
// caller's frame and its context deleted.
transport::TokenValidator ImportInto(std::optional<MitContext>* out,
                                     bool require_established_krb5,
                                     OM_uint32 required_services) {
  return [out, require_established_krb5, required_services](
             absl::Span<const uint8_t> token) -> absl::Status {
    absl::StatusOr<MitContext> ctx = ImportMitContext(token);
    if (!ctx.ok()) return ctx.status();
    if (require_established_krb5) {
      absl::StatusOr<MitContext::Info> info = ctx->Inquire();
      if (!info.ok()) return info.status();
      if (!info->krb5 || !info->open) {
        return absl::InvalidArgumentError(
            "imported context is not an established Kerberos 5 context");
      }
      if ((info->flags & required_services) != required_services) {
        return absl::InvalidArgumentError(absl::StrCat(
            "imported context lacks required services (flags 0x",
            absl::Hex(info->flags), ", required 0x",
            absl::Hex(required_services), ")"));
      }
    }
    out->emplace(std::move(*ctx));
    return absl::OkStatus();
  };
}

// Puts a token that came back (or never left) into `ctx`.
transport::RestoreFn RestoreInto(MitContext& ctx) {
  return [&ctx](const transport::SecretBuffer& token) -> absl::Status {
    absl::StatusOr<MitContext> back = ImportMitContext(token.span());
    if (!back.ok()) return back.status();  // context lost: MIT's reason
    ctx = std::move(*back);
    return absl::OkStatus();
  };
}

}  // namespace

absl::StatusOr<Delivery> HandOffMitContext(transport::Channel& channel,
                                           MitContext& ctx,
                                           absl::Span<const int> extra_fds,
                                           const HandOffOptions& options) {
  absl::StatusOr<transport::SecretBuffer> token = ExportMitContext(ctx);
  if (!token.ok()) return token.status();
  return transport::DeliverToken(channel, *token, extra_fds, options,
                                 RestoreInto(ctx));
}

absl::StatusOr<transport::PendingDelivery> StartMitHandOff(
    transport::Channel& channel, MitContext& ctx,
    absl::Span<const int> extra_fds) {
  absl::StatusOr<transport::SecretBuffer> token = ExportMitContext(ctx);
  if (!token.ok()) return token.status();
  return transport::StartDelivery(channel, *token, extra_fds,
                                  RestoreInto(ctx));
}

absl::StatusOr<ReceivedMitContext> ReceiveMitContext(
    transport::Channel& channel, const ReceiveMitContextOptions& options) {
  std::optional<MitContext> imported;
  transport::ReceiveOptions receive;
  receive.max_extra_fds = options.max_extra_fds;
  receive.timeout = options.timeout;
  receive.validate = ImportInto(&imported, options.require_established_krb5,
                                options.required_services);
  absl::StatusOr<transport::ReceivedToken> r = channel.Receive(receive);
  if (!r.ok()) return r.status();
  r->token.Clear();  // MIT has its own copy now
  ReceivedMitContext out;
  out.context = std::move(*imported);
  out.fds = std::move(r->fds);
  return out;
}

absl::StatusOr<transport::UniqueFd> ExportMitContextToFd(MitContext& ctx) {
  absl::StatusOr<transport::SecretBuffer> token = ExportMitContext(ctx);
  if (!token.ok()) return token.status();
  absl::StatusOr<transport::UniqueFd> fd =
      transport::SealRawToken(token->span());
  if (!fd.ok()) {
    absl::Status restored = RestoreInto(ctx)(*token);
    return restored.ok() ? fd.status() : restored;
  }
  return fd;
}

absl::StatusOr<MitContext> ImportMitContextFromFd(
    int token_fd, bool require_established_krb5, OM_uint32 required_services) {
  std::optional<MitContext> imported;
  absl::StatusOr<transport::SecretBuffer> token = transport::ConsumeRawToken(
      token_fd,
      ImportInto(&imported, require_established_krb5, required_services));
  if (!token.ok()) return token.status();
  return std::move(*imported);
}

}  // namespace gssx::krb5
