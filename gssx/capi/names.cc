// SPDX-License-Identifier: Apache-2.0
// RFC 2744 names over gssx::Name (gssx/name.h), and the RFC 6680 /
// MIT extensions gss_inquire_name, gss_get_name_attribute, gss_localname.
//
// Name types accepted by gss_import_name: GSS_C_NO_OID and
// GSS_C_NT_USER_NAME (a user name), GSS_C_NT_HOSTBASED_SERVICE and its
// version 1 twin GSS_C_NT_HOSTBASED_SERVICE_X ("service@host"),
// GSS_C_NT_EXPORT_NAME, and GSS_C_NT_MACHINE_UID_NAME (a uid_t) /
// GSS_C_NT_STRING_UID_NAME (a decimal uid), which become the user name of
// that uid on this machine. GSS_C_NT_ANONYMOUS and anything else:
// GSS_S_BAD_NAMETYPE.
#include <gssapi/gssapi.h>
#include <pwd.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "gssx/capi/internal/common.h"
#include "gssx/name.h"
#include "gssx/oid.h"
#include "gssx/status.h"

using gssx::ErrorKind;
using gssx::Minor;
using gssx::Name;
using gssx::Oid;
using gssx::capi::internal::CallingError;
using gssx::capi::internal::ClearOutputs;
using gssx::capi::internal::Entry;
using gssx::capi::internal::Error;
using gssx::capi::internal::FindName;
using gssx::capi::internal::IsOurMechanism;
using gssx::capi::internal::KeyOf;
using gssx::capi::internal::Names;
using gssx::capi::internal::NewNameHandle;
using gssx::capi::internal::NewOidSet;
using gssx::capi::internal::ReadBuffer;
using gssx::capi::internal::ReadOid;
using gssx::capi::internal::SetBuffer;
using gssx::capi::internal::SetString;
using gssx::capi::internal::StaticMechanismOid;
using gssx::capi::internal::StaticOidFor;
using gssx::capi::internal::Translate;

