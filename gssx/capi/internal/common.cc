// SPDX-License-Identifier: Apache-2.0
#include "gssx/capi/internal/common.h"

#include <gssapi/gssapi_generic.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "transport/base/errors.h"

namespace gssx::capi::internal {
namespace {

// Handle values: "gsx" in the top bytes (readable in a debugger, never a
// plausible heap address), a counter below.
constexpr uintptr_t kHandleBase = uintptr_t{0x67737800} << 32;

// ------------------------------------------------------------ static OIDs

// DER contents of the RFC 2744 name types and the gssx mechanism. Not
// const: gss_OID_desc::elements is `void*` (nobody may write through it).
unsigned char kUserNameBytes[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                  0x12, 0x01, 0x02, 0x01, 0x01};
unsigned char kMachineUidBytes[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                    0x12, 0x01, 0x02, 0x01, 0x02};
unsigned char kStringUidBytes[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                   0x12, 0x01, 0x02, 0x01, 0x03};
unsigned char kHostBasedBytes[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                   0x12, 0x01, 0x02, 0x01, 0x04};
unsigned char kHostBasedXBytes[] = {0x2b, 0x06, 0x01, 0x05, 0x06, 0x02};
unsigned char kAnonymousBytes[] = {0x2b, 0x06, 0x01, 0x05, 0x06, 0x03};
unsigned char kExportNameBytes[] = {0x2b, 0x06, 0x01, 0x05, 0x06, 0x04};
unsigned char kMechanismBytes[] = {0x69, 0x81, 0x9a, 0xa6, 0x8c, 0xa6, 0xfe,
                                   0x9e, 0xd2, 0xbe, 0xbd, 0xa6, 0xdd, 0xfc,
                                   0xe9, 0xd5, 0x8d, 0xe0, 0xf1, 0x04};

// kMechanismBytes must be gssx/oid.h's kMechanismOidBytes (checked at
// compile time; the copy exists because `elements` is not const).
constexpr bool SameAsMechanismOid() {
  constexpr uint8_t kExpected[] = {0x69, 0x81, 0x9a, 0xa6, 0x8c, 0xa6, 0xfe,
                                   0x9e, 0xd2, 0xbe, 0xbd, 0xa6, 0xdd, 0xfc,
                                   0xe9, 0xd5, 0x8d, 0xe0, 0xf1, 0x04};
  if (sizeof kExpected != sizeof kMechanismOidBytes) return false;
  for (size_t i = 0; i < sizeof kExpected; ++i) {
    if (kExpected[i] != kMechanismOidBytes[i]) return false;
  }
  return true;
}
static_assert(SameAsMechanismOid(), "mechanism OID differs from gssx/oid.h");
static_assert(sizeof kMechanismBytes == sizeof kMechanismOidBytes,
              "mechanism OID size");

// Static storage of the descriptors; the exported gss_OID variables at the
// end of this file point into it.
gss_OID_desc kStaticOids[] = {
    {sizeof kUserNameBytes, kUserNameBytes},
    {sizeof kMachineUidBytes, kMachineUidBytes},
    {sizeof kStringUidBytes, kStringUidBytes},
    {sizeof kHostBasedBytes, kHostBasedBytes},
    {sizeof kHostBasedXBytes, kHostBasedXBytes},
    {sizeof kAnonymousBytes, kAnonymousBytes},
    {sizeof kExportNameBytes, kExportNameBytes},
    {sizeof kMechanismBytes, kMechanismBytes},
};
constexpr size_t kNumStaticOids = sizeof kStaticOids / sizeof kStaticOids[0];

}  // namespace

// The minor-code constants of <gssx/gssx.h> are gssx::Minor's and the
// transport's.
#define GSSX_SAME_MINOR(c, m) \
  static_assert((c) == static_cast<uint32_t>(Minor::m), #c)
#define GSSX_SAME_TRANSPORT_MINOR(c, k)                             \
  static_assert((c) - kTransportMinorBase ==                        \
                    static_cast<uint32_t>(transport::ErrorKind::k), \
                #c)
GSSX_SAME_MINOR(GSSX_MINOR_NO_CONTEXT_HANDLE, kNoContextHandle);
GSSX_SAME_MINOR(GSSX_MINOR_CONTEXT_DELETED, kContextDeleted);
GSSX_SAME_MINOR(GSSX_MINOR_CONTEXT_EXPORTED, kContextExported);
GSSX_SAME_MINOR(GSSX_MINOR_CONTEXT_NOT_ESTABLISHED, kContextNotEstablished);
GSSX_SAME_MINOR(GSSX_MINOR_CONTEXT_ALREADY_ESTABLISHED,
                kContextAlreadyEstablished);
GSSX_SAME_MINOR(GSSX_MINOR_HANDSHAKE_FAILED, kHandshakeFailed);
GSSX_SAME_MINOR(GSSX_MINOR_CONTEXT_NOT_TRANSFERABLE, kContextNotTransferable);
GSSX_SAME_MINOR(GSSX_MINOR_SEQUENCE_EXHAUSTED, kSequenceExhausted);
GSSX_SAME_MINOR(GSSX_MINOR_LIFETIME_EXPIRED, kLifetimeExpired);
GSSX_SAME_MINOR(GSSX_MINOR_TOKEN_MALFORMED, kTokenMalformed);
GSSX_SAME_MINOR(GSSX_MINOR_WRONG_MECHANISM, kWrongMechanism);
GSSX_SAME_MINOR(GSSX_MINOR_WRONG_TOKEN_TYPE, kWrongTokenType);
GSSX_SAME_MINOR(GSSX_MINOR_HANDSHAKE_DECRYPT_FAILED, kHandshakeDecryptFailed);
GSSX_SAME_MINOR(GSSX_MINOR_PAYLOAD_MALFORMED, kPayloadMalformed);
GSSX_SAME_MINOR(GSSX_MINOR_UNKNOWN_TARGET, kUnknownTarget);
GSSX_SAME_MINOR(GSSX_MINOR_UNTRUSTED_INITIATOR, kUntrustedInitiator);
GSSX_SAME_MINOR(GSSX_MINOR_TARGET_NAME_MISMATCH, kTargetNameMismatch);
GSSX_SAME_MINOR(GSSX_MINOR_CHANNEL_BINDINGS_MISMATCH, kChannelBindingsMismatch);
GSSX_SAME_MINOR(GSSX_MINOR_CREDENTIAL_USAGE, kCredentialUsage);
GSSX_SAME_MINOR(GSSX_MINOR_MESSAGE_AUTH_FAILED, kMessageAuthFailed);
GSSX_SAME_MINOR(GSSX_MINOR_WRONG_DIRECTION, kWrongDirection);
GSSX_SAME_MINOR(GSSX_MINOR_UNSUPPORTED_QOP, kUnsupportedQop);
GSSX_SAME_MINOR(GSSX_MINOR_MESSAGE_TOO_LARGE, kMessageTooLarge);
GSSX_SAME_MINOR(GSSX_MINOR_NAME_MALFORMED, kNameMalformed);
GSSX_SAME_MINOR(GSSX_MINOR_NAME_TYPE_UNSUPPORTED, kNameTypeUnsupported);
GSSX_SAME_MINOR(GSSX_MINOR_NAME_NOT_MECHANISM_NAME, kNameNotMechanismName);
GSSX_SAME_MINOR(GSSX_MINOR_EXPORTED_NAME_MALFORMED, kExportedNameMalformed);
GSSX_SAME_MINOR(GSSX_MINOR_NAME_EMPTY, kNameEmpty);
GSSX_SAME_MINOR(GSSX_MINOR_OID_MALFORMED, kOidMalformed);
GSSX_SAME_MINOR(GSSX_MINOR_NO_KEYTAB, kNoKeytab);
GSSX_SAME_MINOR(GSSX_MINOR_KEYTAB_UNREADABLE, kKeytabUnreadable);
GSSX_SAME_MINOR(GSSX_MINOR_KEYTAB_INSECURE, kKeytabInsecure);
GSSX_SAME_MINOR(GSSX_MINOR_KEYTAB_MALFORMED, kKeytabMalformed);
GSSX_SAME_MINOR(GSSX_MINOR_IDENTITY_NOT_FOUND, kIdentityNotFound);
GSSX_SAME_MINOR(GSSX_MINOR_DUPLICATE_IDENTITY, kDuplicateIdentity);
GSSX_SAME_MINOR(GSSX_MINOR_TRUST_UNREADABLE, kTrustUnreadable);
GSSX_SAME_MINOR(GSSX_MINOR_TRUST_INSECURE, kTrustInsecure);
GSSX_SAME_MINOR(GSSX_MINOR_TRUST_MALFORMED, kTrustMalformed);
GSSX_SAME_MINOR(GSSX_MINOR_NO_IDENTITY, kNoIdentity);
GSSX_SAME_MINOR(GSSX_MINOR_EXPORT_TOKEN_MALFORMED, kExportTokenMalformed);
GSSX_SAME_MINOR(GSSX_MINOR_EXPORT_TOKEN_VERSION, kExportTokenVersion);
GSSX_SAME_MINOR(GSSX_MINOR_EXPORT_TOKEN_CHECKSUM, kExportTokenChecksum);
GSSX_SAME_MINOR(GSSX_MINOR_INTERNAL, kInternal);
GSSX_SAME_MINOR(GSSX_MINOR_BAD_ARGUMENT, kBadArgument);
GSSX_SAME_MINOR(GSSX_MINOR_NOT_SUPPORTED, kNotSupported);
GSSX_SAME_MINOR(GSSX_MINOR_CRED_STORE_KEY_UNKNOWN, kCredStoreKeyUnknown);
GSSX_SAME_MINOR(GSSX_MINOR_NO_LOCAL_ACCOUNT, kNoLocalAccount);
GSSX_SAME_MINOR(GSSX_MINOR_UPGRADE_REFUSED, kUpgradeRefused);
GSSX_SAME_MINOR(GSSX_MINOR_NOT_UPGRADING, kNotUpgrading);
GSSX_SAME_MINOR(GSSX_MINOR_UPGRADE_FAILED, kUpgradeFailed);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_NOT_MEMFD, kNotMemfd);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_NOT_READ_WRITE, kNotReadWrite);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_NOT_SEALED, kNotSealed);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_SIZE_MISMATCH, kSizeMismatch);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_MALFORMED, kMalformed);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_AUTHENTICATION_FAILED,
                          kAuthenticationFailed);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_ALREADY_CONSUMED,
                          kAlreadyConsumed);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_TOO_MANY_FDS, kTooManyFds);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_CONTROL_TRUNCATED,
                          kControlTruncated);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_MESSAGE_TRUNCATED,
                          kMessageTruncated);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_PEER_CLOSED, kPeerClosed);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_PEER_NOT_ALLOWED,
                          kPeerNotAllowed);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_REFUSED_BY_PEER, kRefusedByPeer);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_REJECTED_BY_PEER,
                          kRejectedByPeer);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_TIMEOUT, kTimeout);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_OS, kOs);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_BAD_ARGUMENT, kBadArgument);
