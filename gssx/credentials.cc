// SPDX-License-Identifier: Apache-2.0
#include "gssx/credentials.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gssx/internal/identity.h"
#include "gssx/internal/key_files.h"
#include "gssx/status.h"

namespace gssx {
namespace {

using internal::KeyFileKind;
using internal::KeyLine;
using transport::SecretBuffer;

absl::Status BadKeySize() {
  return MakeError(ErrorKind::kFailure, Minor::kBadArgument,
                   "gssx: keys are 32 bytes");
}

absl::Status CheckName(absl::string_view name) {
  if (!internal::IsValidIdentity(name)) {
    return MakeError(ErrorKind::kBadName, Minor::kNameMalformed,
                     "gssx: invalid identity name");
  }
  return absl::OkStatus();
}

absl::Status Duplicate(absl::string_view name) {
  return MakeError(ErrorKind::kDuplicateElement, Minor::kDuplicateIdentity,
                   absl::StrCat("gssx: identity ", name, " already present"));
}

// A file-level duplicate is a defective file rather than a caller's error.
absl::Status AsFileError(absl::Status s, size_t line_number) {
  if (KindOf(s) == ErrorKind::kDuplicateElement) {
    return MakeError(ErrorKind::kDefectiveCredential,
                     Minor::kDuplicateIdentity,
                     absl::StrCat("gssx: line ", line_number,
                                  " repeats an identity"));
  }
  return s;
}

std::string PathOrEnv(const std::string& path, const char* variable) {
  if (!path.empty()) return path;
  // secure_getenv: in a setuid or file-capability program the caller does
  // not choose our key files (nothing is read then; an explicit path is
  // needed).
  const char* value = ::secure_getenv(variable);
  return value != nullptr ? std::string(value) : std::string();
}

absl::StatusOr<Identity> CopyIdentity(const Identity& from) {
  absl::StatusOr<noise::KeyPair> key =
      noise::KeyPair::FromPrivateKey(from.key.private_key());
  if (!key.ok()) return ToGssxStatus(key.status());
  return Identity{from.name, *std::move(key)};
}

}  // namespace

// ------------------------------------------------------------------ Keytab

absl::StatusOr<Keytab> Keytab::Load(const std::string& path) {
  absl::StatusOr<SecretBuffer> text =
      internal::ReadKeyFile(path, KeyFileKind::kKeytab);
  if (!text.ok()) return text.status();
  return Parse(text->span());
}

absl::StatusOr<Keytab> Keytab::Parse(absl::Span<const uint8_t> text) {
  Keytab keytab;
  absl::StatusOr<SecretBuffer> key = SecretBuffer::Create(internal::kKeyBytes);
  if (!key.ok()) return ToGssxStatus(key.status());
  const absl::string_view view(reinterpret_cast<const char*>(text.data()),
                               text.size());
  absl::Status status = internal::ForEachKeyLine(
      view, Minor::kKeytabMalformed, [&](const KeyLine& line) {
        if (!internal::DecodeKey(line.key_base64, key->span())) {
          return MakeError(ErrorKind::kDefectiveCredential,
                           Minor::kKeytabMalformed,
                           absl::StrCat("gssx: keytab line ", line.line_number,
                                        ": the key is not 32 bytes of "
                                        "base64"));
        }
        return AsFileError(keytab.Add(line.identity, key->span()),
                           line.line_number);
      });
  if (!status.ok()) return status;
  return keytab;
}

absl::Status Keytab::Add(absl::string_view name,
                         absl::Span<const uint8_t> private_key) {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  if (private_key.size() != internal::kKeyBytes) return BadKeySize();
  if (Find(name) != nullptr) return Duplicate(name);
  absl::StatusOr<noise::KeyPair> pair =
      noise::KeyPair::FromPrivateKey(private_key);
  if (!pair.ok()) return ToGssxStatus(pair.status());
  identities_.push_back(Identity{std::string(name), *std::move(pair)});
  return absl::OkStatus();
}

absl::StatusOr<PublicKey> Keytab::Generate(absl::string_view name) {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  if (Find(name) != nullptr) return Duplicate(name);
  absl::StatusOr<noise::KeyPair> pair = noise::KeyPair::Generate();
  if (!pair.ok()) return ToGssxStatus(pair.status());
  PublicKey pub;
  std::memcpy(pub.data(), pair->public_key().data(), pub.size());
  identities_.push_back(Identity{std::string(name), *std::move(pair)});
  return pub;
}

const Identity* Keytab::Find(absl::string_view name) const {
  for (const Identity& identity : identities_) {
    if (identity.name == name) return &identity;
  }
  return nullptr;
}

absl::StatusOr<SecretBuffer> Keytab::Serialize() const {
  std::vector<SecretBuffer> lines;
  size_t total = 0;
  for (const Identity& identity : identities_) {
    absl::StatusOr<SecretBuffer> line =
        internal::FormatKeyLine(identity.name, identity.key.private_key());
    if (!line.ok()) return line.status();
    total += line->size();
    lines.push_back(*std::move(line));
  }
  absl::StatusOr<SecretBuffer> out = SecretBuffer::Create(total);
  if (!out.ok()) return ToGssxStatus(out.status());
  size_t pos = 0;
  for (const SecretBuffer& line : lines) {
    std::memcpy(out->data() + pos, line.data(), line.size());
    pos += line.size();
  }
  return out;
}

// -------------------------------------------------------------- TrustStore

absl::StatusOr<TrustStore> TrustStore::Load(const std::string& path) {
  absl::StatusOr<SecretBuffer> text =
      internal::ReadKeyFile(path, KeyFileKind::kTrust);
  if (!text.ok()) return text.status();
  return Parse(absl::string_view(reinterpret_cast<const char*>(text->data()),
                                 text->size()));
}

absl::StatusOr<TrustStore> TrustStore::Parse(absl::string_view text) {
  TrustStore trust;
  absl::Status status = internal::ForEachKeyLine(
      text, Minor::kTrustMalformed, [&](const KeyLine& line) {
        PublicKey key;
        if (!internal::DecodeKey(line.key_base64, absl::MakeSpan(key))) {
          return MakeError(ErrorKind::kDefectiveCredential,
                           Minor::kTrustMalformed,
                           absl::StrCat("gssx: trust file line ",
                                        line.line_number,
                                        ": the key is not 32 bytes of "
                                        "base64"));
        }
        std::optional<PublicKey> known = trust.Find(line.identity);
        if (known.has_value()) {
          // Even an identical repeat is a sign of a confused file.
          return AsFileError(Duplicate(line.identity), line.line_number);
        }
        return trust.Add(line.identity, key);
      });
  if (!status.ok()) return status;
  return trust;
}

absl::Status TrustStore::Add(absl::string_view name,
                             absl::Span<const uint8_t> public_key) {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  if (public_key.size() != internal::kKeyBytes) return BadKeySize();
  PublicKey key;
  std::memcpy(key.data(), public_key.data(), key.size());
  auto it = keys_.find(name);
  if (it != keys_.end()) {
    if (it->second == key) return absl::OkStatus();
    return Duplicate(name);
  }
  keys_.emplace(std::string(name), key);
  return absl::OkStatus();
}

std::optional<PublicKey> TrustStore::Find(absl::string_view name) const {
  auto it = keys_.find(name);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

std::string TrustStore::Serialize() const {
  std::string out;
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  for (const auto& [name, key] : keys_) {
    sodium_bin2base64(b64, sizeof b64, key.data(), key.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    absl::StrAppend(&out, name, " ", b64, "\n");
  }
  return out;
}

// ------------------------------------------------------------- Credentials

absl::StatusOr<Credentials> Credentials::Acquire(
    const AcquireOptions& options) {
  const std::string keytab_path = PathOrEnv(options.keytab_path, "GSSX_KEYTAB");
  if (keytab_path.empty()) {
    return MakeError(ErrorKind::kNoCred, Minor::kNoKeytab,
                     "gssx: no keytab: give a path or set GSSX_KEYTAB");
  }
  absl::StatusOr<Keytab> keytab = Keytab::Load(keytab_path);
  if (!keytab.ok()) return keytab.status();
  auto trust = std::make_shared<TrustStore>();
  const std::string trust_path = PathOrEnv(options.trust_path, "GSSX_TRUST");
  if (!trust_path.empty()) {
    absl::StatusOr<TrustStore> loaded = TrustStore::Load(trust_path);
    if (!loaded.ok()) return loaded.status();
    *trust = *std::move(loaded);
  }
  return FromKeytab(*keytab, std::move(trust), options);
}

absl::StatusOr<Credentials> Credentials::FromKeytab(
    const Keytab& keytab, std::shared_ptr<const TrustStore> trust,
    const AcquireOptions& options) {
  Credentials cred;
  cred.usage_ = options.usage;
  cred.trust_ = trust != nullptr ? std::move(trust)
                                 : std::make_shared<const TrustStore>();
  if (options.lifetime > absl::ZeroDuration() &&
      options.lifetime != absl::InfiniteDuration()) {
    cred.expiry_ = Clock::OrReal(options.clock)->Now() + options.lifetime;
  }
  if (options.desired_name.has_value()) {
    absl::StatusOr<Name> wanted = options.desired_name->Canonicalize();
    if (!wanted.ok()) return wanted.status();
    const Identity* identity = keytab.Find(wanted->identity());
    if (identity == nullptr) {
      return MakeError(ErrorKind::kNoCred, Minor::kIdentityNotFound,
                       absl::StrCat("gssx: the keytab has no identity ",
                                    wanted->identity()));
    }
    absl::StatusOr<Identity> copy = CopyIdentity(*identity);
    if (!copy.ok()) return copy.status();
    cred.identities_.push_back(*std::move(copy));
  } else {
    if (keytab.identities().empty()) {
      return MakeError(ErrorKind::kNoCred, Minor::kNoIdentity,
                       "gssx: the keytab holds no identity");
    }
    // An initiator-only credential needs just the default identity.
    const size_t count = options.usage == CredentialUsage::kInitiate
                             ? 1
                             : keytab.identities().size();
    for (size_t i = 0; i < count; ++i) {
      absl::StatusOr<Identity> copy = CopyIdentity(keytab.identities()[i]);
      if (!copy.ok()) return copy.status();
      cred.identities_.push_back(*std::move(copy));
    }
  }
  absl::StatusOr<Name> name = Name::FromIdentity(cred.identities_[0].name);
  if (!name.ok()) return name.status();
  cred.name_ = *std::move(name);
  return cred;
}

}  // namespace gssx
