// SPDX-License-Identifier: Apache-2.0
// A gtest fixture for the end-to-end tests of the gssx servers
// (prefork_server, fork_exec_server): fresh key files per test
// (MakeTestClient), the client's credentials, and the real server binaries
// started with the server's keys.
//
//   class MyTest : public GssxServerTest {};
//   TEST_F(MyTest, X) {
//     ASSERT_OK_AND_ASSIGN(auto server, StartServer("prefork_server", {}));
//     ... RunClientConnection(*client_cred_, ...) ...
//   }
#ifndef GSSX_EXAMPLES_TESTING_SERVER_TEST_H_
#define GSSX_EXAMPLES_TESTING_SERVER_TEST_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "examples/testing/server_process.h"
#include "examples/testing/test_keys.h"
#include "gssx/credentials.h"
#include "gtest/gtest.h"

namespace gssx::examples::testing {

class GssxServerTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // examples/<binary> with the server's --keytab and --trust, then `more`.
  absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(
      const std::string& binary, std::vector<std::string> more) const;

  TestKeys keys_;
  std::optional<Credentials> client_cred_;  // set by SetUp
};

}  // namespace gssx::examples::testing

#endif  // GSSX_EXAMPLES_TESTING_SERVER_TEST_H_