GSSX_SAME_TRANSPORT_MINOR(GSSX_MINOR_TRANSPORT_UNSUPPORTED, kUnsupported);
#undef GSSX_SAME_MINOR
#undef GSSX_SAME_TRANSPORT_MINOR

// ------------------------------------------------------------ status

namespace {

// The last few minor codes this thread returned, with their detail.
struct MinorDetails {
  static constexpr size_t kSlots = 8;
  struct Slot {
    OM_uint32 minor = 0;
    std::string text;
  };
  std::array<Slot, kSlots> slots;
  size_t next = 0;
};

MinorDetails& ThreadMinorDetails() {
  thread_local MinorDetails details;
  return details;
}

// Longest detail kept (a message holds at most a path or two).
constexpr size_t kMaxDetail = 1024;

void RecordMinorDetail(OM_uint32 minor, absl::string_view message) noexcept {
  if (minor == 0) return;
  absl::ConsumePrefix(&message, "gssx C API: ");
  absl::ConsumePrefix(&message, "gssx: ");
  if (message.size() > kMaxDetail) message = message.substr(0, kMaxDetail);
  try {
    MinorDetails& details = ThreadMinorDetails();
    for (MinorDetails::Slot& slot : details.slots) {
      if (slot.minor == minor) {
        slot.text.assign(message.data(), message.size());
        return;
      }
    }
    MinorDetails::Slot& slot = details.slots[details.next];
    details.next = (details.next + 1) % MinorDetails::kSlots;
    slot.minor = minor;
    slot.text.assign(message.data(), message.size());
  } catch (...) {
    // Out of memory: the code is still right, only its detail is missing.
  }
}

}  // namespace

