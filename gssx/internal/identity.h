// SPDX-License-Identifier: Apache-2.0
// Identity strings: the canonical (mechanism) form of every gssx name, as
// written in keytabs, trust files, handshakes and exported tokens. Internal.
//
// 1 to kMaxIdentityLength bytes; every byte is printable ASCII other than
// space (0x21-0x7e) or a byte >= 0x80 (UTF-8 is passed through, not
// checked); the first byte is not '#'. So an identity is always one
// whitespace-free field of a keytab or trust-file line.
#ifndef GSSX_INTERNAL_IDENTITY_H_
#define GSSX_INTERNAL_IDENTITY_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace gssx::internal {

inline constexpr size_t kMaxIdentityLength = 256;

inline bool IsValidIdentity(absl::string_view s) {
  if (s.empty() || s.size() > kMaxIdentityLength || s[0] == '#') return false;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7f) return false;
  }
  return true;
}

}  // namespace gssx::internal

#endif  // GSSX_INTERNAL_IDENTITY_H_
