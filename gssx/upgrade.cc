// SPDX-License-Identifier: Apache-2.0
#include "gssx/upgrade.h"

#include <utility>

namespace gssx {
namespace {

ImportOptions WithDefaultFlags(ImportOptions options) {
  if (!options.required_flags.has_value()) {
    options.required_flags = kDefaultRequiredFlags;
  }
  return options;
}

}  // namespace

absl::Status OfferContextSession(transport::UpgradeSource& source, uint64_t id,
                                 Context& ctx, int client_fd,
                                 absl::Span<const uint8_t> state,
                                 std::function<void()> on_return) {
  // Export leaves `ctx` untouched on every error (context.h).
  absl::StatusOr<transport::SecretBuffer> token = std::move(ctx).Export();
  if (!token.ok()) return token.status();
  transport::OutgoingSession session;
  session.id = id;
  session.client_fd = client_fd;
  session.context_token = std::move(*token);
  session.state = state;
  session.restore = [&ctx, on_return = std::move(on_return)](
                        transport::SecretBuffer back) -> absl::Status {
    absl::StatusOr<Context> again = Context::Import(back.span());
    if (!again.ok()) return again.status();  // kFailure: memory; lost
    ctx = std::move(*again);
    if (on_return) on_return();
    return absl::OkStatus();
  };
  return source.OfferSession(std::move(session));
}

std::function<absl::Status(absl::Span<const uint8_t>)> ContextTokenValidator(
    const ImportOptions& import) {
  ImportOptions options = WithDefaultFlags(import);
  return [options](absl::Span<const uint8_t> token) {
    return Context::Import(token, options).status();
  };
}

absl::StatusOr<Context> ImportUpgradedContext(
    const transport::IncomingSession& session, const ImportOptions& import) {
  return Context::Import(session.context_token.span(),
                         WithDefaultFlags(import));
}

}  // namespace gssx
