// SPDX-License-Identifier: Apache-2.0
#include "gssx/noise/noise.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gssx::noise {
namespace {

using transport::SecretBuffer;

constexpr uint64_t kMaxNonce = std::numeric_limits<uint64_t>::max();
constexpr size_t kNonceLen = crypto_aead_chacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kMaxProtocolNameLen = 255;

static_assert(crypto_scalarmult_BYTES == kDhLen, "X25519 sizes");
static_assert(crypto_scalarmult_SCALARBYTES == kDhLen, "X25519 sizes");
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kKeyLen, "key");
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kTagLen, "tag");
static_assert(crypto_hash_sha256_BYTES == kHashLen, "hash");
static_assert(crypto_auth_hmacsha256_BYTES == kHashLen, "hmac");

// The handshake patterns of the specification (revision 34, sections 7.2,
// 7.4 and 7.5). Pre-messages here only ever hold a static key. Messages are
// separated by '|' and alternate, the initiator first.
struct PatternDef {
  absl::string_view name;
  bool initiator_static_known;  // "-> s" before "..."
  bool responder_static_known;  // "<- s" before "..."
  absl::string_view messages;
};

constexpr PatternDef kPatterns[] = {
    // One-way.
    {"N", false, true, "e es"},
    {"K", true, true, "e es ss"},
    {"X", false, true, "e es s ss"},
    // Fundamental interactive.
    {"NN", false, false, "e | e ee"},
    {"NK", false, true, "e es | e ee"},
    {"NX", false, false, "e | e ee s es"},
    {"XN", false, false, "e | e ee | s se"},
    {"XK", false, true, "e es | e ee | s se"},
    {"XX", false, false, "e | e ee s es | s se"},
    {"KN", true, false, "e | e ee se"},
    {"KK", true, true, "e es ss | e ee se"},
    {"KX", true, false, "e | e ee se s es"},
    {"IN", false, false, "e s | e ee se"},
    {"IK", false, true, "e es s ss | e ee se"},
    {"IX", false, false, "e s | e ee se s es"},
    // Deferred.
    {"NK1", false, true, "e | e ee es"},
    {"NX1", false, false, "e | e ee s | es"},
    {"X1N", false, false, "e | e ee | s | se"},
    {"X1K", false, true, "e es | e ee | s | se"},
    {"XK1", false, true, "e | e ee es | s se"},
    {"X1K1", false, true, "e | e ee es | s | se"},
    {"X1X", false, false, "e | e ee s es | s | se"},
    {"XX1", false, false, "e | e ee s | es s se"},
    {"X1X1", false, false, "e | e ee s | es s | se"},
    {"K1N", true, false, "e | e ee | se"},
    {"K1K", true, true, "e es | e ee | se"},
    {"KK1", true, true, "e | e ee se es"},
    {"K1K1", true, true, "e | e ee es | se"},
    {"K1X", true, false, "e | e ee s es | se"},
    {"KX1", true, false, "e | e ee se s | es"},
    {"K1X1", true, false, "e | e ee s | se es"},
    {"I1N", false, false, "e s | e ee | se"},
    {"I1K", false, true, "e es s | e ee | se"},
    {"IK1", false, true, "e s | e ee se es"},
    {"I1K1", false, true, "e s | e ee es | se"},
    {"I1X", false, false, "e s | e ee s es | se"},
    {"IX1", false, false, "e s | e ee se s | es"},
    {"I1X1", false, false, "e s | e ee s | se es"},
};

// libsodium may not accept a null pointer even for zero lengths.
const uint8_t* PtrOrDummy(absl::Span<const uint8_t> bytes) {
  static const uint8_t kDummy = 0;
  return bytes.empty() ? &kDummy : bytes.data();
}

void NonceBytes(uint64_t n, uint8_t out[kNonceLen]) {
  std::memset(out, 0, 4);
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<uint8_t>(n >> (8 * i));
}

// out = HMAC-SHA-256(key, a || b).
void HmacSha256(absl::Span<const uint8_t> key, absl::Span<const uint8_t> a,
                absl::Span<const uint8_t> b, uint8_t out[kHashLen]) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, PtrOrDummy(key), key.size());
  crypto_auth_hmacsha256_update(&state, PtrOrDummy(a), a.size());
  crypto_auth_hmacsha256_update(&state, PtrOrDummy(b), b.size());
  crypto_auth_hmacsha256_final(&state, out);
  sodium_memzero(&state, sizeof(state));
}

