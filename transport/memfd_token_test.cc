// SPDX-License-Identifier: Apache-2.0
#include "transport/memfd_token.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "transport/base/errors.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::string Str(absl::Span<const uint8_t> b) {
  return std::string(b.begin(), b.end());
}

// A memfd written by hand, sealed with `seals`, holding `contents`.
UniqueFd HandMadeMemfd(absl::Span<const uint8_t> contents, int seals) {
  UniqueFd fd(memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  EXPECT_TRUE(fd.valid());
  EXPECT_EQ(pwrite(fd.get(), contents.data(), contents.size(), 0),
            static_cast<ssize_t>(contents.size()));
  if (seals != 0) {
    EXPECT_EQ(fcntl(fd.get(), F_ADD_SEALS, seals), 0);
  }
  return fd;
}

// The bytes of a valid raw token holding `payload` (read from a real one).
std::vector<uint8_t> RawTokenFile(const std::string& payload) {
  absl::StatusOr<UniqueFd> fd = SealRawToken(Bytes(payload));
  EXPECT_THAT(fd, IsOk());
  struct stat st;
  fstat(fd->get(), &st);
  std::vector<uint8_t> file(st.st_size);
  EXPECT_EQ(pread(fd->get(), file.data(), file.size(), 0), st.st_size);
  return file;
}

TEST(MemfdTokenTest, RawTokenImportsOnce) {
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, SealRawToken(Bytes("context bytes")));
  ASSERT_OK_AND_ASSIGN(SecretBuffer got, ConsumeRawToken(fd.get(), nullptr));
  EXPECT_EQ(Str(got.span()), "context bytes");
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kAlreadyConsumed));
  // Invalidated: the pages are gone.
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
}

TEST(MemfdTokenTest, SealedFdIsModeZeroCloexecAndSealed) {
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, SealRawToken(Bytes("x")));
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0u);
  EXPECT_TRUE(fcntl(fd.get(), F_GETFD) & FD_CLOEXEC);
  int seals = fcntl(fd.get(), F_GET_SEALS);
  EXPECT_TRUE(seals & F_SEAL_WRITE);
  EXPECT_TRUE(seals & F_SEAL_GROW);
  EXPECT_FALSE(seals & F_SEAL_SEAL);
  EXPECT_FALSE(seals & F_SEAL_SHRINK);
  EXPECT_EQ(pwrite(fd.get(), "y", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
}

TEST(MemfdTokenTest, EncryptedTokenNeedsItsKey) {
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(Bytes("secret")));
  const TokenExpectation& expect = t.expect;
  std::vector<uint8_t> wrong(kTokenKeySize, 0x42);
  EXPECT_THAT(ConsumeEncryptedToken(t.fd.get(), expect, wrong, nullptr),
              HasErrorKind(ErrorKind::kAuthenticationFailed));
  // A failed authentication does not touch the latch.
  ASSERT_OK_AND_ASSIGN(SecretBuffer got, ConsumeEncryptedToken(
                                             t.fd.get(), expect,
                                             t.key.span(), nullptr));
  EXPECT_EQ(Str(got.span()), "secret");
}

TEST(MemfdTokenTest, BothCiphersRoundTripAndAreBound) {
  for (TokenCipher cipher :
       {TokenCipher::kXChaCha20Poly1305, TokenCipher::kAes256Gcm}) {
    absl::StatusOr<SealedToken> t = SealEncryptedToken(Bytes("hello"), cipher);
    if (!t.ok() && IsError(t.status(), ErrorKind::kUnsupported)) continue;
    ASSERT_THAT(t, IsOk());
    EXPECT_EQ(t->expect.cipher, cipher);
    // Claiming the other cipher fails authentication, without consuming.
    TokenExpectation other = t->expect;
    other.cipher = cipher == TokenCipher::kAes256Gcm
                       ? TokenCipher::kXChaCha20Poly1305
                       : TokenCipher::kAes256Gcm;
    absl::StatusOr<SecretBuffer> wrong =
        ConsumeEncryptedToken(t->fd.get(), other, t->key.span(), nullptr);
    EXPECT_FALSE(wrong.ok());
    TokenExpectation unknown = t->expect;
    unknown.cipher = static_cast<TokenCipher>(9);
    EXPECT_THAT(
        ConsumeEncryptedToken(t->fd.get(), unknown, t->key.span(), nullptr),
        HasErrorKind(ErrorKind::kMalformed));
    ASSERT_OK_AND_ASSIGN(SecretBuffer got,
                         ConsumeEncryptedToken(t->fd.get(), t->expect,
                                               t->key.span(), nullptr));
    EXPECT_EQ(Str(got.span()), "hello");
  }
}

TEST(MemfdTokenTest, EncryptedFileIsExactlyThePayloadSize) {
  std::vector<uint8_t> page(4096, 7);
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(page));
  struct stat st;
  ASSERT_EQ(fstat(t.fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 4096);  // one page: header and tag are elsewhere
}

