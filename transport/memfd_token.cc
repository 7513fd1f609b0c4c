// SPDX-License-Identifier: Apache-2.0
#include "transport/memfd_token.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "transport/base/errors.h"
#include "transport/base/csprng.h"
#include "transport/base/retry.h"
#include "transport/base/syscalls.h"
#include "transport/base/bytes.h"

// Debian 12's headers predate these (Linux 6.3); the values are ABI.
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

namespace gssx::transport {
namespace {

using internal::RetryOnEintr;
using internal::Sys;

constexpr uint8_t kMagic[4] = {'G', 'X', 'T', 'K'};
constexpr uint8_t kVersion = 1;
constexpr uint8_t kFlagEncrypted = 0x01;
constexpr const char kMemfdName[] = "gssx-token";

static_assert(kTokenKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kTokenKeySize == crypto_aead_aes256gcm_KEYBYTES);
static_assert(kTokenTagSize == crypto_aead_aes256gcm_ABYTES);
static_assert(kTokenNonceSize >= crypto_aead_aes256gcm_NPUBBYTES);
constexpr uint8_t kFlagAesGcm = 0x02;
static_assert(kTokenNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTokenTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);

struct Header {
  uint8_t flags = 0;
  TokenId id{};
  uint32_t payload_size = 0;
};

void EncodeHeader(const Header& h, uint8_t out[kTokenHeaderSize]) {
  internal::Writer w(absl::MakeSpan(out, kTokenHeaderSize));
  w.Bytes(kMagic);
  w.U8(kVersion);
  w.U8(h.flags);
  w.U16(0);
  w.Bytes(h.id);
  w.U32(h.payload_size);
  w.U32(0);
}

absl::StatusOr<Header> DecodeHeader(const uint8_t in[kTokenHeaderSize]) {
  internal::Reader r(absl::MakeConstSpan(in, kTokenHeaderSize));
  uint8_t magic[4], version;
  uint16_t reserved16;
  uint32_t reserved32;
  Header h;
  r.Bytes(absl::MakeSpan(magic));
  r.U8(&version);
  r.U8(&h.flags);
  r.U16(&reserved16);
  r.Bytes(absl::MakeSpan(h.id));
  r.U32(&h.payload_size);
  r.U32(&reserved32);
  if (!r.ok() || std::memcmp(magic, kMagic, 4) != 0) {
    return MakeError(ErrorKind::kMalformed, "token file: bad magic");
  }
  if (version != kVersion) {
    return MakeError(ErrorKind::kMalformed,
                     absl::StrCat("token file: unsupported version ", version));
  }
  if (h.flags != 0 || reserved16 != 0 || reserved32 != 0) {
    return MakeError(ErrorKind::kMalformed, "token file: reserved bits set");
  }
  if (h.payload_size > kMaxTokenPayload) {
    return MakeError(ErrorKind::kMalformed,
                     absl::StrCat("token file: payload of ", h.payload_size,
                                  " bytes exceeds the limit"));
  }
  return h;
}

uint64_t FileSizeFor(const Header& h) {
  return kTokenHeaderSize + uint64_t{h.payload_size};
}

// The associated data of an encrypted token.
Header EncryptedHeader(const TokenId& id, size_t payload_size,
                       TokenCipher cipher) {
  Header h;
  h.flags = kFlagEncrypted |
            (cipher == TokenCipher::kAes256Gcm ? kFlagAesGcm : 0);
  h.id = id;
  h.payload_size = static_cast<uint32_t>(payload_size);
  return h;
}

// create → pwrite → fchmod 0 → seal. `contents` is the whole file.
absl::StatusOr<UniqueFd> CreateSealedMemfd(absl::Span<const uint8_t> contents) {
  int raw = Sys().memfd_create(
      kMemfdName, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
  if (raw < 0 && errno == EINVAL) {
    // Kernels before 6.3 do not know MFD_NOEXEC_SEAL.
    raw = Sys().memfd_create(kMemfdName, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  }
  if (raw < 0) return OsError(errno, "memfd_create");
  UniqueFd fd(raw);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = RetryOnEintr([&] {
      return Sys().pwrite(fd.get(), contents.data() + done,
                          contents.size() - done, static_cast<off_t>(done));
    });
    if (n < 0) return OsError(errno, "pwrite(memfd)");
    if (n == 0) return OsError(EIO, "pwrite(memfd) wrote nothing");
    done += static_cast<size_t>(n);
  }
  // Mode 0 before sealing: without MFD_NOEXEC_SEAL (the fallback above)
  // the memfd is born 0777, and F_SEAL_EXEC on an executable memfd makes
  // the kernel add SHRINK and FUTURE_WRITE and refuse the chmod (EPERM).
  if (Sys().fchmod(fd.get(), 0) != 0) return OsError(errno, "fchmod(memfd, 0)");
  // WRITE|GROW freeze the contents; EXEC where known. Never SEAL (the
  // consume latch) or SHRINK (the importer truncates to drop the pages).
  if (Sys().fcntl(fd.get(), F_ADD_SEALS,
                  F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_EXEC) != 0) {
    if (errno != EINVAL ||
        Sys().fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW) != 0) {
      return OsError(errno, "fcntl(F_ADD_SEALS)");
    }
  }
  return fd;
}

// Reads exactly `out.size()` bytes at `offset`; a short read means the file
// shrank under us.
absl::Status ReadExactly(int fd, absl::Span<uint8_t> out, uint64_t offset) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = RetryOnEintr([&] {
      return Sys().pread(fd, out.data() + done, out.size() - done,
                         static_cast<off_t>(offset + done));
    });
    if (n < 0) return OsError(errno, "pread(token)");
    if (n == 0) {
      return MakeError(ErrorKind::kSizeMismatch,
                       "token file shrank while being read");
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Reads the whole file (one pread) into locked memory and checks its
// header against the file size. The file size comes from fstat, which a
// hostile sender can change (shrink) at any time: a short read says so.
absl::StatusOr<Header> ReadWholeFile(int fd, uint64_t file_size,
                                     SecretBuffer* out) {
  if (file_size < kTokenHeaderSize) {
    return MakeError(ErrorKind::kSizeMismatch,
                     absl::StrCat("token file of ", file_size,
                                  " bytes is shorter than its header"));
  }
  const uint64_t max_size = kTokenHeaderSize + kMaxTokenPayload;
  if (file_size > max_size) {
    return MakeError(ErrorKind::kSizeMismatch,
                     absl::StrCat("token file of ", file_size,
                                  " bytes exceeds the limit"));
  }
  absl::StatusOr<SecretBuffer> buf =
      SecretBuffer::Create(static_cast<size_t>(file_size));
  if (!buf.ok()) return buf.status();
  if (absl::Status s = ReadExactly(fd, buf->span(), 0); !s.ok()) return s;
  absl::StatusOr<Header> h = DecodeHeader(buf->data());
  if (!h.ok()) return h;
  if (FileSizeFor(*h) != file_size) {
    return MakeError(ErrorKind::kSizeMismatch,
                     absl::StrCat("token file is ", file_size,
                                  " bytes, its header says ", FileSizeFor(*h)));
  }
  *out = std::move(*buf);
  return h;
}

// Moves `len` bytes at `offset` to the front and drops the rest (wiped).
// (The raw form's header precedes its payload in the file.)
void KeepRange(SecretBuffer& buf, size_t offset, size_t len) {
  if (len > 0) std::memmove(buf.data(), buf.data() + offset, len);
  buf.Truncate(len);
}

// Latch, then drop the pages. The truncate is best effort: the token is
// ours once the latch succeeded, whatever happens next.
absl::Status LatchAndInvalidate(int fd) {
  if (absl::Status s = LatchToken(fd); !s.ok()) return s;
  (void)RetryOnEintr([&] { return Sys().ftruncate(fd, 0); });
  return absl::OkStatus();
}

// A consumer that wins the latch truncates the file at once, so a loser
// still reading sees it shrink. Report such failures as what they are.
absl::Status ConsumedOr(int fd, absl::Status status) {
  int seals = Sys().fcntl(fd, F_GET_SEALS, 0);
  if (seals >= 0 && (seals & F_SEAL_SEAL)) {
    return MakeError(ErrorKind::kAlreadyConsumed,
                     "token consumed by another importer while being read",
                     EPERM);
  }
  return status;
}
const char* FileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISREG(mode)) return "a regular file";
  return "not a regular file";
}

// The latch needs write access: on a read-only fd F_ADD_SEALS answers
// EPERM, which would masquerade as "already consumed".
absl::Status CheckReadWrite(int fd) {
  int flags = Sys().fcntl(fd, F_GETFL, 0);
  if (flags < 0) return OsError(errno, "fcntl(F_GETFL)");
  if ((flags & O_ACCMODE) != O_RDWR) {
    return MakeError(ErrorKind::kNotReadWrite,
                     "token memfd is not open read-write");
  }
  return absl::OkStatus();
}

// A memfd (only shmem files support seals), not latched, sealed against
// writing and growing. One fcntl on the good path; fstat only to name a
// failure.
absl::Status CheckSeals(int fd) {
  int seals = Sys().fcntl(fd, F_GET_SEALS, 0);
  if (seals < 0 && errno != EINVAL) return OsError(errno, "fcntl(F_GET_SEALS)");
  if (seals < 0 || (seals & F_SEAL_SEAL)) {
    struct stat st;
    if (Sys().fstat(fd, &st) != 0) return OsError(errno, "fstat(token)");
    if (seals < 0) {
      return MakeError(ErrorKind::kNotMemfd,
                       absl::StrCat("token fd is not a memfd (it is ",
                                    FileKind(st.st_mode), ")"));
    }
    // tmpfs files other than memfds are born with F_SEAL_SEAL; they are
    // linked (or O_TMPFILE). A memfd with the latch set was consumed.
    if (st.st_nlink != 0) {
      return MakeError(ErrorKind::kNotMemfd,
                       "token fd is a tmpfs file, not a memfd");
    }
    return MakeError(ErrorKind::kAlreadyConsumed,
                     "token already consumed (F_SEAL_SEAL is set)", EPERM);
  }
  if ((seals & (F_SEAL_WRITE | F_SEAL_GROW)) != (F_SEAL_WRITE | F_SEAL_GROW)) {
    return MakeError(ErrorKind::kNotSealed,
                     "token memfd is not sealed against writing and growing");
  }
  return absl::OkStatus();
}

}  // namespace

