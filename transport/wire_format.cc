// SPDX-License-Identifier: Apache-2.0
#include "transport/wire_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "transport/base/bytes.h"
#include "transport/base/errors.h"

namespace gssx::transport::internal {
namespace {

void PutPreamble(Writer& w, MessageType type) {
  w.Bytes(kWireMagic);
  w.U8(kWireVersion);
  w.U8(static_cast<uint8_t>(type));
  w.U16(0);
}

size_t Done(const Writer& w, size_t expected) {
  return w.ok() && w.size() == expected ? w.size() : 0;
}

}  // namespace

absl::StatusOr<WireMessage> ParseMessage(absl::Span<const uint8_t> body) {
  WireMessage m;
  Reader r(body);
  uint8_t magic[4], version, type = 0, reserved8;
  uint16_t reserved16;
  r.Bytes(absl::MakeSpan(magic));
  r.U8(&version);
  r.U8(&type);
  r.U16(&reserved16);
  if (!r.ok() || std::memcmp(magic, kWireMagic, 4) != 0) {
    return MakeError(ErrorKind::kMalformed, "message: bad magic");
  }
  if (version != kWireVersion) {
    return MakeError(ErrorKind::kMalformed,
                     absl::StrCat("message: unsupported version ", version));
  }
  m.type = static_cast<MessageType>(type);
  size_t expected_size = 0;
  switch (m.type) {
    case MessageType::kHello:
      expected_size = kHelloSize;
      r.U8(&m.verdict);
      r.U8(&reserved8);
      r.U16(&reserved16);
      break;
    case MessageType::kHandoff: {
      expected_size = kHandoffSize;
      uint32_t reserved32 = 0;
      uint8_t cipher = 0;
      r.Bytes(absl::MakeSpan(m.expect.id));
      r.U64(&m.expect.file_size);
      r.U16(&m.extra_fd_count);
      r.U8(&cipher);
      r.U8(&reserved8);
      r.U32(&reserved32);
      m.expect.cipher = static_cast<TokenCipher>(cipher);
      r.Bytes(absl::MakeSpan(m.expect.nonce));
      r.Bytes(absl::MakeSpan(m.expect.tag));
      r.View(kTokenKeySize, &m.key);
      break;
    }
    case MessageType::kHandoffInline: {
      uint32_t size = 0;
      r.Bytes(absl::MakeSpan(m.expect.id));
      r.U32(&size);
      r.U16(&m.extra_fd_count);
      r.U16(&reserved16);
      if (!r.ok() || size > kMaxInlineToken || reserved16 != 0) {
        return MakeError(ErrorKind::kMalformed, "message: bad inline handoff");
      }
      m.expect.file_size = size;
      expected_size = kInlineHeaderSize + size;
      r.View(size, &m.key);
      break;
    }
    case MessageType::kAck:
      expected_size = kAckSize;
      r.Bytes(absl::MakeSpan(m.expect.id));
      r.U32(&m.result);
      break;
    default:
      return MakeError(ErrorKind::kMalformed,
                       absl::StrCat("message: unknown type ", type));
  }
  if (!r.ok() || body.size() != expected_size || r.remaining() != 0) {
    return MakeError(ErrorKind::kMalformed, "message: wrong length");
  }
  return m;
}

size_t EncodeHello(bool accept, absl::Span<uint8_t> out) {
  Writer w(out);
  PutPreamble(w, MessageType::kHello);
  w.U8(accept ? 0 : 1);
  w.U8(0);
  w.U16(0);
  return Done(w, kHelloSize);
}

size_t EncodeHandoff(const TokenExpectation& expect, uint16_t extra_fd_count,
                     absl::Span<const uint8_t> key, absl::Span<uint8_t> out) {
  if (key.size() != kTokenKeySize) return 0;
  Writer w(out);
  PutPreamble(w, MessageType::kHandoff);
  w.Bytes(expect.id);
  w.U64(expect.file_size);
  w.U16(extra_fd_count);
  w.U8(static_cast<uint8_t>(expect.cipher));
  w.U8(0);
  w.U32(0);
  w.Bytes(expect.nonce);
  w.Bytes(expect.tag);
  w.Bytes(key);
  return Done(w, kHandoffSize);
}

size_t EncodeInlineHandoff(const TokenId& id, absl::Span<const uint8_t> token,
                           uint16_t extra_fd_count, absl::Span<uint8_t> out) {
  if (token.size() > kMaxInlineToken) return 0;
  Writer w(out);
  PutPreamble(w, MessageType::kHandoffInline);
  w.Bytes(id);
  w.U32(static_cast<uint32_t>(token.size()));
  w.U16(extra_fd_count);
  w.U16(0);
  w.Bytes(token);
  return Done(w, kInlineHeaderSize + token.size());
}

size_t EncodeAck(const TokenId& id, uint32_t result, absl::Span<uint8_t> out) {
  Writer w(out);
  PutPreamble(w, MessageType::kAck);
  w.Bytes(id);
  w.U32(result);
  return Done(w, kAckSize);
}

size_t EncodeMessage(const WireMessage& m, absl::Span<uint8_t> out) {
  switch (m.type) {
    case MessageType::kHello:
      return EncodeHello(m.verdict == 0, out);
    case MessageType::kHandoff:
      return EncodeHandoff(m.expect, m.extra_fd_count, m.key, out);
    case MessageType::kHandoffInline:
      return EncodeInlineHandoff(m.expect.id, m.key, m.extra_fd_count, out);
    case MessageType::kAck:
      return EncodeAck(m.expect.id, m.result, out);
  }
  return 0;
}

}  // namespace gssx::transport::internal
