// SPDX-License-Identifier: Apache-2.0
// gssx key files for the example servers' end-to-end tests (the gssx
// mechanism's keytabs and trust files, made with gssx::Keygen). Kept apart
// from server_process.h so that tests of the MIT Kerberos examples do not
// link gssx's mechanism.
#ifndef GSSX_EXAMPLES_TESTING_TEST_KEYS_H_
#define GSSX_EXAMPLES_TESTING_TEST_KEYS_H_

#include <string>

#include "absl/status/statusor.h"

namespace gssx::examples::testing {

// Key files for a server "demo@localhost" and a client "alice", each
// trusting the other, made with gssx::Keygen in `dir`.
struct TestKeys {
  std::string server_keytab, server_trust, client_keytab, client_trust;
};
absl::StatusOr<TestKeys> MakeTestKeys(const std::string& dir);

}  // namespace gssx::examples::testing

#endif  // GSSX_EXAMPLES_TESTING_TEST_KEYS_H_
