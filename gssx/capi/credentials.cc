// SPDX-License-Identifier: Apache-2.0
// RFC 2744 credentials over gssx::Credentials (gssx/credentials.h), and
// the extensions gss_set_neg_mechs / gss_acquire_cred_with_password (not
// applicable to gssx: GSS_S_UNAVAILABLE).
//
// Where the keys come from: the key file named by $GSSX_KEYTAB and the
// trust file named by $GSSX_TRUST (gssx::AcquireOptions with empty paths).
// GSS_C_NO_CREDENTIAL is acquired afresh at each use, so a keytab changed
// on disk is seen by the next handshake.
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gssx/capi/internal/common.h"
#include "gssx/credentials.h"
#include "gssx/status.h"

using gssx::CredentialUsage;
using gssx::Credentials;
using gssx::ErrorKind;
using gssx::Minor;
using gssx::Name;
using gssx::capi::internal::CallingError;
using gssx::capi::internal::ClearOutputs;
using gssx::capi::internal::Creds;
using gssx::capi::internal::Entry;
using gssx::capi::internal::Error;
using gssx::capi::internal::FindCred;
using gssx::capi::internal::FindName;
using gssx::capi::internal::IsOurMechanism;
using gssx::capi::internal::KeyOf;
using gssx::capi::internal::NewCredHandle;
using gssx::capi::internal::NewNameHandle;
using gssx::capi::internal::NewOidSet;
using gssx::capi::internal::OidSetContains;
using gssx::capi::internal::ReadBuffer;
using gssx::capi::internal::ReadOid;
using gssx::capi::internal::RequestedLifetime;
using gssx::capi::internal::SecondsUntil;
using gssx::capi::internal::Translate;

namespace gssx::capi::internal {

absl::StatusOr<std::shared_ptr<const Credentials>> CredOrDefault(
    gss_cred_id_t handle, CredentialUsage usage) {
  if (handle != GSS_C_NO_CREDENTIAL) return FindCred(handle);
  AcquireOptions options;
  options.usage = usage;
  absl::StatusOr<Credentials> cred = Credentials::Acquire(options);
  if (!cred.ok()) return cred.status();
  return std::make_shared<const Credentials>(*std::move(cred));
}

}  // namespace gssx::capi::internal