// HKDF(chaining_key, input_key_material, 2 or 3) of the specification:
// out3 may be null. The outputs must not overlap the inputs. The outputs
// all use temp_key as HMAC key: it is absorbed once, and the keyed state
// copied for each output (two SHA-256 blocks saved per output).
void Hkdf(absl::Span<const uint8_t> chaining_key,
          absl::Span<const uint8_t> input_key_material, uint8_t out1[kHashLen],
          uint8_t out2[kHashLen], uint8_t out3[kHashLen]) {
  static constexpr uint8_t kOne = 1;
  static constexpr uint8_t kTwo = 2;
  static constexpr uint8_t kThree = 3;
  uint8_t temp_key[kHashLen];
  HmacSha256(chaining_key, input_key_material, {}, temp_key);
  crypto_auth_hmacsha256_state keyed;
  crypto_auth_hmacsha256_init(&keyed, temp_key, sizeof(temp_key));
  sodium_memzero(temp_key, sizeof(temp_key));
  crypto_auth_hmacsha256_state state = keyed;
  crypto_auth_hmacsha256_update(&state, &kOne, 1);
  crypto_auth_hmacsha256_final(&state, out1);
  state = keyed;
  crypto_auth_hmacsha256_update(&state, out1, kHashLen);
  crypto_auth_hmacsha256_update(&state, &kTwo, 1);
  crypto_auth_hmacsha256_final(&state, out2);
  if (out3 != nullptr) {
    state = keyed;
    crypto_auth_hmacsha256_update(&state, out2, kHashLen);
    crypto_auth_hmacsha256_update(&state, &kThree, 1);
    crypto_auth_hmacsha256_final(&state, out3);
  }
  sodium_memzero(&state, sizeof(state));
  sodium_memzero(&keyed, sizeof(keyed));
}

absl::Status WrongSize(absl::string_view what, size_t got, size_t want) {
  return absl::InvalidArgumentError(
      absl::StrCat("noise: ", what, " is ", got, " bytes, want ", want));
}

}  // namespace

// ---------------------------------------------------------------- KeyPair

absl::StatusOr<KeyPair> KeyPair::Generate() {
  absl::StatusOr<SecretBuffer> secret = SecretBuffer::Create(kDhLen);
  if (!secret.ok()) return secret.status();
  randombytes_buf(secret->data(), secret->size());
  KeyPair pair;
  pair.private_key_ = *std::move(secret);
  if (crypto_scalarmult_base(pair.public_.data(), pair.private_key_.data()) !=
      0) {
    return absl::InternalError("noise: crypto_scalarmult_base failed");
  }
  return pair;
}

absl::StatusOr<KeyPair> KeyPair::FromPrivateKey(
    absl::Span<const uint8_t> private_key) {
  if (private_key.size() != kDhLen) {
    return WrongSize("private key", private_key.size(), kDhLen);
  }
  absl::StatusOr<SecretBuffer> secret = SecretBuffer::CopyOf(private_key);
  if (!secret.ok()) return secret.status();
  KeyPair pair;
  pair.private_key_ = *std::move(secret);
  if (crypto_scalarmult_base(pair.public_.data(), pair.private_key_.data()) !=
      0) {
    return absl::InvalidArgumentError("noise: unusable private key");
  }
  return pair;
}

absl::StatusOr<KeyPair> KeyPair::Copy() const {
  KeyPair pair;
  if (empty()) return pair;
  absl::StatusOr<SecretBuffer> secret = SecretBuffer::CopyOf(private_key_.span());
  if (!secret.ok()) return secret.status();
  pair.private_key_ = *std::move(secret);
  pair.public_ = public_;
  return pair;
}

void KeyPair::Clear() {
  private_key_.Clear();
  public_.fill(0);
}

