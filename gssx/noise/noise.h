// SPDX-License-Identifier: Apache-2.0
// The Noise Protocol Framework (revision 34), for the one cipher suite gssx
// uses: 25519_ChaChaPoly_SHA256 (X25519, ChaCha20-Poly1305-IETF, SHA-256,
// HMAC-SHA-256), all on libsodium. The built-in GSS mechanism runs
// Noise_IK_25519_ChaChaPoly_SHA256 over it (docs/design.md "The built-in
// mechanism").
//
// Initiator of an IK handshake, then transport messages:
//
//   absl::StatusOr<KeyPair> me = KeyPair::FromPrivateKey(my_secret.span());
//   HandshakeConfig config;
//   config.protocol_name = "Noise_IK_25519_ChaChaPoly_SHA256";
//   config.role = Role::kInitiator;
//   config.prologue = prologue;                       // both sides equal
//   config.local_static_private_key = me->private_key();
//   config.remote_static_public_key = acceptor_public_key;  // trust file
//   absl::StatusOr<HandshakeState> hs = HandshakeState::Create(config);
//   absl::StatusOr<std::vector<uint8_t>> m1 = hs->WriteMessage(payload1);
//   ... send *m1, receive m2 ...
//   absl::StatusOr<std::vector<uint8_t>> p2 = hs->ReadMessage(m2);
//   // hs->IsComplete() is now true.
//   absl::StatusOr<TransportCiphers> c = hs->Split();
//   absl::StatusOr<std::vector<uint8_t>> ct = c->send.EncryptWithAd({}, data);
//
// The responder does the same with Role::kResponder and no remote key,
// ReadMessage first, then checks hs->GetRemoteStaticPublicKey() against its
// own trust list before trusting the payload.
//
// Supported handshake patterns: the one-way N, K, X; the interactive NN, NK,
// NX, XN, XK, XX, KN, KK, KX, IN, IK, IX; the deferred NK1, NX1, X1N, X1K,
// XK1, X1K1, X1X, XX1, X1X1, K1N, K1K, KK1, K1K1, K1X, KX1, K1X1, I1N, I1K,
// IK1, I1K1, I1X, IX1, I1X1; each with any pskN modifiers ("XXpsk3",
// "NNpsk0+psk2"). The fallback modifier and other cipher suites answer
// kUnimplemented.
//
// Secrets: private keys, the chaining key and cipher keys live only in
// locked memory (transport::SecretBuffer); temporaries are wiped with
// sodium_memzero. Spans passed in are copied before the call returns; the
// caller keeps ownership of its buffers. Handshake payloads and transport
// plaintexts are returned in std::vector: they are application data, not key
// material.
//
// Errors (absl::Status codes, the same meaning in every call):
//   kInvalidArgument    bad argument or configuration: a key of the wrong
//                       size, a required key missing or an unused key given,
//                       a malformed protocol name, an output span of the
//                       wrong size, a payload too large for a Noise message;
//                       also a peer public key that yields an all-zero X25519
//                       result (a low-order point).
//   kUnimplemented      a well-formed protocol name this code does not
//                       support (another pattern, modifier or cipher suite).
//   kDataLoss           a received message shorter than its pattern requires
//                       (truncated), or longer than 65535 bytes.
//   kUnauthenticated    AEAD decryption failed: altered bytes, wrong key,
//                       wrong nonce, wrong prologue, a peer with other keys.
//   kOutOfRange         the nonce is exhausted (2^64-1 is reserved).
//   kFailedPrecondition a call out of order (WriteMessage when it is the
//                       peer's turn, Split before completion, reuse after a
//                       failure or after Split).
//   kResourceExhausted  locked memory could not be allocated (from
//                       transport::SecretBuffer).
//
// Thread safety: none of these objects is thread-safe; distinct objects are
// independent. All types are move-only.
#ifndef GSSX_NOISE_NOISE_H_
#define GSSX_NOISE_NOISE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "transport/base/secret_buffer.h"

namespace gssx::noise {

// DHLEN, HASHLEN and the cipher key length all happen to be 32 here.
inline constexpr size_t kDhLen = 32;
inline constexpr size_t kHashLen = 32;
inline constexpr size_t kKeyLen = 32;
// The Poly1305 tag appended to every encryption under a key.
inline constexpr size_t kTagLen = 16;
// The largest Noise message (handshake or transport), in bytes.
inline constexpr size_t kMaxMessageLen = 65535;

// An X25519 key pair. The private key is in locked memory; the public key
// is an ordinary array.
class KeyPair {
 public:
  // An empty key pair (empty() is true).
  KeyPair() = default;
  KeyPair(KeyPair&&) noexcept = default;
  KeyPair& operator=(KeyPair&&) noexcept = default;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;

