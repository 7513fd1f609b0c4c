// SPDX-License-Identifier: Apache-2.0
// The channel's wire format (channel.h): every message body, encoded and
// parsed by pure functions — no I/O, no fds (those travel beside the body,
// SCM_RIGHTS, see fd_passing.h). Channel, the tests that play a hostile
// peer and the fuzzers all use these, so the format exists once.
//
// Message body (little-endian):
//   0 magic "GXCH"  4 version (1)  5 type  6 reserved (u16, 0)
//   HELLO   8 verdict (0 accept, 1 refuse)  9 reserved (3)            = 12
//   HANDOFF 8 token id (16) 24 token size (u64) 32 extra fd count (u16)
//           34 cipher (u8, TokenCipher) 35 reserved (u8, u32) 40 nonce (24)
//           64 tag (16) 80 key (32)                                   = 112
//   ACK     8 token id (16) 24 result (u32: 0 imported, else ErrorKind) = 28
//   HANDOFF_INLINE 8 token id (16) 24 token size n (u32, <= kMaxInlineToken)
//           28 extra fd count (u16) 30 reserved (u16, 0) 32 token (n) = 32 + n
// The fds of a HANDOFF / HANDOFF_INLINE: [token memfd (or the inline
// token's latch memfd), extra fds...], 1 + extra fd count of them.
//
//   uint8_t body[kAckSize];
//   const size_t n = EncodeAck(id, 0, absl::MakeSpan(body));  // 28
//   absl::StatusOr<WireMessage> m = ParseMessage(absl::MakeConstSpan(body, n));
#ifndef GSSX_TRANSPORT_WIRE_FORMAT_H_
#define GSSX_TRANSPORT_WIRE_FORMAT_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/channel.h"
#include "transport/memfd_token.h"

namespace gssx::transport::internal {

inline constexpr uint8_t kWireMagic[4] = {'G', 'X', 'C', 'H'};
inline constexpr uint8_t kWireVersion = 1;

enum class MessageType : uint8_t {
  kHello = 1,
  kHandoff = 2,
  kAck = 3,
  kHandoffInline = 4,
};

inline constexpr size_t kHelloSize = 12;
inline constexpr size_t kHandoffSize = 112;
inline constexpr size_t kAckSize = 28;
inline constexpr size_t kInlineHeaderSize = 32;
inline constexpr size_t kMaxInlineSize = kInlineHeaderSize + kMaxInlineToken;
// Larger than any valid body.
inline constexpr size_t kMaxMessageSize = kMaxInlineSize;

// One parsed body. Views point into the parsed bytes.
struct WireMessage {
  MessageType type = MessageType::kHello;
  uint8_t verdict = 0;  // HELLO: 0 accept, else refuse
  // HANDOFF: id, file size, cipher, nonce, tag. HANDOFF_INLINE: id, and the
  // token's size as file_size. ACK: id.
  TokenExpectation expect;
  uint16_t extra_fd_count = 0;  // HANDOFF*
  // HANDOFF: the one-time key (kTokenKeySize); HANDOFF_INLINE: the token.
  absl::Span<const uint8_t> key;
  uint32_t result = 0;  // ACK: 0 imported, else an ErrorKind

  bool is_handoff() const {
    return type == MessageType::kHandoff || type == MessageType::kHandoffInline;
  }
};

// Parses one body. kMalformed ("message: bad magic", "message: unsupported
// version N", "message: unknown type N", "message: bad inline handoff",
// "message: wrong length") for anything else. Reserved fields are not
// checked, except the inline handoff's u16.
absl::StatusOr<WireMessage> ParseMessage(absl::Span<const uint8_t> body);

// The encoders write one body at the start of `out` and return its size,
// or 0 (nothing usable written) if `out` is too small or an argument is
// out of range (a key not kTokenKeySize bytes, an inline token above
// kMaxInlineToken).
size_t EncodeHello(bool accept, absl::Span<uint8_t> out);
size_t EncodeHandoff(const TokenExpectation& expect, uint16_t extra_fd_count,
                     absl::Span<const uint8_t> key, absl::Span<uint8_t> out);
size_t EncodeInlineHandoff(const TokenId& id, absl::Span<const uint8_t> token,
                           uint16_t extra_fd_count, absl::Span<uint8_t> out);
size_t EncodeAck(const TokenId& id, uint32_t result, absl::Span<uint8_t> out);

// Any parsed message again, in the form the encoders write.
size_t EncodeMessage(const WireMessage& message, absl::Span<uint8_t> out);

}  // namespace gssx::transport::internal

#endif  // GSSX_TRANSPORT_WIRE_FORMAT_H_
