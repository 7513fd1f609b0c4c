// SPDX-License-Identifier: Apache-2.0
// Names: who a party is (gss_import_name, gss_display_name,
// gss_compare_names, gss_canonicalize_name, gss_export_name,
// gss_duplicate_name).
//
//   absl::StatusOr<Name> target =
//       Name::Import("http@web.example", NameType::kHostBasedService);
//   absl::StatusOr<Name> mn = target->Canonicalize();   // a mechanism name
//   absl::StatusOr<std::vector<uint8_t>> exported = mn->Export();
//   absl::StatusOr<Name> back = Name::ImportExported(*exported);
//   // Name::Compare(*back, *target) == true
//
// gssx identities are flat strings (internal/identity.h: 1-256 bytes, no
// whitespace or control characters, not starting with '#'). A name's
// canonical form, its *identity*, is the string that appears in keytabs,
// trust files and handshakes, and names compare by identity (exact bytes):
//   - user name (GSS_C_NT_USER_NAME, or GSS_C_NO_OID): the text itself;
//   - host-based service (GSS_C_NT_HOSTBASED_SERVICE): "service" or
//     "service@host" becomes "service@host" with the host in ASCII lower
//     case; no host (or an empty one) means this machine's host name
//     (gethostname(), lower-cased; "localhost" if that fails);
//   - exported name (GSS_C_NT_EXPORT_NAME): RFC 2743 §3.2,
//     04 01 | OID length (2 bytes, big-endian) | 06 len OID | name length
//     (4 bytes, big-endian) | identity; the OID must be the gssx mechanism.
// So "http" imported as a host-based service on host "Web1" is the identity
// "http@web1"; a keytab entry for that service must be named "http@web1".
//
// A name is a *mechanism name* (MN) once canonicalized, when imported from
// an exported name, or when it comes from a context or credential. Only MNs
// can be exported. The display form of an MN is its identity; its display
// type is GSS_C_NT_HOSTBASED_SERVICE if the identity contains '@', else
// GSS_C_NT_USER_NAME. Non-MNs display as imported.
//
// Name is a copyable value (duplicating a name is copying it) and holds no
// secrets. Not synchronized: concurrent reads are fine.
#ifndef GSSX_NAME_H_
#define GSSX_NAME_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gssx/oid.h"

namespace gssx {

enum class NameType : uint8_t {
  kUser,              // GSS_C_NT_USER_NAME (and GSS_C_NO_OID)
  kHostBasedService,  // GSS_C_NT_HOSTBASED_SERVICE
  kExport,            // GSS_C_NT_EXPORT_NAME (input only)
};

class Name {
 public:
  // An empty name: every operation on it answers kBadName / kNameEmpty.
  Name() = default;

  // gss_import_name. Errors: kBadName / kNameMalformed (empty text, bad
  // characters, too long, "@host" with no service), kBadName /
  // kExportedNameMalformed, kBadMech / kWrongMechanism (an exported name
  // of another mechanism).
  static absl::StatusOr<Name> Import(absl::string_view text, NameType type);
  // The same with a name-type OID, as the C ABI gets it: an empty OID means
  // kUser. kBadNameType / kNameTypeUnsupported for any other OID (UID
  // names, anonymous).
  static absl::StatusOr<Name> Import(absl::Span<const uint8_t> text,
                                     const Oid& type);
  // Import(bytes, NameType::kExport).
  static absl::StatusOr<Name> ImportExported(absl::Span<const uint8_t> bytes);
  // The MN of an identity string (kBadName / kNameMalformed if invalid).
  static absl::StatusOr<Name> FromIdentity(absl::string_view identity);

  bool empty() const { return identity_.empty(); }
  bool is_mechanism_name() const { return mechanism_name_; }
  // The canonical identity string ("" for an empty name).
  const std::string& identity() const { return identity_; }

  // gss_display_name: the printable form and its type (see above).
  const std::string& Display() const {
    return mechanism_name_ ? identity_ : text_;
  }
  const Oid& DisplayType() const;

  // gss_canonicalize_name for the gssx mechanism: the MN of this name.
  absl::StatusOr<Name> Canonicalize() const;
  // gss_export_name: the RFC 2743 §3.2 form. kNameNotMn / kNameNotMechanismName
  // unless this is an MN.
  absl::StatusOr<std::vector<uint8_t>> Export() const;

  // gss_compare_names: true if both name the same identity. kBadName /
  // kNameEmpty if either is empty.
  static absl::StatusOr<bool> Compare(const Name& a, const Name& b);

 private:
  NameType type_ = NameType::kUser;
  bool mechanism_name_ = false;
  std::string text_;      // as imported (non-MN display form)
  std::string identity_;  // canonical form
};

// This machine's host name as names use it (gethostname(), lower-cased).
std::string LocalHostName();

}  // namespace gssx

#endif  // GSSX_NAME_H_