std::optional<std::string> MinorDetail(OM_uint32 minor) {
  if (minor == 0) return std::nullopt;
  for (const MinorDetails::Slot& slot : ThreadMinorDetails().slots) {
    if (slot.minor == minor && !slot.text.empty()) return slot.text;
  }
  return std::nullopt;
}

OM_uint32 Translate(const absl::Status& status, OM_uint32* minor_status,
                    SupplementaryBits supplementary) {
  if (minor_status != nullptr) {
    // docs/design.md "Status codes": the errno is the minor detail of an OS
    // failure (GSS_S_FAILURE). Other errors keep their own minor code even
    // when an errno stands behind them: a token already imported elsewhere
    // is EPERM from the kernel latch, but its minor must say "already
    // imported". (gssx::GssMinorStatus prefers any errno.)
    const int os_errno = ErrnoOf(status);
    *minor_status = KindOf(status) == ErrorKind::kFailure && os_errno != 0
                        ? static_cast<OM_uint32>(os_errno)
                        : MinorOf(status);
    if (!status.ok()) RecordMinorDetail(*minor_status, status.message());
  }
  return GssMajorStatus(status, supplementary);
}

OM_uint32 CallingError(OM_uint32* minor_status, OM_uint32 calling_error) {
  if (minor_status != nullptr) *minor_status = 0;
  return calling_error;
}

