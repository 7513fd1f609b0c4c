// SPDX-License-Identifier: Apache-2.0
// In-memory identities for tests: a service and a client that trust each
// other, and a helper that runs the handshake between them. Nothing touches
// the file system; the private keys live in locked memory.
//
//   ASSERT_OK_AND_ASSIGN(gssx::testing::TestIdentities ids,
//                        gssx::testing::MakeTestIdentities());
//   ASSERT_OK_AND_ASSIGN(gssx::testing::TestContexts ctx,
//                        gssx::testing::EstablishTestContexts(ids));
//   // ctx.client (initiator) and ctx.server (acceptor) are established.
#ifndef GSSX_TESTING_TEST_IDENTITY_H_
#define GSSX_TESTING_TEST_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gssx/context.h"
#include "gssx/credentials.h"

namespace gssx::testing {

struct TestIdentities {
  std::string server_name;  // e.g. "test@localhost"
  std::string client_name;  // e.g. "tester"
  Credentials server;       // accepts as server_name, trusts client_name
  Credentials client;       // initiates as client_name, trusts server_name
};

// Fresh random keys for both names (identity strings, see gssx/name.h).
absl::StatusOr<TestIdentities> MakeTestIdentities(
    absl::string_view server_name = "test@localhost",
    absl::string_view client_name = "tester");

struct TestContexts {
  Context client;
  Context server;
};

// The whole handshake, client to server, with default flags.
absl::StatusOr<TestContexts> EstablishTestContexts(const TestIdentities& ids);

}  // namespace gssx::testing

#endif  // GSSX_TESTING_TEST_IDENTITY_H_
