// SPDX-License-Identifier: Apache-2.0
#include "gssx/internal/framing.h"

#include "absl/strings/str_cat.h"
#include "gssx/oid.h"
#include "gssx/status.h"

namespace gssx::internal {
namespace {

void AppendDerLength(size_t n, std::vector<uint8_t>* out) {
  if (n < 0x80) {
    out->push_back(static_cast<uint8_t>(n));
    return;
  }
  uint8_t tmp[8];
  int k = 0;
  while (n != 0) {
    tmp[k++] = static_cast<uint8_t>(n & 0xff);
    n >>= 8;
  }
  out->push_back(static_cast<uint8_t>(0x80 | k));
  while (k > 0) out->push_back(tmp[--k]);
}

// Reads a minimal DER length at *pos; false if malformed or past the end.
bool ReadDerLength(absl::Span<const uint8_t> in, size_t* pos, size_t* length) {
  if (*pos >= in.size()) return false;
  const uint8_t first = in[(*pos)++];
  if (first < 0x80) {
    *length = first;
    return true;
  }
  const size_t k = first & 0x7f;
  if (k == 0 || k > 4 || k > in.size() - *pos) return false;  // no indefinite
  size_t v = 0;
  for (size_t i = 0; i < k; ++i) v = (v << 8) | in[(*pos)++];
  // Minimal: long form only from 0x80, and no leading zero byte.
  if (v < 0x80 || (v >> (8 * (k - 1))) == 0) return false;
  *length = v;
  return true;
}

absl::Status Malformed(absl::string_view why) {
  return MakeError(ErrorKind::kDefectiveToken, Minor::kTokenMalformed,
                   absl::StrCat("gssx: malformed context token: ", why));
}

}  // namespace

std::vector<uint8_t> FrameContextToken(const uint8_t (&id)[2],
                                       absl::Span<const uint8_t> body) {
  const absl::Span<const uint8_t> oid = MechanismOid().bytes();
  std::vector<uint8_t> oid_tlv;
  oid_tlv.push_back(0x06);
  AppendDerLength(oid.size(), &oid_tlv);
  oid_tlv.insert(oid_tlv.end(), oid.begin(), oid.end());

  std::vector<uint8_t> out;
  out.reserve(8 + oid_tlv.size() + 2 + body.size());
  out.push_back(0x60);
  AppendDerLength(oid_tlv.size() + 2 + body.size(), &out);
  out.insert(out.end(), oid_tlv.begin(), oid_tlv.end());
  out.push_back(id[0]);
  out.push_back(id[1]);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

absl::StatusOr<absl::Span<const uint8_t>> UnframeContextToken(
    absl::Span<const uint8_t> token, const uint8_t (&id)[2]) {
  size_t pos = 0;
  if (token.empty() || token[pos++] != 0x60) {
    return Malformed("not an RFC 2743 initial context token (tag 0x60)");
  }
  size_t outer = 0;
  if (!ReadDerLength(token, &pos, &outer)) return Malformed("bad length");
  if (outer != token.size() - pos) {
    return Malformed(absl::StrCat("length says ", outer, " bytes, token has ",
                                  token.size() - pos));
  }
  if (pos >= token.size() || token[pos++] != 0x06) {
    return Malformed("no mechanism OID");
  }
  size_t oid_len = 0;
  if (!ReadDerLength(token, &pos, &oid_len) || oid_len > token.size() - pos) {
    return Malformed("bad OID length");
  }
  const absl::Span<const uint8_t> oid = token.subspan(pos, oid_len);
  pos += oid_len;
  if (Oid(oid) != MechanismOid()) {
    return MakeError(ErrorKind::kBadMech, Minor::kWrongMechanism,
                     "gssx: the token belongs to another mechanism");
  }
  if (token.size() - pos < 2) return Malformed("no token id");
  if (token[pos] != id[0] || token[pos + 1] != id[1]) {
    return MakeError(ErrorKind::kDefectiveToken, Minor::kWrongTokenType,
                     "gssx: unexpected context token type");
  }
  pos += 2;
  return token.subspan(pos);
}

}  // namespace gssx::internal
