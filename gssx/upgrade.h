// SPDX-License-Identifier: Apache-2.0
// Live upgrade of a server that holds gssx contexts: the gssx side of
// transport/upgrade.h (read that first; docs/upgrade.md).
//
// Old process, per session, once its gate is held (between requests):
//   absl::Status s = OfferContextSession(source, id, ctx, client_fd, blob,
//                                        [&] { gate.Release(); });
//   // OK or not, `ctx` is empty now and parked in `source` until Commit:
//   // committed -> gone to the new process; returned -> back in `ctx`
//   // (then `on_return` runs). `ctx` must outlive source.Commit().
// New process:
//   options.validate_context = ContextTokenValidator();
//   ... UpgradeTarget::Accept, ReceiveBatch ...
//   absl::StatusOr<Context> ctx = ImportUpgradedContext(batch->sessions[i]);
#ifndef GSSX_UPGRADE_H_
#define GSSX_UPGRADE_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gssx/context.h"
#include "transport/upgrade.h"

namespace gssx {

// Exports `ctx` and offers it with `client_fd` (borrowed) and `state`
// (copied into locked memory). The export's errors leave `ctx` untouched
// and offer nothing. Otherwise `ctx` is empty; if the upgrade returns the
// session, the token is imported back into `ctx` and `on_return` (may be
// empty) runs. Errors: Export's (kNoContext, kUnavailable,
// kContextExpired), or the upgrade's (transport/upgrade.h OfferSession).
absl::Status OfferContextSession(transport::UpgradeSource& source, uint64_t id,
                                 Context& ctx, int client_fd,
                                 absl::Span<const uint8_t> state,
                                 std::function<void()> on_return = nullptr);

// For UpgradeTargetOptions::validate_context: a trial import, so that a
// context the new binary cannot import (or one without `import`'s required
// flags; unset: kDefaultRequiredFlags, as ReceiveContext) is refused
// before the COMMIT and the old process keeps every session.
std::function<absl::Status(absl::Span<const uint8_t>)> ContextTokenValidator(
    const ImportOptions& import = {});

// Imports a committed session's context (the same defaults).
absl::StatusOr<Context> ImportUpgradedContext(
    const transport::IncomingSession& session,
    const ImportOptions& import = {});

}  // namespace gssx

#endif  // GSSX_UPGRADE_H_