namespace {

struct Account {
  std::string name;
  uid_t uid = 0;
};

// Calls getpw*_r with a growing buffer. The account, std::nullopt if
// there is no such account, or an OS error.
template <typename Lookup>
absl::StatusOr<std::optional<Account>> PasswdLookup(Lookup lookup,
                                                    absl::string_view what) {
  std::vector<char> buf(4096);
  while (true) {
    struct passwd pw;
    struct passwd* found = nullptr;
    const int rc = lookup(&pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (size_t{1} << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 && rc != ENOENT && rc != ESRCH && rc != EBADF && rc != EPERM) {
      return gssx::OsError(rc, what);
    }
    if (found == nullptr || found->pw_name == nullptr) return std::nullopt;
    return std::optional<Account>(Account{found->pw_name, found->pw_uid});
  }
}

absl::StatusOr<std::optional<Account>> UserOfUid(uid_t uid) {
  return PasswdLookup(
      [uid](struct passwd* pw, char* buf, size_t size, struct passwd** out) {
        return ::getpwuid_r(uid, pw, buf, size, out);
      },
      "getpwuid_r");
}

absl::StatusOr<std::optional<Account>> AccountNamed(
    const std::string& name) {
  return PasswdLookup(
      [&name](struct passwd* pw, char* buf, size_t size, struct passwd** out) {
        return ::getpwnam_r(name.c_str(), pw, buf, size, out);
      },
      "getpwnam_r");
}

absl::Status NoSuchUid() {
  return Error(ErrorKind::kBadName, Minor::kNameMalformed,
               "no local account has that uid");
}

// gss_import_name's work for the exact bytes: bytes + C name type -> Name.
absl::StatusOr<Name> ImportExactName(absl::Span<const uint8_t> bytes,
                                     const Oid& type) {
  if (type == gssx::NtMachineUidName() || type == gssx::NtStringUidName()) {
    uid_t uid = 0;
    if (type == gssx::NtMachineUidName()) {
      if (bytes.size() != sizeof(uid_t)) {
        return Error(ErrorKind::kBadName, Minor::kNameMalformed,
                     "a GSS_C_NT_MACHINE_UID_NAME is one uid_t");
      }
      std::memcpy(&uid, bytes.data(), sizeof uid);
    } else {
      const absl::string_view text(
          reinterpret_cast<const char*>(bytes.data()), bytes.size());
      uint32_t value = 0;
      if (text.empty() || text.size() > 10 ||
          text.find_first_not_of("0123456789") != absl::string_view::npos ||
          !absl::SimpleAtoi(text, &value)) {
        return Error(ErrorKind::kBadName, Minor::kNameMalformed,
                     "a GSS_C_NT_STRING_UID_NAME is a decimal uid");
      }
      uid = static_cast<uid_t>(value);
    }
    absl::StatusOr<std::optional<Account>> user = UserOfUid(uid);
    if (!user.ok()) return user.status();
    if (!user->has_value()) return NoSuchUid();
    return Name::Import((*user)->name, gssx::NameType::kUser);
  }
  // The version 1 host-based service OID has the same syntax.
  static const Oid* const kHostBasedX = new Oid(
      std::vector<uint8_t>{0x2b, 0x06, 0x01, 0x05, 0x06, 0x02});
  if (type == *kHostBasedX) {
    return Name::Import(bytes, gssx::NtHostBasedService());
  }
  return Name::Import(bytes, type);
}

// gss_import_name's work, with MIT's tolerance of one trailing NUL (see
// the top of this file).
absl::StatusOr<Name> ImportName(absl::Span<const uint8_t> bytes,
                                const Oid& type) {
  const bool trailing_nul = !bytes.empty() && bytes.back() == 0;
  const absl::Span<const uint8_t> without =
      trailing_nul ? bytes.first(bytes.size() - 1) : bytes;
  const bool binary =
      type == gssx::NtMachineUidName() || type == gssx::NtExportName();
  if (!binary) return ImportExactName(without, type);
  // A uid_t or an exported name may end in a zero byte of its own.
  absl::StatusOr<Name> exact = ImportExactName(bytes, type);
  if (exact.ok() || !trailing_nul) return exact;
  absl::StatusOr<Name> shorter = ImportExactName(without, type);
  return shorter.ok() ? shorter : exact;
}

absl::Status BadMech() {
  return Error(ErrorKind::kBadMech, Minor::kWrongMechanism,
               "not the gssx mechanism");
}

// The documented mapping of gss_localname and gss_pname_to_uid: the local
// account whose user name is the identity of the canonical name.
absl::StatusOr<Account> LocalAccount(gss_name_t name,
                                     const gss_OID_desc* mech_type) {
  absl::StatusOr<std::shared_ptr<const Name>> found = FindName(name);
  if (!found.ok()) return found.status();
  if (!IsOurMechanism(mech_type)) return BadMech();
  absl::StatusOr<Name> mn = (*found)->Canonicalize();
  if (!mn.ok()) return mn.status();
  const std::string& identity = mn->identity();
  if (identity.find('@') != std::string::npos) {
    return Error(ErrorKind::kUnavailable, Minor::kNameTypeUnsupported,
                 "a host-based service has no local account");
  }
  absl::StatusOr<std::optional<Account>> account = AccountNamed(identity);
  if (!account.ok()) return account.status();
  if (!account->has_value()) {
    return Error(ErrorKind::kUnavailable, Minor::kNoLocalAccount,
                 "no local account of that name");
  }
  return **account;
}

}  // namespace

extern "C" {

OM_uint32 gss_import_name(OM_uint32* minor_status,
                          const gss_buffer_t input_name_buffer,
                          const gss_OID input_name_type,
                          gss_name_t* output_name) {
  ClearOutputs(output_name);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> bytes;
    Oid type;
    if (!ReadBuffer(input_name_buffer, /*optional=*/false, &bytes) ||
        !ReadOid(input_name_type, &type)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (output_name == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<Name> name = ImportName(bytes, type);
    if (!name.ok()) return Translate(name.status(), minor_status);
    *output_name = NewNameHandle(*std::move(name));
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_display_name(OM_uint32* minor_status,
                           const gss_name_t input_name,
                           gss_buffer_t output_name_buffer,
                           gss_OID* output_name_type) {
  ClearOutputs(output_name_buffer, output_name_type);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (output_name_buffer == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::shared_ptr<const Name>> name = FindName(input_name);
    if (!name.ok()) return Translate(name.status(), minor_status);
    gss_buffer_desc out;
    if (absl::Status s = SetString(&out, (*name)->Display()); !s.ok()) {
      return Translate(s, minor_status);
    }
    *output_name_buffer = out;
    if (output_name_type != nullptr) {
      *output_name_type = StaticOidFor((*name)->DisplayType());
    }
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_compare_name(OM_uint32* minor_status, const gss_name_t name1,
                           const gss_name_t name2, int* name_equal) {
  ClearOutputs(name_equal);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (name_equal == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::shared_ptr<const Name>> a = FindName(name1);
    if (!a.ok()) return Translate(a.status(), minor_status);
    absl::StatusOr<std::shared_ptr<const Name>> b = FindName(name2);
    if (!b.ok()) return Translate(b.status(), minor_status);
    absl::StatusOr<bool> equal = Name::Compare(**a, **b);
    if (!equal.ok()) return Translate(equal.status(), minor_status);
    *name_equal = *equal ? 1 : 0;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_release_name(OM_uint32* minor_status, gss_name_t* input_name) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (input_name == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    // As gss_release_cred and gss_release_buffer: nothing to release.
    if (*input_name == GSS_C_NO_NAME) return GSS_S_COMPLETE;
    if (Names().Remove(KeyOf(*input_name)) == nullptr) {
      return Translate(FindName(*input_name).status(), minor_status);
    }
    *input_name = GSS_C_NO_NAME;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_export_name(OM_uint32* minor_status,
                          const gss_name_t input_name,
                          gss_buffer_t exported_name) {
  ClearOutputs(exported_name);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (exported_name == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::shared_ptr<const Name>> name = FindName(input_name);
    if (!name.ok()) return Translate(name.status(), minor_status);
    absl::StatusOr<std::vector<uint8_t>> bytes = (*name)->Export();
    if (!bytes.ok()) return Translate(bytes.status(), minor_status);
    gss_buffer_desc out;
    if (absl::Status s = SetBuffer(&out, *bytes, /*as_string=*/false);
        !s.ok()) {
      return Translate(s, minor_status);
    }
    *exported_name = out;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_canonicalize_name(OM_uint32* minor_status,
                                const gss_name_t input_name,
                                const gss_OID mech_type,
                                gss_name_t* output_name) {
  ClearOutputs(output_name);
  return Entry(minor_status, [&]() -> OM_uint32 {
    // RFC 2744: the mechanism must be given explicitly.
    if (mech_type == GSS_C_NO_OID) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (output_name == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::shared_ptr<const Name>> name = FindName(input_name);
    if (!name.ok()) return Translate(name.status(), minor_status);
    if (!IsOurMechanism(mech_type)) return Translate(BadMech(), minor_status);
    absl::StatusOr<Name> mn = (*name)->Canonicalize();
    if (!mn.ok()) return Translate(mn.status(), minor_status);
    *output_name = NewNameHandle(*std::move(mn));
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_duplicate_name(OM_uint32* minor_status,
                             const gss_name_t src_name,
                             gss_name_t* dest_name) {
  ClearOutputs(dest_name);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (dest_name == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::shared_ptr<const Name>> name = FindName(src_name);
    if (!name.ok()) return Translate(name.status(), minor_status);
    *dest_name = NewNameHandle(**name);
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_inquire_names_for_mech(OM_uint32* minor_status,
                                     const gss_OID mechanism,
                                     gss_OID_set* name_types) {
  ClearOutputs(name_types);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (name_types == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (!IsOurMechanism(mechanism)) return Translate(BadMech(), minor_status);
    const Oid host_based_x(
        std::vector<uint8_t>{0x2b, 0x06, 0x01, 0x05, 0x06, 0x02});
    gss_OID_set set = NewOidSet(
        {&gssx::NtUserName(), &gssx::NtHostBasedService(), &host_based_x,
         &gssx::NtMachineUidName(), &gssx::NtStringUidName(),
         &gssx::NtExportName()});
    if (set == nullptr) {
      return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
    }
    *name_types = set;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_inquire_mechs_for_name(OM_uint32* minor_status,
                                     const gss_name_t input_name,
                                     gss_OID_set* mech_types) {
  ClearOutputs(mech_types);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (mech_types == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::shared_ptr<const Name>> name = FindName(input_name);
    if (!name.ok()) return Translate(name.status(), minor_status);
    gss_OID_set set = NewOidSet({&gssx::MechanismOid()});
    if (set == nullptr) {
      return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
    }
    *mech_types = set;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_inquire_name(OM_uint32* minor_status, gss_name_t name,
                           int* name_is_MN, gss_OID* MN_mech,
                           gss_buffer_set_t* attrs) {
  ClearOutputs(name_is_MN, MN_mech, attrs);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::StatusOr<std::shared_ptr<const Name>> found = FindName(name);
    if (!found.ok()) return Translate(found.status(), minor_status);
    const bool mn = (*found)->is_mechanism_name();
    if (name_is_MN != nullptr) *name_is_MN = mn ? 1 : 0;
    if (MN_mech != nullptr) {
      *MN_mech = mn ? StaticMechanismOid() : GSS_C_NO_OID;
    }
    if (attrs != nullptr) *attrs = GSS_C_NO_BUFFER_SET;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_get_name_attribute(OM_uint32* minor_status, gss_name_t name,
                                 gss_buffer_t attr, int* authenticated,
                                 int* complete, gss_buffer_t value,
                                 gss_buffer_t display_value, int* more) {
  // `more` is input/output (RFC 6680): the caller's.
  ClearOutputs(authenticated, complete, value, display_value);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> attribute;
    if (!ReadBuffer(attr, /*optional=*/false, &attribute)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (more == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::shared_ptr<const Name>> found = FindName(name);
    if (!found.ok()) return Translate(found.status(), minor_status);
    // RFC 6680: GSS_S_UNAVAILABLE when the name has no such attribute;
    // gssx names have none.
    return Translate(Error(ErrorKind::kUnavailable, Minor::kNone,
                           "gssx names have no attributes"),
                     minor_status);
  });
}

OM_uint32 gss_localname(OM_uint32* minor_status, const gss_name_t name,
                        gss_const_OID mech_type, gss_buffer_t localname) {
  ClearOutputs(localname);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (localname == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<Account> account = LocalAccount(name, mech_type);
    if (!account.ok()) return Translate(account.status(), minor_status);
    gss_buffer_desc out;
    if (absl::Status s = SetString(&out, account->name); !s.ok()) {
      return Translate(s, minor_status);
    }
    *localname = out;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_pname_to_uid(OM_uint32* minor_status, const gss_name_t name,
                           const gss_OID mech_type, uid_t* uidOut) {
  // Set on entry to (uid_t)-1, never 0: a caller that ignores the status
  // must not get root.
  if (uidOut != nullptr) *uidOut = static_cast<uid_t>(-1);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (uidOut == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<Account> account = LocalAccount(name, mech_type);
    if (!account.ok()) return Translate(account.status(), minor_status);
    *uidOut = account->uid;
    return GSS_S_COMPLETE;
  });
}

}  // extern "C"
