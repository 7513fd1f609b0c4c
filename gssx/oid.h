// SPDX-License-Identifier: Apache-2.0
// Object identifiers (ASN.1 OIDs) as GSS-API uses them: the DER contents
// octets, without tag and length, like gss_OID_desc's `elements`.
//
//   const Oid& mech = MechanismOid();                 // the gssx mechanism
//   absl::StatusOr<Oid> o = Oid::FromString("{ 1 2 840 113554 1 2 2 }");
//   std::string dotted = *mech.ToString();             // "2.25.1025..."
//
// The gssx mechanism OID is 2.25.102548362089127675016825963317424568452:
// the arc 2.25 (ITU-T X.667: a UUID as one integer) with the UUID
// 4d26189b-f1ea-4f9e-a6bb-f34d51b83884, drawn at random once for gssx and
// never to change. Its DER contents are kMechanismOidBytes (20 bytes).
//
// Oid is a small copyable value; not validated on construction from bytes
// (ToString() says whether the encoding is well-formed).
#ifndef GSSX_OID_H_
#define GSSX_OID_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gssx {

inline constexpr char kMechanismUuid[] = "4d26189b-f1ea-4f9e-a6bb-f34d51b83884";
inline constexpr char kMechanismOidString[] =
    "2.25.102548362089127675016825963317424568452";
inline constexpr uint8_t kMechanismOidBytes[20] = {
    0x69, 0x81, 0x9a, 0xa6, 0x8c, 0xa6, 0xfe, 0x9e, 0xd2, 0xbe,
    0xbd, 0xa6, 0xdd, 0xfc, 0xe9, 0xd5, 0x8d, 0xe0, 0xf1, 0x04};

class Oid {
 public:
  // The empty OID (GSS_C_NO_OID).
  Oid() = default;
  // An OID from its DER contents octets (copied).
  explicit Oid(absl::Span<const uint8_t> der_contents)
      : bytes_(der_contents.begin(), der_contents.end()) {}

  // Parses "1.2.840.113554.1.2.2" or "{ 1 2 840 113554 1 2 2 }" (the
  // gss_str_to_oid forms). Arcs up to 128 bits. kFailure / kOidMalformed
  // for anything else.
  static absl::StatusOr<Oid> FromString(absl::string_view text);
  // The dotted form. kFailure / kOidMalformed for a malformed encoding
  // (empty, non-minimal, truncated, or an arc over 128 bits).
  absl::StatusOr<std::string> ToString() const;

  absl::Span<const uint8_t> bytes() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }

  friend bool operator==(const Oid& a, const Oid& b) {
    return a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const Oid& a, const Oid& b) { return !(a == b); }

 private:
  std::vector<uint8_t> bytes_;
};

// Well-known OIDs. References to process-wide objects, never destroyed.
const Oid& MechanismOid();        // the gssx mechanism (above)
const Oid& NtUserName();          // GSS_C_NT_USER_NAME 1.2.840.113554.1.2.1.1
const Oid& NtMachineUidName();    // GSS_C_NT_MACHINE_UID_NAME ...1.2.1.2
const Oid& NtStringUidName();     // GSS_C_NT_STRING_UID_NAME ...1.2.1.3
const Oid& NtHostBasedService();  // GSS_C_NT_HOSTBASED_SERVICE ...1.2.1.4
const Oid& NtAnonymous();         // GSS_C_NT_ANONYMOUS 1.3.6.1.5.6.3
const Oid& NtExportName();        // GSS_C_NT_EXPORT_NAME 1.3.6.1.5.6.4

}  // namespace gssx

#endif  // GSSX_OID_H_
