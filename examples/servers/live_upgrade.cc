// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/live_upgrade.h"

#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "examples/servers/server_util.h"
#include "transport/base/errors.h"
#ifdef GSSX_EXAMPLE_UPGRADE_FAULTS  // testonly binaries (prefork_server_faulty)
#include "examples/testdata/upgrade_fault.h"
#endif

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

std::string ReadOwnBinaryPath() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

void UnblockMasterSignals() {
  const sigset_t set = MasterSignals();
  (void)::sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

const std::string& OwnBinaryPath() {
  static const std::string* const path = new std::string(ReadOwnBinaryPath());
  return *path;
}

UpgradeOutcome UpgradeToNewBinary(
    const transport::UpgradeHello& self, int listener, size_t n,
    const std::function<absl::Status(transport::UpgradeSource&, size_t i)>& offer) {
  UpgradeOutcome out;
  if (OwnBinaryPath().empty()) {
    out.report.status = transport::MakeError(transport::ErrorKind::kBadArgument,
                                             "this binary's path is unknown");
    return out;
  }
  // Blocked in the child from the fork on (UnblockMasterSignals); here
  // they wait the few microseconds of the fork.
  const sigset_t block = MasterSignals();
  sigset_t before;
  (void)::sigprocmask(SIG_BLOCK, &block, &before);
  absl::StatusOr<transport::Successor> successor =
      transport::StartSuccessor(OwnBinaryPath(), OwnArguments());
  (void)::sigprocmask(SIG_SETMASK, &before, nullptr);
  if (!successor.ok()) {
    out.report.status = successor.status();
    return out;
  }
  out.successor = successor->pid;
  Log("master", absl::StrCat("upgrade: started pid ", out.successor, " (",
                             OwnBinaryPath(), "); offering the listener and ",
                             n, " sessions"));
  absl::StatusOr<transport::UpgradeSource> up =
      transport::UpgradeSource::Begin(std::move(successor->channel_socket), self);
  if (!up.ok()) {
    out.report.status = up.status();
    return out;
  }
  // Errors are kept by the source: Commit gives everything back then.
  (void)up->OfferListeners({{"listen", listener}});
  for (size_t i = 0; i < n; ++i) (void)offer(*up, i);
  out.report = up->Commit();
  return out;
}

bool StartedForUpgrade() { return std::getenv(transport::kUpgradeFdEnv) != nullptr; }

absl::StatusOr<transport::UpgradeBatch> ReceiveUpgrade(
    const transport::UpgradeHello& self,
    std::function<absl::Status(absl::Span<const uint8_t>)> validate) {
  const char* env = std::getenv(kUpgradeDrillEnv);
  const std::string drill = env ? env : "";
  if (drill == "slow") {
    Log("master", "upgrade drill: taking over in 1 s");
    absl::SleepFor(absl::Seconds(1));
  }
  absl::StatusOr<transport::Channel> channel = transport::InheritedUpgradeChannel();
  if (!channel.ok()) return channel.status();
  transport::UpgradeTargetOptions options;
  options.self = self;
  if (drill == "refuse") {
    ++options.self.app_version;
    Log("master", absl::StrCat("upgrade drill: reading state version ",
                               options.self.app_version, " (refusing)"));
  }
  options.validate_context = [validate = std::move(validate), crash = drill == "crash",
                              validated = 0](absl::Span<const uint8_t> token) mutable {
    if (crash && ++validated == 2) {
      Log("master", "upgrade drill: crashing at the 2nd session");
      ::_exit(3);
    }
    return validate ? validate(token) : absl::OkStatus();
  };
#ifdef GSSX_EXAMPLE_UPGRADE_FAULTS
  testdata::InjectUpgradeFault(options);
#endif
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
  return batch;
}

void LogLostSession(const absl::Status& why) {
  Log("master", absl::StrCat("upgrade: a session lost: ", transport::StatusText(why)));
}

void ReapFailedSuccessor(pid_t pid) {
  if (pid <= 0) return;
  const absl::Time deadline = absl::Now() + absl::Seconds(2);
  while (absl::Now() < deadline) {
    const pid_t r = ::waitpid(pid, nullptr, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return;
    absl::SleepFor(absl::Milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace gssx::examples
