// SPDX-License-Identifier: Apache-2.0
// RFC 2743 §3.1 framing of context-establishment tokens, with the gssx
// mechanism OID. Internal.
//
//   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
//       thisMech MechType,         -- 06 len <kMechanismOidBytes>
//       innerContextToken ANY }    -- gssx: 2-byte token id + Noise message
//
// Bytes: 0x60, DER length of the rest, 0x06, DER length of the OID, the
// OID, the inner token. Lengths must be minimal DER (no indefinite form);
// the outer length must cover exactly the rest of the buffer.
#ifndef GSSX_INTERNAL_FRAMING_H_
#define GSSX_INTERNAL_FRAMING_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace gssx::internal {

// Inner token ids (the first two bytes of innerContextToken).
inline constexpr uint8_t kInitTokenId[2] = {0x01, 0x00};
inline constexpr uint8_t kAcceptTokenId[2] = {0x02, 0x00};

// Frames `id` + `body` with the gssx mechanism OID.
std::vector<uint8_t> FrameContextToken(const uint8_t (&id)[2],
                                       absl::Span<const uint8_t> body);

// Checks the framing and the token id and returns a view of the body.
// kDefectiveToken / kTokenMalformed for bad framing, kBadMech /
// kWrongMechanism for a well-framed token of another mechanism,
// kDefectiveToken / kWrongTokenType for another token id.
absl::StatusOr<absl::Span<const uint8_t>> UnframeContextToken(
    absl::Span<const uint8_t> token, const uint8_t (&id)[2]);

}  // namespace gssx::internal

#endif  // GSSX_INTERNAL_FRAMING_H_
