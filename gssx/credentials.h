// SPDX-License-Identifier: Apache-2.0
// Credentials: who we are (a keytab: identities with X25519 private keys)
// and whom we trust (a trust file: identities with public keys), as
// gss_acquire_cred hands them to context establishment.
//
//   // From files (paths, or $GSSX_KEYTAB / $GSSX_TRUST when empty):
//   AcquireOptions options;
//   options.keytab_path = "/etc/myapp/keytab";   // mode 0600 or stricter
//   options.trust_path = "/etc/myapp/trust";
//   absl::StatusOr<Credentials> cred = Credentials::Acquire(options);
//
//   // In memory (tests, programs that keep keys elsewhere):
//   Keytab keytab;
//   absl::StatusOr<PublicKey> pub = keytab.Generate("alice");
//   auto trust = std::make_shared<TrustStore>();
//   trust->Add("http@web1", server_public_key);
//   absl::StatusOr<Credentials> cred =
//       Credentials::FromKeytab(keytab, trust, AcquireOptions{});
//
// File formats (internal/key_files.h): one entry per line,
// "<identity> <base64 of the 32-byte key>", '#' comments and blank lines
// ignored. A keytab is refused (kNoCred / kKeytabInsecure) if its mode
// gives group or others any access; a trust file is refused (kNoCred /
// kTrustInsecure) if group or others may write it. Either is refused the
// same way if it is owned by anyone but this process's effective uid or
// root, or if a directory above it is not owned by us or root or is
// writable by group or others without being sticky (the message names the
// file or directory). A name may appear once
// per file (kDefectiveCredential / kDuplicateIdentity otherwise). Make both
// with `gssx keygen` (gssx/keygen.h).
//
// Private keys live only in locked memory (transport::SecretBuffer); file
// contents are read into locked memory and parsed in place.
//
// Thread safety: Keytab and TrustStore are not synchronized for mutation;
// const access is safe from several threads. A Credentials object is
// immutable after creation and may be used by several threads at once.
#ifndef GSSX_CREDENTIALS_H_
#define GSSX_CREDENTIALS_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gssx/clock.h"
#include "gssx/name.h"
#include "gssx/noise/noise.h"
#include "transport/base/secret_buffer.h"

namespace gssx {

using PublicKey = std::array<uint8_t, 32>;

// One keytab entry: an identity string and its X25519 key pair.
struct Identity {
  std::string name;
  noise::KeyPair key;
};

class Keytab {
 public:
  Keytab() = default;
  Keytab(Keytab&&) = default;
  Keytab& operator=(Keytab&&) = default;

  // Reads a keytab file. kNoCred (kKeytabUnreadable, kKeytabInsecure),
  // kDefectiveCredential (kKeytabMalformed, kDuplicateIdentity).
  static absl::StatusOr<Keytab> Load(const std::string& path);
  // Parses keytab text (best kept in locked memory by the caller).
  static absl::StatusOr<Keytab> Parse(absl::Span<const uint8_t> text);

  // Adds an identity with `private_key` (32 bytes, copied to locked
  // memory). kBadName / kNameMalformed, kDuplicateElement /
  // kDuplicateIdentity, kFailure / kBadArgument for a wrong key size.
  absl::Status Add(absl::string_view name,
                   absl::Span<const uint8_t> private_key);
  // Adds an identity with a fresh random key and returns its public key.
  absl::StatusOr<PublicKey> Generate(absl::string_view name);

  // The entry named `name`, or nullptr. Valid until the keytab changes.
  const Identity* Find(absl::string_view name) const;
  // All entries, in file order; the first is the default initiator.
  const std::vector<Identity>& identities() const { return identities_; }

  // The file form, in locked memory.
  absl::StatusOr<transport::SecretBuffer> Serialize() const;

 private:
  std::vector<Identity> identities_;
};

class TrustStore {
 public:
  TrustStore() = default;

  // Reads a trust file. kNoCred (kTrustUnreadable, kTrustInsecure),
  // kDefectiveCredential (kTrustMalformed, kDuplicateIdentity).
  static absl::StatusOr<TrustStore> Load(const std::string& path);
  static absl::StatusOr<TrustStore> Parse(absl::string_view text);

  // Trusts `public_key` (32 bytes) for `name`. Adding the same pair again
  // is fine; another key for a known name is kDuplicateElement /
  // kDuplicateIdentity.
  absl::Status Add(absl::string_view name,
                   absl::Span<const uint8_t> public_key);
  // The key trusted for `name`, if any.
  std::optional<PublicKey> Find(absl::string_view name) const;
  size_t size() const { return keys_.size(); }

  // The file form (public keys only; an ordinary string).
  std::string Serialize() const;

 private:
  std::map<std::string, PublicKey, std::less<>> keys_;
};

// GSS_C_BOTH, GSS_C_INITIATE, GSS_C_ACCEPT.
enum class CredentialUsage : uint8_t { kBoth, kInitiate, kAccept };

struct AcquireOptions {
  // gss_acquire_cred's desired_name: the keytab identity to use (any
  // NameType; it is canonicalized). Unset: the initiator uses the first
  // keytab identity and the acceptor accepts for every identity in it.
  std::optional<Name> desired_name;
  CredentialUsage usage = CredentialUsage::kBoth;
  // Credential lifetime from now. Zero or infinite: no expiry (keys in a
  // keytab do not expire). Contexts never outlive their credential.
  absl::Duration lifetime = absl::ZeroDuration();
  // Acquire() only. Empty: $GSSX_KEYTAB (read with secure_getenv: ignored
  // in a setuid or file-capability program); if that is unset too, kNoCred /
  // kNoKeytab.
  std::string keytab_path;
  // Acquire() only. Empty: $GSSX_TRUST (secure_getenv); if that is unset
  // too, nobody is trusted (every handshake fails with kBadName /
  // kUnknownTarget or kUnauthorized / kUntrustedInitiator).
  std::string trust_path;
  // The clock that starts `lifetime`; nullptr: Clock::Real().
  const Clock* clock = nullptr;
};

class Credentials {
 public:
  Credentials(Credentials&&) = default;
  Credentials& operator=(Credentials&&) = default;

  // gss_acquire_cred: loads the keytab and the trust file and picks the
  // identities. kNoCred (kNoKeytab, kKeytabUnreadable, kKeytabInsecure,
  // kTrustUnreadable, kTrustInsecure, kIdentityNotFound, kNoIdentity),
  // kDefectiveCredential (malformed files), kBadName (desired_name).
  static absl::StatusOr<Credentials> Acquire(const AcquireOptions& options);
  // The same from an in-memory keytab (copied) and trust store (shared);
  // the paths in `options` are ignored. `trust` may be nullptr (trust
  // nobody).
  static absl::StatusOr<Credentials> FromKeytab(
      const Keytab& keytab, std::shared_ptr<const TrustStore> trust,
      const AcquireOptions& options);

  // The default identity (the initiator's): an MN.
  const Name& name() const { return name_; }
  CredentialUsage usage() const { return usage_; }
  // absl::InfiniteFuture() if the credential does not expire.
  absl::Time expiry() const { return expiry_; }
  // The identities held, the default first.
  const std::vector<Identity>& identities() const { return identities_; }
  const TrustStore& trust() const { return *trust_; }

 private:
  Credentials() = default;

  Name name_;
  CredentialUsage usage_ = CredentialUsage::kBoth;
  absl::Time expiry_ = absl::InfiniteFuture();
  std::vector<Identity> identities_;
  std::shared_ptr<const TrustStore> trust_;
};

}  // namespace gssx

#endif  // GSSX_CREDENTIALS_H_
