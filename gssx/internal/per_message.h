// SPDX-License-Identifier: Apache-2.0
// Per-message tokens of the gssx mechanism (get_mic / wrap). Internal.
//
// Layout (sequence number little-endian):
//   0  token id      2   MIC: 'M' 0x02; wrap: 'W' 0x02
//   2  flags         1   bit 0: sent by the acceptor; bit 1: confidential
//                        (wrap only); other bits zero
//   3  reserved      1   zero
//   4  sequence      8   the sender's explicit 64-bit sequence number
//   12 sender salt   12  random, drawn by the sending context instance
//   24 ...               MIC:  16-byte tag
//                        wrap, confidential: ciphertext, 16-byte tag
//                        wrap, integrity only: plaintext, 16-byte tag
//
// The 24-byte header is, byte for byte, the 192-bit
// XChaCha20-Poly1305-IETF nonce, so every header field is authenticated
// and token kinds cannot be swapped (a MIC never verifies as a wrap
// token). The key is the sender's direction key from the Noise Split. The
// tag covers:
//   MIC:              associated data = the message, no plaintext
//   integrity wrap:   associated data = the message, no plaintext
//   confidential wrap: plaintext = the message, no associated data
// Overhead is kOverhead bytes in every case.
//
// Why the salt (version 2; version 1 had a 12-byte header without it and
// a ChaCha20-Poly1305 nonce that was the header alone): an exported
// context is plain bytes. Imported twice (two processes given the same
// byte token, or a token saved before a crash and imported again after a
// restart), both instances continue from the same send key and the same
// next sequence number, so version 1 sent two different messages under
// one (key, nonce): the XOR of the ciphertexts is the XOR of the
// plaintexts, and Poly1305 key reuse allows forgeries. Only the memfd and
// channel forms have a latch that makes a second import fail; the byte
// form cannot have one.
//
// So every context instance — the one the handshake makes and each one
// Import() makes — draws a fresh random 96-bit salt for what it sends
// (SendSalt, never exported), and the salt travels in every token. The
// receiver needs no new state: it still holds the same direction key and
// takes the nonce from the token, so the peer of a live session that is
// exported and imported (once, or by mistake twice) keeps working
// unchanged. Two instances collide on a (key, nonce) pair only if they
// draw the same 96-bit salt: for n instances of one context, a
// probability below n^2 / 2^97. Two instances that send the same sequence
// number are still a replay to the receiver (kDuplicateToken), which is
// what they are; what they can no longer do is reuse keystream or MAC
// keys. Within one instance sequence numbers never repeat (kMaxSequence).
// Not covered: one instance duplicated by fork() and used on both sides of
// it (one context used concurrently by two processes, which context.h
// does not support).
#ifndef GSSX_INTERNAL_PER_MESSAGE_H_
#define GSSX_INTERNAL_PER_MESSAGE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gssx/internal/replay_window.h"  // kMaxSequence

namespace gssx::internal {

inline constexpr size_t kSaltSize = 12;
inline constexpr size_t kHeaderSize = 12 + kSaltSize;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kOverhead = kHeaderSize + kTagSize;

// A sending context instance's nonce salt (see above). Not secret.
using SendSalt = std::array<uint8_t, kSaltSize>;
// A fresh random salt (the fork-safe CSPRNG of transport/base/csprng.h).
SendSalt NewSendSalt();

struct Opened {
  uint64_t seq = 0;
  bool confidential = false;
  std::vector<uint8_t> message;  // wrap only
};

// `key` is 32 bytes. `from_acceptor` names the sender's role, `salt` is
// the sending instance's.
std::vector<uint8_t> MakeMic(absl::Span<const uint8_t> key,
                             const SendSalt& salt, bool from_acceptor,
                             uint64_t seq, absl::Span<const uint8_t> message);
std::vector<uint8_t> MakeWrap(absl::Span<const uint8_t> key,
                              const SendSalt& salt, bool from_acceptor,
                              uint64_t seq,
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