absl::Status Dh(absl::Span<const uint8_t> private_key,
                absl::Span<const uint8_t> public_key, absl::Span<uint8_t> out) {
  if (private_key.size() != kDhLen) {
    return WrongSize("private key", private_key.size(), kDhLen);
  }
  if (public_key.size() != kDhLen) {
    return WrongSize("public key", public_key.size(), kDhLen);
  }
  if (out.size() != kDhLen) return WrongSize("DH output", out.size(), kDhLen);
  if (absl::Status s = transport::EnsureSodium(); !s.ok()) return s;
  // libsodium answers -1 for an all-zero result (a low-order point); check
  // the output as well, so that the rule never depends on its version.
  if (crypto_scalarmult(out.data(), private_key.data(), public_key.data()) !=
          0 ||
      sodium_is_zero(out.data(), out.size())) {
    sodium_memzero(out.data(), out.size());
    return absl::InvalidArgumentError(
        "noise: X25519 result is zero (low-order public key)");
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------ CipherState

absl::StatusOr<CipherState> CipherState::FromKey(absl::Span<const uint8_t> key,
                                                 uint64_t nonce) {
  CipherState state;
  if (absl::Status s = state.InitializeKey(key); !s.ok()) return s;
  state.nonce_ = nonce;
  return state;
}

absl::Status CipherState::InitializeKey(absl::Span<const uint8_t> key) {
  if (key.size() != kKeyLen) {
    return WrongSize("cipher key", key.size(), kKeyLen);
  }
  if (key_.size() != kKeyLen) {
    absl::StatusOr<SecretBuffer> buffer = SecretBuffer::Create(kKeyLen);
    if (!buffer.ok()) return buffer.status();
    key_ = *std::move(buffer);
  }
  std::memcpy(key_.data(), key.data(), kKeyLen);
  nonce_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<SecretBuffer> CipherState::ExportKey() const {
  if (!HasKey()) {
    return absl::FailedPreconditionError("noise: CipherState has no key");
  }
  return SecretBuffer::CopyOf(key_.span());
}

absl::Status CipherState::EncryptWithAd(absl::Span<const uint8_t> ad,
                                        absl::Span<const uint8_t> plaintext,
                                        absl::Span<uint8_t> out) {
  if (out.size() != plaintext.size() + Overhead()) {
    return WrongSize("ciphertext buffer", out.size(),
                     plaintext.size() + Overhead());
  }
  if (!HasKey()) {
    if (!plaintext.empty()) {
      std::memmove(out.data(), plaintext.data(), plaintext.size());
    }
    return absl::OkStatus();
  }
  if (nonce_ == kMaxNonce) {
    return absl::OutOfRangeError("noise: nonce exhausted");
  }
  uint8_t npub[kNonceLen];
  NonceBytes(nonce_, npub);
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(
      out.data(), out.data() + plaintext.size(), nullptr, PtrOrDummy(plaintext),
      plaintext.size(), PtrOrDummy(ad), ad.size(), nullptr, npub, key_.data());
  ++nonce_;
  return absl::OkStatus();
}

absl::Status CipherState::DecryptWithAd(absl::Span<const uint8_t> ad,
                                        absl::Span<const uint8_t> ciphertext,
                                        absl::Span<uint8_t> out) {
  if (ciphertext.size() < Overhead()) {
    return absl::DataLossError(absl::StrCat("noise: ciphertext of ",
                                            ciphertext.size(),
                                            " bytes is shorter than its tag"));
  }
  const size_t plaintext_size = ciphertext.size() - Overhead();
  if (out.size() != plaintext_size) {
    return WrongSize("plaintext buffer", out.size(), plaintext_size);
  }
  if (!HasKey()) {
    if (!ciphertext.empty()) {
      std::memmove(out.data(), ciphertext.data(), ciphertext.size());
    }
    return absl::OkStatus();
  }
  if (nonce_ == kMaxNonce) {
    return absl::OutOfRangeError("noise: nonce exhausted");
  }
  uint8_t npub[kNonceLen];
  NonceBytes(nonce_, npub);
  uint8_t unused;  // a valid pointer for an empty plaintext
  if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
          plaintext_size == 0 ? &unused : out.data(), nullptr,
          PtrOrDummy(ciphertext), plaintext_size,
          ciphertext.data() + plaintext_size, PtrOrDummy(ad), ad.size(), npub,
          key_.data()) != 0) {
    if (!out.empty()) sodium_memzero(out.data(), out.size());
    return absl::UnauthenticatedError("noise: decryption failed");
  }
  ++nonce_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> CipherState::EncryptWithAd(
    absl::Span<const uint8_t> ad, absl::Span<const uint8_t> plaintext) {
  std::vector<uint8_t> out(plaintext.size() + Overhead());
  if (absl::Status s = EncryptWithAd(ad, plaintext, absl::MakeSpan(out));
      !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> CipherState::DecryptWithAd(
    absl::Span<const uint8_t> ad, absl::Span<const uint8_t> ciphertext) {
  if (ciphertext.size() < Overhead()) {
    return absl::DataLossError(absl::StrCat("noise: ciphertext of ",
                                            ciphertext.size(),
                                            " bytes is shorter than its tag"));
  }
  std::vector<uint8_t> out(ciphertext.size() - Overhead());
  if (absl::Status s = DecryptWithAd(ad, ciphertext, absl::MakeSpan(out));
      !s.ok()) {
    return s;
  }
  return out;
}

absl::Status CipherState::Rekey() {
  if (!HasKey()) {
    return absl::FailedPreconditionError("noise: CipherState has no key");
  }
  uint8_t zeros[kKeyLen] = {};
  uint8_t new_key[kKeyLen];
  uint8_t tag[kTagLen];
  uint8_t npub[kNonceLen];
  NonceBytes(kMaxNonce, npub);
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(
      new_key, tag, nullptr, zeros, sizeof(zeros), PtrOrDummy({}), 0, nullptr,
      npub, key_.data());
  std::memcpy(key_.data(), new_key, kKeyLen);
  sodium_memzero(new_key, sizeof(new_key));
  sodium_memzero(tag, sizeof(tag));
  return absl::OkStatus();
}

void CipherState::Clear() {
  key_.Clear();
  nonce_ = 0;
}

// --------------------------------------------------------- SymmetricState

absl::StatusOr<SymmetricState> SymmetricState::Create(
    absl::string_view protocol_name) {
  absl::StatusOr<SecretBuffer> chaining_key = SecretBuffer::Create(kHashLen);
  if (!chaining_key.ok()) return chaining_key.status();
  SymmetricState state;
  if (protocol_name.size() <= kHashLen) {
    if (!protocol_name.empty()) {
      std::memcpy(state.hash_.data(), protocol_name.data(),
                  protocol_name.size());
    }
  } else {
    crypto_hash_sha256(state.hash_.data(),
                       reinterpret_cast<const uint8_t*>(protocol_name.data()),
                       protocol_name.size());
  }
  std::memcpy(chaining_key->data(), state.hash_.data(), kHashLen);
  state.chaining_key_ = *std::move(chaining_key);
  return state;
}

absl::Status SymmetricState::MixKey(
    absl::Span<const uint8_t> input_key_material) {
  if (chaining_key_.empty()) {
    return absl::FailedPreconditionError("noise: SymmetricState is finished");
  }
  uint8_t chaining_key[kHashLen];
  uint8_t temp_key[kHashLen];
  Hkdf(chaining_key_.span(), input_key_material, chaining_key, temp_key,
       nullptr);
  std::memcpy(chaining_key_.data(), chaining_key, kHashLen);
  absl::Status status = cipher_.InitializeKey(temp_key);
  sodium_memzero(chaining_key, sizeof(chaining_key));
  sodium_memzero(temp_key, sizeof(temp_key));
  return status;
}

void SymmetricState::MixHash(absl::Span<const uint8_t> data) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, hash_.data(), hash_.size());
  crypto_hash_sha256_update(&state, PtrOrDummy(data), data.size());
  crypto_hash_sha256_final(&state, hash_.data());
}

absl::Status SymmetricState::MixKeyAndHash(
    absl::Span<const uint8_t> input_key_material) {
  if (chaining_key_.empty()) {
    return absl::FailedPreconditionError("noise: SymmetricState is finished");
  }
  uint8_t chaining_key[kHashLen];
  uint8_t temp_hash[kHashLen];
  uint8_t temp_key[kHashLen];
  Hkdf(chaining_key_.span(), input_key_material, chaining_key, temp_hash,
       temp_key);
  std::memcpy(chaining_key_.data(), chaining_key, kHashLen);
  MixHash(temp_hash);
  absl::Status status = cipher_.InitializeKey(temp_key);
  sodium_memzero(chaining_key, sizeof(chaining_key));
  sodium_memzero(temp_hash, sizeof(temp_hash));
  sodium_memzero(temp_key, sizeof(temp_key));
  return status;
}

absl::Status SymmetricState::EncryptAndHash(absl::Span<const uint8_t> plaintext,
                                            absl::Span<uint8_t> out) {
  if (chaining_key_.empty()) {
    return absl::FailedPreconditionError("noise: SymmetricState is finished");
  }
  if (absl::Status s = cipher_.EncryptWithAd(hash_, plaintext, out); !s.ok()) {
    return s;
  }
  MixHash(out);
  return absl::OkStatus();
}

absl::Status SymmetricState::DecryptAndHash(
    absl::Span<const uint8_t> ciphertext, absl::Span<uint8_t> out) {
  if (chaining_key_.empty()) {
    return absl::FailedPreconditionError("noise: SymmetricState is finished");
  }
  if (absl::Status s = cipher_.DecryptWithAd(hash_, ciphertext, out); !s.ok()) {
    return s;
  }
  MixHash(ciphertext);
  return absl::OkStatus();
}

absl::StatusOr<std::pair<CipherState, CipherState>> SymmetricState::Split() {
  if (chaining_key_.empty()) {
    return absl::FailedPreconditionError("noise: SymmetricState is finished");
  }
  uint8_t key1[kHashLen];
  uint8_t key2[kHashLen];
  Hkdf(chaining_key_.span(), {}, key1, key2, nullptr);
  absl::StatusOr<CipherState> c1 = CipherState::FromKey(key1, 0);
  absl::StatusOr<CipherState> c2 = CipherState::FromKey(key2, 0);
  sodium_memzero(key1, sizeof(key1));
  sodium_memzero(key2, sizeof(key2));
  if (!c1.ok()) return c1.status();
  if (!c2.ok()) return c2.status();
  Clear();
  return std::make_pair(*std::move(c1), *std::move(c2));
}

void SymmetricState::Clear() {
  chaining_key_.Clear();
  cipher_.Clear();
}

// --------------------------------------------------------- HandshakeState

HandshakeState::HandshakeState(SymmetricState symmetric)
    : symmetric_(std::move(symmetric)) {}

std::vector<HandshakeState::Token> HandshakeState::ParseTokens(
    absl::string_view text) {
  std::vector<Token> tokens;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (word == "e") {
      tokens.push_back(Token::kE);
    } else if (word == "s") {
      tokens.push_back(Token::kS);
    } else if (word == "ee") {
      tokens.push_back(Token::kEe);
    } else if (word == "es") {
      tokens.push_back(Token::kEs);
    } else if (word == "se") {
      tokens.push_back(Token::kSe);
    } else if (word == "ss") {
      tokens.push_back(Token::kSs);
    }
  }
  return tokens;
}

absl::StatusOr<HandshakeState::Pattern> HandshakeState::ParseProtocolName(
    absl::string_view name) {
  if (name.size() > kMaxProtocolNameLen) {
    return absl::InvalidArgumentError("noise: protocol name too long");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(name, '_');
  bool malformed = parts.size() != 5 || parts[0] != "Noise";
  for (absl::string_view part : parts) malformed = malformed || part.empty();
  if (malformed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "noise: malformed protocol name \"", absl::CEscape(name), "\""));
  }
  if (parts[2] != "25519" || parts[3] != "ChaChaPoly" || parts[4] != "SHA256") {
    return absl::UnimplementedError(
        absl::StrCat("noise: unsupported cipher suite ", parts[2], "_",
                     parts[3], "_", parts[4]));
  }

  // The base pattern is upper-case letters and digits; modifiers follow,
  // starting with a lower-case letter and separated by '+'.
  const absl::string_view full = parts[1];
  size_t base_len = 0;
  while (base_len < full.size() && (absl::ascii_isupper(full[base_len]) ||
                                    absl::ascii_isdigit(full[base_len]))) {
    ++base_len;
  }
  const absl::string_view base = full.substr(0, base_len);
  const PatternDef* def = nullptr;
  for (const PatternDef& candidate : kPatterns) {
    if (candidate.name == base) def = &candidate;
  }
  if (def == nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        "noise: unsupported handshake pattern \"", absl::CEscape(base), "\""));
  }

  Pattern pattern;
  pattern.initiator_static_known = def->initiator_static_known;
  pattern.responder_static_known = def->responder_static_known;
  for (absl::string_view message : absl::StrSplit(def->messages, '|')) {
    pattern.messages.push_back(ParseTokens(message));
  }

  const absl::string_view modifiers = full.substr(base_len);
  if (modifiers.empty()) return pattern;
  std::vector<bool> psk_seen(pattern.messages.size() + 1, false);
  for (absl::string_view modifier : absl::StrSplit(modifiers, '+')) {
    bool well_formed = !modifier.empty() && absl::ascii_islower(modifier[0]);
    for (char c : modifier) {
      well_formed =
          well_formed && (absl::ascii_islower(c) || absl::ascii_isdigit(c));
    }
    if (!well_formed) {
      return absl::InvalidArgumentError(
          absl::StrCat("noise: malformed pattern modifiers \"",
                       absl::CEscape(modifiers), "\""));
    }
    absl::string_view digits = modifier;
    if (!absl::ConsumePrefix(&digits, "psk") || digits.empty() ||
        digits.size() > 2 ||
        !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
      return absl::UnimplementedError(absl::StrCat(
          "noise: unsupported pattern modifier \"", modifier, "\""));
    }
    size_t position = 0;
    for (char c : digits) position = position * 10 + (c - '0');
    if (position > pattern.messages.size() || psk_seen[position]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "noise: modifier ", modifier, " does not fit pattern ", base));
    }
    psk_seen[position] = true;
    if (position == 0) {
      pattern.messages[0].insert(pattern.messages[0].begin(), Token::kPsk);
    } else {
      pattern.messages[position - 1].push_back(Token::kPsk);
    }
    pattern.psk = true;
  }
  return pattern;
}

