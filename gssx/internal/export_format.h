// SPDX-License-Identifier: Apache-2.0
// The interprocess (exported) context token, format v2. Internal: the
// public entry points are Context::Export() and Context::Import().
//
// Little-endian; every length is checked before use:
//   off  size
//   0    4     magic "GSXC"
//   4    2     version = 2
//   6    2     reserved = 0
//   8    4     total length of the token, checksum included
//   12   1+n   mechanism OID: length n (<= 64), DER contents octets
//        16    context id (random, fixed for the life of the context)
//        1     role: 0 initiator, 1 acceptor
//        4     flags (GSS ret_flags: context.h kMutualFlag ...)
//        8     expiry: Unix time in ns, signed; INT64_MAX = never
//        2+n   local identity (<= 256 bytes, internal/identity.h)
//        2+n   peer identity
//        32    send key
//        8     next send sequence number
//        32    receive key
//        8     receive window: next expected sequence number
//        1+8k  receive window: k (= 2) bitmap words (replay_window.h)
//        32    BLAKE2b-256 of every byte before it
//
// The checksum guards against accidental damage only: the token is
// plaintext and must travel over a protected path (transport's sealed,
// encrypted memfd, or locked memory in one process). Serialization writes
// straight into locked memory; parsing copies the keys into locked memory.
#ifndef GSSX_INTERNAL_EXPORT_FORMAT_H_
#define GSSX_INTERNAL_EXPORT_FORMAT_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gssx/internal/replay_window.h"
#include "transport/base/secret_buffer.h"

namespace gssx::internal {

inline constexpr uint8_t kExportMagic[4] = {'G', 'S', 'X', 'C'};
// Version 2: the same fields as version 1, for contexts whose per-message
// tokens carry a per-instance nonce salt (per_message.h). A version 1
// token belongs to a context whose peer speaks the version 1 per-message
// format, and importing it twice reused nonces: it is refused
// (kExportTokenVersion) rather than continued in the new format.
inline constexpr uint16_t kExportVersion = 2;
inline constexpr size_t kExportChecksumSize = 32;
inline constexpr size_t kContextIdSize = 16;
inline constexpr size_t kMaxOidSize = 64;

using ContextId = std::array<uint8_t, kContextIdSize>;

struct ContextState {
  ContextId id{};
  bool initiator = false;
  uint32_t flags = 0;
  absl::Time expiry = absl::InfiniteFuture();
  std::string local_name;
  std::string peer_name;
  transport::SecretBuffer send_key;  // 32 bytes
  uint64_t send_seq = 0;
  transport::SecretBuffer recv_key;  // 32 bytes
  ReplayWindow window;
};

// The token for `state`, in locked memory. kFailure for a state that cannot
// be encoded (bad key sizes, names) or when locked memory runs out.
absl::StatusOr<transport::SecretBuffer> SerializeContext(
    const ContextState& state);

// Parses a token. Any input is safe. kDefectiveToken with minor
// kExportTokenMalformed (structure, lengths, values), kExportTokenVersion,
// kExportTokenChecksum or kWrongMechanism.
absl::StatusOr<ContextState> ParseContext(absl::Span<const uint8_t> token);

// Recomputes the checksum of a token of at least the checksum's size, so
// that tests can reach the field checks with altered tokens.
void ResealForTesting(absl::Span<uint8_t> token);

}  // namespace gssx::internal

#endif  // GSSX_INTERNAL_EXPORT_FORMAT_H_
