// Sealed-memfd tokens: one secret byte string in a memfd that can be
// consumed exactly once, system-wide.
//
// Exporter:
//   absl::StatusOr<SealedToken> t = SealEncryptedToken(plaintext.span());
//   // send t->fd (SCM_RIGHTS) and t->key (in a socket message body), keep
//   // a dup of t->fd and the key to reclaim later.
// Importer:
//   absl::StatusOr<SecretBuffer> p =
//       ConsumeEncryptedToken(fd.get(), expect, key, /*validate=*/nullptr);
//
// The kernel decides who consumes a token: the consumer sets F_SEAL_SEAL
// (the "latch"). fcntl(F_ADD_SEALS) checks and sets the seal under the inode
// lock, so among any number of processes holding a duplicate of the same
// memfd exactly one latch succeeds; the others get EPERM, reported as
// ErrorKind::kAlreadyConsumed. The winner then truncates the file to zero
// (dropping its pages) and closes it.
//
// File layout (little-endian), version 1:
//   0  magic "GXTK"     4  version (1)    5  flags (bit 0: encrypted)
//   6  reserved (0, 2)  8  token id (16)  24 payload size (u32)
//   28 reserved (0, 4)
//   32 encrypted: nonce (24), then XChaCha20-Poly1305 ciphertext of the
//      payload with the 32-byte header as associated data (payload + 16);
//      raw: the payload itself.
//
// The encrypted form is what the channel sends: only ciphertext ever sits
// in shmem (which can be swapped); the one-time key travels in the socket
// message body. The raw form is plaintext in shmem, for callers with their
// own fd transport (DESIGN.md "Raw form").
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
#include "transport/secret_buffer.h"
#include "transport/unique_fd.h"

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

// What the importer expects, from the message that carried the fd.
struct TokenExpectation {
  TokenId id{};
  uint64_t file_size = 0;
};

struct SealedToken {
  UniqueFd fd;
  TokenId id{};
  uint64_t file_size = 0;
  SecretBuffer key;  // kTokenKeySize bytes
};

// Encrypts `plaintext` under a fresh one-time key into a new sealed memfd.
absl::StatusOr<SealedToken> SealEncryptedToken(
    absl::Span<const uint8_t> plaintext);

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

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_MEMFD_TOKEN_H_