  // A fresh key pair from libsodium's CSPRNG.
  static absl::StatusOr<KeyPair> Generate();
  // The key pair of `private_key` (kDhLen bytes, copied into locked memory;
  // X25519 clamps it when used). kInvalidArgument for another size.
  static absl::StatusOr<KeyPair> FromPrivateKey(
      absl::Span<const uint8_t> private_key);

  // A copy (the private key in a new locked buffer), without recomputing
  // the public key. Copying an empty pair gives an empty pair.
  absl::StatusOr<KeyPair> Copy() const;

  bool empty() const { return private_key_.empty(); }
  // Views valid while this object lives and is not moved from.
  absl::Span<const uint8_t> private_key() const { return private_key_.span(); }
  absl::Span<const uint8_t> public_key() const {
    return empty() ? absl::Span<const uint8_t>() : absl::MakeConstSpan(public_);
  }

  // Wipes and frees the private key; the pair becomes empty.
  void Clear();

 private:
  transport::SecretBuffer private_key_;
  std::array<uint8_t, kDhLen> public_{};
};

// X25519(private_key, public_key) into `out` (kDhLen bytes each).
// kInvalidArgument for wrong sizes or an all-zero result (low-order public
// key); `out` is zeroed on failure.
absl::Status Dh(absl::Span<const uint8_t> private_key,
                absl::Span<const uint8_t> public_key, absl::Span<uint8_t> out);

// A cipher key k (absent or kKeyLen bytes in locked memory) and a 64-bit
// nonce n. Encrypts with ChaCha20-Poly1305-IETF under the 96-bit nonce
// 0x00000000 || little-endian64(n). Without a key, "encryption" returns the
// plaintext unchanged, as the specification requires during a handshake:
// never use a keyless CipherState for transport data (HasKey()).
class CipherState {
 public:
  // No key, n = 0.
  CipherState() = default;
  CipherState(CipherState&&) noexcept = default;
  CipherState& operator=(CipherState&&) noexcept = default;
  CipherState(const CipherState&) = delete;
  CipherState& operator=(const CipherState&) = delete;
  ~CipherState() = default;

  // A CipherState holding a locked copy of `key` (kKeyLen bytes) with nonce
  // `nonce`: the inverse of ExportKey() + nonce(), for context import.
  static absl::StatusOr<CipherState> FromKey(absl::Span<const uint8_t> key,
                                             uint64_t nonce);

  // Sets k to a copy of `key` (kKeyLen bytes) and n to 0.
  absl::Status InitializeKey(absl::Span<const uint8_t> key);
  bool HasKey() const { return !key_.empty(); }
  // The next nonce to use.
  uint64_t nonce() const { return nonce_; }
  // Sets the next nonce, e.g. from an explicit sequence number.
  void SetNonce(uint64_t nonce) { nonce_ = nonce; }
  // Bytes EncryptWithAd adds: kTagLen with a key, 0 without.
  size_t Overhead() const { return HasKey() ? kTagLen : 0; }

  // A locked copy of k, for context export. kFailedPrecondition without a
  // key. The caller owns the result.
  absl::StatusOr<transport::SecretBuffer> ExportKey() const;

  // Encrypts `plaintext` with associated data `ad` into `out`, which must
  // hold exactly plaintext.size() + Overhead() bytes and must not overlap
  // the inputs. Increments n on success. kOutOfRange when n is 2^64-1.
  absl::Status EncryptWithAd(absl::Span<const uint8_t> ad,
                             absl::Span<const uint8_t> plaintext,
                             absl::Span<uint8_t> out);
  // Decrypts `ciphertext` into `out` (exactly ciphertext.size() -
  // Overhead() bytes, not overlapping the inputs). Increments n only on
  // success. kDataLoss if ciphertext is shorter than the tag;
  // kUnauthenticated (and `out` zeroed) if the tag does not verify.
  absl::Status DecryptWithAd(absl::Span<const uint8_t> ad,
                             absl::Span<const uint8_t> ciphertext,
                             absl::Span<uint8_t> out);
  // Convenience forms returning a new vector.
  absl::StatusOr<std::vector<uint8_t>> EncryptWithAd(
      absl::Span<const uint8_t> ad, absl::Span<const uint8_t> plaintext);
  absl::StatusOr<std::vector<uint8_t>> DecryptWithAd(
      absl::Span<const uint8_t> ad, absl::Span<const uint8_t> ciphertext);

  // k = the first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zero bytes); n is
  // unchanged. kFailedPrecondition without a key.
  absl::Status Rekey();

  // Wipes and frees the key; n = 0.
  void Clear();