absl::Status Error(ErrorKind kind, Minor minor, absl::string_view message) {
  return MakeError(kind, minor, absl::StrCat("gssx C API: ", message));
}

// ------------------------------------------------------------ buffers

namespace {

struct SecretRegistry {
  absl::Mutex mu;
  absl::flat_hash_map<const void*, transport::SecretBuffer> live
      ABSL_GUARDED_BY(mu);
};

SecretRegistry& Secrets() {
  static SecretRegistry* const registry = new SecretRegistry;
  return *registry;
}

}  // namespace

bool ReadBuffer(const gss_buffer_desc* buffer, bool optional,
                absl::Span<const uint8_t>* out) {
  if (buffer == nullptr) {
    *out = {};
    return optional;
  }
  if (buffer->length == 0) {
    *out = {};
    return true;
  }
  if (buffer->value == nullptr) return false;
  *out = absl::MakeConstSpan(static_cast<const uint8_t*>(buffer->value),
                             buffer->length);
  return true;
}

absl::Status SetBuffer(gss_buffer_t out, absl::Span<const uint8_t> bytes,
                       bool as_string) {
  if (bytes.empty() && !as_string) {
    out->length = 0;
    out->value = nullptr;
    return absl::OkStatus();
  }
  if (bytes.size() == std::numeric_limits<size_t>::max()) {
    return OsError(ENOMEM, "malloc");
  }
  auto* copy = static_cast<uint8_t*>(std::malloc(bytes.size() + 1));
  if (copy == nullptr) return OsError(ENOMEM, "malloc");
  if (!bytes.empty()) std::memcpy(copy, bytes.data(), bytes.size());
  copy[bytes.size()] = 0;
  out->length = bytes.size();
  out->value = copy;
  return absl::OkStatus();
}

absl::Status SetString(gss_buffer_t out, absl::string_view text) {
  return SetBuffer(
      out,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()),
                          text.size()),
      /*as_string=*/true);
}

void SetSecretBuffer(gss_buffer_t out, transport::SecretBuffer secret) {
  out->length = secret.size();
  out->value = secret.data();
  if (secret.data() == nullptr) return;
  SecretRegistry& registry = Secrets();
  absl::MutexLock lock(&registry.mu);
  const void* key = secret.data();
  registry.live.insert_or_assign(key, std::move(secret));
}

