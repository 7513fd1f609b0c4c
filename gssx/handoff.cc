// SPDX-License-Identifier: Apache-2.0
#include "gssx/handoff.h"

#include <optional>
#include <utility>

#include "transport/base/errors.h"
#include "transport/memfd_token.h"

namespace gssx {
namespace {

// Parses the token before the latch; keeps the parsed context for after.
// Unset required flags mean kDefaultRequiredFlags here (context.h).
transport::TokenValidator ImportInto(std::optional<Context>* out,
                                     const ImportOptions& options) {
  ImportOptions with_default = options;
  if (!with_default.required_flags.has_value()) {
    with_default.required_flags = kDefaultRequiredFlags;
  }
  return [out, with_default](absl::Span<const uint8_t> token) -> absl::Status {
    absl::StatusOr<Context> ctx = Context::Import(token, with_default);
    if (!ctx.ok()) return ctx.status();
    out->emplace(std::move(*ctx));
    return absl::OkStatus();
  };
}

// Puts a token that came back (or never left) into `ctx`.
transport::RestoreFn RestoreInto(Context& ctx) {
  return [&ctx](const transport::SecretBuffer& token) -> absl::Status {
    absl::StatusOr<Context> back = Context::Import(token.span());
    if (!back.ok()) return back.status();  // kFailure: memory; context lost
    ctx = std::move(*back);
    return absl::OkStatus();
  };
}

}  // namespace

absl::StatusOr<Delivery> HandOffContext(transport::Channel& channel,
                                        Context& ctx,
                                        absl::Span<const int> extra_fds,
                                        const HandOffOptions& options) {
  // Export leaves `ctx` untouched on every error (context.h).
  absl::StatusOr<transport::SecretBuffer> token = std::move(ctx).Export();
  if (!token.ok()) return token.status();
  return transport::DeliverToken(channel, *token, extra_fds, options,
                                 RestoreInto(ctx));
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
  if (!fd.ok()) {
    absl::Status restored = RestoreInto(ctx)(*token);
    return restored.ok() ? fd.status() : restored;
  }
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
