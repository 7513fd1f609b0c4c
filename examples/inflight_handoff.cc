// SPDX-License-Identifier: Apache-2.0
#include "examples/inflight_handoff.h"

#include <utility>

#include "absl/time/clock.h"
#include "gssx/status.h"
#include "transport/base/errors.h"
#include "transport/base/secret_buffer.h"

namespace gssx::examples {

absl::StatusOr<InFlightHandoff> InFlightHandoff::Start(
    transport::Channel& channel, std::unique_ptr<ClientConn>& conn,
    absl::Duration ack_timeout) {
  // Export leaves the context untouched on every error (context.h).
  absl::StatusOr<transport::SecretBuffer> token = std::move(conn->ctx).Export();
  if (!token.ok()) return token.status();
  // The connection lives on the heap: the restore callback points into it
  // wherever the InFlightHandoff moves.
  Context* ctx = &conn->ctx;
  absl::StatusOr<transport::PendingDelivery> d = transport::StartDelivery(
      channel, *token, {conn->fd.get()},
      [ctx](const transport::SecretBuffer& back) -> absl::Status {
        absl::StatusOr<Context> again = Context::Import(back.span());
        if (!again.ok()) return again.status();  // kFailure: memory; lost
        *ctx = std::move(*again);
        return absl::OkStatus();
      });
  if (!d.ok()) return d.status();  // restored (or lost: ctx invalid)
  InFlightHandoff f(std::move(conn), absl::Now() + ack_timeout);
  f.delivery_.emplace(std::move(*d));
  return f;
}

InFlightHandoff::Outcome InFlightHandoff::Finish(
    const absl::StatusOr<transport::Delivery>& d, std::string* why) {
  if (d.ok()) {
    conn_.reset();  // the worker has the socket: close the master's copy
    return Outcome::kDelivered;
  }
  *why = gssx::StatusText(d.status());
  return conn_->ctx.valid() ? Outcome::kReturned : Outcome::kLost;
}

InFlightHandoff::Outcome InFlightHandoff::Collect(transport::Channel& channel,
                                                  absl::Time now,
                                                  std::string* why) {
  absl::StatusOr<std::optional<transport::Delivery>> d = delivery_->Check(channel);
  if (d.ok() && !d->has_value()) {
    if (now < deadline_) return Outcome::kPending;
    return Abandon(transport::MakeError(transport::ErrorKind::kTimeout,
                                        "no answer from the worker in time"),
                   why);
  }
  if (!d.ok()) return Finish(d.status(), why);
  return Finish(**d, why);
}

InFlightHandoff::Outcome InFlightHandoff::Abandon(absl::Status why_given,
                                                  std::string* why) {
  return Finish(delivery_->Abandon(std::move(why_given)), why);
}

}  // namespace gssx::examples
