// SPDX-License-Identifier: Apache-2.0
// RFC 2744 buffers, OIDs and OID sets, and the common extensions for OID
// strings and buffer sets (gss_oid_to_str, gss_str_to_oid,
// gss_release_oid, gss_*_buffer_set*).
#include <gssapi/gssapi.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/string_view.h"
#include "gssx/capi/internal/common.h"
#include "gssx/oid.h"
#include "gssx/status.h"

using gssx::ErrorKind;
using gssx::Minor;
using gssx::Oid;
using gssx::capi::internal::AddToOidSet;
using gssx::capi::internal::CallingError;
using gssx::capi::internal::ClearOutputs;
using gssx::capi::internal::Entry;
using gssx::capi::internal::Error;
using gssx::capi::internal::IsStaticOid;
using gssx::capi::internal::NewOidSet;
using gssx::capi::internal::NewTrackedOid;
using gssx::capi::internal::OidSetContains;
using gssx::capi::internal::ReadBuffer;
using gssx::capi::internal::ReadOid;
using gssx::capi::internal::ReleaseBuffer;
using gssx::capi::internal::ReleaseTrackedOid;
using gssx::capi::internal::SetBuffer;
using gssx::capi::internal::SetString;
using gssx::capi::internal::Translate;

namespace {

// Longest OID string gss_str_to_oid considers (a 128-bit arc is 39 digits;
// nothing real comes near this).
constexpr size_t kMaxOidStringLength = 4096;

}  // namespace