void ReleaseBuffer(gss_buffer_t buffer) {
  if (buffer->value != nullptr) {
    transport::SecretBuffer secret;
    {
      SecretRegistry& registry = Secrets();
      absl::MutexLock lock(&registry.mu);
      auto it = registry.live.find(buffer->value);
      if (it != registry.live.end()) {
        secret = std::move(it->second);
        registry.live.erase(it);
      }
    }
    if (secret.data() != nullptr) {
      secret.Clear();  // wipes
    } else {
      std::free(buffer->value);
    }
  }
  buffer->length = 0;
  buffer->value = nullptr;
}

// ------------------------------------------------------------ OIDs

gss_OID StaticMechanismOid() { return &kStaticOids[7]; }

gss_OID StaticOidFor(const Oid& oid) {
  for (size_t i = 0; i < kNumStaticOids; ++i) {
    if (OidEquals(&kStaticOids[i], oid)) return &kStaticOids[i];
  }
  return nullptr;
}

bool IsStaticOid(const gss_OID_desc* oid) {
  for (size_t i = 0; i < kNumStaticOids; ++i) {
    if (oid == &kStaticOids[i]) return true;
  }
  return false;
}

bool ReadOid(const gss_OID_desc* oid, Oid* out) {
  if (oid == nullptr || oid->length == 0) {
    *out = Oid();
    return true;
  }
  // DER OIDs longer than this do not exist in practice; a huge length is a
  // corrupt descriptor.
  if (oid->elements == nullptr || oid->length > 4096) return false;
  *out = Oid(absl::MakeConstSpan(static_cast<const uint8_t*>(oid->elements),
                                 oid->length));
  return true;
}

bool OidEquals(const gss_OID_desc* a, const Oid& b) {
  if (a == nullptr) return b.empty();
  if (a->length != b.bytes().size()) return false;
  if (a->length == 0) return true;
  if (a->elements == nullptr) return false;
  return std::memcmp(a->elements, b.bytes().data(), a->length) == 0;
}

bool IsOurMechanism(const gss_OID_desc* mech) {
  return mech == nullptr || OidEquals(mech, MechanismOid());
}

namespace {

bool CopyOidInto(gss_OID_desc* slot, absl::Span<const uint8_t> bytes) {
  void* copy = std::malloc(bytes.empty() ? 1 : bytes.size());
  if (copy == nullptr) return false;
  if (!bytes.empty()) std::memcpy(copy, bytes.data(), bytes.size());
  slot->length = static_cast<OM_uint32>(bytes.size());
  slot->elements = copy;
  return true;
}

}  // namespace

gss_OID_set NewOidSet(std::initializer_list<const Oid*> oids) {
  auto* set = static_cast<gss_OID_set>(std::malloc(sizeof(gss_OID_set_desc)));
  if (set == nullptr) return nullptr;
  set->count = 0;
  set->elements = nullptr;
  for (const Oid* oid : oids) {
    if (!AddToOidSet(set, oid->bytes()).ok()) {
      OM_uint32 ignored;
      gss_release_oid_set(&ignored, &set);
      return nullptr;
    }
  }
  return set;
}

absl::Status AddToOidSet(gss_OID_set set, absl::Span<const uint8_t> member) {
  if (OidSetContains(set, Oid(member))) return absl::OkStatus();
  if (set->count >= (size_t{1} << 20)) {
    return Error(ErrorKind::kFailure, Minor::kBadArgument,
                 "OID set too large");
  }
  // Copy first, then grow: on failure the set is exactly as it was.
  gss_OID_desc copy;
  if (!CopyOidInto(&copy, member)) return OsError(ENOMEM, "malloc");
  auto* grown = static_cast<gss_OID>(
      std::realloc(set->elements, (set->count + 1) * sizeof(gss_OID_desc)));
  if (grown == nullptr) {
    std::free(copy.elements);
    return OsError(ENOMEM, "realloc");
  }
  set->elements = grown;
  set->elements[set->count++] = copy;
  return absl::OkStatus();
}

bool OidSetContains(const gss_OID_set_desc* set, const Oid& oid) {
  if (set == nullptr || set->elements == nullptr) return false;
  for (size_t i = 0; i < set->count; ++i) {
    if (OidEquals(&set->elements[i], oid)) return true;
  }
  return false;
}

