// SPDX-License-Identifier: Apache-2.0
// SIGHUP live upgrade of the example pre-fork servers (prefork.h on gssx,
// krb5_server.h on MIT Kerberos) on the library protocol
// (transport/upgrade.h, docs/upgrade.md). Generic over the context type of
// the server's worker pool (worker_pool.h): what is mechanism-specific —
// exporting a context into an offer, trial-importing a token, importing a
// committed session — comes in a LiveUpgrade<Context>.
//
// Old master, on SIGHUP: the pool's busy workers hand their clients back
// between two requests (WorkerPool::CollectForUpgrade); the master starts
// the binary at its own path (OwnBinaryPath(), resolved at startup) with
// its own arguments, offers it the listener and every client (context,
// socket), and commits. Committed: the old master closes its copies and
// exits (its idle workers with it). Not committed (the new binary refused,
// crashed, ran out of fds...): every client came back; the master submits
// them to its pool again and keeps serving, and logs why.
// New master (GSSX_UPGRADE_FD set): takes the listener and the clients
// instead of binding, and submits the clients to its own new workers.
//
// Limits: connections still in their handshake when SIGHUP arrives are
// closed by the old master (their clients must reconnect); if a worker
// does not hand its client back in time (a request longer than the
// timeout), the upgrade is not attempted and the master keeps serving.
// See docs/upgrade.md.
//
// Transport only: the krb5 server links MIT's GSS-API and never //gssx,
// so the gssx functions are given by the server (prefork.cc), the MIT ones
// by gssx/krb5_bridge/upgrade.h.
#ifndef GSSX_EXAMPLES_SERVERS_LIVE_UPGRADE_H_
#define GSSX_EXAMPLES_SERVERS_LIVE_UPGRADE_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "examples/servers/worker_pool.h"
#include "transport/base/unique_fd.h"
#include "transport/upgrade.h"

namespace gssx::examples {

// Identifies each server and its (empty) state format to the new binary.
inline constexpr char kPreforkUpgradeTag[] = "gssx-prefork";
inline constexpr uint32_t kPreforkUpgradeVersion = 1;
inline constexpr char kKrb5UpgradeTag[] = "gssx-krb5-server";
inline constexpr uint32_t kKrb5UpgradeVersion = 1;

// What a server's upgrade does with its context type.
template <typename Context>
struct LiveUpgrade {
  // The HELLO (source) and what the new binary accepts (target).
  transport::UpgradeHello self;
  // Exports `ctx` and offers it with `client_fd`: gssx::OfferContextSession
  // or krb5::OfferMitSession with no state blob and a restore that puts
  // the context back into `ctx` if the upgrade returns it.
  std::function<absl::Status(transport::UpgradeSource& source, uint64_t id,
                             Context& ctx, int client_fd)>
      offer;
  // UpgradeTargetOptions::validate_context (a trial import); may be empty.
  std::function<absl::Status(absl::Span<const uint8_t> token)> validate;
  // Imports a committed session's context.
  std::function<absl::StatusOr<Context>(const transport::IncomingSession&)>
      import;
};

// The path of this process's binary, read from /proc/self/exe the first
// time (call it at startup: once the file is replaced, /proc/self/exe
// names "... (deleted)"). Empty if it could not be read.
const std::string& OwnBinaryPath();

struct UpgradeOutcome {
  transport::UpgradeReport report;
  pid_t successor = -1;
};

// Old master, type-erased: starts OwnBinaryPath() with this process's
// arguments, offers `listener`, then offer(source, i) for i < n sessions,
// and commits.
UpgradeOutcome UpgradeToNewBinary(
    const transport::UpgradeHello& self, int listener, size_t n,
    const std::function<absl::Status(transport::UpgradeSource&, size_t i)>& offer);

// Old master, after an upgrade that did not commit: the new binary owns
// nothing and its channel is closed, so it exits by itself (refused, or
// its peer gone). It gets 2 s to, so that what runs at its exit (a
// sanitizer's leak check, with a helper process of its own) is not cut off
// and orphaned; then SIGKILL. Reaps it. A no-op for pid <= 0.
void ReapFailedSuccessor(pid_t pid);

// Old master: hands `listener` and `clients` to a new copy of this binary.
// On kCommitted the clients are the new master's (`clients` holds empty
// contexts; destroying it closes this process's copies of the sockets).
// Otherwise every client's context is back in `clients` (one whose
// restore failed stays empty: lost).
template <typename Context>
UpgradeOutcome UpgradeToNewBinary(const LiveUpgrade<Context>& upgrade,
                                  int listener,
                                  std::vector<PoolJob<Context>>& clients) {
  return UpgradeToNewBinary(
      upgrade.self, listener, clients.size(),
      [&](transport::UpgradeSource& source, size_t i) {
        return upgrade.offer(source, i, clients[i].ctx, clients[i].fd.get());
      });
}

// New master: true if this process was started by UpgradeToNewBinary.
bool StartedForUpgrade();

// The master's signals that end a process by default (SIGHUP, SIGTERM,
// SIGINT, SIGUSR1, SIGUSR2) are blocked in the new binary from its first
// instruction on: UpgradeToNewBinary blocks them around the fork, and a
// blocked mask crosses exec. One sent to the new master while it starts or
// takes over stays pending instead of killing it. The new master calls this
// once its handlers are installed (InstallSignalPipe): what is pending then
// goes into its pipe, for its loop.
void UnblockMasterSignals();

// Fault drills of a new master (tests, demos): when this environment
// variable is set in a process started for an upgrade, "refuse" makes it
// read another state version than `self` (app_version + 1: it refuses the
// old master's HELLO, as a binary with a new state format would) and
// "crash" makes it _exit(3) while validating the 2nd offered session
// (mid-way: the old master takes every session back); "slow" makes it
// wait 1 s before it takes over (signals arriving meanwhile). A master not
// started for an upgrade ignores it, so the variable can be set for the
// first one and act in its successors.
inline constexpr char kUpgradeDrillEnv[] = "GSSX_UPGRADE_DRILL";

// New master, type-erased: accepts the upgrade (refusing another tag or
// version than `self`) and receives the batch; exactly one listener.
absl::StatusOr<transport::UpgradeBatch> ReceiveUpgrade(
    const transport::UpgradeHello& self,
    std::function<absl::Status(absl::Span<const uint8_t>)> validate);

// "upgrade: a session lost: ..." in the master's log.
void LogLostSession(const absl::Status& why);

template <typename Context>
struct TakenOver {
  transport::UniqueFd listener;
  std::vector<PoolJob<Context>> clients;
  int lost = 0;  // committed sessions whose import failed (memory)
};

// New master: accepts the upgrade and takes the listener and the clients.
template <typename Context>
absl::StatusOr<TakenOver<Context>> TakeOverFromOldMaster(
    const LiveUpgrade<Context>& upgrade) {
  absl::StatusOr<transport::UpgradeBatch> batch =
      ReceiveUpgrade(upgrade.self, upgrade.validate);
  if (!batch.ok()) return batch.status();
  TakenOver<Context> out;
  out.listener = std::move(batch->listeners[0].fd);
  for (transport::IncomingSession& s : batch->sessions) {
    absl::StatusOr<Context> ctx = upgrade.import(s);
    if (!ctx.ok()) {
      // Validated before the COMMIT; only memory can fail here.
      LogLostSession(ctx.status());
      ++out.lost;
      continue;
    }
    out.clients.push_back({std::move(*ctx), std::move(s.client)});
  }
  return out;
}

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_SERVERS_LIVE_UPGRADE_H_