namespace {

using gssx::capi::internal::CredOrDefault;

bool UsageFromC(gss_cred_usage_t usage, CredentialUsage* out) {
  switch (usage) {
    case GSS_C_BOTH: *out = CredentialUsage::kBoth; return true;
    case GSS_C_INITIATE: *out = CredentialUsage::kInitiate; return true;
    case GSS_C_ACCEPT: *out = CredentialUsage::kAccept; return true;
  }
  return false;
}

gss_cred_usage_t UsageToC(CredentialUsage usage) {
  switch (usage) {
    case CredentialUsage::kBoth: return GSS_C_BOTH;
    case CredentialUsage::kInitiate: return GSS_C_INITIATE;
    case CredentialUsage::kAccept: return GSS_C_ACCEPT;
  }
  return GSS_C_BOTH;
}

bool CanInitiate(CredentialUsage u) { return u != CredentialUsage::kAccept; }
bool CanAccept(CredentialUsage u) { return u != CredentialUsage::kInitiate; }

absl::Status BadMech() {
  return Error(ErrorKind::kBadMech, Minor::kWrongMechanism,
               "the gssx mechanism is not among the desired mechanisms");
}

// Everything gss_acquire_cred and gss_add_cred check before acquiring.
struct AcquireRequest {
  std::optional<Name> desired_name;
  CredentialUsage usage = CredentialUsage::kBoth;
  absl::Duration lifetime = absl::ZeroDuration();
  // gss_acquire_cred_from's cred_store; empty: $GSSX_KEYTAB / $GSSX_TRUST.
  std::string keytab_path;
  std::string trust_path;
};

absl::StatusOr<Credentials> Acquire(const AcquireRequest& request) {
  gssx::AcquireOptions options;
  options.desired_name = request.desired_name;
  options.usage = request.usage;
  options.lifetime = request.lifetime;
  options.keytab_path = request.keytab_path;
  options.trust_path = request.trust_path;
  return Credentials::Acquire(options);
}

// Reads gss_acquire_cred_from's cred_store into `out`: the keys "keytab"
// and "trust", each at most once, with a non-empty value. False: a calling
// error (elements missing, a NULL key) for the caller to report.
bool ReadCredStore(gss_const_key_value_set_t store, AcquireRequest* out,
                   absl::Status* status) {
  *status = absl::OkStatus();
  if (store == GSS_C_NO_CRED_STORE) return true;
  if (store->count > 0 && store->elements == nullptr) return false;
  for (OM_uint32 i = 0; i < store->count; ++i) {
    const gss_key_value_element_desc& element = store->elements[i];
    if (element.key == nullptr) return false;
    const absl::string_view key(element.key);
    std::string* path = key == "keytab"  ? &out->keytab_path
                        : key == "trust" ? &out->trust_path
                                         : nullptr;
    if (path == nullptr) {
      *status = Error(ErrorKind::kFailure, Minor::kCredStoreKeyUnknown,
                      absl::StrCat("unknown credential store key \"",
                                   absl::CHexEscape(key),
                                   "\" (gssx knows \"keytab\" and "
                                   "\"trust\")"));
      return true;
    }
    if (element.value == nullptr || element.value[0] == '\0') {
      *status = Error(ErrorKind::kFailure, Minor::kBadArgument,
                      absl::StrCat("credential store key \"", key,
                                   "\" has no value"));
      return true;
    }
    if (!path->empty()) {
      *status = Error(ErrorKind::kFailure, Minor::kBadArgument,
                      absl::StrCat("credential store key \"", key,
                                   "\" given twice"));
      return true;
    }
    *path = element.value;
  }
  return true;
}

// Resolves desired_name (GSS_C_NO_NAME: unset).
absl::Status ReadDesiredName(gss_name_t desired_name, AcquireRequest* out) {
  if (desired_name == GSS_C_NO_NAME) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const Name>> name = FindName(desired_name);
  if (!name.ok()) return name.status();
  out->desired_name = **name;
  return absl::OkStatus();
}

// gss_acquire_cred and gss_acquire_cred_from (cred_store may be
// GSS_C_NO_CRED_STORE).
OM_uint32 AcquireCred(OM_uint32* minor_status, gss_name_t desired_name,
                      OM_uint32 time_req, gss_OID_set desired_mechs,
                      gss_cred_usage_t cred_usage,
                      gss_const_key_value_set_t cred_store,
                      gss_cred_id_t* output_cred_handle,
                      gss_OID_set* actual_mechs, OM_uint32* time_rec) {
  ClearOutputs(output_cred_handle, actual_mechs, time_rec);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (output_cred_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    AcquireRequest request;
    if (!UsageFromC(cred_usage, &request.usage)) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    if (desired_mechs != GSS_C_NO_OID_SET) {
      if (desired_mechs->count > 0 && desired_mechs->elements == nullptr) {
        return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
      }
      if (!OidSetContains(desired_mechs, gssx::MechanismOid())) {
        return Translate(BadMech(), minor_status);
      }
    }
    absl::Status store_status;
    if (!ReadCredStore(cred_store, &request, &store_status)) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    if (!store_status.ok()) return Translate(store_status, minor_status);
    if (absl::Status s = ReadDesiredName(desired_name, &request); !s.ok()) {
      return Translate(s, minor_status);
    }
    request.lifetime = RequestedLifetime(time_req);
    absl::StatusOr<Credentials> cred = Acquire(request);
    if (!cred.ok()) return Translate(cred.status(), minor_status);
    gss_OID_set mechs = GSS_C_NO_OID_SET;
    if (actual_mechs != nullptr) {
      mechs = NewOidSet({&gssx::MechanismOid()});
      if (mechs == nullptr) {
        return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
      }
    }
    const OM_uint32 seconds = SecondsUntil(cred->expiry());
    *output_cred_handle = NewCredHandle(*std::move(cred));
    if (actual_mechs != nullptr) *actual_mechs = mechs;
    if (time_rec != nullptr) *time_rec = seconds;
    return GSS_S_COMPLETE;
  });
}

}  // namespace

