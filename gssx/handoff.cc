// SPDX-License-Identifier: Apache-2.0
#include "gssx/handoff.h"

#include <utility>

#include "gssx/status.h"
#include "transport/handoff.h"

namespace gssx {
namespace {

// The handoff boundary: whatever the transport says becomes a gssx status
// (the codec's own statuses already are one).
template <typename T>
absl::StatusOr<T> FromTransport(absl::StatusOr<T> result) {
  if (!result.ok()) return ToGssxStatus(result.status());
  return result;
}

}  // namespace

absl::StatusOr<transport::SecretBuffer> ContextCodec::Export(
    Context& ctx) const {
  return ctx.Export();
}

absl::StatusOr<Context> ContextCodec::Import(
    absl::Span<const uint8_t> token) const {
  ImportOptions plain;
  plain.clock = import.clock;
  return Context::Import(token, plain);
}

absl::Status ContextCodec::Check(const Context& ctx) const {
  return ctx.CheckFlags(import.required_flags.value_or(kDefaultRequiredFlags));
}

absl::StatusOr<Delivery> HandOffContext(transport::Channel& channel,
                                        Context& ctx,
                                        absl::Span<const int> extra_fds,
                                        const HandOffOptions& options) {
  return FromTransport(
      transport::HandOff(channel, ctx, ContextCodec(), extra_fds, options));
}

absl::StatusOr<ReceivedContext> ReceiveContext(
    transport::Channel& channel, const ReceiveContextOptions& options) {
  absl::StatusOr<transport::Received<Context>> r = FromTransport(
      channel.Receive(ContextCodec{options.import},
                      {options.max_extra_fds, options.timeout}));
  if (!r.ok()) return r.status();
  return ReceivedContext{std::move(r->value), std::move(r->fds)};
}

absl::StatusOr<transport::UniqueFd> ExportContextToFd(Context& ctx) {
  return FromTransport(transport::ExportToFd(ctx, ContextCodec()));
}

absl::StatusOr<Context> ImportContextFromFd(int token_fd,
                                            const ImportOptions& options) {
  return FromTransport(transport::ImportFromFd(token_fd, ContextCodec{options}));
}

}  // namespace gssx