 private:
  transport::SecretBuffer key_;
  uint64_t nonce_ = 0;
};

// The symmetric half of a handshake: chaining key ck (locked), handshake
// hash h and a CipherState. A building block of HandshakeState; most callers
// need only that.
class SymmetricState {
 public:
  SymmetricState(SymmetricState&&) noexcept = default;
  SymmetricState& operator=(SymmetricState&&) noexcept = default;
  SymmetricState(const SymmetricState&) = delete;
  SymmetricState& operator=(const SymmetricState&) = delete;

  // InitializeSymmetric(protocol_name): h = the name zero-padded to
  // kHashLen bytes, or its SHA-256 if longer; ck = h; no key.
  static absl::StatusOr<SymmetricState> Create(absl::string_view protocol_name);

  // ck, temp_k = HKDF(ck, ikm, 2); InitializeKey(temp_k).
  absl::Status MixKey(absl::Span<const uint8_t> input_key_material);
  // h = SHA-256(h || data).
  void MixHash(absl::Span<const uint8_t> data);
  // ck, temp_h, temp_k = HKDF(ck, ikm, 3); MixHash(temp_h);
  // InitializeKey(temp_k). Used for "psk" tokens.
  absl::Status MixKeyAndHash(absl::Span<const uint8_t> input_key_material);
  bool HasKey() const { return cipher_.HasKey(); }
  // Bytes EncryptAndHash adds: kTagLen once a key is mixed in, else 0.
  size_t Overhead() const { return cipher_.Overhead(); }
  // h. A view valid while this object lives.
  absl::Span<const uint8_t> GetHandshakeHash() const {
    return absl::MakeConstSpan(hash_);
  }
  // out = EncryptWithAd(h, plaintext); MixHash(out). Sizes and errors as
  // in CipherState::EncryptWithAd. Every method below except
  // GetHandshakeHash() answers kFailedPrecondition after Split() or Clear().
  absl::Status EncryptAndHash(absl::Span<const uint8_t> plaintext,
                              absl::Span<uint8_t> out);
  // out = DecryptWithAd(h, ciphertext); MixHash(ciphertext).
  absl::Status DecryptAndHash(absl::Span<const uint8_t> ciphertext,
                              absl::Span<uint8_t> out);
  // temp_k1, temp_k2 = HKDF(ck, "", 2): the CipherStates (c1, c2); c1
  // encrypts initiator->responder. Wipes ck and the handshake key: only
  // GetHandshakeHash() remains usable. kFailedPrecondition if called twice.
  absl::StatusOr<std::pair<CipherState, CipherState>> Split();
  // Wipes ck and the key (h stays); later calls other than
  // GetHandshakeHash() answer kFailedPrecondition. Used to abort.
  void Clear();

 private:
  SymmetricState() = default;

  CipherState cipher_;
  transport::SecretBuffer chaining_key_;
  std::array<uint8_t, kHashLen> hash_{};
};

enum class Role { kInitiator, kResponder };

// What HandshakeState::Create needs. All spans are borrowed only for the
// duration of Create(), which copies them (secrets into locked memory).
struct HandshakeConfig {
  // "Noise_<PATTERN>_25519_ChaChaPoly_SHA256".
  std::string protocol_name;
  Role role = Role::kInitiator;
  // Must be byte-identical on both sides, or the first encrypted field
  // fails with kUnauthenticated.
  absl::Span<const uint8_t> prologue;
  // s: required exactly when the pattern has a static key for this role
  // (sent in a message or pre-known by the peer); kDhLen bytes.
  absl::Span<const uint8_t> local_static_private_key;
  // The same key as a KeyPair (e.g. a keytab entry), instead of
  // local_static_private_key (never both): copied, and its public key is
  // not recomputed, which saves a base-point multiplication per handshake.
  const KeyPair* local_static_key_pair = nullptr;
  // rs known before the handshake: required exactly when the pattern has
  // the peer's static key as a pre-message (e.g. the IK initiator); kDhLen
  // bytes. A static key the peer transmits is learned during the handshake:
  // check it with GetRemoteStaticPublicKey().
  absl::Span<const uint8_t> remote_static_public_key;
  // One 32-byte pre-shared key per "psk" token, in token order.
  std::vector<absl::Span<const uint8_t>> psks;
  // For test vectors only: use this ephemeral private key (kDhLen bytes)
  // instead of generating one. Reusing an ephemeral key breaks security.
  absl::Span<const uint8_t> fixed_ephemeral_private_key;
};

// The two transport CipherStates of one party after the handshake.
// For one-way patterns (N, K, X and their psk variants) only the
// initiator's `send` and the responder's `receive` may be used.
struct TransportCiphers {
  CipherState send;
  CipherState receive;
};

// One party of a Noise handshake.
//
// Messages alternate, the initiator first. Call WriteMessage on your turn,
// ReadMessage on the peer's, until IsComplete(); then Split() once.
//
// Any failure of WriteMessage or ReadMessage aborts the handshake: every
// later call answers kFailedPrecondition and the secrets are wiped. The
// exceptions, which change nothing: kFailedPrecondition itself, and
// kInvalidArgument from WriteMessage for a payload that does not fit.
class HandshakeState {
 public:
  HandshakeState(HandshakeState&&) noexcept = default;
  HandshakeState& operator=(HandshakeState&&) noexcept = default;
  HandshakeState(const HandshakeState&) = delete;
  HandshakeState& operator=(const HandshakeState&) = delete;
  ~HandshakeState() = default;

