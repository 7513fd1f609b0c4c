// SPDX-License-Identifier: Apache-2.0
// Fixed identities for the mechanism fuzzer and its seed writer: the same
// keys in every run, so seed tokens stay valid. Test use only.
#ifndef GSSX_TESTING_FUZZ_PEERS_H_
#define GSSX_TESTING_FUZZ_PEERS_H_

#include <array>
#include <memory>

#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/noise/noise.h"

namespace gssx::testing {

struct FuzzPeers {
  std::unique_ptr<Credentials> client;
  std::unique_ptr<Credentials> server;
};

inline FuzzPeers MakeFuzzPeers() {
  std::array<uint8_t, 32> client_secret, server_secret;
  client_secret.fill(0x11);
  server_secret.fill(0x22);
  Keytab client_keytab, server_keytab;
  (void)client_keytab.Add("fuzz-client", client_secret);
  (void)server_keytab.Add("fuzz@server", server_secret);
  auto client_trust = std::make_shared<TrustStore>();
  auto server_trust = std::make_shared<TrustStore>();
  (void)client_trust->Add("fuzz@server",
                          server_keytab.identities()[0].key.public_key());
  (void)server_trust->Add("fuzz-client",
                          client_keytab.identities()[0].key.public_key());
  AcquireOptions init, accept;
  init.usage = CredentialUsage::kInitiate;
  accept.usage = CredentialUsage::kAccept;
  FuzzPeers p;
  p.client = std::make_unique<Credentials>(
      *Credentials::FromKeytab(client_keytab, client_trust, init));
  p.server = std::make_unique<Credentials>(
      *Credentials::FromKeytab(server_keytab, server_trust, accept));
  return p;
}

inline InitOptions FuzzInitOptions() {
  InitOptions o;
  o.target = *Name::Import("fuzz@server", NameType::kUser);
  return o;
}

}  // namespace gssx::testing

#endif  // GSSX_TESTING_FUZZ_PEERS_H_
