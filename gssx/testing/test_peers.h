// SPDX-License-Identifier: Apache-2.0
// Test helpers: two parties that trust each other, and a context pair —
// the one place tests build in-memory identities (test_identity.h, for
// users' tests, and the C ABI's test contexts are made with it; tests that
// need key files use gssx::Keygen). testonly.
//
//   ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
//   ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
//   // pair.initiator is "alice", pair.acceptor is "http@web1"
#ifndef GSSX_TESTING_TEST_PEERS_H_
#define GSSX_TESTING_TEST_PEERS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gssx/clock.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/status.h"

namespace gssx::testing {

inline constexpr char kClientName[] = "alice";
inline constexpr char kServerName[] = "http@web1";

struct PeerOptions {
  // The two identities (identity strings, gssx/name.h).
  std::string client_name = kClientName;
  std::string server_name = kServerName;
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

// Runs the whole handshake, `client` initiating to `server`.
absl::StatusOr<ContextPair> Establish(const Credentials& client,
                                      const Credentials& server,
                                      const InitOptions& init,
                                      const AcceptOptions& accept = {});
// The same between the peers' credentials.
absl::StatusOr<ContextPair> Establish(const Peers& peers,
                                      const InitOptions& init,
                                      const AcceptOptions& accept = {});
inline absl::StatusOr<ContextPair> Establish(const Peers& peers) {
  return Establish(peers, ClientOptions());
}

// Expects every call on `ctx` (per-message services, Inquire,
// TimeRemaining, Continue, Export, Delete) to answer `kind` / `minor`: an
// empty, deleted or exported context.
void ExpectEveryCallFails(Context& ctx, ErrorKind kind, Minor minor);

}  // namespace gssx::testing

#endif  // GSSX_TESTING_TEST_PEERS_H_
