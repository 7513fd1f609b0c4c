// SPDX-License-Identifier: Apache-2.0
#include "gssx/testing/test_identity.h"

#include <string>
#include <utility>

#include "gssx/testing/test_peers.h"

namespace gssx::testing {

absl::StatusOr<TestIdentities> MakeTestIdentities(absl::string_view server_name,
                                                  absl::string_view client_name) {
  PeerOptions options;
  options.server_name = std::string(server_name);
  options.client_name = std::string(client_name);
  absl::StatusOr<Peers> peers = MakePeers(options);
  if (!peers.ok()) return peers.status();
  return TestIdentities{options.server_name, options.client_name,
                        std::move(*peers->server), std::move(*peers->client)};
}

absl::StatusOr<TestContexts> EstablishTestContexts(const TestIdentities& ids) {
  absl::StatusOr<Name> target = Name::Import(ids.server_name, NameType::kUser);
  if (!target.ok()) return target.status();
  InitOptions init;
  init.target = *target;
  absl::StatusOr<ContextPair> pair = Establish(ids.client, ids.server, init);
  if (!pair.ok()) return pair.status();
  return TestContexts{std::move(pair->initiator), std::move(pair->acceptor)};
}

}  // namespace gssx::testing