  // Parses the protocol name, checks `config` against the pattern (see
  // HandshakeConfig), and runs Initialize(): h and ck from the name,
  // MixHash(prologue), MixHash of each pre-message public key.
  // kUnimplemented for a well-formed but unsupported name, kInvalidArgument
  // for a malformed one or a config that does not fit the pattern.
  static absl::StatusOr<HandshakeState> Create(const HandshakeConfig& config);

  // Writes the next handshake message with `payload` (encrypted once a key
  // exists) and returns it. kFailedPrecondition if it is not our turn or the
  // handshake is over; kInvalidArgument if the message would exceed
  // kMaxMessageLen.
  absl::StatusOr<std::vector<uint8_t>> WriteMessage(
      absl::Span<const uint8_t> payload);
  // Processes the peer's next handshake message and returns its payload.
  // kDataLoss (truncated or oversized), kUnauthenticated (a field failed to
  // decrypt), kInvalidArgument (a low-order peer key), kFailedPrecondition.
  absl::StatusOr<std::vector<uint8_t>> ReadMessage(
      absl::Span<const uint8_t> message);

  // True once every handshake message has been written or read.
  bool IsComplete() const;
  // True if the next handshake message is ours to write.
  bool IsMyTurnToWrite() const;
  Role role() const { return role_; }
  const std::string& protocol_name() const { return protocol_name_; }

  // h: the transcript hash, final once IsComplete() (for channel binding).
  // A view valid while this object lives.
  absl::Span<const uint8_t> GetHandshakeHash() const {
    return symmetric_.GetHandshakeHash();
  }
  // The peer's static public key: the pre-known one, or the one it sent
  // once that message has been read; empty if none (yet). A view valid
  // while this object lives.
  absl::Span<const uint8_t> GetRemoteStaticPublicKey() const;

  // The transport ciphers, ordered for this role. Only after IsComplete(),
  // only once (kFailedPrecondition otherwise). Wipes every remaining
  // handshake secret; GetHandshakeHash() and GetRemoteStaticPublicKey()
  // stay usable.
  absl::StatusOr<TransportCiphers> Split();

 private:
  enum class Token : uint8_t { kE, kS, kEe, kEs, kSe, kSs, kPsk };
  enum class Phase : uint8_t { kInProgress, kComplete, kSplit, kFailed };

  struct Pattern {
    bool initiator_static_known = false;       // "-> s" pre-message
    bool responder_static_known = false;       // "<- s" pre-message
    std::vector<std::vector<Token>> messages;  // initiator's first
    bool psk = false;
  };

  explicit HandshakeState(SymmetricState symmetric);
  // The pattern named by a protocol name, with its modifiers applied.
  static absl::StatusOr<Pattern> ParseProtocolName(absl::string_view name);
  static std::vector<Token> ParseTokens(absl::string_view text);

  absl::Status WriteTokens(absl::Span<const Token> tokens,
                           absl::Span<const uint8_t> payload,
                           std::vector<uint8_t>* message);
  absl::Status ReadTokens(absl::Span<const Token> tokens,
                          absl::Span<const uint8_t> message,
                          std::vector<uint8_t>* payload);
  absl::Status MixDh(Token token);
  // Number of bytes the tokens of one message add before the payload, and
  // whether a key exists when the payload is encrypted.
  size_t TokenBytes(absl::Span<const Token> tokens, bool* key_at_end) const;
  void Advance();
  void Fail();
  void WipeSecrets();

  Role role_ = Role::kInitiator;
  std::string protocol_name_;
  Pattern pattern_;
  size_t message_index_ = 0;
  Phase phase_ = Phase::kInProgress;

  SymmetricState symmetric_;
  KeyPair static_;
  KeyPair ephemeral_;
  std::array<uint8_t, kDhLen> remote_static_{};
  std::array<uint8_t, kDhLen> remote_ephemeral_{};
  bool has_remote_static_ = false;
  bool has_remote_ephemeral_ = false;
  std::vector<transport::SecretBuffer> psks_;
  size_t next_psk_ = 0;
};

}  // namespace gssx::noise

#endif  // GSSX_NOISE_NOISE_H_