namespace {

struct TrackedOids {
  absl::Mutex mu;
  absl::flat_hash_set<gss_OID> live ABSL_GUARDED_BY(mu);
};

TrackedOids& Tracked() {
  static TrackedOids* const tracked = new TrackedOids;
  return *tracked;
}

}  // namespace

gss_OID NewTrackedOid(const Oid& oid) {
  auto* desc = static_cast<gss_OID>(std::malloc(sizeof(gss_OID_desc)));
  if (desc == nullptr) return nullptr;
  if (!CopyOidInto(desc, oid.bytes())) {
    std::free(desc);
    return nullptr;
  }
  TrackedOids& tracked = Tracked();
  absl::MutexLock lock(&tracked.mu);
  tracked.live.insert(desc);
  return desc;
}

bool ReleaseTrackedOid(gss_OID oid) {
  {
    TrackedOids& tracked = Tracked();
    absl::MutexLock lock(&tracked.mu);
    if (tracked.live.erase(oid) == 0) return false;
  }
  std::free(oid->elements);
  std::free(oid);
  return true;
}

// ------------------------------------------------------------ handles

uintptr_t NextHandleValue() {
  static std::atomic<uintptr_t> counter{0};
  return kHandleBase + counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

HandleTable<ContextEntry>& Contexts() {
  static auto* const table = new HandleTable<ContextEntry>;
  return *table;
}
HandleTable<const Credentials>& Creds() {
  static auto* const table = new HandleTable<const Credentials>;
  return *table;
}
HandleTable<const Name>& Names() {
  static auto* const table = new HandleTable<const Name>;
  return *table;
}
HandleTable<ChannelEntry>& Channels() {
  static auto* const table = new HandleTable<ChannelEntry>;
  return *table;
}

absl::StatusOr<std::shared_ptr<ContextEntry>> FindContext(gss_ctx_id_t h) {
  std::shared_ptr<ContextEntry> entry = Contexts().Find(KeyOf(h));
  if (entry == nullptr) {
    return Error(ErrorKind::kNoContext, Minor::kNoContextHandle,
                 h == GSS_C_NO_CONTEXT
                     ? "GSS_C_NO_CONTEXT"
                     : "not a live context handle (deleted, exported, or "
                       "never made)");
  }
  return entry;
}

absl::StatusOr<std::shared_ptr<const Credentials>> FindCred(gss_cred_id_t h) {
  std::shared_ptr<const Credentials> cred = Creds().Find(KeyOf(h));
  if (cred == nullptr) {
    return Error(ErrorKind::kNoCred, Minor::kBadArgument,
                 "not a live credential handle");
  }
  return cred;
}

absl::StatusOr<std::shared_ptr<const Name>> FindName(gss_name_t h) {
  std::shared_ptr<const Name> name = Names().Find(KeyOf(h));
  if (name == nullptr) {
    return Error(ErrorKind::kBadName, Minor::kBadArgument,
                 h == GSS_C_NO_NAME ? "GSS_C_NO_NAME"
                                    : "not a live name handle");
  }
  return name;
}

gss_ctx_id_t NewContextHandle(Context context) {
  auto entry = std::make_shared<ContextEntry>();
  {
    absl::MutexLock lock(&entry->mu);
    entry->context = std::move(context);
  }
  return HandleOf<gss_ctx_id_t>(Contexts().Insert(std::move(entry)));
}

gss_name_t NewNameHandle(Name name) {
  return HandleOf<gss_name_t>(
      Names().Insert(std::make_shared<const Name>(std::move(name))));
}

gss_cred_id_t NewCredHandle(Credentials cred) {
  return HandleOf<gss_cred_id_t>(
      Creds().Insert(std::make_shared<const Credentials>(std::move(cred))));
}

// ------------------------------------------------------------ time

OM_uint32 SecondsUntil(absl::Time expiry) {
  if (expiry == absl::InfiniteFuture()) return GSS_C_INDEFINITE;
  const absl::Duration left = expiry - Clock::Real()->Now();
  if (left <= absl::ZeroDuration()) return 0;
  const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(left, absl::Seconds(1)));
  // GSS_C_INDEFINITE means "forever": a long finite lifetime stays below.
  if (seconds >= static_cast<int64_t>(GSS_C_INDEFINITE)) {
    return GSS_C_INDEFINITE - 1;
  }
  return static_cast<OM_uint32>(seconds);
}

