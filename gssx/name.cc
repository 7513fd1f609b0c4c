// SPDX-License-Identifier: Apache-2.0
#include "gssx/name.h"

#include <unistd.h>

#include <climits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gssx/internal/identity.h"
#include "gssx/status.h"

namespace gssx {
namespace {

absl::Status BadName(Minor minor, absl::string_view why) {
  return MakeError(ErrorKind::kBadName, minor, absl::StrCat("gssx: ", why));
}

absl::Status EmptyName() {
  return BadName(Minor::kNameEmpty, "the name is empty");
}

absl::StatusOr<std::string> HostBasedIdentity(absl::string_view text) {
  const size_t at = text.find('@');
  absl::string_view service = text.substr(0, at);
  std::string host;
  if (at != absl::string_view::npos) {
    host = absl::AsciiStrToLower(text.substr(at + 1));
  }
  if (service.empty()) {
    return BadName(Minor::kNameMalformed,
                   "a host-based service name needs a service");
  }
  if (host.find('@') != std::string::npos) {
    return BadName(Minor::kNameMalformed,
                   "a host-based service name has one '@'");
  }
  if (host.empty()) host = LocalHostName();
  return absl::StrCat(service, "@", host);
}

absl::StatusOr<std::string> ParseExported(absl::Span<const uint8_t> b) {
  const absl::Status malformed = BadName(
      Minor::kExportedNameMalformed, "malformed exported name token");
  // 04 01 | u16 BE oid-len | 06 len oid | u32 BE name-len | name
  if (b.size() < 4 || b[0] != 0x04 || b[1] != 0x01) return malformed;
  const size_t oid_tlv_len = (static_cast<size_t>(b[2]) << 8) | b[3];
  if (oid_tlv_len < 2 || oid_tlv_len > b.size() - 4) return malformed;
  absl::Span<const uint8_t> oid_tlv = b.subspan(4, oid_tlv_len);
  if (oid_tlv[0] != 0x06 || oid_tlv[1] >= 0x80 ||
      oid_tlv[1] != oid_tlv_len - 2) {
    return malformed;
  }
  if (Oid(oid_tlv.subspan(2)) != MechanismOid()) {
    return MakeError(ErrorKind::kBadMech, Minor::kWrongMechanism,
                     "gssx: exported name of another mechanism");
  }
  absl::Span<const uint8_t> rest = b.subspan(4 + oid_tlv_len);
  if (rest.size() < 4) return malformed;
  const size_t name_len = (static_cast<size_t>(rest[0]) << 24) |
                          (static_cast<size_t>(rest[1]) << 16) |
                          (static_cast<size_t>(rest[2]) << 8) | rest[3];
  if (name_len != rest.size() - 4) return malformed;
  std::string identity(reinterpret_cast<const char*>(rest.data()) + 4,
                       name_len);
  if (!internal::IsValidIdentity(identity)) return malformed;
  return identity;
}

}  // namespace

std::string LocalHostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
    return "localhost";
  }
  return absl::AsciiStrToLower(buf);
}

absl::StatusOr<Name> Name::Import(absl::string_view text, NameType type) {
  Name name;
  name.type_ = type;
  switch (type) {
    case NameType::kUser:
      name.identity_ = std::string(text);
      break;
    case NameType::kHostBasedService: {
      absl::StatusOr<std::string> identity = HostBasedIdentity(text);
      if (!identity.ok()) return identity.status();
      name.identity_ = *std::move(identity);
      break;
    }
    case NameType::kExport: {
      absl::StatusOr<std::string> identity = ParseExported(
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()),
                              text.size()));
      if (!identity.ok()) return identity.status();
      return FromIdentity(*identity);
    }
  }
  if (text.empty()) return EmptyName();
  if (!internal::IsValidIdentity(name.identity_)) {
    return BadName(Minor::kNameMalformed,
                   "names are 1-256 bytes without spaces or control "
                   "characters, not starting with '#'");
  }
  name.text_ = std::string(text);
  return name;
}

absl::StatusOr<Name> Name::Import(absl::Span<const uint8_t> text,
                                  const Oid& type) {
  const absl::string_view s(reinterpret_cast<const char*>(text.data()),
                            text.size());
  if (type.empty() || type == NtUserName()) {
    return Import(s, NameType::kUser);
  }
  if (type == NtHostBasedService()) {
    return Import(s, NameType::kHostBasedService);
  }
  if (type == NtExportName()) return Import(s, NameType::kExport);
  return MakeError(ErrorKind::kBadNameType, Minor::kNameTypeUnsupported,
                   "gssx: unsupported name type");
}

absl::StatusOr<Name> Name::ImportExported(absl::Span<const uint8_t> bytes) {
  return Import(bytes, NtExportName());
}

absl::StatusOr<Name> Name::FromIdentity(absl::string_view identity) {
  if (identity.empty()) return EmptyName();
  if (!internal::IsValidIdentity(identity)) {
    return BadName(Minor::kNameMalformed, "invalid identity string");
  }
  Name name;
  name.mechanism_name_ = true;
  name.identity_ = std::string(identity);
  name.text_ = name.identity_;
  name.type_ = identity.find('@') != absl::string_view::npos
                   ? NameType::kHostBasedService
                   : NameType::kUser;
  return name;
}

const Oid& Name::DisplayType() const {
  if (mechanism_name_) {
    return identity_.find('@') != std::string::npos ? NtHostBasedService()
                                                    : NtUserName();
  }
  switch (type_) {
    case NameType::kHostBasedService:
      return NtHostBasedService();
    case NameType::kExport:
      return NtExportName();
    case NameType::kUser:
      break;
  }
  return NtUserName();
}

absl::StatusOr<Name> Name::Canonicalize() const {
  if (empty()) return EmptyName();
  return FromIdentity(identity_);
}

absl::StatusOr<std::vector<uint8_t>> Name::Export() const {
  if (empty()) return EmptyName();
  if (!mechanism_name_) {
    return MakeError(ErrorKind::kNameNotMn, Minor::kNameNotMechanismName,
                     "gssx: only a mechanism name can be exported");
  }
  const absl::Span<const uint8_t> oid = MechanismOid().bytes();
  std::vector<uint8_t> out;
  out.reserve(4 + 2 + oid.size() + 4 + identity_.size());
  out.push_back(0x04);
  out.push_back(0x01);
  const size_t oid_tlv_len = 2 + oid.size();
  out.push_back(static_cast<uint8_t>(oid_tlv_len >> 8));
  out.push_back(static_cast<uint8_t>(oid_tlv_len));
  out.push_back(0x06);
  out.push_back(static_cast<uint8_t>(oid.size()));
  out.insert(out.end(), oid.begin(), oid.end());
  const size_t n = identity_.size();
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(n >> shift));
  }
  out.insert(out.end(), identity_.begin(), identity_.end());
  return out;
}

absl::StatusOr<bool> Name::Compare(const Name& a, const Name& b) {
  if (a.empty() || b.empty()) return EmptyName();
  return a.identity_ == b.identity_;
}

}  // namespace gssx
