// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/live_upgrade.h"

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "examples/servers/server_util.h"
#include "gssx/upgrade.h"
#include "transport/base/errors.h"

namespace gssx::examples {
namespace {

// This process's arguments (without argv[0]), from /proc/self/cmdline.
std::vector<std::string> OwnArguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  std::vector<std::string> args = absl::StrSplit(all, '\0');
  if (!args.empty() && args.back().empty()) args.pop_back();  // trailing NUL
  if (!args.empty()) args.erase(args.begin());
  return args;
}

sigset_t MasterSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  return set;
}

}  // namespace

void UnblockMasterSignals() {
  const sigset_t set = MasterSignals();
  (void)::sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

UpgradeOutcome UpgradeToNewBinary(int listener,
                                  std::vector<PoolJob<Context>>& clients) {
  UpgradeOutcome out;
  // Blocked in the child from the fork on (UnblockMasterSignals); here
  // they wait the few microseconds of the fork.
  const sigset_t block = MasterSignals();
  sigset_t before;
  (void)::sigprocmask(SIG_BLOCK, &block, &before);
  absl::StatusOr<transport::Successor> successor =
      transport::StartSuccessor("/proc/self/exe", OwnArguments());
  (void)::sigprocmask(SIG_SETMASK, &before, nullptr);
  if (!successor.ok()) {
    out.report.status = successor.status();
    return out;
  }
  out.successor = successor->pid;
  Log("master", absl::StrCat("upgrade: started pid ", out.successor, "; offering the "
                             "listener and ", clients.size(), " sessions"));
  absl::StatusOr<transport::UpgradeSource> up = transport::UpgradeSource::Begin(
      std::move(successor->channel_socket),
      {kPreforkUpgradeTag, kPreforkUpgradeVersion});
  if (!up.ok()) {
    out.report.status = up.status();
    return out;
  }
  // Errors are kept by the source: Commit gives everything back then.
  (void)up->OfferListeners({{"listen", listener}});
  for (size_t i = 0; i < clients.size(); ++i) {
    (void)OfferContextSession(*up, i, clients[i].ctx, clients[i].fd.get(), {});
  }
  out.report = up->Commit();
  return out;
}

bool StartedForUpgrade() { return std::getenv(transport::kUpgradeFdEnv) != nullptr; }

absl::StatusOr<TakenOver> TakeOverFromOldMaster() {
  absl::StatusOr<transport::Channel> channel = transport::InheritedUpgradeChannel();
  if (!channel.ok()) return channel.status();
  transport::UpgradeTargetOptions options;
  options.self = {kPreforkUpgradeTag, kPreforkUpgradeVersion};
  options.validate_context = ContextTokenValidator();
  absl::StatusOr<transport::UpgradeTarget> target =
      transport::UpgradeTarget::Accept(std::move(*channel), options);
  if (!target.ok()) return target.status();
  absl::StatusOr<transport::UpgradeBatch> batch = target->ReceiveBatch();
  if (!batch.ok()) return batch.status();
  if (batch->listeners.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("upgrade: ", batch->listeners.size(),
                     " listeners offered, 1 expected"));
  }
  TakenOver out;
  out.listener = std::move(batch->listeners[0].fd);
  for (transport::IncomingSession& s : batch->sessions) {
    absl::StatusOr<Context> ctx = ImportUpgradedContext(s);
    if (!ctx.ok()) {
      // Validated before the COMMIT; only memory can fail here.
      Log("master", absl::StrCat("upgrade: a session lost: ",
                                 gssx::StatusText(ctx.status())));
      continue;
    }
    out.clients.push_back({std::move(*ctx), std::move(s.client)});
  }
  return out;
}

}  // namespace gssx::examples
