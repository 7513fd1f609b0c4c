#include "gssx/handoff.h"

#include <optional>
#include <utility>

#include "transport/errors.h"
#include "transport/memfd_token.h"

namespace gssx {
namespace {

// Parses the token before the latch; keeps the parsed context for after.
transport::TokenValidator ImportInto(std::optional<Context>* out,
                                     const ImportOptions& options) {
  return [out, &options](absl::Span<const uint8_t> token) -> absl::Status {
    absl::StatusOr<Context> ctx = Context::Import(token, options);
    if (!ctx.ok()) return ctx.status();
    out->emplace(std::move(*ctx));
    return absl::OkStatus();
  };
}

// Puts a reclaimed token back into `ctx`.
absl::Status Restore(Context& ctx, const transport::SecretBuffer& token,
                     absl::Status why) {
  absl::StatusOr<Context> back = Context::Import(token.span());
  if (!back.ok()) return back.status();  // kFailure: memory; context lost
  ctx = std::move(*back);
  return why;
}

}  // namespace

absl::StatusOr<Delivery> HandOffContext(transport::Channel& channel,
                                        Context& ctx,
                                        absl::Span<const int> extra_fds,
                                        const HandOffOptions& options) {
  // Export leaves `ctx` untouched on every error (context.h).
  absl::StatusOr<transport::SecretBuffer> token = std::move(ctx).Export();
  if (!token.ok()) return token.status();
  absl::StatusOr<transport::Handoff> sent = channel.Send(token->span(), extra_fds);
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
  // The reclaim itself failed (e.g. ENOMEM); the handoff stays unresolved
  // in `sent`, which dies here: report it.
  return back.status();
}

absl::StatusOr<ReceivedContext> ReceiveContext(
    transport::Channel& channel, const ReceiveContextOptions& options) {
  std::optional<Context> imported;
  transport::ReceiveOptions receive;
  receive.max_extra_fds = options.max_extra_fds;
  receive.timeout = options.timeout;
  receive.validate = ImportInto(&imported, options.import);
  absl::StatusOr<transport::ReceivedToken> r = channel.Receive(receive);
  if (!r.ok()) return r.status();
  ReceivedContext out;
  out.context = std::move(*imported);
  out.fds = std::move(r->fds);
  return out;
}

absl::StatusOr<transport::UniqueFd> ExportContextToFd(Context& ctx) {
  absl::StatusOr<transport::SecretBuffer> token = std::move(ctx).Export();
  if (!token.ok()) return token.status();
  absl::StatusOr<transport::UniqueFd> fd = transport::SealRawToken(token->span());
  if (!fd.ok()) return Restore(ctx, *token, fd.status());
  return fd;
}

absl::StatusOr<Context> ImportContextFromFd(int token_fd,
                                            const ImportOptions& options) {
  std::optional<Context> imported;
  absl::StatusOr<transport::SecretBuffer> token =
      transport::ConsumeRawToken(token_fd, ImportInto(&imported, options));
  if (!token.ok()) return token.status();
  return std::move(*imported);
}

}  // namespace gssx
