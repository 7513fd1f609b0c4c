// SPDX-License-Identifier: Apache-2.0
#include "gssx/krb5_bridge/bridge.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "transport/handoff.h"

namespace gssx::krb5 {
namespace {

constexpr absl::string_view kRefusedPayloadUrl =
    "type.gssx.dev/gssx.krb5.ContextRefused";

}  // namespace

absl::Status ContextRefused(absl::string_view why) {
  absl::Status status = absl::InvalidArgumentError(why);
  status.SetPayload(kRefusedPayloadUrl, absl::Cord());
  return status;
}

bool IsContextRefused(const absl::Status& status) {
  return status.GetPayload(kRefusedPayloadUrl).has_value();
}

absl::Status MitContextCodec::Check(const MitContext& ctx) const {
  if (!require_established_krb5) return absl::OkStatus();
  absl::StatusOr<MitContext::Info> info = ctx.Inquire();
  if (!info.ok()) return info.status();
  if (!info->krb5 || !info->open) {
    return ContextRefused(
        "imported context is not an established Kerberos 5 context");
  }
  if ((info->flags & required_services) != required_services) {
    return ContextRefused(absl::StrCat(
        "imported context lacks required services (flags 0x",
        absl::Hex(info->flags), ", required 0x", absl::Hex(required_services),
        ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Delivery> HandOffMitContext(transport::Channel& channel,
                                           MitContext& ctx,
                                           absl::Span<const int> extra_fds,
                                           const HandOffOptions& options) {
  return transport::HandOff(channel, ctx, MitContextCodec(), extra_fds,
                            options);
}

absl::StatusOr<transport::PendingDelivery> StartMitHandOff(
    transport::Channel& channel, MitContext& ctx,
    absl::Span<const int> extra_fds) {
  return transport::StartHandOff(channel, ctx, MitContextCodec(), extra_fds);
}

absl::StatusOr<ReceivedMitContext> ReceiveMitContext(
    transport::Channel& channel, const ReceiveMitContextOptions& options) {
  absl::StatusOr<transport::Received<MitContext>> r = channel.Receive(
      MitContextCodec{options.require_established_krb5,
                      options.required_services},
      {options.max_extra_fds, options.timeout});
  if (!r.ok()) return r.status();
  return ReceivedMitContext{std::move(r->value), std::move(r->fds)};
}

absl::StatusOr<transport::UniqueFd> ExportMitContextToFd(MitContext& ctx) {
  return transport::ExportToFd(ctx, MitContextCodec());
}

absl::StatusOr<MitContext> ImportMitContextFromFd(
    int token_fd, bool require_established_krb5, OM_uint32 required_services) {
  return transport::ImportFromFd(
      token_fd, MitContextCodec{require_established_krb5, required_services});
}

}  // namespace gssx::krb5
