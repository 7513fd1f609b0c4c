// SPDX-License-Identifier: Apache-2.0
#include "gssx/testing/test_peers.h"

#include <utility>

namespace gssx::internal {

absl::Status Peers::Refresh(const PeerOptions& options) {
  AcquireOptions c;
  c.clock = options.clock;
  c.lifetime = options.client_lifetime;
  absl::StatusOr<Credentials> cc =
      Credentials::FromKeytab(client_keytab, client_trust, c);
  if (!cc.ok()) return cc.status();
  AcquireOptions s;
  s.clock = options.clock;
  s.lifetime = options.server_lifetime;
  absl::StatusOr<Credentials> sc =
      Credentials::FromKeytab(server_keytab, server_trust, s);
  if (!sc.ok()) return sc.status();
  client = std::make_unique<Credentials>(*std::move(cc));
  server = std::make_unique<Credentials>(*std::move(sc));
  return absl::OkStatus();
}

absl::StatusOr<Peers> MakePeers(const PeerOptions& options) {
  Peers peers;
  absl::StatusOr<PublicKey> cp = peers.client_keytab.Generate(kClientName);
  if (!cp.ok()) return cp.status();
  absl::StatusOr<PublicKey> sp = peers.server_keytab.Generate(kServerName);
  if (!sp.ok()) return sp.status();
  peers.client_public = *cp;
  peers.server_public = *sp;
  peers.client_trust = std::make_shared<TrustStore>();
  peers.server_trust = std::make_shared<TrustStore>();
  if (absl::Status s = peers.client_trust->Add(kServerName, *sp); !s.ok()) {
    return s;
  }
  if (absl::Status s = peers.server_trust->Add(kClientName, *cp); !s.ok()) {
    return s;
  }
  if (absl::Status s = peers.Refresh(options); !s.ok()) return s;
  return peers;
}

InitOptions ClientOptions(const Clock* clock) {
  InitOptions options;
  options.target = *Name::Import(kServerName, NameType::kHostBasedService);
  options.clock = clock;
  return options;
}

absl::StatusOr<ContextPair> Establish(const Peers& peers,
                                      const InitOptions& init,
                                      const AcceptOptions& accept) {
  absl::StatusOr<HandshakeStep> i = Context::Initiate(*peers.client, init);
  if (!i.ok()) return i.status();
  absl::StatusOr<HandshakeStep> a =
      Context::Accept(*peers.server, i->output_token, accept);
  if (!a.ok()) return a.status();
  absl::StatusOr<std::vector<uint8_t>> last =
      i->context.Continue(a->output_token);
  if (!last.ok()) return last.status();
  return ContextPair{std::move(i->context), std::move(a->context)};
}

}  // namespace gssx::internal