absl::StatusOr<HandshakeState> HandshakeState::Create(
    const HandshakeConfig& config) {
  absl::StatusOr<Pattern> pattern = ParseProtocolName(config.protocol_name);
  if (!pattern.ok()) return pattern.status();

  const bool initiator = config.role == Role::kInitiator;
  const bool local_static_known = initiator ? pattern->initiator_static_known
                                            : pattern->responder_static_known;
  const bool remote_static_known = initiator ? pattern->responder_static_known
                                             : pattern->initiator_static_known;
  bool sends_static = false;
  bool sends_ephemeral = false;
  size_t psk_tokens = 0;
  for (size_t i = 0; i < pattern->messages.size(); ++i) {
    const bool mine = (i % 2 == 0) == initiator;
    for (Token token : pattern->messages[i]) {
      sends_static = sends_static || (mine && token == Token::kS);
      sends_ephemeral = sends_ephemeral || (mine && token == Token::kE);
      if (token == Token::kPsk) ++psk_tokens;
    }
  }

  const bool needs_local_static = local_static_known || sends_static;
  const bool has_pair = config.local_static_key_pair != nullptr;
  if (has_pair && !config.local_static_private_key.empty()) {
    return absl::InvalidArgumentError(
        "noise: give the local static key as a private key or as a key "
        "pair, not both");
  }
  if (has_pair && config.local_static_key_pair->empty()) {
    return absl::InvalidArgumentError("noise: the local static key pair is empty");
  }
  const bool has_local_static =
      has_pair || !config.local_static_private_key.empty();
  if (needs_local_static && !has_local_static) {
    return absl::InvalidArgumentError(absl::StrCat(
        "noise: ", config.protocol_name, " needs a local static private key"));
  }
  if (!needs_local_static && has_local_static) {
    return absl::InvalidArgumentError(
        absl::StrCat("noise: ", config.protocol_name,
                     " has no local static key for this role"));
  }
  if (remote_static_known && config.remote_static_public_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("noise: ", config.protocol_name,
                     " needs the peer's static public key"));
  }
  if (!remote_static_known && !config.remote_static_public_key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "noise: ", config.protocol_name,
        " does not take a pre-known peer static key (check "
        "GetRemoteStaticPublicKey() after the handshake instead)"));
  }
  if (remote_static_known && config.remote_static_public_key.size() != kDhLen) {
    return WrongSize("remote static public key",
                     config.remote_static_public_key.size(), kDhLen);
  }
  if (!config.fixed_ephemeral_private_key.empty() && !sends_ephemeral) {
    return absl::InvalidArgumentError(
        absl::StrCat("noise: ", config.protocol_name,
                     " sends no ephemeral key for this role"));
  }
  if (config.psks.size() != psk_tokens) {
    return absl::InvalidArgumentError(
        absl::StrCat("noise: ", config.protocol_name, " needs ", psk_tokens,
                     " psks, got ", config.psks.size()));
  }
  for (absl::Span<const uint8_t> psk : config.psks) {
    if (psk.size() != kKeyLen) return WrongSize("psk", psk.size(), kKeyLen);
  }

  absl::StatusOr<SymmetricState> symmetric =
      SymmetricState::Create(config.protocol_name);
  if (!symmetric.ok()) return symmetric.status();
  HandshakeState state(*std::move(symmetric));
  state.role_ = config.role;
  state.protocol_name_ = config.protocol_name;
  state.pattern_ = *std::move(pattern);

  if (needs_local_static) {
    absl::StatusOr<KeyPair> pair =
        has_pair ? config.local_static_key_pair->Copy()
                 : KeyPair::FromPrivateKey(config.local_static_private_key);
    if (!pair.ok()) return pair.status();
    state.static_ = *std::move(pair);
  }
  if (!config.fixed_ephemeral_private_key.empty()) {
    absl::StatusOr<KeyPair> pair =
        KeyPair::FromPrivateKey(config.fixed_ephemeral_private_key);
    if (!pair.ok()) return pair.status();
    state.ephemeral_ = *std::move(pair);
  }
  if (remote_static_known) {
    std::memcpy(state.remote_static_.data(),
                config.remote_static_public_key.data(), kDhLen);
    state.has_remote_static_ = true;
  }
  for (absl::Span<const uint8_t> psk : config.psks) {
    absl::StatusOr<SecretBuffer> copy = SecretBuffer::CopyOf(psk);
    if (!copy.ok()) return copy.status();
    state.psks_.push_back(*std::move(copy));
  }

  state.symmetric_.MixHash(config.prologue);
  // Pre-messages: the initiator's first, then the responder's.
  if (state.pattern_.initiator_static_known) {
    state.symmetric_.MixHash(initiator ? state.static_.public_key()
                                       : state.GetRemoteStaticPublicKey());
  }
  if (state.pattern_.responder_static_known) {
    state.symmetric_.MixHash(initiator ? state.GetRemoteStaticPublicKey()
                                       : state.static_.public_key());
  }
  return state;
}