TokenCipher PreferredCipher() {
  // AES-NI + PCLMUL make AES-256-GCM the faster AEAD; both ends of a
  // handoff run on the same machine, so they agree.
  if (!EnsureSodium().ok()) return TokenCipher::kXChaCha20Poly1305;
  return crypto_aead_aes256gcm_is_available() ? TokenCipher::kAes256Gcm
                                              : TokenCipher::kXChaCha20Poly1305;
}

absl::Status LatchToken(int fd) {
  if (Sys().fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0) return absl::OkStatus();
  if (errno == EPERM) {
    // Either the latch is set, or the fd cannot set it (read-only).
    if (absl::Status rw = CheckReadWrite(fd); !rw.ok()) return rw;
    return MakeError(ErrorKind::kAlreadyConsumed,
                     "token already consumed (imported or reclaimed)", EPERM);
  }
  return OsError(errno, "fcntl(F_ADD_SEALS, F_SEAL_SEAL)");
}

absl::StatusOr<uint64_t> VerifyTokenFd(int fd) {
  if (absl::Status s = CheckSeals(fd); !s.ok()) return s;
  if (absl::Status s = CheckReadWrite(fd); !s.ok()) return s;
  struct stat st;
  if (Sys().fstat(fd, &st) != 0) return OsError(errno, "fstat(token)");
  return static_cast<uint64_t>(st.st_size);
}