TEST(MemfdTokenTest, FileHoldsOnlyCiphertext) {
  const std::string secret = "PLAINTEXT-SECRET-MARKER";
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(Bytes(secret)));
  std::vector<uint8_t> file(t.expect.file_size);
  ASSERT_EQ(pread(t.fd.get(), file.data(), file.size(), 0),
            static_cast<ssize_t>(file.size()));
  EXPECT_EQ(Str(file).find(secret), std::string::npos);
}

TEST(MemfdTokenTest, WrongExpectationIsRejectedUnconsumed) {
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(Bytes("secret")));
  // The id, nonce and tag are all bound to the file by the AEAD.
  for (int field = 0; field < 3; ++field) {
    TokenExpectation other = t.expect;
    if (field == 0) other.id[0] ^= 1;
    if (field == 1) other.nonce[5] ^= 1;
    if (field == 2) other.tag[15] ^= 1;
    EXPECT_THAT(ConsumeEncryptedToken(t.fd.get(), other, t.key.span(), nullptr),
                HasErrorKind(ErrorKind::kAuthenticationFailed))
        << "field " << field;
  }
  TokenExpectation other_size = t.expect;
  other_size.file_size += 1;
  EXPECT_THAT(
      ConsumeEncryptedToken(t.fd.get(), other_size, t.key.span(), nullptr),
      HasErrorKind(ErrorKind::kSizeMismatch));
  EXPECT_THAT(ConsumeEncryptedToken(t.fd.get(), t.expect, t.key.span(), nullptr),
              IsOk());
}

TEST(MemfdTokenTest, ValidatorRejectsWithoutConsuming) {
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, SealRawToken(Bytes("payload")));
  auto reject = [](absl::Span<const uint8_t>) {
    return absl::InvalidArgumentError("not a context I know");
  };
  EXPECT_THAT(ConsumeRawToken(fd.get(), reject),
              ::gssx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr), IsOk());
}

TEST(MemfdTokenTest, DuplicateInAnotherProcessIsAlreadyConsumed) {
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, SealRawToken(Bytes("once")));
  ASSERT_THAT(ConsumeRawToken(fd.get(), nullptr), IsOk());
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    absl::StatusOr<SecretBuffer> r = ConsumeRawToken(fd.get(), nullptr);
    return IsError(r.status(), ErrorKind::kAlreadyConsumed) ? 0 : 1;
  }));
  EXPECT_THAT(child.Wait(absl::Seconds(30)), IsOkAndHolds(0));
}

TEST(MemfdTokenTest, ChildWinsParentLoses) {
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, SealRawToken(Bytes("once")));
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    absl::StatusOr<SecretBuffer> r = ConsumeRawToken(fd.get(), nullptr);
    return r.ok() && Str(r->span()) == "once" ? 0 : 1;
  }));
  ASSERT_THAT(child.Wait(absl::Seconds(30)), IsOkAndHolds(0));
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kAlreadyConsumed));
}

TEST(MemfdTokenTest, PipeIsNotAMemfd) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd r(p[0]), w(p[1]);
  EXPECT_THAT(ConsumeRawToken(r.get(), nullptr),
              HasErrorKind(ErrorKind::kNotMemfd));
}

TEST(MemfdTokenTest, SocketIsNotAMemfd) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  EXPECT_THAT(ConsumeRawToken(a.get(), nullptr),
              HasErrorKind(ErrorKind::kNotMemfd));
}

TEST(MemfdTokenTest, RegularFileIsNotAMemfd) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir ? dir : "/tmp", "/regular-token");
  std::vector<uint8_t> file = RawTokenFile("payload");
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(write(fd.get(), file.data(), file.size()),
            static_cast<ssize_t>(file.size()));
  unlink(path.c_str());
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kNotMemfd));
}

// A tmpfs file that is still linked is told apart from a consumed memfd
// (both carry F_SEAL_SEAL) on every consume path: the read path must not
// report it as "consumed by another importer".
TEST(MemfdTokenTest, StillLinkedTmpfsFileIsNotAMemfdOnEveryPath) {
  std::string path = absl::StrCat("/dev/shm/gssx-linked-", getpid());
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) GTEST_SKIP() << "no writable /dev/shm here";
  std::vector<uint8_t> file = RawTokenFile("payload");
  ASSERT_EQ(write(fd.get(), file.data(), file.size()),
            static_cast<ssize_t>(file.size()));
  absl::StatusOr<SealedToken> sealed = SealEncryptedToken(Bytes("payload"));
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kNotMemfd));
  EXPECT_THAT(ConsumeEncryptedToken(fd.get(), sealed->expect,
                                    sealed->key.span(), nullptr),
              HasErrorKind(ErrorKind::kNotMemfd));
  unlink(path.c_str());
}

