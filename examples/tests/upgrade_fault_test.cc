// SPDX-License-Identifier: Apache-2.0
// Faults in the new master of the REAL prefork_server's SIGHUP upgrade
// (live_upgrade.h, docs/upgrade.md "Fault tests").
//
// The server runs from a copy of prefork_server in a temporary directory;
// the test replaces that file (rename over it, as a package upgrade does)
// with the binary the old master will start on SIGHUP:
//  - prefork_server_faulty, told through GSSX_UPGRADE_FAULT_FILE to die
//    (SIGKILL) right before consuming the HELLO, the LISTENERS, the 1st or
//    the 3rd SESSION, or the COMMIT;
//  - prefork_server_incompatible, whose state version is 2: it refuses;
//  - prefork_server again: the upgrade goes through.
// Four clients hold authenticated connections across all of it, three
// idle between requests and one mid-request at each SIGHUP (half of its
// request frame sent; the rest only after the upgrade was given time to
// start). After each failed upgrade: the old master logged why, every
// session came back (or never left), the mid-request client's answer
// came, every client's next requests are answered with its original
// context (client and server both refuse a replay or gap bit: no request
// lost or answered twice), and a new connection is accepted. At the end
// the good upgrade moves all four; the old master exits 0 with 0
// failures.
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "examples/common/frame.h"
#include "examples/servers/server_util.h"
#include "examples/testdata/upgrade_fault.h"
#include "examples/testing/server_process.h"
#include "examples/testing/test_keys.h"
#include "gmock/gmock.h"
#include "gssx/context.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::MakeTempDir;
using ::gssx::examples::testing::MakeTestClient;
using ::gssx::examples::testing::RunfilesPath;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;
using ::gssx::examples::testing::TestClient;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(30);
constexpr int kClients = 4;  // the third SESSION exists
// Each connection holds a worker while it is open: room for a fresh one.
// (--workers=6)
// How long the mid-request client waits, after SIGHUP, before it sends the
// rest of its request: the upgrade must not start meanwhile.
constexpr absl::Duration kMidRequestPause = absl::Milliseconds(400);

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// One authenticated connection, driven request by request.
class Session {
 public:
  static absl::StatusOr<Session> Open(const Credentials& cred,
                                      const std::string& address) {
    absl::StatusOr<transport::UniqueFd> fd = Connect(address);
    if (!fd.ok()) return fd.status();
    absl::StatusOr<Name> target =
        Name::Import("demo@localhost", NameType::kHostBasedService);
    if (!target.ok()) return target.status();
    InitOptions init;
    init.target = *target;
    absl::StatusOr<HandshakeStep> step = Context::Initiate(cred, init);
    if (!step.ok()) return step.status();
    if (absl::Status s = WriteFrame(fd->get(), step->output_token); !s.ok()) {
      return s;
    }
    absl::StatusOr<std::vector<uint8_t>> reply = ReadFrame(fd->get(), kWait);
    if (!reply.ok()) return reply.status();
    if (absl::StatusOr<std::vector<uint8_t>> more =
            step->context.Continue(*reply);
        !more.ok()) {
      return more.status();
    }
    absl::StatusOr<std::vector<uint8_t>> welcome = ReadFrame(fd->get(), kWait);
    if (!welcome.ok()) return welcome.status();
    absl::StatusOr<UnwrapResult> w = step->context.Unwrap(*welcome);
    if (!w.ok()) return w.status();
    return Session(std::move(step->context), std::move(*fd));
  }

  // Sends the next request whole and checks its answer.
  absl::Status Request() {
    if (absl::Status s = SendFirstHalf(); !s.ok()) return s;
    return FinishRequest();
  }

  // Sends only the first half of the next request's frame.
  absl::Status SendFirstHalf() {
    text_ = absl::StrCat("request ", next_);
    absl::StatusOr<WrapResult> req = ctx_.Wrap(Bytes(text_), true);
    if (!req.ok()) return req.status();
    const std::vector<uint8_t>& t = req->token;
    frame_ = {static_cast<uint8_t>(t.size() >> 24),
              static_cast<uint8_t>(t.size() >> 16),
              static_cast<uint8_t>(t.size() >> 8),
              static_cast<uint8_t>(t.size())};
    frame_.insert(frame_.end(), t.begin(), t.end());
    return WriteAll(absl::MakeConstSpan(frame_).first(frame_.size() / 2));
  }

