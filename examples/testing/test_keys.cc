// SPDX-License-Identifier: Apache-2.0
#include "examples/testing/test_keys.h"

#include "gssx/keygen.h"

namespace gssx::examples::testing {

absl::StatusOr<TestKeys> MakeTestKeys(const std::string& dir) {
  TestKeys k;
  k.server_keytab = dir + "/server.keytab";
  k.server_trust = dir + "/server.trust";
  k.client_keytab = dir + "/client.keytab";
  k.client_trust = dir + "/client.trust";
  // The server's identity, trusted by the client; the client's, by the server.
  if (auto r = Keygen("demo@localhost", k.server_keytab, k.client_trust); !r.ok()) {
    return r.status();
  }
  if (auto r = Keygen("alice", k.client_keytab, k.server_trust); !r.ok()) {
    return r.status();
  }
  return k;
}

}  // namespace gssx::examples::testing
