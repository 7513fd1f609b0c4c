#include "gssx/krb5/bridge.h"

#include <optional>
#include <utility>

#include "transport/errors.h"
#include "transport/memfd_token.h"

namespace gssx::krb5 {
namespace {

// Imports the decrypted token BEFORE the latch, so that a token MIT cannot
// import is rejected unconsumed; keeps the context for after the latch. If
// the latch then fails (another importer won), `out` is destroyed with the
// caller's frame and its context deleted.
transport::TokenValidator ImportInto(std::optional<MitContext>* out,
                                     bool require_established_krb5) {
  return [out, require_established_krb5](
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
    }
    out->emplace(std::move(*ctx));
    return absl::OkStatus();
  };
}

// Puts a token that never left (or came back) into `ctx`, then reports
// `why` the handoff failed.
absl::Status Restore(MitContext& ctx, const transport::SecretBuffer& token,
                     absl::Status why) {
  absl::StatusOr<MitContext> back = ImportMitContext(token.span());
  if (!back.ok()) return back.status();  // context lost: say MIT's reason
  ctx = std::move(*back);
  return why;
}

}  // namespace

absl::StatusOr<Delivery> HandOffMitContext(transport::Channel& channel,
                                           MitContext& ctx,
                                           absl::Span<const int> extra_fds,
                                           const HandOffOptions& options) {
  absl::StatusOr<transport::SecretBuffer> token = ExportMitContext(ctx);
  if (!token.ok()) return token.status();
  absl::StatusOr<transport::Handoff> sent =
      channel.Send(token->span(), extra_fds);
  if (!sent.ok()) {
    // Nothing left this process: the export token is still ours.
    return Restore(ctx, *token, sent.status());
  }
  token->Clear();  // the only copies now: the memfd (ciphertext) and the key
  if (options.after_send) options.after_send();
  absl::Status acked = channel.AwaitAck(*sent, options.ack_timeout);
  if (acked.ok()) return Delivery::kAcknowledged;
  absl::StatusOr<transport::SecretBuffer> back = sent->Reclaim();
  if (back.ok()) return Restore(ctx, *back, acked);
  if (transport::IsError(back.status(),
                         transport::ErrorKind::kAlreadyConsumed)) {
    return Delivery::kConsumedWithoutAck;
  }
  // The reclaim itself failed (e.g. ENOMEM): report it; the handoff dies
  // with `sent`.
  return back.status();
}

absl::StatusOr<ReceivedMitContext> ReceiveMitContext(
    transport::Channel& channel, const ReceiveMitContextOptions& options) {
  std::optional<MitContext> imported;
  transport::ReceiveOptions receive;
  receive.max_extra_fds = options.max_extra_fds;
  receive.timeout = options.timeout;
  receive.validate = ImportInto(&imported, options.require_established_krb5);
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
  if (!fd.ok()) return Restore(ctx, *token, fd.status());
  return fd;
}

absl::StatusOr<MitContext> ImportMitContextFromFd(
    int token_fd, bool require_established_krb5) {
  std::optional<MitContext> imported;
  absl::StatusOr<transport::SecretBuffer> token = transport::ConsumeRawToken(
      token_fd, ImportInto(&imported, require_established_krb5));
  if (!token.ok()) return token.status();
  return std::move(*imported);
}

}  // namespace gssx::krb5