extern "C" {

OM_uint32 gss_release_buffer(OM_uint32* minor_status, gss_buffer_t buffer) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (buffer == GSS_C_NO_BUFFER) return GSS_S_COMPLETE;
    ReleaseBuffer(buffer);
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_create_empty_oid_set(OM_uint32* minor_status,
                                   gss_OID_set* oid_set) {
  ClearOutputs(oid_set);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (oid_set == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    gss_OID_set set = NewOidSet({});
    if (set == nullptr) {
      return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
    }
    *oid_set = set;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_add_oid_set_member(OM_uint32* minor_status,
                                 const gss_OID member_oid,
                                 gss_OID_set* oid_set) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    Oid member;
    if (member_oid == GSS_C_NO_OID || !ReadOid(member_oid, &member) ||
        member.empty()) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (oid_set == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (*oid_set == GSS_C_NO_OID_SET) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if ((*oid_set)->count > 0 && (*oid_set)->elements == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    return Translate(AddToOidSet(*oid_set, member.bytes()), minor_status);
  });
}

OM_uint32 gss_test_oid_set_member(OM_uint32* minor_status,
                                  const gss_OID member, const gss_OID_set set,
                                  int* present) {
  ClearOutputs(present);
  return Entry(minor_status, [&]() -> OM_uint32 {
    Oid oid;
    if (member == GSS_C_NO_OID || !ReadOid(member, &oid) ||
        set == GSS_C_NO_OID_SET) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (set->count > 0 && set->elements == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    if (present == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    *present = OidSetContains(set, oid) ? 1 : 0;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_release_oid_set(OM_uint32* minor_status, gss_OID_set* set) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (set == nullptr || *set == GSS_C_NO_OID_SET) return GSS_S_COMPLETE;
    gss_OID_set s = *set;
    if (s->elements != nullptr) {
      for (size_t i = 0; i < s->count; ++i) std::free(s->elements[i].elements);
      std::free(s->elements);
    }
    std::free(s);
    *set = GSS_C_NO_OID_SET;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_indicate_mechs(OM_uint32* minor_status, gss_OID_set* mech_set) {
  ClearOutputs(mech_set);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (mech_set == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    gss_OID_set set = NewOidSet({&gssx::MechanismOid()});
    if (set == nullptr) {
      return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
    }
    *mech_set = set;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_oid_to_str(OM_uint32* minor_status, gss_OID oid,
                         gss_buffer_t oid_str) {
  ClearOutputs(oid_str);
  return Entry(minor_status, [&]() -> OM_uint32 {
    Oid value;
    if (oid == GSS_C_NO_OID || !ReadOid(oid, &value)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (oid_str == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::string> text = value.ToString();
    if (!text.ok()) return Translate(text.status(), minor_status);
    gss_buffer_desc out;
    if (absl::Status s = SetString(&out, *text); !s.ok()) {
      return Translate(s, minor_status);
    }
    *oid_str = out;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_str_to_oid(OM_uint32* minor_status, gss_buffer_t oid_str,
                         gss_OID* oid) {
  ClearOutputs(oid);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> bytes;
    if (!ReadBuffer(oid_str, /*optional=*/false, &bytes)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (oid == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::string_view text(reinterpret_cast<const char*>(bytes.data()),
                           bytes.size());
    // C strings passed with their terminator are fine; a NUL inside is not.
    while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
    if (text.size() > kMaxOidStringLength ||
        text.find('\0') != absl::string_view::npos) {
      return Translate(Error(ErrorKind::kFailure, Minor::kOidMalformed,
                             "not an OID string"),
                       minor_status);
    }
    absl::StatusOr<Oid> parsed = Oid::FromString(text);
    if (!parsed.ok()) return Translate(parsed.status(), minor_status);
    gss_OID made = NewTrackedOid(*parsed);
    if (made == nullptr) {
      return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
    }
    *oid = made;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_release_oid(OM_uint32* minor_status, gss_OID* oid) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (oid == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (*oid == GSS_C_NO_OID || IsStaticOid(*oid) ||
        ReleaseTrackedOid(*oid)) {
      *oid = GSS_C_NO_OID;
      return GSS_S_COMPLETE;
    }
    // Not made by this library: not ours to free.
    return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
  });
}

OM_uint32 gss_create_empty_buffer_set(OM_uint32* minor_status,
                                      gss_buffer_set_t* buffer_set) {
  ClearOutputs(buffer_set);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (buffer_set == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    auto* set = static_cast<gss_buffer_set_t>(
        std::malloc(sizeof(gss_buffer_set_desc)));
    if (set == nullptr) {
      return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
    }
    set->count = 0;
    set->elements = nullptr;
    *buffer_set = set;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_add_buffer_set_member(OM_uint32* minor_status,
                                    const gss_buffer_t member_buffer,
                                    gss_buffer_set_t* buffer_set) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> bytes;
    if (!ReadBuffer(member_buffer, /*optional=*/false, &bytes)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (buffer_set == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    gss_buffer_set_t set = *buffer_set;
    if (set != GSS_C_NO_BUFFER_SET && set->count > 0 &&
        set->elements == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    if (set != GSS_C_NO_BUFFER_SET && set->count >= (size_t{1} << 20)) {
      return Translate(Error(ErrorKind::kFailure, Minor::kBadArgument,
                             "buffer set too large"),
                       minor_status);
    }
    // Copy first, then grow (or create): on failure *buffer_set is
    // exactly as it was.
    gss_buffer_desc copy;
    if (absl::Status s = SetBuffer(&copy, bytes, /*as_string=*/true); !s.ok()) {
      return Translate(s, minor_status);
    }
    gss_buffer_set_t made = GSS_C_NO_BUFFER_SET;
    if (set == GSS_C_NO_BUFFER_SET) {
      // As MIT: a missing set is created.
      made = static_cast<gss_buffer_set_t>(
          std::malloc(sizeof(gss_buffer_set_desc)));
      if (made == nullptr) {
        std::free(copy.value);
        return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
      }
      made->count = 0;
      made->elements = nullptr;
      set = made;
    }
    auto* grown = static_cast<gss_buffer_desc*>(std::realloc(
        set->elements, (set->count + 1) * sizeof(gss_buffer_desc)));
    if (grown == nullptr) {
      std::free(copy.value);
      std::free(made);
      return Translate(gssx::OsError(ENOMEM, "realloc"), minor_status);
    }
    set->elements = grown;
    set->elements[set->count++] = copy;
    *buffer_set = set;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_release_buffer_set(OM_uint32* minor_status,
                                 gss_buffer_set_t* buffer_set) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (buffer_set == nullptr || *buffer_set == GSS_C_NO_BUFFER_SET) {
      return GSS_S_COMPLETE;
    }
    gss_buffer_set_t set = *buffer_set;
    if (set->elements != nullptr) {
      for (size_t i = 0; i < set->count; ++i) {
        ReleaseBuffer(&set->elements[i]);
      }
      std::free(set->elements);
    }
    std::free(set);
    *buffer_set = GSS_C_NO_BUFFER_SET;
    return GSS_S_COMPLETE;
  });
}

}  // extern "C"
