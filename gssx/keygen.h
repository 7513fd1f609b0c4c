// SPDX-License-Identifier: Apache-2.0
// Making identities: what `gssx keygen` does (gssx_main.cc), as a function.
//
//   absl::StatusOr<KeygenResult> r =
//       Keygen("http@web1", "/etc/web/keytab", "/etc/clients/trust");
//   // keytab: "http@web1 <base64 private key>" appended, mode 0600
//   // trust:  "http@web1 <base64 public key>" appended
//   std::cout << r->trust_line;   // the same line, to hand to peers
//
// The keytab is created with mode 0600 if missing (exactly 0600, whatever
// the umask). An existing keytab that group or others can access is
// refused (kNoCred / kKeytabInsecure) and left alone; so is an existing
// trust file that group or others can write (kNoCred / kTrustInsecure); a
// new trust file gets mode 0644. Both files are locked (flock) while being
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