bool HandshakeState::IsComplete() const {
  return phase_ == Phase::kComplete || phase_ == Phase::kSplit;
}

bool HandshakeState::IsMyTurnToWrite() const {
  return phase_ == Phase::kInProgress &&
         (message_index_ % 2 == 0) == (role_ == Role::kInitiator);
}

absl::Span<const uint8_t> HandshakeState::GetRemoteStaticPublicKey() const {
  if (!has_remote_static_) return {};
  return absl::MakeConstSpan(remote_static_);
}

size_t HandshakeState::TokenBytes(absl::Span<const Token> tokens,
                                  bool* key_at_end) const {
  bool has_key = symmetric_.HasKey();
  size_t bytes = 0;
  for (Token token : tokens) {
    switch (token) {
      case Token::kE:
        bytes += kDhLen;
        has_key = has_key || pattern_.psk;  // MixKey(e) in psk handshakes
        break;
      case Token::kS:
        bytes += kDhLen + (has_key ? kTagLen : 0);
        break;
      default:  // DH tokens and psk all mix a key
        has_key = true;
        break;
    }
  }
  *key_at_end = has_key;
  return bytes;
}

absl::Status HandshakeState::MixDh(Token token) {
  const bool initiator = role_ == Role::kInitiator;
  const KeyPair* local = nullptr;
  bool remote_is_static = false;
  switch (token) {
    case Token::kEe:
      local = &ephemeral_;
      break;
    case Token::kEs:
      local = initiator ? &ephemeral_ : &static_;
      remote_is_static = initiator;
      break;
    case Token::kSe:
      local = initiator ? &static_ : &ephemeral_;
      remote_is_static = !initiator;
      break;
    case Token::kSs:
      local = &static_;
      remote_is_static = true;
      break;
    default:
      return absl::InternalError("noise: not a DH token");
  }
  const bool has_remote =
      remote_is_static ? has_remote_static_ : has_remote_ephemeral_;
  if (local->empty() || !has_remote) {
    return absl::InternalError("noise: pattern uses a key not yet known");
  }
  uint8_t shared[kDhLen];
  absl::Status status =
      Dh(local->private_key(),
         remote_is_static ? remote_static_ : remote_ephemeral_, shared);
  if (status.ok()) status = symmetric_.MixKey(shared);
  sodium_memzero(shared, sizeof(shared));
  return status;
}