absl::StatusOr<SealedToken> SealEncryptedToken(
    absl::Span<const uint8_t> plaintext) {
  return SealEncryptedToken(plaintext, PreferredCipher());
}

absl::StatusOr<SealedToken> SealEncryptedToken(
    absl::Span<const uint8_t> plaintext, TokenCipher cipher) {
  if (absl::Status s = EnsureSodium(); !s.ok()) return s;
  if (cipher == TokenCipher::kAes256Gcm &&
      !crypto_aead_aes256gcm_is_available()) {
    return MakeError(ErrorKind::kUnsupported, "this CPU lacks AES-256-GCM");
  }
  if (cipher != TokenCipher::kAes256Gcm &&
      cipher != TokenCipher::kXChaCha20Poly1305) {
    return MakeError(ErrorKind::kBadArgument, "unknown token cipher");
  }
  if (plaintext.size() > kMaxTokenPayload) {
    return MakeError(ErrorKind::kBadArgument, "token payload too large");
  }
  SealedToken token;
  // Key, id and nonce in one draw from the process's CSPRNG (seeded once
  // from the kernel, fork-safe: base/csprng.h), straight into locked
  // memory.
  absl::StatusOr<SecretBuffer> key =
      SecretBuffer::Create(kTokenKeySize + 16 + kTokenNonceSize);
  if (!key.ok()) return key.status();
  internal::RandomBytes(key->span());
  std::memcpy(token.expect.id.data(), key->data() + kTokenKeySize, 16);
  std::memcpy(token.expect.nonce.data(), key->data() + kTokenKeySize + 16,
              kTokenNonceSize);
  key->Truncate(kTokenKeySize);
  token.expect.file_size = plaintext.size();

  // The file holds only ciphertext; header and tag go in the message.
  uint8_t aad[kTokenHeaderSize];
  token.expect.cipher = cipher;
  EncodeHeader(EncryptedHeader(token.expect.id, plaintext.size(),
                               token.expect.cipher),
               aad);
  // Ciphertext is public: an ordinary (reused, per-thread) buffer will do.
  thread_local std::vector<uint8_t> file;
  file.resize(plaintext.size());
  if (token.expect.cipher == TokenCipher::kAes256Gcm) {
    // 96-bit random nonce under a one-time key; the rest stays zero.
    std::fill(token.expect.nonce.begin() + crypto_aead_aes256gcm_NPUBBYTES,
              token.expect.nonce.end(), 0);
    crypto_aead_aes256gcm_encrypt_detached(
        file.data(), token.expect.tag.data(), nullptr, plaintext.data(),
        plaintext.size(), aad, sizeof aad, nullptr, token.expect.nonce.data(),
        key->data());
  } else {
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
        file.data(), token.expect.tag.data(), nullptr, plaintext.data(),
        plaintext.size(), aad, sizeof aad, nullptr, token.expect.nonce.data(),
        key->data());
  }

  absl::StatusOr<UniqueFd> fd = CreateSealedMemfd(file);
  if (!fd.ok()) return fd.status();
  token.fd = std::move(*fd);
  token.key = std::move(*key);
  return token;
}