absl::Duration RequestedLifetime(OM_uint32 time_req) {
  if (time_req == 0 || time_req == GSS_C_INDEFINITE) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(time_req);
}

// ------------------------------------------------------------ byte tokens

namespace {

using TokenDigest = std::array<uint8_t, crypto_generichash_BYTES>;

struct ImportedTokens {
  absl::Mutex mu;
  // A per-process key, so the digests say nothing about the tokens.
  std::array<uint8_t, crypto_generichash_KEYBYTES> key ABSL_GUARDED_BY(mu){};
  bool keyed ABSL_GUARDED_BY(mu) = false;
  absl::flat_hash_set<TokenDigest> seen ABSL_GUARDED_BY(mu);
};

ImportedTokens& Imported() {
  static ImportedTokens* const imported = new ImportedTokens;
  return *imported;
}

// Digest of `token` under the process key; requires imported.mu held.
TokenDigest DigestLocked(ImportedTokens& imported,
                         absl::Span<const uint8_t> token)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(imported.mu) {
  if (!imported.keyed) {
    randombytes_buf(imported.key.data(), imported.key.size());
    imported.keyed = true;
  }
  TokenDigest digest;
  crypto_generichash(digest.data(), digest.size(), token.data(), token.size(),
                     imported.key.data(), imported.key.size());
  return digest;
}

}  // namespace

absl::Status ClaimImportedToken(absl::Span<const uint8_t> token) {
  if (absl::Status s = transport::EnsureSodium(); !s.ok()) {
    return ToGssxStatus(s);
  }
  ImportedTokens& imported = Imported();
  absl::MutexLock lock(&imported.mu);
  if (!imported.seen.insert(DigestLocked(imported, token)).second) {
    // The transport's "already consumed" code: gss_display_status says
    // "The context token was already imported elsewhere."
    return transport::MakeError(
        transport::ErrorKind::kAlreadyConsumed,
        "gssx C API: this exported context token was already imported");
  }
  return absl::OkStatus();
}

void UnclaimImportedToken(absl::Span<const uint8_t> token) {
  ImportedTokens& imported = Imported();
  absl::MutexLock lock(&imported.mu);
  imported.seen.erase(DigestLocked(imported, token));
}

void ForgetImportedToken(absl::Span<const uint8_t> token) {
  ImportedTokens& imported = Imported();
  absl::MutexLock lock(&imported.mu);
  if (imported.seen.empty()) return;  // nothing imported: nothing to forget
  imported.seen.erase(DigestLocked(imported, token));
}

}  // namespace gssx::capi::internal

// The exported constants (RFC 2744 section 4, and the gssx mechanism).
extern "C" {
gss_OID GSS_C_NT_USER_NAME = &gssx::capi::internal::kStaticOids[0];
gss_OID GSS_C_NT_MACHINE_UID_NAME = &gssx::capi::internal::kStaticOids[1];
gss_OID GSS_C_NT_STRING_UID_NAME = &gssx::capi::internal::kStaticOids[2];
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &gssx::capi::internal::kStaticOids[3];
gss_OID GSS_C_NT_HOSTBASED_SERVICE_X = &gssx::capi::internal::kStaticOids[4];
gss_OID GSS_C_NT_ANONYMOUS = &gssx::capi::internal::kStaticOids[5];
gss_OID GSS_C_NT_EXPORT_NAME = &gssx::capi::internal::kStaticOids[6];
gss_OID GSS_GSSX_MECHANISM = &gssx::capi::internal::kStaticOids[7];

// MIT's legacy names of the same OIDs (<gssapi/gssapi_generic.h>).
gss_OID gss_nt_user_name = &gssx::capi::internal::kStaticOids[0];
gss_OID gss_nt_machine_uid_name = &gssx::capi::internal::kStaticOids[1];
gss_OID gss_nt_string_uid_name = &gssx::capi::internal::kStaticOids[2];
gss_OID gss_nt_service_name = &gssx::capi::internal::kStaticOids[3];
gss_OID gss_nt_service_name_v2 = &gssx::capi::internal::kStaticOids[3];
gss_OID gss_nt_exported_name = &gssx::capi::internal::kStaticOids[6];
}