extern "C" {

OM_uint32 gss_acquire_cred(OM_uint32* minor_status,
                           const gss_name_t desired_name, OM_uint32 time_req,
                           const gss_OID_set desired_mechs,
                           gss_cred_usage_t cred_usage,
                           gss_cred_id_t* output_cred_handle,
                           gss_OID_set* actual_mechs, OM_uint32* time_rec) {
  return AcquireCred(minor_status, desired_name, time_req, desired_mechs,
                     cred_usage, GSS_C_NO_CRED_STORE, output_cred_handle,
                     actual_mechs, time_rec);
}

OM_uint32 gss_acquire_cred_from(OM_uint32* minor_status,
                                gss_name_t desired_name, OM_uint32 time_req,
                                gss_OID_set desired_mechs,
                                gss_cred_usage_t cred_usage,
                                gss_const_key_value_set_t cred_store,
                                gss_cred_id_t* output_cred_handle,
                                gss_OID_set* actual_mechs,
                                OM_uint32* time_rec) {
  return AcquireCred(minor_status, desired_name, time_req, desired_mechs,
                     cred_usage, cred_store, output_cred_handle, actual_mechs,
                     time_rec);
}

OM_uint32 gss_release_cred(OM_uint32* minor_status,
                           gss_cred_id_t* cred_handle) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (cred_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (*cred_handle == GSS_C_NO_CREDENTIAL) return GSS_S_COMPLETE;
    if (Creds().Remove(KeyOf(*cred_handle)) == nullptr) {
      return Translate(FindCred(*cred_handle).status(), minor_status);
    }
    *cred_handle = GSS_C_NO_CREDENTIAL;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_inquire_cred(OM_uint32* minor_status,
                           const gss_cred_id_t cred_handle, gss_name_t* name,
                           OM_uint32* lifetime, gss_cred_usage_t* cred_usage,
                           gss_OID_set* mechanisms) {
  ClearOutputs(name, lifetime, cred_usage, mechanisms);
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::StatusOr<std::shared_ptr<const Credentials>> cred =
        CredOrDefault(cred_handle, CredentialUsage::kBoth);
    if (!cred.ok()) return Translate(cred.status(), minor_status);
    gss_OID_set mechs = GSS_C_NO_OID_SET;
    if (mechanisms != nullptr) {
      mechs = NewOidSet({&gssx::MechanismOid()});
      if (mechs == nullptr) {
        return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
      }
    }
    if (name != nullptr) *name = NewNameHandle((*cred)->name());
    if (lifetime != nullptr) *lifetime = SecondsUntil((*cred)->expiry());
    if (cred_usage != nullptr) *cred_usage = UsageToC((*cred)->usage());
    if (mechanisms != nullptr) *mechanisms = mechs;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_inquire_cred_by_mech(OM_uint32* minor_status,
                                   const gss_cred_id_t cred_handle,
                                   const gss_OID mech_type, gss_name_t* name,
                                   OM_uint32* initiator_lifetime,
                                   OM_uint32* acceptor_lifetime,
                                   gss_cred_usage_t* cred_usage) {
  ClearOutputs(name, initiator_lifetime, acceptor_lifetime, cred_usage);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (!IsOurMechanism(mech_type)) {
      return Translate(Error(ErrorKind::kBadMech, Minor::kWrongMechanism,
                             "not the gssx mechanism"),
                       minor_status);
    }
    absl::StatusOr<std::shared_ptr<const Credentials>> cred =
        CredOrDefault(cred_handle, CredentialUsage::kBoth);
    if (!cred.ok()) return Translate(cred.status(), minor_status);
    const CredentialUsage usage = (*cred)->usage();
    const OM_uint32 seconds = SecondsUntil((*cred)->expiry());
    if (name != nullptr) *name = NewNameHandle((*cred)->name());
    if (initiator_lifetime != nullptr) {
      *initiator_lifetime = CanInitiate(usage) ? seconds : 0;
    }
    if (acceptor_lifetime != nullptr) {
      *acceptor_lifetime = CanAccept(usage) ? seconds : 0;
    }
    if (cred_usage != nullptr) *cred_usage = UsageToC(usage);
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_add_cred(OM_uint32* minor_status,
                       const gss_cred_id_t input_cred_handle,
                       const gss_name_t desired_name,
                       const gss_OID desired_mech, gss_cred_usage_t cred_usage,
                       OM_uint32 initiator_time_req,
                       OM_uint32 acceptor_time_req,
                       gss_cred_id_t* output_cred_handle,
                       gss_OID_set* actual_mechs,
                       OM_uint32* initiator_time_rec,
                       OM_uint32* acceptor_time_rec) {
  ClearOutputs(output_cred_handle, actual_mechs, initiator_time_rec,
               acceptor_time_rec);
  return Entry(minor_status, [&]() -> OM_uint32 {
    AcquireRequest request;
    if (!UsageFromC(cred_usage, &request.usage)) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    if (input_cred_handle == GSS_C_NO_CREDENTIAL &&
        output_cred_handle == nullptr) {
      // Nothing to modify in place and nowhere to put a new credential.
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (!IsOurMechanism(desired_mech)) {
      return Translate(BadMech(), minor_status);
    }
    if (input_cred_handle != GSS_C_NO_CREDENTIAL) {
      // gssx has one mechanism, so a credential already holds its element.
      absl::StatusOr<std::shared_ptr<const Credentials>> cred =
          FindCred(input_cred_handle);
      if (!cred.ok()) return Translate(cred.status(), minor_status);
      return Translate(Error(ErrorKind::kDuplicateElement, Minor::kNone,
                             "the credential already holds the gssx "
                             "mechanism"),
                       minor_status);
    }
    if (absl::Status s = ReadDesiredName(desired_name, &request); !s.ok()) {
      return Translate(s, minor_status);
    }
    const OM_uint32 time_req = request.usage == CredentialUsage::kAccept
                                   ? acceptor_time_req
                                   : initiator_time_req;
    request.lifetime = RequestedLifetime(time_req);
    absl::StatusOr<Credentials> cred = Acquire(request);
    if (!cred.ok()) return Translate(cred.status(), minor_status);
    gss_OID_set mechs = GSS_C_NO_OID_SET;
    if (actual_mechs != nullptr) {
      mechs = NewOidSet({&gssx::MechanismOid()});
      if (mechs == nullptr) {
        return Translate(gssx::OsError(ENOMEM, "malloc"), minor_status);
      }
    }
    const CredentialUsage usage = cred->usage();
    const OM_uint32 seconds = SecondsUntil(cred->expiry());
    *output_cred_handle = NewCredHandle(*std::move(cred));
    if (actual_mechs != nullptr) *actual_mechs = mechs;
    if (initiator_time_rec != nullptr) {
      *initiator_time_rec = CanInitiate(usage) ? seconds : 0;
    }
    if (acceptor_time_rec != nullptr) {
      *acceptor_time_rec = CanAccept(usage) ? seconds : 0;
    }
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gss_inquire_cred_by_oid(OM_uint32* minor_status,
                                  const gss_cred_id_t cred_handle,
                                  const gss_OID desired_object,
                                  gss_buffer_set_t* data_set) {
  ClearOutputs(data_set);
  return Entry(minor_status, [&]() -> OM_uint32 {
    gssx::Oid object;
    if (desired_object == GSS_C_NO_OID || !ReadOid(desired_object, &object)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (data_set == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<std::shared_ptr<const Credentials>> cred =
        FindCred(cred_handle);
    if (!cred.ok()) return Translate(cred.status(), minor_status);
    // MIT's objects (Kerberos ticket data and the like) have no gssx
    // counterpart; gssx defines none of its own.
    return Translate(Error(ErrorKind::kUnavailable, Minor::kNotSupported,
                           "gssx credentials have no objects to inquire "
                           "by OID"),
                     minor_status);
  });
}

OM_uint32 gss_set_neg_mechs(OM_uint32* minor_status, gss_cred_id_t cred_handle,
                            const gss_OID_set mech_set) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (mech_set == GSS_C_NO_OID_SET) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (cred_handle != GSS_C_NO_CREDENTIAL) {
      absl::StatusOr<std::shared_ptr<const Credentials>> cred =
          FindCred(cred_handle);
      if (!cred.ok()) return Translate(cred.status(), minor_status);
    }
    // Negotiation sets belong to SPNEGO; gssx is not negotiated.
    return Translate(Error(ErrorKind::kUnavailable, Minor::kNone,
                           "gssx has no negotiation mechanisms"),
                     minor_status);
  });
}

OM_uint32 gss_acquire_cred_with_password(
    OM_uint32* minor_status, const gss_name_t desired_name,
    const gss_buffer_t password, OM_uint32 time_req,
    const gss_OID_set desired_mechs, gss_cred_usage_t cred_usage,
    gss_cred_id_t* output_cred_handle, gss_OID_set* actual_mechs,
    OM_uint32* time_rec) {
  ClearOutputs(output_cred_handle, actual_mechs, time_rec);
  return Entry(minor_status, [&]() -> OM_uint32 {
    (void)time_req;
    (void)desired_mechs;
    (void)cred_usage;
    absl::Span<const uint8_t> secret;
    if (!ReadBuffer(password, /*optional=*/false, &secret)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (output_cred_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (desired_name != GSS_C_NO_NAME) {
      absl::StatusOr<std::shared_ptr<const Name>> name = FindName(desired_name);
      if (!name.ok()) return Translate(name.status(), minor_status);
    }
    // gssx identities are X25519 keys in a keytab; there are no passwords.
    return Translate(Error(ErrorKind::kUnavailable, Minor::kNone,
                           "gssx credentials are keys, not passwords"),
                     minor_status);
  });
}

}  // extern "C"
