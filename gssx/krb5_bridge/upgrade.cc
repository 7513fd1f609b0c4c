// SPDX-License-Identifier: Apache-2.0
#include "gssx/krb5_bridge/upgrade.h"

#include <utility>

#include "gssx/krb5_bridge/bridge.h"

namespace gssx::krb5 {
namespace {

absl::StatusOr<MitContext> ImportChecked(absl::Span<const uint8_t> token,
                                         const MitUpgradeImportOptions& import) {
  absl::StatusOr<MitContext> ctx = MitContext::Import(token);
  if (!ctx.ok()) return ctx.status();
  const MitContextCodec codec{import.require_established_krb5,
                              import.required_services};
  if (absl::Status s = codec.Check(*ctx); !s.ok()) return s;
  return ctx;
}

}  // namespace

absl::Status OfferMitSession(transport::UpgradeSource& source, uint64_t id,
                             MitContext& ctx, int client_fd,
                             absl::Span<const uint8_t> state,
                             std::function<void()> on_return) {
  absl::StatusOr<transport::SecretBuffer> token = ctx.Export();
  if (!token.ok()) return token.status();
  transport::OutgoingSession session;
  session.id = id;
  session.client_fd = client_fd;
  session.context_token = std::move(*token);
  session.state = state;
  session.restore = [&ctx, on_return = std::move(on_return)](
                        transport::SecretBuffer back) -> absl::Status {
    // Reclaimed through the COMMIT's latch: no other process can hold a
    // live import of it.
    absl::StatusOr<MitContext> again = MitContext::Import(back.span());
    if (!again.ok()) return again.status();  // MIT's error; lost
    ctx = std::move(*again);
    if (on_return) on_return();
    return absl::OkStatus();
  };
  return source.OfferSession(std::move(session));
}

std::function<absl::Status(absl::Span<const uint8_t>)> MitContextTokenValidator(
    const MitUpgradeImportOptions& import) {
  return [import](absl::Span<const uint8_t> token) {
    return ImportChecked(token, import).status();
  };
}

absl::StatusOr<MitContext> ImportUpgradedMitContext(
    const transport::IncomingSession& session,
    const MitUpgradeImportOptions& import) {
  return ImportChecked(session.context_token.span(), import);
}

}  // namespace gssx::krb5