absl::Status HandshakeState::WriteTokens(absl::Span<const Token> tokens,
                                         absl::Span<const uint8_t> payload,
                                         std::vector<uint8_t>* message) {
  absl::Span<uint8_t> out = absl::MakeSpan(*message);
  size_t pos = 0;
  for (Token token : tokens) {
    absl::Status status;
    switch (token) {
      case Token::kE: {
        if (ephemeral_.empty()) {
          absl::StatusOr<KeyPair> pair = KeyPair::Generate();
          if (!pair.ok()) return pair.status();
          ephemeral_ = *std::move(pair);
        }
        absl::Span<const uint8_t> pub = ephemeral_.public_key();
        std::memcpy(out.data() + pos, pub.data(), kDhLen);
        pos += kDhLen;
        symmetric_.MixHash(pub);
        if (pattern_.psk) status = symmetric_.MixKey(pub);
        break;
      }
      case Token::kS: {
        if (static_.empty()) {
          return absl::InternalError("noise: no static key to send");
        }
        const size_t n = kDhLen + symmetric_.Overhead();
        status = symmetric_.EncryptAndHash(static_.public_key(),
                                           out.subspan(pos, n));
        pos += n;
        break;
      }
      case Token::kPsk:
        if (next_psk_ >= psks_.size()) {
          return absl::InternalError("noise: psk tokens exceed psks");
        }
        status = symmetric_.MixKeyAndHash(psks_[next_psk_++].span());
        break;
      default:
        status = MixDh(token);
        break;
    }
    if (!status.ok()) return status;
  }
  return symmetric_.EncryptAndHash(payload, out.subspan(pos));
}