absl::StatusOr<UniqueFd> SealRawToken(absl::Span<const uint8_t> payload) {
  if (payload.size() > kMaxTokenPayload) {
    return MakeError(ErrorKind::kBadArgument, "token payload too large");
  }
  Header h;
  h.payload_size = static_cast<uint32_t>(payload.size());
  internal::RandomBytes(absl::MakeSpan(h.id));
  // The raw form is plaintext by definition; stage it in locked memory.
  absl::StatusOr<SecretBuffer> file = SecretBuffer::Create(FileSizeFor(h));
  if (!file.ok()) return file.status();
  EncodeHeader(h, file->data());
  if (!payload.empty()) {
    std::memcpy(file->data() + kTokenHeaderSize, payload.data(),
                payload.size());
  }
  return CreateSealedMemfd(file->span());
}

namespace {

absl::StatusOr<SecretBuffer> ReadEncryptedToken(
    int fd, const TokenExpectation& expect, absl::Span<const uint8_t> key) {
  if (key.size() != kTokenKeySize) {
    return MakeError(ErrorKind::kBadArgument, "token key has the wrong size");
  }
  if (expect.file_size > kMaxTokenPayload) {
    return MakeError(ErrorKind::kMalformed, "token size exceeds the limit");
  }
  if (absl::Status s = CheckSeals(fd); !s.ok()) return s;
  // A claim above one pool slot is checked against the real file before
  // any locked memory is spent on it (a hostile peer could otherwise make
  // us lock 16 MiB per message). Small tokens skip the fstat.
  if (expect.file_size > 64 * 1024) {
    struct stat st;
    if (Sys().fstat(fd, &st) != 0) return OsError(errno, "fstat(token)");
    if (static_cast<uint64_t>(st.st_size) != expect.file_size) {
      return MakeError(ErrorKind::kSizeMismatch,
                       absl::StrCat("token file is ", st.st_size,
                                    " bytes, the message says ",
                                    expect.file_size));
    }
  }
  // One pread of one byte more than expected proves the size: the file
  // cannot grow (F_SEAL_GROW), and a short read is the end of the file.
  // Ciphertext goes into locked memory and is decrypted in place.
  absl::StatusOr<SecretBuffer> buf =
      SecretBuffer::Create(static_cast<size_t>(expect.file_size) + 1);
  if (!buf.ok()) return buf.status();
  ssize_t n = RetryOnEintr([&] {
    return Sys().pread(fd, buf->data(), buf->size(), 0);
  });
  if (n < 0) return OsError(errno, "pread(token)");
  if (static_cast<uint64_t>(n) != expect.file_size) {
    return MakeError(ErrorKind::kSizeMismatch,
                     absl::StrCat("token file is ",
                                  n > static_cast<ssize_t>(expect.file_size)
                                      ? "larger than"
                                      : absl::StrCat(n, " bytes, not"),
                                  " the ", expect.file_size,
                                  " bytes the message says"));
  }
  buf->Truncate(static_cast<size_t>(n));
  uint8_t aad[kTokenHeaderSize];
  EncodeHeader(EncryptedHeader(expect.id, buf->size(), expect.cipher), aad);
  int rc = -1;
  if (expect.cipher == TokenCipher::kAes256Gcm) {
    if (!crypto_aead_aes256gcm_is_available()) {
      return MakeError(ErrorKind::kUnsupported,
                       "token uses AES-256-GCM, which this CPU lacks");
    }
    rc = crypto_aead_aes256gcm_decrypt_detached(
        buf->data(), nullptr, buf->data(), buf->size(), expect.tag.data(), aad,
        sizeof aad, expect.nonce.data(), key.data());
  } else if (expect.cipher == TokenCipher::kXChaCha20Poly1305) {
    rc = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
        buf->data(), nullptr, buf->data(), buf->size(), expect.tag.data(), aad,
        sizeof aad, expect.nonce.data(), key.data());
  } else {
    return MakeError(ErrorKind::kMalformed, "unknown token cipher");
  }
  if (rc != 0) {
    return MakeError(ErrorKind::kAuthenticationFailed,
                     "token failed authentication (wrong key or altered)");
  }
  return buf;
}

