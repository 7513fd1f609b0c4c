// SPDX-License-Identifier: Apache-2.0
// The "new binary" of //gssx/krb5_bridge:upgrade_test: started by
// StartSuccessor with the upgrade channel in GSSX_UPGRADE_FD, it takes over
// a listener and MIT Kerberos sessions (gssx/krb5_bridge/upgrade.h) and
// serves them.
//
//   mit_upgrade_target <app_version> serve
//   mit_upgrade_target <app_version> crash-in-session <k>  (_exit(3) while
//       validating the k-th offered session, 1-based)
//   mit_upgrade_target <app_version> require-deleg  (the validator requires
//       GSS_C_DELEG_FLAG, which the test's contexts lack: refuses the
//       first session)
//
// Serving: each session's client sends frames (testing/frames.h) holding an
// MIT gss_wrap token; the answer is a wrap of
// "pid=<pid> state=<blob> msg=<msg>". MitContext::Unwrap refuses a
// duplicate, old or out-of-sequence token: then this program exits 14, and
// the client sees its connection close. A connection on the listener gets
// "new <pid>\n" and is closed. Exits 0 once every session's client has
// closed. Other exit codes name the failing step (stderr says why).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/upgrade.h"
#include "testing/frames.h"
#include "transport/base/errors.h"
#include "transport/upgrade.h"

namespace {

using gssx::transport::StatusText;

int Fail(int code, const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "mit_upgrade_target: %s: %s\n", what.c_str(),
               StatusText(s).c_str());
  return code;
}

struct Served {
  gssx::transport::UniqueFd fd;
  gssx::krb5::MitContext context;
  std::string state;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  uint32_t version = 0;
  if (!absl::SimpleAtoi(argv[1], &version)) return 2;
  const std::string mode = argv[2];
  int k = 0;
  if (argc > 3 && !absl::SimpleAtoi(argv[3], &k)) return 2;

  absl::StatusOr<gssx::transport::Channel> channel =
      gssx::transport::InheritedUpgradeChannel();
  if (!channel.ok()) return Fail(10, "inherited channel", channel.status());

  gssx::transport::UpgradeTargetOptions options;
  options.self = {"gssx-mit-upgrade-test", version};
  gssx::krb5::MitUpgradeImportOptions import;
  if (mode == "require-deleg") import.required_services |= GSS_C_DELEG_FLAG;
  int validated = 0;
  auto trial_import = gssx::krb5::MitContextTokenValidator(import);
  options.validate_context = [&](absl::Span<const uint8_t> token) {
    ++validated;
    if (mode == "crash-in-session" && validated == k) _exit(3);
    return trial_import(token);
  };
  absl::StatusOr<gssx::transport::UpgradeTarget> target =
      gssx::transport::UpgradeTarget::Accept(std::move(*channel), options);
  if (!target.ok()) return Fail(11, "accept", target.status());
  absl::StatusOr<gssx::transport::UpgradeBatch> batch = target->ReceiveBatch();
  if (!batch.ok()) return Fail(12, "receive batch", batch.status());

  std::vector<Served> sessions;
  for (gssx::transport::IncomingSession& s : batch->sessions) {
    absl::StatusOr<gssx::krb5::MitContext> ctx =
        gssx::krb5::ImportUpgradedMitContext(s, import);
    if (!ctx.ok()) return Fail(13, "import", ctx.status());
    sessions.push_back({std::move(s.client), std::move(*ctx),
                        std::string(s.state.data(),
                                    s.state.data() + s.state.size())});
  }
  std::fprintf(stderr,
               "mit_upgrade_target: pid %d serves %zu sessions, %zu listeners\n",
               getpid(), sessions.size(), batch->listeners.size());

  size_t open = sessions.size();
  while (open > 0) {
    std::vector<pollfd> fds;
    for (const Served& s : sessions) fds.push_back({s.fd.get(), POLLIN, 0});
    for (const auto& l : batch->listeners) fds.push_back({l.fd.get(), POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    for (size_t i = 0; i < sessions.size(); ++i) {
      Served& s = sessions[i];
      if (!s.fd.valid() || fds[i].revents == 0) continue;
      std::optional<std::vector<uint8_t>> frame = gssx::testing::ReadFrame(s.fd.get());
      if (!frame) {
        s.fd.Reset();
        --open;
        continue;
      }
      absl::StatusOr<std::vector<uint8_t>> msg = s.context.Unwrap(*frame);
      if (!msg.ok()) return Fail(14, "unwrap", msg.status());
      std::string reply = absl::StrCat("pid=", getpid(), " state=", s.state,
                                       " msg=", std::string(msg->begin(), msg->end()));
      absl::StatusOr<std::vector<uint8_t>> w = s.context.Wrap(
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(reply.data()),
                              reply.size()));
      if (!w.ok()) return Fail(15, "wrap", w.status());
      if (!gssx::testing::WriteFrame(s.fd.get(), *w)) return 16;
    }
    for (size_t i = 0; i < batch->listeners.size(); ++i) {
      if (fds[sessions.size() + i].revents == 0) continue;
      int c = accept4(batch->listeners[i].fd.get(), nullptr, nullptr,
                      SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string hello = absl::StrCat("new ", getpid(), "\n");
      (void)gssx::testing::WriteAll(
          c, reinterpret_cast<const uint8_t*>(hello.data()), hello.size());
      close(c);
    }
  }
  return 0;
}
