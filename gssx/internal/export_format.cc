// SPDX-License-Identifier: Apache-2.0
#include "gssx/internal/export_format.h"

#include <sodium.h>

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "gssx/internal/identity.h"
#include "gssx/oid.h"
#include "gssx/status.h"
#include "transport/base/bytes.h"

namespace gssx::internal {
namespace {

using transport::SecretBuffer;
using transport::internal::Reader;
using transport::internal::Writer;

constexpr size_t kKeySize = 32;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// magic, version, reserved, total length.
constexpr size_t kFixedHeader = 12;

int64_t EncodeTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) return kNever;
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  return absl::ToUnixNanos(t);
}

absl::Time DecodeTime(int64_t ns) {
  if (ns == kNever) return absl::InfiniteFuture();
  return absl::FromUnixNanos(ns);
}

// Everything before the checksum.
void Encode(const ContextState& s, uint32_t total, Writer& w) {
  w.Bytes(kExportMagic);
  w.U16(kExportVersion);
  w.U16(0);
  w.U32(total);
  const absl::Span<const uint8_t> oid = MechanismOid().bytes();
  w.U8(static_cast<uint8_t>(oid.size()));
  w.Bytes(oid);
  w.Bytes(s.id);
  w.U8(s.initiator ? 0 : 1);
  w.U32(s.flags);
  w.I64(EncodeTime(s.expiry));
  w.U16(static_cast<uint16_t>(s.local_name.size()));
  w.Str(s.local_name);
  w.U16(static_cast<uint16_t>(s.peer_name.size()));
  w.Str(s.peer_name);
  w.Bytes(s.send_key.span());
  w.U64(s.send_seq);
  w.Bytes(s.recv_key.span());
  w.U64(s.window.next_expected());
  w.U8(static_cast<uint8_t>(ReplayWindow::kWords));
  for (uint64_t word : s.window.bitmap()) w.U64(word);
}

void Checksum(absl::Span<const uint8_t> data, uint8_t* out) {
  crypto_generichash(out, kExportChecksumSize, data.data(), data.size(),
                     nullptr, 0);
}

absl::Status Malformed(absl::string_view why) {
  return MakeError(ErrorKind::kDefectiveToken, Minor::kExportTokenMalformed,
                   absl::StrCat("gssx: malformed exported context: ", why));
}

bool ReadName(Reader& r, std::string* out) {
  uint16_t len = 0;
  absl::string_view s;
  if (!r.U16(&len) || len > kMaxIdentityLength || !r.Str(len, &s) ||
      !IsValidIdentity(s)) {
    return false;
  }
  *out = std::string(s);
  return true;
}

