// SPDX-License-Identifier: Apache-2.0
#include "examples/testing/test_keys.h"

#include "examples/testing/server_process.h"
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

std::vector<std::string> TestKeys::ServerArgs(std::vector<std::string> more) const {
  std::vector<std::string> args = {"--keytab=" + server_keytab,
                                   "--trust=" + server_trust};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

absl::StatusOr<TestClient> MakeTestClient() {
  const std::string dir = MakeTempDir("keys");
  if (dir.empty()) return absl::InternalError("cannot make a temporary directory");
  absl::StatusOr<TestKeys> keys = MakeTestKeys(dir);
  if (!keys.ok()) return keys.status();
  AcquireOptions a;
  a.keytab_path = keys->client_keytab;
  a.trust_path = keys->client_trust;
  a.usage = CredentialUsage::kInitiate;
  absl::StatusOr<Credentials> cred = Credentials::Acquire(a);
  if (!cred.ok()) return cred.status();
  return TestClient{*std::move(keys), *std::move(cred)};
}

}  // namespace gssx::examples::testing
