// SPDX-License-Identifier: Apache-2.0
// Privilege separation in the fork/exec example, for real: the server runs
// as root and its sessions must run as "nobody" (uid 65534). Needs real
// root, so it runs outside Bazel's sandbox (tag "no-sandbox": the
// sandbox's user namespace maps only uid 0) and is skipped — counted as
// skipped — anywhere a process cannot switch uid.
#include <grp.h>
#include <signal.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "examples/clients/client.h"
#include "examples/servers/privsep.h"
#include "examples/testing/server_process.h"
#include "examples/testing/server_test.h"
#include "gmock/gmock.h"
#include "gssx/credentials.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/status_matchers.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::GssxServerTest;
using ::gssx::examples::testing::RunfilesPath;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;
using ::gssx::testing::ForkedChild;

constexpr uid_t kNobody = 65534;
constexpr absl::Duration kWait = absl::Seconds(30);

// Whether a child can become another uid here: root, outside a user
// namespace that maps only uid 0, and a "nobody" user with uid 65534.
std::string WhyNotRoot() {
  if (::geteuid() != 0) return "needs root (run outside the sandbox as root)";
  absl::StatusOr<UserIds> nobody = LookUpUser("nobody");
  if (!nobody.ok() || nobody->uid != kNobody) return "no user nobody with uid 65534";
  absl::StatusOr<ForkedChild> probe = ForkedChild::Start([] {
    gid_t g = kNobody;
    return ::setgroups(1, &g) == 0 && ::setgid(kNobody) == 0 &&
                   ::setuid(kNobody) == 0
               ? 0
               : 1;
  });
  if (!probe.ok() || probe->Wait(kWait).value_or(1) != 0) {
    return "cannot switch to uid 65534 here (a user namespace mapping only uid 0?)";
  }
  return "";
}

class PrivsepTest : public GssxServerTest {
 protected:
  void SetUp() override {
    std::string why = WhyNotRoot();
    if (!why.empty()) GTEST_SKIP() << why;
    // Keys readable by root only: the sessions import contexts and never
    // read a key file.
    GssxServerTest::SetUp();
  }

  std::vector<std::string> ServerArgs(std::vector<std::string> more) const {
    more.insert(more.begin(), "--user=nobody");
    return keys_.ServerArgs(std::move(more));
  }
};

// (e) The session drops to nobody before importing; the server checked it
// (kernel-recorded credentials of its "ready" message, /proc status) before
// handing the context over; and while the client is mid-connection the
// test sees for itself, in /proc, that the process serving it has nothing
// of root left.
TEST_F(PrivsepTest, SessionRunsAsNobody) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       ServerProcess::Start(RunfilesPath("examples/fork_exec_server"),
                                            ServerArgs({"--verbose"})));
  ClientOptions c;
  c.connect = server->address();
  std::optional<ProcessIds> seen;
  pid_t session_pid = -1;
  c.before_request = [&](int i) {
    if (i != 1) return;  // request 0 was served: the session holds the context
    // The server logs the session's pid once the handoff is acknowledged,
    // which may be a moment after the session answered request 0.
    if (!server->WaitForLog("took the connection", kWait)) return;
    std::vector<std::string> lines = server->LogLinesWith("took the connection");
    if (lines.size() != 1) return;
    // "[server P] session PID (uid 65534 gid 65534, checked) took ..."
    std::vector<std::string> words = absl::StrSplit(lines[0], ' ');
    if (words.size() < 4 || !absl::SimpleAtoi(words[3], &session_pid)) return;
    absl::StatusOr<ProcessIds> ids = ReadProcessIds(session_pid);
    if (ids.ok()) seen = *ids;
  };
  int ok = 0;
  EXPECT_OK(RunClientConnection(*client_cred_, c, &ok));
  EXPECT_EQ(ok, 10);
  ASSERT_TRUE(seen.has_value()) << "could not inspect the session (pid " << session_pid << ")";
  EXPECT_THAT(seen->uids, ::testing::Each(kNobody));
  EXPECT_THAT(seen->gids, ::testing::Each(kNobody));
  EXPECT_THAT(seen->groups, ::testing::ElementsAre(kNobody));
  EXPECT_EQ(seen->effective_caps, 0u);
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.Stat("sessions"), 1) << e.stats_line;
  EXPECT_EQ(e.Stat("refused"), 0) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
  EXPECT_TRUE(server->HasLog("dropped privileges to nobody (uid 65534 gid 65534)"));
  EXPECT_TRUE(server->HasLog("imported the context and the client socket (uid 65534)"));
}

// A session that says "ready" without having dropped privileges (a broken
// build of it, here testdata/undropped_session) is refused: nothing is
// handed over, the client's connection is dropped after the welcome, the
// server says why. This is what makes the server's check meaningful: the
// channel's own SO_PEERCRED check would have let it through (for a
// socketpair it names the server itself).
TEST_F(PrivsepTest, SessionThatKeepsRootIsRefused) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      ServerProcess::Start(
          RunfilesPath("examples/fork_exec_server"),
          ServerArgs({"--session=" + RunfilesPath("examples/undropped_session")})));
  ClientOptions c;
  c.connect = server->address();
  int ok = 0;
  absl::Status s = RunClientConnection(*client_cred_, c, &ok);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(ok, 0);
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.Stat("sessions"), 0) << e.stats_line;
  EXPECT_EQ(e.Stat("refused"), 1) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 1) << e.stats_line;
  EXPECT_TRUE(server->HasLog("runs as uid 0 gid 0; allowed: uids {65534}"));
}

}  // namespace
}  // namespace gssx::examples