absl::Status ReadKey(Reader& r, SecretBuffer* out) {
  absl::Span<const uint8_t> key;
  if (!r.View(kKeySize, &key)) return Malformed("truncated key");
  absl::StatusOr<SecretBuffer> copy = SecretBuffer::CopyOf(key);
  if (!copy.ok()) return ToGssxStatus(copy.status());
  *out = *std::move(copy);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SecretBuffer> SerializeContext(const ContextState& state) {
  if (state.send_key.size() != kKeySize || state.recv_key.size() != kKeySize ||
      !IsValidIdentity(state.local_name) || !IsValidIdentity(state.peer_name)) {
    return MakeError(ErrorKind::kFailure, Minor::kInternal,
                     "gssx: context state cannot be exported");
  }
  Writer count;
  Encode(state, 0, count);
  const size_t total = count.size() + kExportChecksumSize;
  absl::StatusOr<SecretBuffer> out = SecretBuffer::Create(total);
  if (!out.ok()) return ToGssxStatus(out.status());
  Writer w(out->span().first(count.size()));
  Encode(state, static_cast<uint32_t>(total), w);
  if (!w.full()) {
    return MakeError(ErrorKind::kFailure, Minor::kInternal,
                     "gssx: export encoding size mismatch");
  }
  Checksum(out->span().first(count.size()), out->data() + count.size());
  return out;
}

absl::StatusOr<ContextState> ParseContext(absl::Span<const uint8_t> token) {
  Reader r(token);
  absl::Span<const uint8_t> magic;
  uint16_t version = 0, reserved = 0;
  uint32_t total = 0;
  if (!r.View(4, &magic) || std::memcmp(magic.data(), kExportMagic, 4) != 0) {
    return Malformed("not a gssx context token (magic)");
  }
  if (!r.U16(&version)) return Malformed("truncated");
  if (version != kExportVersion) {
    return MakeError(
        ErrorKind::kDefectiveToken, Minor::kExportTokenVersion,
        absl::StrCat(
            "gssx: exported context version ", version,
            " is not supported (want ", kExportVersion, ")",
            version == 1 ? ": version 1 contexts use per-message tokens "
                           "without a per-instance nonce salt; establish a "
                           "new context"
                         : ""));
  }
  if (!r.U16(&reserved) || !r.U32(&total)) return Malformed("truncated");
  if (reserved != 0) return Malformed("reserved bits set");
  if (total != token.size() || total < kFixedHeader + kExportChecksumSize) {
    return Malformed(absl::StrCat("length says ", total, " bytes, have ",
                                  token.size()));
  }
  const size_t body = token.size() - kExportChecksumSize;
  uint8_t sum[kExportChecksumSize];
  Checksum(token.first(body), sum);
  if (sodium_memcmp(sum, token.data() + body, kExportChecksumSize) != 0) {
    return MakeError(ErrorKind::kDefectiveToken, Minor::kExportTokenChecksum,
                     "gssx: exported context is corrupted (checksum)");
  }

  Reader f(token.first(body));
  f.View(kFixedHeader, &magic);  // checked above
  ContextState s;
  uint8_t oid_len = 0;
  absl::Span<const uint8_t> oid;
  if (!f.U8(&oid_len) || oid_len > kMaxOidSize || !f.View(oid_len, &oid)) {
    return Malformed("bad mechanism OID");
  }
  if (Oid(oid) != MechanismOid()) {
    return MakeError(ErrorKind::kDefectiveToken, Minor::kWrongMechanism,
                     "gssx: exported context of another mechanism");
  }
  absl::Span<const uint8_t> id;
  uint8_t role = 0;
  int64_t expiry = 0;
  if (!f.View(kContextIdSize, &id) || !f.U8(&role) || !f.U32(&s.flags) ||
      !f.I64(&expiry)) {
    return Malformed("truncated");
  }
  if (role > 1) return Malformed("bad role");
  std::memcpy(s.id.data(), id.data(), kContextIdSize);
  s.initiator = role == 0;
  s.expiry = DecodeTime(expiry);
  if (!ReadName(f, &s.local_name) || !ReadName(f, &s.peer_name)) {
    return Malformed("bad name");
  }
  uint64_t next_expected = 0;
  uint8_t words = 0;
  if (absl::Status k = ReadKey(f, &s.send_key); !k.ok()) return k;
  if (!f.U64(&s.send_seq)) return Malformed("truncated sequence state");
  if (absl::Status k = ReadKey(f, &s.recv_key); !k.ok()) return k;
  if (!f.U64(&next_expected) || !f.U8(&words)) {
    return Malformed("truncated sequence state");
  }
  if (words != ReplayWindow::kWords) return Malformed("bad window size");
  ReplayWindow::Bitmap bitmap{};
  for (uint64_t& word : bitmap) {
    if (!f.U64(&word)) return Malformed("truncated window");
  }
  if (!f.done()) return Malformed("trailing bytes");
  std::optional<ReplayWindow> window =
      ReplayWindow::FromState(next_expected, bitmap);
  if (!window.has_value()) return Malformed("inconsistent receive window");
  s.window = *window;
  return s;
}

void ResealForTesting(absl::Span<uint8_t> token) {
  if (token.size() < kExportChecksumSize) return;
  const size_t body = token.size() - kExportChecksumSize;
  Checksum(token.first(body), token.data() + body);
}

}  // namespace gssx::internal
