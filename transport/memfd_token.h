// SPDX-License-Identifier: Apache-2.0
// Sealed-memfd tokens: one secret byte string in a memfd that can be
// consumed exactly once, system-wide.
//
// Exporter:
//   absl::StatusOr<SealedToken> t = SealEncryptedToken(plaintext.span());
//   // send t->fd (SCM_RIGHTS), t->expect and t->key (in the socket message
//   // body); keep t->fd and the key to reclaim later.
// Importer:
//   absl::StatusOr<SecretBuffer> p = ConsumeEncryptedToken(
//       fd.get(), t->expect, key, /*validate=*/nullptr);
//
// The kernel decides who consumes a token: the consumer sets F_SEAL_SEAL
// (the "latch"). fcntl(F_ADD_SEALS) checks and sets the seal under the inode
// lock, so among any number of processes holding a duplicate of the same
// memfd exactly one latch succeeds; the others get EPERM, reported as
// ErrorKind::kAlreadyConsumed. The winner then truncates the file to zero
// (dropping its pages) and closes it.
//
// Encrypted form (what the channel sends): the file holds exactly the AEAD
// ciphertext of the payload, nothing else — AES-256-GCM where the CPU has
// AES-NI (libsodium's check), XChaCha20-Poly1305 otherwise. Its header —
// token id, size, nonce, detached tag — travels in the socket message body
// with the one-time key (TokenExpectation + key), so only ciphertext ever
// sits in shmem (which can be swapped), and a 4 KiB token is one page. The
// associated data is the 32-byte header below with the encrypted flag set,
// which binds the file to its token id and size.
//
// Raw form (plaintext in shmem, for callers with their own fd transport,
// docs/design.md "Raw form"), little-endian, version 1:
//   0  magic "GXTK"     4  version (1)    5  flags (0)
//   6  reserved (0, 2)  8  token id (16)  24 payload size (u32)
//   28 reserved (0, 4)  32 the payload
//
// Every fd this module creates is close-on-exec, mode 0 (no reopening via
// /proc/PID/fd by other non-root processes), sealed WRITE|GROW (and EXEC
// where the kernel has it), never SEAL or SHRINK.
#ifndef GSSX_TRANSPORT_MEMFD_TOKEN_H_
#define GSSX_TRANSPORT_MEMFD_TOKEN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/base/secret_buffer.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {

inline constexpr size_t kTokenHeaderSize = 32;
inline constexpr size_t kTokenNonceSize = 24;
inline constexpr size_t kTokenTagSize = 16;
inline constexpr size_t kTokenKeySize = 32;
// Largest payload accepted (a GSS context token is a few hundred bytes).
inline constexpr size_t kMaxTokenPayload = 16u << 20;

using TokenId = std::array<uint8_t, 16>;

// Runs on the decrypted payload before the latch. A non-OK status rejects
// the token without consuming it (the exporter can still reclaim it).
using TokenValidator = std::function<absl::Status(absl::Span<const uint8_t>)>;

enum class TokenCipher : uint8_t {
  kXChaCha20Poly1305 = 1,
  kAes256Gcm = 2,  // 96-bit nonce: the rest of `nonce` is zero
};

// The AEAD this machine seals new tokens with.
TokenCipher PreferredCipher();

// The public half of an encrypted token's header, carried in the message
// body next to the key: what the importer checks the file against.
struct TokenExpectation {
  TokenId id{};
  uint64_t file_size = 0;  // = payload size
  TokenCipher cipher = TokenCipher::kXChaCha20Poly1305;
  std::array<uint8_t, kTokenNonceSize> nonce{};
  std::array<uint8_t, kTokenTagSize> tag{};
};

struct SealedToken {
  UniqueFd fd;
  TokenExpectation expect;
  SecretBuffer key;  // kTokenKeySize bytes
};

// Encrypts `plaintext` under a fresh one-time key into a new sealed memfd,
// with `cipher` (default: PreferredCipher()).
absl::StatusOr<SealedToken> SealEncryptedToken(
    absl::Span<const uint8_t> plaintext);
absl::StatusOr<SealedToken> SealEncryptedToken(
    absl::Span<const uint8_t> plaintext, TokenCipher cipher);

// Raw form: `payload` in plaintext in a new sealed memfd.
absl::StatusOr<UniqueFd> SealRawToken(absl::Span<const uint8_t> payload);

// Checks that `fd` can be a token: a memfd (kNotMemfd), opened O_RDWR
// (kNotReadWrite), sealed WRITE and GROW (kNotSealed), not yet latched
// (kAlreadyConsumed). Returns the file size. Touches nothing.
absl::StatusOr<uint64_t> VerifyTokenFd(int fd);

// Verify, read, authenticate/decrypt with `key`, check against `expect`,
// validate, then latch and truncate. The fd stays open (the caller owns it).
// Errors: those of VerifyTokenFd, kSizeMismatch, kMalformed,
// kAuthenticationFailed, the validator's, kAlreadyConsumed, kOs. Every
// error before the latch leaves the token consumable by someone else.
absl::StatusOr<SecretBuffer> ConsumeEncryptedToken(
    int fd, const TokenExpectation& expect, absl::Span<const uint8_t> key,
    const TokenValidator& validate);

// The same for the raw form (no key; the header's own size is trusted only
// after it matches the file size).
absl::StatusOr<SecretBuffer> ConsumeRawToken(int fd,
                                             const TokenValidator& validate);

// Sets the consume latch (F_SEAL_SEAL). kAlreadyConsumed if already set.
absl::Status LatchToken(int fd);

// Latch form (the channel's inline handoff of a small token): the token
// itself travels in the socket message body, and a new, empty memfd —
// mode 0, sealed WRITE|GROW (and EXEC where known) like every token memfd
// — is only the exactly-once latch: whoever sets F_SEAL_SEAL on it owns
// the token. No file contents, so no encryption, pwrite, pread or truncate.
absl::StatusOr<UniqueFd> CreateLatchMemfd();

// Checks that `fd` is a latch memfd (a memfd sealed WRITE|GROW, not yet
// latched: the errors of VerifyTokenFd but kNotReadWrite, which the latch
// itself reports), copies `token` into locked memory, runs `validate` on
// it, then latches. Every error before the latch leaves the token to the
// exporter. The fd stays open (the caller owns it).
absl::StatusOr<SecretBuffer> ConsumeLatchedToken(
    int fd, absl::Span<const uint8_t> token, const TokenValidator& validate);

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_MEMFD_TOKEN_H_
