// SPDX-License-Identifier: Apache-2.0
// Making identities: what `gssx keygen` (gssx/tool/gssx_main.cc) does, as
// a function.
//
//   absl::StatusOr<KeygenResult> r =
//       Keygen("http@web1", "/etc/web/keytab", "/etc/clients/trust");
//   // keytab: "http@web1 <base64 private key>" appended, mode 0600
//   // trust:  "http@web1 <base64 public key>" appended
//   std::cout << r->trust_line;   // the same line, to hand to peers
//
// The keytab is created with mode 0600 if missing (O_CREAT | O_EXCL,
// exactly 0600 whatever the umask); a new trust file gets mode 0644.
// Refused and left alone (kNoCred / kKeytabInsecure or kTrustInsecure, the
// message naming the file or directory and the reason): an existing file
// owned by anyone but this process's effective uid or root (in a sticky
// world-writable directory, another user could have made it first), a
// keytab that group or others can access, a trust file that group or
// others can write, and a file in a directory (or below one) that is not
// owned by us or root, or that group or others can write unless it is
// sticky — internal/key_files.h CheckKeyFile, the same check that loading
// a keytab or trust file makes. Both files are locked (flock) while being
// checked and appended to, must parse (kDefectiveCredential otherwise), and
// must not already hold the name (kDuplicateElement / kDuplicateIdentity);
// nothing is written unless every check passes. Symbolic links are refused
// (O_NOFOLLOW): kNoCred / k*Unreadable. The private key exists only in
// locked memory and the keytab file.
#ifndef GSSX_KEYGEN_H_
#define GSSX_KEYGEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gssx/credentials.h"

namespace gssx {

struct KeygenResult {
  std::string name;
  PublicKey public_key{};
  // "<name> <base64 public key>\n": a trust-file line.
  std::string trust_line;
};

// Generates an X25519 identity `name` (an identity string: the canonical
// form of a name, e.g. "http@web1" or "alice"), appends it to the keytab at
// `keytab_path`, and its public key to the trust file at `trust_path` unless
// that is empty. Errors: kBadName / kNameMalformed, the file errors above,
// kFailure with errno for I/O failures.
absl::StatusOr<KeygenResult> Keygen(absl::string_view name,
                                    const std::string& keytab_path,
                                    const std::string& trust_path);

}  // namespace gssx

#endif  // GSSX_KEYGEN_H_