absl::Status HandshakeState::ReadTokens(absl::Span<const Token> tokens,
                                        absl::Span<const uint8_t> message,
                                        std::vector<uint8_t>* payload) {
  bool key_at_end = false;
  const size_t token_bytes = TokenBytes(tokens, &key_at_end);
  const size_t min_size = token_bytes + (key_at_end ? kTagLen : 0);
  if (message.size() < min_size) {
    return absl::DataLossError(
        absl::StrCat("noise: handshake message truncated: ", message.size(),
                     " bytes, need at least ", min_size));
  }
  size_t pos = 0;
  for (Token token : tokens) {
    absl::Status status;
    switch (token) {
      case Token::kE: {
        std::memcpy(remote_ephemeral_.data(), message.data() + pos, kDhLen);
        pos += kDhLen;
        has_remote_ephemeral_ = true;
        symmetric_.MixHash(remote_ephemeral_);
        if (pattern_.psk) status = symmetric_.MixKey(remote_ephemeral_);
        break;
      }
      case Token::kS: {
        if (has_remote_static_) {
          return absl::InternalError("noise: peer static key sent twice");
        }
        const size_t n = kDhLen + symmetric_.Overhead();
        status = symmetric_.DecryptAndHash(message.subspan(pos, n),
                                           absl::MakeSpan(remote_static_));
        if (status.ok()) has_remote_static_ = true;
        pos += n;
        break;
      }
      case Token::kPsk:
        if (next_psk_ >= psks_.size()) {
          return absl::InternalError("noise: psk tokens exceed psks");
        }
        status = symmetric_.MixKeyAndHash(psks_[next_psk_++].span());
        break;
      default:
        status = MixDh(token);
        break;
    }
    if (!status.ok()) return status;
  }
  absl::Span<const uint8_t> rest = message.subspan(pos);
  payload->resize(rest.size() - symmetric_.Overhead());
  return symmetric_.DecryptAndHash(rest, absl::MakeSpan(*payload));
}

