// SPDX-License-Identifier: Apache-2.0
// Test helpers: two parties that trust each other, and a context pair.
// testonly.
//
//   ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
//   ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
//   // pair.initiator is "alice", pair.acceptor is "http@web1"
#ifndef GSSX_TESTING_TEST_PEERS_H_
#define GSSX_TESTING_TEST_PEERS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gssx/clock.h"
#include "gssx/context.h"
#include "gssx/credentials.h"

namespace gssx::internal {

inline constexpr char kClientName[] = "alice";
inline constexpr char kServerName[] = "http@web1";

struct PeerOptions {
  const Clock* clock = nullptr;
  // Credential lifetimes (zero: none).
  absl::Duration client_lifetime = absl::ZeroDuration();
  absl::Duration server_lifetime = absl::ZeroDuration();
};

struct Peers {
  Keytab client_keytab;
  Keytab server_keytab;
  PublicKey client_public{};
  PublicKey server_public{};
  // What each side trusts: the client trusts the server, and vice versa.
  std::shared_ptr<TrustStore> client_trust;
  std::shared_ptr<TrustStore> server_trust;
  std::unique_ptr<Credentials> client;
  std::unique_ptr<Credentials> server;

  // Remakes the credentials (after changing a keytab or trust store).
  absl::Status Refresh(const PeerOptions& options = {});
};

absl::StatusOr<Peers> MakePeers(const PeerOptions& options = {});

// Options aimed at kServerName, with `clock`.
InitOptions ClientOptions(const Clock* clock = nullptr);

struct ContextPair {
  Context initiator;
  Context acceptor;
};

// Runs the whole handshake.
absl::StatusOr<ContextPair> Establish(const Peers& peers,
                                      const InitOptions& init,
                                      const AcceptOptions& accept = {});
inline absl::StatusOr<ContextPair> Establish(const Peers& peers) {
  return Establish(peers, ClientOptions());
}

}  // namespace gssx::internal

#endif  // GSSX_TESTING_TEST_PEERS_H_
