// SPDX-License-Identifier: Apache-2.0
#include "gssx/oid.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gssx/status.h"

namespace gssx {
namespace {

absl::Status Malformed(absl::string_view why) {
  return MakeError(ErrorKind::kFailure, Minor::kOidMalformed, why);
}

bool ParseArc(absl::string_view digits, absl::uint128* out) {
  if (digits.empty() || digits.size() > 39) return false;
  if (digits.size() > 1 && digits[0] == '0') return false;
  absl::uint128 v = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(c)) return false;
    const absl::uint128 next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return false;  // overflow
    v = next;
  }
  *out = v;
  return true;
}

void AppendBase128(absl::uint128 v, std::vector<uint8_t>* out) {
  uint8_t tmp[19];
  int n = 0;
  do {
    tmp[n++] = static_cast<uint8_t>(absl::Uint128Low64(v) & 0x7f);
    v >>= 7;
  } while (v != 0);
  while (n > 0) {
    --n;
    out->push_back(static_cast<uint8_t>(tmp[n] | (n > 0 ? 0x80 : 0)));
  }
}

std::string Decimal(absl::uint128 v) {
  std::string s;
  do {
    s.push_back(static_cast<char>('0' + absl::Uint128Low64(v % 10)));
    v /= 10;
  } while (v != 0);
  std::reverse(s.begin(), s.end());
  return s;
}

const Oid* MakeOid(std::vector<uint8_t> bytes) { return new Oid(bytes); }

}  // namespace

absl::StatusOr<Oid> Oid::FromString(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  std::vector<absl::string_view> arcs;
  if (absl::ConsumePrefix(&text, "{")) {
    if (!absl::ConsumeSuffix(&text, "}")) return Malformed("unbalanced '{'");
    arcs = absl::StrSplit(text, ' ', absl::SkipWhitespace());
  } else {
    arcs = absl::StrSplit(text, '.');
  }
  if (arcs.size() < 2) return Malformed("an OID has at least two arcs");
  std::vector<absl::uint128> values;
  for (absl::string_view arc : arcs) {
    absl::uint128 v;
    if (!ParseArc(absl::StripAsciiWhitespace(arc), &v)) {
      return Malformed("an OID arc is not a decimal number");
    }
    values.push_back(v);
  }
  if (values[0] > 2 || (values[0] < 2 && values[1] >= 40)) {
    return Malformed("bad first arcs");
  }
  const absl::uint128 first = values[0] * 40 + values[1];
  if (first < values[1]) return Malformed("arc too large");
  std::vector<uint8_t> bytes;
  AppendBase128(first, &bytes);
  for (size_t i = 2; i < values.size(); ++i) AppendBase128(values[i], &bytes);
  return Oid(bytes);
}

absl::StatusOr<std::string> Oid::ToString() const {
  if (bytes_.empty()) return Malformed("empty OID");
  std::string out;
  absl::uint128 v = 0;
  bool first = true;
  bool in_arc = false;
  for (uint8_t b : bytes_) {
    if (!in_arc && b == 0x80) return Malformed("non-minimal OID arc");
    if ((v >> 121) != 0) return Malformed("OID arc over 128 bits");
    v = (v << 7) | (b & 0x7f);
    in_arc = (b & 0x80) != 0;
    if (in_arc) continue;
    if (first) {
      if (v < 40) {
        out = "0." + Decimal(v);
      } else if (v < 80) {
        out = "1." + Decimal(v - 40);
      } else {
        out = "2." + Decimal(v - 80);
      }
      first = false;
    } else {
      out += "." + Decimal(v);
    }
    v = 0;
  }
  if (in_arc) return Malformed("truncated OID");
  return out;
}

const Oid& MechanismOid() {
  static const Oid* const oid = new Oid(kMechanismOidBytes);
  return *oid;
}
const Oid& NtUserName() {
  static const Oid* const oid = MakeOid(
      {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x01});
  return *oid;
}
const Oid& NtMachineUidName() {
  static const Oid* const oid = MakeOid(
      {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x02});
  return *oid;
}
const Oid& NtStringUidName() {
  static const Oid* const oid = MakeOid(
      {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x03});
  return *oid;
}
const Oid& NtHostBasedService() {
  static const Oid* const oid = MakeOid(
      {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04});
  return *oid;
}
const Oid& NtAnonymous() {
  static const Oid* const oid = MakeOid({0x2b, 0x06, 0x01, 0x05, 0x06, 0x03});
  return *oid;
}
const Oid& NtExportName() {
  static const Oid* const oid = MakeOid({0x2b, 0x06, 0x01, 0x05, 0x06, 0x04});
  return *oid;
}

}  // namespace gssx