TEST(MemfdTokenTest, LinkedTmpfsFileIsNotAMemfd) {
  std::string path = absl::StrCat("/dev/shm/gssx-test-", getpid());
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) GTEST_SKIP() << "no writable /dev/shm here";
  unlink(path.c_str());
  // Unlinked now, but born with F_SEAL_SEAL like every non-memfd tmpfs file.
  std::vector<uint8_t> file = RawTokenFile("payload");
  ASSERT_EQ(write(fd.get(), file.data(), file.size()),
            static_cast<ssize_t>(file.size()));
  absl::StatusOr<SecretBuffer> r = ConsumeRawToken(fd.get(), nullptr);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(IsError(r.status(), ErrorKind::kNotMemfd) ||
              IsError(r.status(), ErrorKind::kAlreadyConsumed))
      << r.status();
}

TEST(MemfdTokenTest, MissingWriteSealIsRejected) {
  UniqueFd fd = HandMadeMemfd(RawTokenFile("p"), F_SEAL_GROW);
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kNotSealed));
}

TEST(MemfdTokenTest, MissingGrowSealIsRejected) {
  UniqueFd fd = HandMadeMemfd(RawTokenFile("p"), F_SEAL_WRITE);
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kNotSealed));
}

TEST(MemfdTokenTest, UnsealedMemfdIsRejected) {
  UniqueFd fd = HandMadeMemfd(RawTokenFile("p"), 0);
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kNotSealed));
}

// A latch already set cannot be told apart from a consumed token: both are
// refused as consumed, and nobody can ever import it.
TEST(MemfdTokenTest, PresetSealSealCountsAsConsumed) {
  UniqueFd fd = HandMadeMemfd(RawTokenFile("p"),
                              F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SEAL);
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kAlreadyConsumed));
}

TEST(MemfdTokenTest, ReadOnlyFdIsRejected) {
  UniqueFd fd = HandMadeMemfd(RawTokenFile("p"), F_SEAL_WRITE | F_SEAL_GROW);
  std::string path = absl::StrCat("/proc/self/fd/", fd.get());
  UniqueFd ro(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(ro.valid());
  EXPECT_THAT(ConsumeRawToken(ro.get(), nullptr),
              HasErrorKind(ErrorKind::kNotReadWrite));
  // The read-write original is still importable.
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr), IsOk());
}

TEST(MemfdTokenTest, SizeDifferentFromHeaderIsRejected) {
  std::vector<uint8_t> file = RawTokenFile("payload");
  file.push_back(0);  // one byte more than the header says
  UniqueFd fd = HandMadeMemfd(file, F_SEAL_WRITE | F_SEAL_GROW);
  EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
              HasErrorKind(ErrorKind::kSizeMismatch));
}

TEST(MemfdTokenTest, TruncatedBySenderAfterSealingIsRejected) {
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(Bytes("secret")));
  // SHRINK is deliberately unsealed, so a hostile sender can do this.
  ASSERT_EQ(ftruncate(t.fd.get(), static_cast<off_t>(t.expect.file_size - 5)),
            0);
  EXPECT_THAT(ConsumeEncryptedToken(t.fd.get(), t.expect, t.key.span(), nullptr),
              HasErrorKind(ErrorKind::kSizeMismatch));
  ASSERT_OK_AND_ASSIGN(UniqueFd raw, SealRawToken(Bytes("a raw payload")));
  ASSERT_EQ(ftruncate(raw.get(), 40), 0);
  EXPECT_THAT(ConsumeRawToken(raw.get(), nullptr),
              HasErrorKind(ErrorKind::kSizeMismatch));
}

TEST(MemfdTokenTest, GarbageHeaderIsMalformed) {
  std::vector<uint8_t> file = RawTokenFile("payload");
  for (size_t i : {0u, 4u, 5u, 6u, 28u}) {
    std::vector<uint8_t> bad = file;
    bad[i] ^= 0x80;
    UniqueFd fd = HandMadeMemfd(bad, F_SEAL_WRITE | F_SEAL_GROW);
    EXPECT_THAT(ConsumeRawToken(fd.get(), nullptr),
                HasErrorKind(ErrorKind::kMalformed))
        << "byte " << i;
  }
}

TEST(MemfdTokenTest, EveryTruncationIsRejected) {
  std::vector<uint8_t> file = RawTokenFile("payload");
  for (size_t n = 0; n < file.size(); ++n) {
    UniqueFd fd = HandMadeMemfd(absl::MakeConstSpan(file.data(), n),
                                F_SEAL_WRITE | F_SEAL_GROW);
    absl::StatusOr<SecretBuffer> r = ConsumeRawToken(fd.get(), nullptr);
    EXPECT_TRUE(IsError(r.status(), ErrorKind::kSizeMismatch) ||
                IsError(r.status(), ErrorKind::kMalformed))
        << n << ": " << r.status();
  }
}

TEST(MemfdTokenTest, EmptyPayloadRoundTrips) {
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken({}));
  ASSERT_OK_AND_ASSIGN(SecretBuffer got,
                       ConsumeEncryptedToken(t.fd.get(), t.expect,
                                             t.key.span(), nullptr));
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace gssx::transport
