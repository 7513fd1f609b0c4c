// SPDX-License-Identifier: Apache-2.0
// SIGHUP live upgrade of the gssx pre-fork server (prefork.h) on the
// library protocol (transport/upgrade.h, docs/upgrade.md).
//
// Old master, on SIGHUP: the pool's busy workers hand their clients back
// between two requests (WorkerPool::CollectForUpgrade); the master starts
// the binary at its own path (/proc/self/exe) with its own arguments,
// offers it the listener and every client (context, socket), and commits.
// Committed: the old master closes its copies and exits (its idle workers
// with it). Not committed (the new binary refused, crashed, ran out of
// fds...): every client came back; the master submits them to its pool
// again and keeps serving, and logs why.
// New master (GSSX_UPGRADE_FD set): takes the listener and the clients
// instead of binding, and submits the clients to its own new workers.
//
// Limits: connections still in their handshake when SIGHUP arrives are
// closed by the old master (their clients must reconnect); if a worker
// does not hand its client back in time (a request longer than the
// timeout), the upgrade is not attempted and the master keeps serving.
// See docs/upgrade.md.
#ifndef GSSX_EXAMPLES_SERVERS_LIVE_UPGRADE_H_
#define GSSX_EXAMPLES_SERVERS_LIVE_UPGRADE_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "examples/servers/worker_pool.h"
#include "gssx/context.h"
#include "transport/base/unique_fd.h"
#include "transport/upgrade.h"

namespace gssx::examples {

// Identifies the server and its (empty) state format to the new binary.
inline constexpr char kPreforkUpgradeTag[] = "gssx-prefork";
inline constexpr uint32_t kPreforkUpgradeVersion = 1;

struct UpgradeOutcome {
  transport::UpgradeReport report;
  pid_t successor = -1;
};

// Old master: hands `listener` and `clients` to a new copy of this binary.
// On kCommitted the clients are the new master's (`clients` holds empty
// contexts; destroying it closes this process's copies of the sockets).
// Otherwise every client's context is back in `clients`.
UpgradeOutcome UpgradeToNewBinary(int listener,
                                  std::vector<PoolJob<Context>>& clients);

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

struct TakenOver {
  transport::UniqueFd listener;
  std::vector<PoolJob<Context>> clients;
};
// New master: accepts the upgrade (refusing another tag or version) and
// takes the listener and the clients.
absl::StatusOr<TakenOver> TakeOverFromOldMaster();

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_SERVERS_LIVE_UPGRADE_H_