  // Sends the rest and checks the answer: its content, and no replay or
  // gap bit (the context's sequence continues exactly).
  absl::Status FinishRequest() {
    if (absl::Status s = WriteAll(
            absl::MakeConstSpan(frame_).subspan(frame_.size() / 2));
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::vector<uint8_t>> frame = ReadFrame(fd_.get(), kWait);
    if (!frame.ok()) {
      return absl::Status(frame.status().code(),
                          absl::StrCat("reply to ", text_, ": ",
                                       frame.status().message()));
    }
    absl::StatusOr<UnwrapResult> resp = ctx_.Unwrap(*frame);
    if (!resp.ok()) return resp.status();
    if (resp->supplementary != 0) {
      return absl::DataLossError(absl::StrCat(
          "reply to ", text_, ": supplementary bits ", resp->supplementary));
    }
    if (std::string(resp->message.begin(), resp->message.end()) !=
        "re: " + text_) {
      return absl::DataLossError(absl::StrCat("reply to ", text_, ": wrong"));
    }
    ++next_;
    return absl::OkStatus();
  }

  int answered() const { return next_; }

 private:
  Session(Context ctx, transport::UniqueFd fd)
      : ctx_(std::move(ctx)), fd_(std::move(fd)) {}

  absl::Status WriteAll(absl::Span<const uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(),
                               MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError(std::strerror(errno));
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  Context ctx_;
  transport::UniqueFd fd_;
  int next_ = 0;
  std::string text_;
  std::vector<uint8_t> frame_;
};

// Puts `from` at `to` as a package manager would: a new file renamed over
// the old one (the running binary keeps its own inode).
void Install(const std::string& from, const std::string& to) {
  const std::string tmp = to + ".new";
  std::filesystem::copy_file(from, tmp,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_all);
  ASSERT_EQ(::rename(tmp.c_str(), to.c_str()), 0) << std::strerror(errno);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text << "\n";
}

// Waits until `n` log lines contain `text`.
bool AwaitLines(ServerProcess& server, const std::string& text, size_t n) {
  const absl::Time deadline = absl::Now() + kWait;
  while (server.LogLinesWith(text).size() < n) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

struct Case {
  const char* binary;  // what the old master finds at its path
  const char* fault;   // GSSX_UPGRADE_FAULT_FILE's line
  const char* why;     // in the old master's "upgrade failed (...)" line
  int returned;        // sessions it reports returned
};

TEST(UpgradeFaultTest, FailedUpgradesKeepEverySessionThenOneGoesThrough) {
  const std::string dir = MakeTempDir("upgrade_fault");
  const std::string binary = dir + "/prefork_server";
  const std::string fault_file = dir + "/fault";
  WriteFile(fault_file, "none");
  ASSERT_EQ(::setenv("GSSX_UPGRADE_FAULT_FILE", fault_file.c_str(), 1), 0);
  Install(RunfilesPath("examples/prefork_server"), binary);
  ASSERT_OK_AND_ASSIGN(TestClient client, MakeTestClient());
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServerProcess> server,
      ServerProcess::Start(binary, client.keys.ServerArgs({"--workers=6"})));
  std::vector<Session> sessions;
  for (int i = 0; i < kClients; ++i) {
    ASSERT_OK_AND_ASSIGN(Session s, Session::Open(client.cred, server->address()));
    sessions.push_back(std::move(s));
  }
  for (Session& s : sessions) ASSERT_OK(s.Request());

  const Case cases[] = {
      {"prefork_server_faulty", "HELLO", "HELLO", 0},
      {"prefork_server_faulty", "LISTENERS", "LISTENERS", kClients},
      {"prefork_server_faulty", "SESSION:1", "SESSION", kClients},
      {"prefork_server_faulty", "SESSION:3", "SESSION", kClients},
      {"prefork_server_faulty", "COMMIT", "COMMIT", kClients},
      {"prefork_server_incompatible", "none",
       "refused the upgrade: source is gssx-prefork version 1, this binary "
       "reads gssx-prefork version 2",
       0},
  };
  int round = 0;
  for (const Case& c : cases) {
    ++round;
    SCOPED_TRACE(absl::StrCat(c.binary, " ", c.fault));
    Install(RunfilesPath(absl::StrCat("examples/", c.binary)), binary);
    WriteFile(fault_file, c.fault);
    // Client 0 is mid-request when SIGHUP arrives.
    ASSERT_OK(sessions[0].SendFirstHalf());
    server->Signal(SIGHUP);
    absl::SleepFor(kMidRequestPause);
    // The upgrade waits for the request in progress: nothing started yet.
    EXPECT_EQ(server->LogLinesWith("upgrade: started pid").size(),
              static_cast<size_t>(round - 1));
    ASSERT_OK(sessions[0].FinishRequest());
    ASSERT_TRUE(AwaitLines(*server, "upgrade failed (", round))
        << "upgrade " << round << " did not fail";
    const std::string failed = server->LogLinesWith("upgrade failed (").back();
    EXPECT_THAT(failed, HasSubstr(c.why));
    EXPECT_THAT(failed, HasSubstr(absl::StrCat("): ", c.returned,
                                               " sessions returned")));
    if (std::string(c.fault) != "none") {
      std::string point = c.fault;  // "SESSION:3" is logged "SESSION 3"
      std::replace(point.begin(), point.end(), ':', ' ');
      EXPECT_EQ(server->LogLinesWith(absl::StrCat("upgrade fault: dying before ",
                                                  point))
                    .size(),
                1u);
    }
    // Every session is still served, in sequence, by the old master's
    // workers; the old master accepts new connections.
    for (Session& s : sessions) {
      ASSERT_OK(s.Request());
      ASSERT_OK(s.Request());
    }
    ASSERT_OK_AND_ASSIGN(Session fresh,
                         Session::Open(client.cred, server->address()));
    ASSERT_OK(fresh.Request());
  }
  EXPECT_EQ(server->LogLinesWith("upgrade committed").size(), 0u);

  // A good binary: the four sessions move (the mid-request one after its
  // answer) and go on with the new master.
  Install(RunfilesPath("examples/prefork_server"), binary);
  WriteFile(fault_file, "none");
  ASSERT_OK(sessions[0].SendFirstHalf());
  server->Signal(SIGHUP);
  absl::SleepFor(kMidRequestPause);
  EXPECT_EQ(server->LogLinesWith("upgrade: started pid").size(),
            static_cast<size_t>(round));
  ASSERT_OK(sessions[0].FinishRequest());
  ASSERT_TRUE(AwaitLines(*server, "upgrade committed: pid ", 1));
  const std::string committed = server->LogLinesWith("upgrade committed: pid ").back();
  EXPECT_THAT(committed,
              HasSubstr(absl::StrCat("took the listener and ", kClients, " sessions")));
  int next_master = -1;
  ASSERT_TRUE(absl::SimpleAtoi(
      committed.substr(committed.find("pid ") + 4,
                       committed.find(' ', committed.find("pid ") + 4) -
                           committed.find("pid ") - 4),
      &next_master));
  for (Session& s : sessions) {
    ASSERT_OK(s.Request());
    ASSERT_OK(s.Request());
  }
  ASSERT_OK_AND_ASSIGN(Session fresh, Session::Open(client.cred, server->address()));
  ASSERT_OK(fresh.Request());
  // Client 0: 1 + 6 x (1 + 2) + 1 + 2; the others: 1 + 6 x 2 + 2.
  EXPECT_EQ(sessions[0].answered(), 1 + 6 * 3 + 3);
  for (int i = 1; i < kClients; ++i) EXPECT_EQ(sessions[i].answered(), 1 + 6 * 2 + 2);

  sessions.clear();
  int status = 0;
  ASSERT_EQ(::kill(next_master, SIGTERM), 0);
  ASSERT_EQ(::waitpid(next_master, &status, 0), next_master);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0) << e.stats_line;
  EXPECT_EQ(e.Stat("failures"), 0) << e.stats_line;
  ::unsetenv("GSSX_UPGRADE_FAULT_FILE");
}

// The fault points the test binary understands (and a typo it refuses).
TEST(UpgradeFaultTest, ParsesFaultPoints) {
  ASSERT_OK_AND_ASSIGN(testdata::UpgradeFault f,
                       testdata::ParseUpgradeFault("SESSION:3"));
  EXPECT_EQ(f.type, "SESSION");
  EXPECT_EQ(f.index, 3);
  ASSERT_OK_AND_ASSIGN(f, testdata::ParseUpgradeFault("COMMIT\n"));
  EXPECT_EQ(f.type, "COMMIT");
  ASSERT_OK_AND_ASSIGN(f, testdata::ParseUpgradeFault("none"));
  EXPECT_EQ(f.type, "");
  EXPECT_FALSE(testdata::ParseUpgradeFault("SESSION:0").ok());
  EXPECT_FALSE(testdata::ParseUpgradeFault("COMIT").ok());
}

}  // namespace
}  // namespace gssx::examples