absl::StatusOr<SecretBuffer> ReadRawToken(int fd) {
  absl::StatusOr<uint64_t> size = VerifyTokenFd(fd);
  if (!size.ok()) return size.status();
  SecretBuffer file;
  absl::StatusOr<Header> h = ReadWholeFile(fd, *size, &file);
  if (!h.ok()) return h.status();
  if (h->flags & kFlagEncrypted) {
    return MakeError(ErrorKind::kMalformed,
                     "token file is encrypted; it needs its key");
  }
  KeepRange(file, kTokenHeaderSize, h->payload_size);
  return file;
}

// read → (validate) → latch → truncate, with read failures caused by a
// concurrent winner reported as kAlreadyConsumed.
absl::StatusOr<SecretBuffer> Consume(int fd,
                                     absl::StatusOr<SecretBuffer> read,
                                     const TokenValidator& validate) {
  if (!read.ok()) {
    // Only a short read can be a winner's truncation; a failed check
    // (not a memfd, not sealed, ...) is reported as itself, even for a
    // linked tmpfs file, which carries F_SEAL_SEAL like a consumed memfd.
    if (!IsError(read.status(), ErrorKind::kSizeMismatch)) return read.status();
    return ConsumedOr(fd, read.status());
  }
  if (validate) {
    if (absl::Status s = validate(read->span()); !s.ok()) return s;
  }
  if (absl::Status s = LatchAndInvalidate(fd); !s.ok()) return s;
  return read;
}

}  // namespace

absl::StatusOr<SecretBuffer> ConsumeEncryptedToken(
    int fd, const TokenExpectation& expect, absl::Span<const uint8_t> key,
    const TokenValidator& validate) {
  return Consume(fd, ReadEncryptedToken(fd, expect, key), validate);
}

absl::StatusOr<SecretBuffer> ConsumeRawToken(int fd,
                                             const TokenValidator& validate) {
  return Consume(fd, ReadRawToken(fd), validate);
}

absl::StatusOr<UniqueFd> CreateLatchMemfd() {
  return CreateSealedMemfd(absl::Span<const uint8_t>());
}

absl::StatusOr<SecretBuffer> ConsumeLatchedToken(
    int fd, absl::Span<const uint8_t> token, const TokenValidator& validate) {
  if (token.size() > kMaxTokenPayload) {
    return MakeError(ErrorKind::kMalformed, "token size exceeds the limit");
  }
  if (absl::Status s = CheckSeals(fd); !s.ok()) return s;
  absl::StatusOr<SecretBuffer> copy = SecretBuffer::CopyOf(token);
  if (!copy.ok()) return copy.status();
  if (validate) {
    if (absl::Status s = validate(copy->span()); !s.ok()) return s;
  }
  // The file is empty: nothing to truncate once latched.
  if (absl::Status s = LatchToken(fd); !s.ok()) return s;
  return copy;
}

}  // namespace gssx::transport
