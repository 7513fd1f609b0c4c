// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the interprocess token file parser (transport/memfd_token).
//
// Arbitrary bytes become the contents of a memfd, sealed in one of eight
// ways (the right way, not at all, half, with the latch preset, with
// SHRINK...), possibly shrunk by its sender afterwards, and go to
// ConsumeRawToken or ConsumeEncryptedToken (with a key and an expectation
// — cipher, id, nonce, tag, size — from the input).
// Input layout: transport/fuzz/formats.h (token_format).
//
// Invariants checked on every input, besides "no crash, no sanitizer
// report":
//   - a failure is a status carrying a transport ErrorKind;
//   - a rejected token is never latched (F_SEAL_SEAL stays clear), so its
//     sender can still reclaim it;
//   - an accepted token is latched, truncated (unless the sender sealed
//     SHRINK), no larger than the file, and a second consume is refused as
//     kAlreadyConsumed;
//   - no fd is left open.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "transport/fuzz/formats.h"
#include "testing/fuzz/fuzz_util.h"
#include "transport/base/errors.h"
#include "transport/memfd_token.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

namespace gssx::fuzz {
namespace {

using namespace token_format;  // NOLINT: the format's constants
using transport::ErrorKind;

constexpr int kSeals[kSealChoices] = {
    F_SEAL_WRITE | F_SEAL_GROW,
    0,
    F_SEAL_WRITE,
    F_SEAL_GROW,
    F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SEAL,
    F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK,
    F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_EXEC,
    F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_EXEC | F_SEAL_SEAL,
};

void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void Repair(uint8_t fix, std::vector<uint8_t>& file) {
  const size_t n = file.size();
  if ((fix & kFixMagic) && n >= 4) std::memcpy(file.data(), "GXTK", 4);
  if ((fix & kFixVersion) && n >= 5) file[4] = 1;
  if ((fix & kFixFlags) && n >= 8) file[5] = file[6] = file[7] = 0;
  if ((fix & kFixPayloadSize) && n >= transport::kTokenHeaderSize) {
    PutLe32(file.data() + 24,
            static_cast<uint32_t>(n - transport::kTokenHeaderSize));
    PutLe32(file.data() + 28, 0);
  }
}

void FuzzOne(FuzzInput& in) {
  const uint8_t mode = in.U8();
  const uint8_t fix = in.U8();
  const bool encrypted = mode & kEncrypted;
  const int seals = kSeals[(mode >> kSealShift) & (kSealChoices - 1)];

  uint8_t key[transport::kTokenKeySize] = {};
  transport::TokenExpectation expect;
  if (encrypted) {
    auto copy = [&in](absl::Span<uint8_t> out) {
      absl::Span<const uint8_t> b = in.Bytes(out.size());
      std::memcpy(out.data(), b.data(), b.size());
    };
    copy(absl::MakeSpan(key));
    // Any byte: unknown ciphers must be refused cleanly too.
    expect.cipher = static_cast<transport::TokenCipher>(in.U8());
    copy(absl::MakeSpan(expect.id));
    copy(absl::MakeSpan(expect.nonce));
    copy(absl::MakeSpan(expect.tag));
    if (!(mode & kSizeFromFile)) expect.file_size = in.U64();
  }
  absl::Span<const uint8_t> rest = in.Rest();
  std::vector<uint8_t> file(rest.begin(), rest.end());
  if (!encrypted) Repair(fix, file);
  if (encrypted && (mode & kSizeFromFile)) expect.file_size = file.size();

  transport::UniqueFd fd(
      ::memfd_create("fuzz-token", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  FUZZ_CHECK(fd.valid());
  size_t done = 0;
  while (done < file.size()) {
    ssize_t n = ::pwrite(fd.get(), file.data() + done, file.size() - done,
                         static_cast<off_t>(done));
    FUZZ_CHECK(n > 0);
    done += static_cast<size_t>(n);
  }
  if (seals != 0) FUZZ_CHECK(::fcntl(fd.get(), F_ADD_SEALS, seals) == 0);
  if ((mode & kShrink) && !(::fcntl(fd.get(), F_GET_SEALS) & F_SEAL_SHRINK)) {
    FUZZ_CHECK(::ftruncate(fd.get(), static_cast<off_t>(file.size() / 2)) == 0);
  }

  transport::UniqueFd read_only;
  int target = fd.get();
  if (mode & kReadOnly) {
    std::string path = absl::StrCat("/proc/self/fd/", fd.get());
    read_only.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    FUZZ_CHECK(read_only.valid());
    target = read_only.get();
  }
  transport::TokenValidator validate;
  if (mode & kReject) {
    validate = [](absl::Span<const uint8_t>) {
      return transport::MakeError(ErrorKind::kMalformed,
                                  "rejected by the fuzz validator");
    };
  }

  absl::StatusOr<transport::SecretBuffer> r =
      encrypted
          ? transport::ConsumeEncryptedToken(target, expect, key, validate)
          : transport::ConsumeRawToken(target, validate);
  const int seals_after = ::fcntl(fd.get(), F_GET_SEALS);
  FUZZ_CHECK(seals_after >= 0);
  if (r.ok()) {
    FUZZ_CHECK(!(seals & F_SEAL_SEAL), "imported a token latched before");
    FUZZ_CHECK(!(mode & kReject), "imported a token the validator refused");
    FUZZ_CHECK((seals_after & F_SEAL_SEAL) != 0, "imported but not latched");
    FUZZ_CHECK(r->size() <= file.size());
    struct stat st;
    FUZZ_CHECK(::fstat(fd.get(), &st) == 0);
    // (F_SEAL_EXEC on an executable memfd implies SHRINK too: check the
    // seals in force, not the ones asked for.)
    if (!(seals_after & F_SEAL_SHRINK)) {
      FUZZ_CHECK(st.st_size == 0, "imported but the pages were kept");
    }
    absl::StatusOr<transport::SecretBuffer> again =
        transport::ConsumeRawToken(fd.get(), nullptr);
    FUZZ_CHECK(transport::IsError(again.status(), ErrorKind::kAlreadyConsumed),
               "a consumed token was accepted again", again.status());
  } else {
    FUZZ_CHECK(transport::KindOf(r.status()) != ErrorKind::kNone,
               "failure without an ErrorKind", r.status());
    if (!(seals & F_SEAL_SEAL)) {
      FUZZ_CHECK(!(seals_after & F_SEAL_SEAL), "a rejected token was latched",
                 r.status());
    }
  }
}

}  // namespace
}  // namespace gssx::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fds_before = gssx::fuzz::CountOpenFds();
  {
    gssx::fuzz::FuzzInput in(data, size);
    gssx::fuzz::FuzzOne(in);
  }
  FUZZ_CHECK(gssx::fuzz::CountOpenFds() == fds_before, "fd leak");
  return 0;
}
