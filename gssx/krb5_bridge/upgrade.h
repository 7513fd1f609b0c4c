// SPDX-License-Identifier: Apache-2.0
// Live upgrade of a server that holds MIT Kerberos contexts: the MIT side
// of transport/upgrade.h (read that first; docs/upgrade.md), mirroring
// gssx/upgrade.h for gssx contexts.
//
// Old process, per session, once it is between requests:
//   absl::Status s = OfferMitSession(source, id, ctx, client_fd, blob,
//                                    [&] { gate.Release(); });
//   // OK or not, `ctx` is empty now (MIT's gss_export_sec_context
//   // deactivated it) and its token parked in `source` until Commit:
//   // committed -> gone to the new process; returned -> imported back
//   // into `ctx` (then `on_return` runs). `ctx` must outlive
//   // source.Commit().
// New process:
//   options.validate_context = MitContextTokenValidator();
//   ... UpgradeTarget::Accept, ReceiveBatch ...
//   absl::StatusOr<MitContext> ctx = ImportUpgradedMitContext(session);
//
// The export token is MIT's own (its sequence state included: the moved
// context's wrap/unwrap sequence numbers continue). MIT imports a token
// any number of times; exactly once is the upgrade COMMIT's latch
// (transport/upgrade.h): the target's import counts only once it consumed
// the COMMIT, and a returned session is re-imported only after the source
// reclaimed it.
//
// Links MIT's GSS-API and gssx's transport only (bridge.h).
#ifndef GSSX_KRB5_BRIDGE_UPGRADE_H_
#define GSSX_KRB5_BRIDGE_UPGRADE_H_

#include <gssapi/gssapi.h>

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "transport/upgrade.h"

namespace gssx::krb5 {

// What the new process requires of an imported context (as
// ReceiveMitContextOptions): an established Kerberos 5 context with at
// least `required_services` (GSS_C_*_FLAG).
struct MitUpgradeImportOptions {
  bool require_established_krb5 = true;
  OM_uint32 required_services = kRequiredServices;
};

// Exports `ctx` (gss_export_sec_context) and offers it with `client_fd`
// (borrowed) and `state` (copied into locked memory). The export's errors
// offer nothing and leave `ctx` as MitContext::Export says (untouched, or
// re-imported). Otherwise `ctx` is empty; if the upgrade returns the
// session, the token is imported back into `ctx` and `on_return` (may be
// empty) runs. Errors: MitContext::Export's (MIT's codes: MitCodesOf), or
// the upgrade's (transport/upgrade.h OfferSession).
absl::Status OfferMitSession(transport::UpgradeSource& source, uint64_t id,
                             MitContext& ctx, int client_fd,
                             absl::Span<const uint8_t> state,
                             std::function<void()> on_return = nullptr);

// For UpgradeTargetOptions::validate_context: a trial import (the copy is
// deleted at once), so that a context the new binary cannot import, or
// one that is not an established Kerberos 5 context with the required
// services (ContextRefused, bridge.h), is refused before the COMMIT and
// the old process keeps every session.
std::function<absl::Status(absl::Span<const uint8_t>)> MitContextTokenValidator(
    const MitUpgradeImportOptions& import = {});

// Imports a committed session's context (the same checks).
absl::StatusOr<MitContext> ImportUpgradedMitContext(
    const transport::IncomingSession& session,
    const MitUpgradeImportOptions& import = {});

}  // namespace gssx::krb5

#endif  // GSSX_KRB5_BRIDGE_UPGRADE_H_
