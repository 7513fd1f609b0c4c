// SPDX-License-Identifier: Apache-2.0
#include "gssx/testing/test_identity.h"

#include <memory>
#include <utility>

namespace gssx::testing {

absl::StatusOr<TestIdentities> MakeTestIdentities(absl::string_view server_name,
                                                  absl::string_view client_name) {
  Keytab server_keytab, client_keytab;
  absl::StatusOr<PublicKey> server_key = server_keytab.Generate(server_name);
  if (!server_key.ok()) return server_key.status();
  absl::StatusOr<PublicKey> client_key = client_keytab.Generate(client_name);
  if (!client_key.ok()) return client_key.status();
  auto server_trust = std::make_shared<TrustStore>();
  auto client_trust = std::make_shared<TrustStore>();
  if (absl::Status s = server_trust->Add(client_name, *client_key); !s.ok()) return s;
  if (absl::Status s = client_trust->Add(server_name, *server_key); !s.ok()) return s;
  AcquireOptions accept;
  accept.usage = CredentialUsage::kAccept;
  absl::StatusOr<Credentials> server =
      Credentials::FromKeytab(server_keytab, server_trust, accept);
  if (!server.ok()) return server.status();
  AcquireOptions initiate;
  initiate.usage = CredentialUsage::kInitiate;
  absl::StatusOr<Credentials> client =
      Credentials::FromKeytab(client_keytab, client_trust, initiate);
  if (!client.ok()) return client.status();
  return TestIdentities{std::string(server_name), std::string(client_name),
                        std::move(*server), std::move(*client)};
}

absl::StatusOr<TestContexts> EstablishTestContexts(const TestIdentities& ids) {
  absl::StatusOr<Name> target = Name::Import(ids.server_name, NameType::kUser);
  if (!target.ok()) return target.status();
  InitOptions init;
  init.target = *target;
  absl::StatusOr<HandshakeStep> first = Context::Initiate(ids.client, init);
  if (!first.ok()) return first.status();
  absl::StatusOr<HandshakeStep> accepted =
      Context::Accept(ids.server, first->output_token);
  if (!accepted.ok()) return accepted.status();
  absl::StatusOr<std::vector<uint8_t>> last =
      first->context.Continue(accepted->output_token);
  if (!last.ok()) return last.status();
  return TestContexts{std::move(first->context), std::move(accepted->context)};
}

}  // namespace gssx::testing
