// SPDX-License-Identifier: Apache-2.0
#include "examples/testing/server_test.h"

#include <utility>

#include "testing/status_matchers.h"

namespace gssx::examples::testing {

void GssxServerTest::SetUp() {
  ASSERT_OK_AND_ASSIGN(TestClient t, MakeTestClient());
  keys_ = t.keys;
  client_cred_.emplace(std::move(t.cred));
}

absl::StatusOr<std::unique_ptr<ServerProcess>> GssxServerTest::StartServer(
    const std::string& binary, std::vector<std::string> more) const {
  return ServerProcess::Start(RunfilesPath("examples/" + binary),
                              keys_.ServerArgs(std::move(more)));
}

}  // namespace gssx::examples::testing
