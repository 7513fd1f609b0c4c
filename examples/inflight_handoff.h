// SPDX-License-Identifier: Apache-2.0
// A handoff a pre-fork master has sent and not yet collected the answer of
// (issue 16: a master that sends now and collects acks later, instead of
// sleeping in AwaitAck while the worker runs).
//
//   absl::StatusOr<InFlightHandoff> f =
//       InFlightHandoff::Start(channel, std::move(conn), absl::Seconds(30));
//   // ... later, when the worker says it is ready again, its control
//   // socket hangs up, or at f->deadline():
//   InFlightHandoff::Outcome o = f->Collect(channel, absl::Now(), &why);
//   // kPending: no answer yet, deadline not reached.
//   // kDelivered: the worker imported it; the master's copy of the socket
//   //   is closed. kReturned: not delivered, the context was reclaimed:
//   //   TakeConn() is the connection, whole again, for another worker.
//   //   kLost: neither (the reason is in `why`).
//
// The guarantees are transport::PendingDelivery's (deliver.h): the token
// is imported at most once, and a token not imported comes back through
// the kernel latch. Collect never waits (one recvmsg); at the deadline it
// gives up and reclaims, as DeliverToken's ack timeout would.
#ifndef GSSX_EXAMPLES_INFLIGHT_HANDOFF_H_
#define GSSX_EXAMPLES_INFLIGHT_HANDOFF_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gssx/context.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {

// An authenticated client connection: its context and its socket.
struct ClientConn {
  Context ctx;
  transport::UniqueFd fd;
};

class InFlightHandoff {
 public:
  enum class Outcome { kPending, kDelivered, kReturned, kLost };

  InFlightHandoff(InFlightHandoff&&) = default;
  InFlightHandoff& operator=(InFlightHandoff&&) = default;

  // Exports conn->ctx and sends it with a copy of conn->fd. OK: in flight;
  // `conn` was moved in (kept until the answer). Error: nothing was sent
  // and `conn` is still the caller's, its context whole again — or lost
  // (conn->ctx invalid) if re-importing the token failed.
  static absl::StatusOr<InFlightHandoff> Start(transport::Channel& channel,
                                               std::unique_ptr<ClientConn>& conn,
                                               absl::Duration ack_timeout);

  // Reads the answer if it is there (never waits). At or after the
  // deadline without an answer, reclaims. `why` says why for kReturned
  // and kLost.
  Outcome Collect(transport::Channel& channel, absl::Time now, std::string* why);
  // The worker is gone (no channel needed): reclaims now, unless it
  // consumed the token (then kDelivered).
  Outcome Abandon(absl::Status why_given, std::string* why);

  // After kReturned: the connection, its context restored.
  std::unique_ptr<ClientConn> TakeConn() { return std::move(conn_); }
  absl::Time deadline() const { return deadline_; }
  // A handoff queued to a worker still busy with another connection is
  // not imported before that one ends: its ack deadline starts then.
  void set_deadline(absl::Time deadline) { deadline_ = deadline; }

 private:
  InFlightHandoff(std::unique_ptr<ClientConn> conn, absl::Time deadline)
      : conn_(std::move(conn)), deadline_(deadline) {}
  Outcome Finish(const absl::StatusOr<transport::Delivery>& d, std::string* why);

  std::unique_ptr<ClientConn> conn_;
  std::optional<transport::PendingDelivery> delivery_;
  absl::Time deadline_;
};

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_INFLIGHT_HANDOFF_H_
