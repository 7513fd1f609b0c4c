// Per-message tokens of the gssx mechanism (get_mic / wrap). Internal.
//
// Layout (sequence number little-endian):
//   0  token id      2   MIC: 'M' 0x01; wrap: 'W' 0x01
//   2  flags         1   bit 0: sent by the acceptor; bit 1: confidential
//                        (wrap only); other bits zero
//   3  reserved      1   zero
//   4  sequence      8   the sender's explicit 64-bit sequence number
//   12 ...               MIC:  16-byte tag
//                        wrap, confidential: ciphertext, 16-byte tag
//                        wrap, integrity only: plaintext, 16-byte tag
//
// The 12-byte header is, byte for byte, the 96-bit ChaCha20-Poly1305-IETF
// nonce, so every header field is authenticated and token kinds cannot be
// swapped (a MIC never verifies as a wrap token). The key is the sender's
// direction key from the Noise Split; sequence numbers never repeat under
// one key, so neither do nonces. The tag covers:
//   MIC:              associated data = the message, no plaintext
//   integrity wrap:   associated data = the message, no plaintext
//   confidential wrap: plaintext = the message, no associated data
// Overhead is kOverhead bytes in every case.
#ifndef GSSX_INTERNAL_PER_MESSAGE_H_
#define GSSX_INTERNAL_PER_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gssx/internal/replay_window.h"  // kMaxSequence

namespace gssx::internal {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kOverhead = kHeaderSize + kTagSize;

struct Opened {
  uint64_t seq = 0;
  bool confidential = false;
  std::vector<uint8_t> message;  // wrap only
};

// `key` is 32 bytes. `from_acceptor` names the sender's role.
std::vector<uint8_t> MakeMic(absl::Span<const uint8_t> key,
                             bool from_acceptor, uint64_t seq,
                             absl::Span<const uint8_t> message);
std::vector<uint8_t> MakeWrap(absl::Span<const uint8_t> key,
                              bool from_acceptor, uint64_t seq,
                              bool confidential,
                              absl::Span<const uint8_t> message);

// Check a token from a sender in role `from_acceptor` and return its
// sequence number (and for wrap, the message). kDefectiveToken
// (kTokenMalformed, kWrongTokenType, kWrongDirection) for a header that
// cannot be right, kBadMic / kMessageAuthFailed if the tag does not verify.
absl::StatusOr<Opened> OpenMic(absl::Span<const uint8_t> key,
                               bool from_acceptor,
                               absl::Span<const uint8_t> message,
                               absl::Span<const uint8_t> token);
absl::StatusOr<Opened> OpenWrap(absl::Span<const uint8_t> key,
                                bool from_acceptor,
                                absl::Span<const uint8_t> token);

}  // namespace gssx::internal

#endif  // GSSX_INTERNAL_PER_MESSAGE_H_
