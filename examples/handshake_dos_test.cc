// SPDX-License-Identifier: Apache-2.0
// Pre-authentication denial of service against the REAL example servers
// (issue 17 item 4): idle or trickling TCP connections that never finish
// their handshake must not stop a legitimate client from being served.
// Each test opens the idle connections first, then runs one ordinary client
// connection and requires it to complete within 1 s (a generous functional
// bound: it takes milliseconds; a server that handles handshakes one at a
// time inside its accept loop makes it wait 10 s per idle connection).
// The idle connections are closed after at most 5 s so that a server that
// fails the test still lets the test end promptly.
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "examples/client.h"
#include "examples/handshakes.h"
#include "examples/server_util.h"
#include "examples/testing/server_process.h"
#include "examples/testing/test_keys.h"
#include "gmock/gmock.h"
#include "gssx/credentials.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

using ::gssx::examples::testing::MakeTempDir;
using ::gssx::examples::testing::MakeTestKeys;
using ::gssx::examples::testing::RunfilesPath;
using ::gssx::examples::testing::ServerExit;
using ::gssx::examples::testing::ServerProcess;
using ::gssx::examples::testing::TestKeys;
using transport::UniqueFd;

constexpr absl::Duration kServedWithin = absl::Seconds(1);
constexpr absl::Duration kGiveUpAfter = absl::Seconds(5);

struct Attack {
  int idle = 0;         // connect and send nothing
  int partial_header = 0;  // 2 of the 4 length bytes, then nothing
  int partial_body = 0;    // a header announcing 100 bytes, then 10
};

struct Param {
  std::string binary;
  std::vector<std::string> args;
  Attack attack;
};

void PrintTo(const Param& p, std::ostream* os) {
  *os << p.binary << " with " << p.attack.idle << " idle, "
      << p.attack.partial_header << " partial-header and "
      << p.attack.partial_body << " partial-body connections";
}

class HandshakeDosTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const std::string dir = MakeTempDir("keys");
    ASSERT_FALSE(dir.empty());
    ASSERT_OK_AND_ASSIGN(keys_, MakeTestKeys(dir));
    AcquireOptions a;
    a.keytab_path = keys_.client_keytab;
    a.trust_path = keys_.client_trust;
    a.usage = CredentialUsage::kInitiate;
    ASSERT_OK_AND_ASSIGN(Credentials c, Credentials::Acquire(a));
    client_cred_.emplace(std::move(c));
  }

  TestKeys keys_;
  std::optional<Credentials> client_cred_;
};

bool SendBytes(int fd, std::vector<uint8_t> bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(bytes.size());
}

TEST_P(HandshakeDosTest, LegitimateClientServedDespiteStalledHandshakes) {
  const Param& p = GetParam();
  std::vector<std::string> args = {"--keytab=" + keys_.server_keytab,
                                   "--trust=" + keys_.server_trust};
  args.insert(args.end(), p.args.begin(), p.args.end());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       ServerProcess::Start(RunfilesPath(p.binary), args));

  std::vector<UniqueFd> attackers;
  auto open = [&](int n, std::vector<uint8_t> send) {
    for (int i = 0; i < n; ++i) {
      absl::StatusOr<UniqueFd> fd = Connect(server->address());
      ASSERT_TRUE(fd.ok()) << fd.status();
      if (!send.empty()) {
        ASSERT_TRUE(SendBytes(fd->get(), send));
      }
      attackers.push_back(*std::move(fd));
    }
  };
  open(p.attack.idle, {});
  open(p.attack.partial_header, {0, 0});
  std::vector<uint8_t> partial_body = {0, 0, 0, 100};
  partial_body.resize(4 + 10, 'x');
  open(p.attack.partial_body, partial_body);
  const size_t stalled = attackers.size();

  ClientOptions c;
  c.connect = server->address();
  c.requests = 1;
  absl::Notification done;
  absl::Status client_status;
  absl::Duration elapsed;
  int requests_ok = 0;
  std::thread client([&] {
    const absl::Time t0 = absl::Now();
    client_status = RunClientConnection(*client_cred_, c, &requests_ok);
    elapsed = absl::Now() - t0;
    done.Notify();
  });
  const bool in_time = done.WaitForNotificationWithTimeout(kGiveUpAfter);
  attackers.clear();  // lets a server that failed the test go on
  client.join();
  std::cout << p.binary << ": " << stalled
            << " stalled connections; the client took " << elapsed << "\n";
  EXPECT_TRUE(in_time) << "the client was not served within " << kGiveUpAfter;
  EXPECT_TRUE(client_status.ok()) << client_status;
  EXPECT_EQ(requests_ok, 1);
  EXPECT_LT(elapsed, kServedWithin);

  if (stalled > kMaxPendingHandshakes) {
    // The cap held: the oldest stalled connections were dropped.
    EXPECT_TRUE(server->WaitForLog("pending handshakes (the cap)", kGiveUpAfter));
  }

  ASSERT_OK_AND_ASSIGN(ServerExit e, server->Stop());
  EXPECT_EQ(e.code, 0);
  EXPECT_GE(e.Stat("connections"), 1);
}

std::vector<Param> Params() {
  std::vector<Param> out;
  const Attack fifty{30, 10, 10};
  const Attack over_cap{150, 25, 25};  // more than kMaxPendingHandshakes
  out.push_back({"examples/prefork_server", {"--workers=2"}, fifty});
  out.push_back({"examples/prefork_server", {"--workers=2"}, over_cap});
  out.push_back({"examples/fork_exec_server", {}, fifty});
  out.push_back({"examples/fork_exec_server", {}, over_cap});
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Servers, HandshakeDosTest, ::testing::ValuesIn(Params()),
    [](const ::testing::TestParamInfo<Param>& info) {
      std::string name =
          info.param.binary == "examples/prefork_server" ? "Prefork" : "ForkExec";
      const Attack& a = info.param.attack;
      return absl::StrCat(name, a.idle + a.partial_header + a.partial_body,
                          "Stalled");
    });

}  // namespace
}  // namespace gssx::examples
