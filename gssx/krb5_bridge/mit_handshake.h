// SPDX-License-Identifier: Apache-2.0
// Establishing MIT Kerberos contexts, one token at a time, for the bridge's
// examples, tests and benchmark (any transport carries the tokens):
//
//   absl::StatusOr<MitInitiator> init =
//       MitInitiator::Create("echo/localhost@GSSX.TEST");
//   MitAcceptor accept;
//   std::vector<uint8_t> token = *init->Step({});
//   while (!token.empty()) {            // client → server → client ...
//     token = *accept.Step(token);
//     if (token.empty()) break;
//     token = *init->Step(token);
//   }
//   // init->done() && accept.done(): TakeContext() on both.
//
// The initiator uses the default credentials (the ccache KRB5CCNAME names:
// a ticket from kinit), the acceptor the default keytab (KRB5_KTNAME).
// Requested flags: mutual authentication, replay and sequence detection,
// confidentiality and integrity; the acceptor refuses a context without
// replay and sequence detection, confidentiality and integrity.
#ifndef GSSX_KRB5_BRIDGE_MIT_HANDSHAKE_H_
#define GSSX_KRB5_BRIDGE_MIT_HANDSHAKE_H_

#include <gssapi/gssapi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gssx/krb5_bridge/mit_context.h"

namespace gssx::krb5 {

inline constexpr OM_uint32 kDefaultRequestFlags =
    GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
    GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;


class MitInitiator {
 public:
  MitInitiator(MitInitiator&&) noexcept;
  MitInitiator& operator=(MitInitiator&&) noexcept;
  ~MitInitiator();

  // `target`: a Kerberos principal name, e.g. "echo/localhost@GSSX.TEST".
  static absl::StatusOr<MitInitiator> Create(
      const std::string& target, OM_uint32 flags = kDefaultRequestFlags);

  // One gss_init_sec_context call with the acceptor's last token (empty
  // the first time). Returns the token to send (possibly empty once done).
  absl::StatusOr<std::vector<uint8_t>> Step(absl::Span<const uint8_t> input);
  bool done() const { return done_; }
  // The established context (requires done()).
  MitContext TakeContext() { return std::move(ctx_); }

 private:
  MitInitiator() = default;
  gss_name_t target_ = GSS_C_NO_NAME;
  OM_uint32 flags_ = 0;
  MitContext ctx_;
  bool done_ = false;
};

class MitAcceptor {
 public:
  // `required_flags`: services the initiator must have asked for; a
  // context without them fails the last Step with PermissionDenied.
  explicit MitAcceptor(OM_uint32 required_flags = kRequiredServices)
      : required_flags_(required_flags) {}
  MitAcceptor(MitAcceptor&&) = default;
  MitAcceptor& operator=(MitAcceptor&&) = default;

  // One gss_accept_sec_context call with the initiator's token. Returns
  // the token to send back (possibly empty once done).
  absl::StatusOr<std::vector<uint8_t>> Step(absl::Span<const uint8_t> input);
  bool done() const { return done_; }
  // The authenticated client's principal name (valid once done()).
  const std::string& client() const { return client_; }
  MitContext TakeContext() { return std::move(ctx_); }

 private:
  OM_uint32 required_flags_;
  MitContext ctx_;
  bool done_ = false;
  std::string client_;
};

struct MitPair {
  MitContext initiator, acceptor;
  std::string client;  // the principal the acceptor authenticated
};
// Both ends in this process, tokens passed in memory (tests, benchmarks).
absl::StatusOr<MitPair> EstablishInProcess(
    const std::string& target, OM_uint32 flags = kDefaultRequestFlags,
    OM_uint32 required_flags = kRequiredServices);

}  // namespace gssx::krb5

#endif  // GSSX_KRB5_BRIDGE_MIT_HANDSHAKE_H_
