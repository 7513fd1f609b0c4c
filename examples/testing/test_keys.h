// SPDX-License-Identifier: Apache-2.0
// gssx key files for the example servers' end-to-end tests (the gssx
// mechanism's keytabs and trust files, made with gssx::Keygen). Kept apart
// from server_process.h so that tests of the MIT Kerberos examples do not
// link gssx's mechanism.
#ifndef GSSX_EXAMPLES_TESTING_TEST_KEYS_H_
#define GSSX_EXAMPLES_TESTING_TEST_KEYS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gssx/credentials.h"

namespace gssx::examples::testing {

// Key files for a server "demo@localhost" and a client "alice", each
// trusting the other, made with gssx::Keygen in `dir`.
struct TestKeys {
  std::string server_keytab, server_trust, client_keytab, client_trust;
  // The server's --keytab and --trust flags, then `more`.
  std::vector<std::string> ServerArgs(std::vector<std::string> more = {}) const;
};
absl::StatusOr<TestKeys> MakeTestKeys(const std::string& dir);

// The keys in a fresh directory under TEST_TMPDIR, and the client's
// credentials (initiate) acquired from them: what every test of the gssx
// servers starts with.
struct TestClient {
  TestKeys keys;
  Credentials cred;
};
absl::StatusOr<TestClient> MakeTestClient();

}  // namespace gssx::examples::testing

#endif  // GSSX_EXAMPLES_TESTING_TEST_KEYS_H_