absl::StatusOr<std::vector<uint8_t>> HandshakeState::WriteMessage(
    absl::Span<const uint8_t> payload) {
  if (phase_ != Phase::kInProgress) {
    return absl::FailedPreconditionError(
        phase_ == Phase::kFailed ? "noise: handshake failed earlier"
                                 : "noise: handshake already complete");
  }
  if (!IsMyTurnToWrite()) {
    return absl::FailedPreconditionError(
        "noise: the next handshake message is the peer's");
  }
  absl::Span<const Token> tokens = pattern_.messages[message_index_];
  bool key_at_end = false;
  const size_t token_bytes = TokenBytes(tokens, &key_at_end);
  const size_t limit =
      kMaxMessageLen - token_bytes - (key_at_end ? kTagLen : 0);
  if (payload.size() > limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "noise: payload of ", payload.size(), " bytes exceeds ", limit));
  }
  std::vector<uint8_t> message(token_bytes + payload.size() +
                               (key_at_end ? kTagLen : 0));
  if (absl::Status s = WriteTokens(tokens, payload, &message); !s.ok()) {
    Fail();
    return s;
  }
  Advance();
  return message;
}

absl::StatusOr<std::vector<uint8_t>> HandshakeState::ReadMessage(
    absl::Span<const uint8_t> message) {
  if (phase_ != Phase::kInProgress) {
    return absl::FailedPreconditionError(
        phase_ == Phase::kFailed ? "noise: handshake failed earlier"
                                 : "noise: handshake already complete");
  }
  if (IsMyTurnToWrite()) {
    return absl::FailedPreconditionError(
        "noise: the next handshake message is ours to write");
  }
  if (message.size() > kMaxMessageLen) {
    Fail();
    return absl::DataLossError(absl::StrCat(
        "noise: handshake message of ", message.size(), " bytes is too long"));
  }
  std::vector<uint8_t> payload;
  if (absl::Status s =
          ReadTokens(pattern_.messages[message_index_], message, &payload);
      !s.ok()) {
    Fail();
    return s;
  }
  Advance();
  return payload;
}

absl::StatusOr<TransportCiphers> HandshakeState::Split() {
  if (phase_ != Phase::kComplete) {
    return absl::FailedPreconditionError(phase_ == Phase::kSplit
                                             ? "noise: Split() already called"
                                             : "noise: handshake not complete");
  }
  absl::StatusOr<std::pair<CipherState, CipherState>> ciphers =
      symmetric_.Split();
  if (!ciphers.ok()) {
    Fail();
    return ciphers.status();
  }
  phase_ = Phase::kSplit;
  WipeSecrets();
  TransportCiphers result;
  if (role_ == Role::kInitiator) {
    result.send = std::move(ciphers->first);
    result.receive = std::move(ciphers->second);
  } else {
    result.send = std::move(ciphers->second);
    result.receive = std::move(ciphers->first);
  }
  return result;
}

void HandshakeState::Advance() {
  ++message_index_;
  if (message_index_ == pattern_.messages.size()) {
    phase_ = Phase::kComplete;
    // Only ck (for Split) is still needed.
    static_.Clear();
    ephemeral_.Clear();
    psks_.clear();
  }
}

void HandshakeState::Fail() {
  phase_ = Phase::kFailed;
  WipeSecrets();
}

void HandshakeState::WipeSecrets() {
  static_.Clear();
  ephemeral_.Clear();
  psks_.clear();  // each SecretBuffer wipes itself
  symmetric_.Clear();
}

}  // namespace gssx::noise
