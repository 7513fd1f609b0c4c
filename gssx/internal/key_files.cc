// SPDX-License-Identifier: Apache-2.0
#include "gssx/internal/key_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gssx/internal/identity.h"
#include "transport/base/unique_fd.h"

namespace gssx::internal {
namespace {

using transport::SecretBuffer;

constexpr size_t kBase64Len =
    sodium_base64_ENCODED_LEN(kKeyBytes, sodium_base64_VARIANT_ORIGINAL) - 1;

Minor UnreadableMinor(KeyFileKind kind) {
  return kind == KeyFileKind::kKeytab ? Minor::kKeytabUnreadable
                                      : Minor::kTrustUnreadable;
}

absl::string_view What(KeyFileKind kind) {
  return kind == KeyFileKind::kKeytab ? "keytab" : "trust file";
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

absl::Status Insecure(KeyFileKind kind, const std::string& message) {
  return MakeError(ErrorKind::kNoCred,
                   kind == KeyFileKind::kKeytab ? Minor::kKeytabInsecure
                                                : Minor::kTrustInsecure,
                   message);
}

// Where the open file `fd` is: /proc/self/fd/N, else `path` resolved with
// realpath. Empty if neither works.
std::string PathOfFd(int fd, const std::string& path) {
  const std::string link = absl::StrCat("/proc/self/fd/", fd);
  char target[PATH_MAX];
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
  if (n > 0 && static_cast<size_t>(n) < sizeof target && target[0] == '/') {
    return std::string(target, static_cast<size_t>(n));
  }
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return std::string();
  std::string out(resolved);
  std::free(resolved);
  return out;
}

// `dir` (absolute, no symbolic links) and every directory above it: owned
// by the effective uid or root, and not writable by group or others
// unless sticky (OpenSSH's secure-path rule, with /tmp-like directories
// allowed: there only an entry's owner can rename or remove it, and the
// entry below — file or directory — is checked to be ours or root's).
absl::Status CheckDirectories(std::string dir, KeyFileKind kind) {
  const uid_t euid = ::geteuid();
  for (;;) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) {
      const int e = errno;
      return Insecure(kind, absl::StrCat("gssx: cannot check the directory ",
                                         dir, " above the ", What(kind), ": ",
                                         std::strerror(e)));
    }
    if (!S_ISDIR(st.st_mode)) {
      return Insecure(kind, absl::StrCat("gssx: ", dir, " above the ",
                                         What(kind), " is not a directory"));
    }
    if (st.st_uid != euid && st.st_uid != 0) {
      return Insecure(
          kind, absl::StrCat("gssx: the directory ", dir, " above the ",
                             What(kind), " is owned by uid ", st.st_uid,
                             ", not by uid ", euid, " (this process) or root"));
    }
    if ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0) {
      return Insecure(
          kind,
          absl::StrFormat("gssx: the directory %s above the %s has mode %04o: "
                          "writable by group or others and not sticky, so "
                          "they could replace the file",
                          dir, What(kind), st.st_mode & 07777));
    }
    if (dir == "/") return absl::OkStatus();
    const size_t slash = dir.rfind('/');
    if (slash == std::string::npos) {
      return Insecure(kind, absl::StrCat("gssx: ", dir, " is not absolute"));
    }
    dir = slash == 0 ? std::string("/") : dir.substr(0, slash);
  }
}

}  // namespace

absl::Status CheckKeyFileDirectory(const std::string& dir, KeyFileKind kind) {
  char* resolved = ::realpath(dir.c_str(), nullptr);
  if (resolved == nullptr) {
    const int e = errno;
    return Insecure(kind, absl::StrCat("gssx: cannot check the directory ",
                                       dir, " of the ", What(kind), ": ",
                                       std::strerror(e)));
  }
  std::string path(resolved);
  std::free(resolved);
  return CheckDirectories(std::move(path), kind);
}

absl::Status CheckKeyFile(int fd, const std::string& path, KeyFileKind kind) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return OsError(errno, "fstat");
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorKind::kNoCred, UnreadableMinor(kind),
                     absl::StrCat("gssx: the ", What(kind), " ", path,
                                  " is not a regular file"));
  }
  const uid_t euid = ::geteuid();
  if (st.st_uid != euid && st.st_uid != 0) {
    return Insecure(
        kind, absl::StrCat("gssx: the ", What(kind), " ", path,
                           " is owned by uid ", st.st_uid, ", not by uid ",
                           euid, " (this process) or root; refusing to trust "
                           "a file another user controls"));
  }
  if (kind == KeyFileKind::kKeytab && (st.st_mode & 077) != 0) {
    return Insecure(
        kind, absl::StrFormat("gssx: the keytab %s has mode %04o; it must not "
                              "be accessible by group or others (chmod 600)",
                              path, st.st_mode & 0777));
  }
  if (kind == KeyFileKind::kTrust && (st.st_mode & 022) != 0) {
    return Insecure(
        kind, absl::StrFormat("gssx: the trust file %s has mode %04o; it must "
                              "not be writable by group or others",
                              path, st.st_mode & 0777));
  }
  std::string where = PathOfFd(fd, path);
  if (where.empty()) {
    return Insecure(kind, absl::StrCat("gssx: cannot tell which directory the ",
                                       What(kind), " ", path, " is in"));
  }
  const size_t slash = where.rfind('/');
  where = slash == 0 ? std::string("/") : where.substr(0, slash);
  return CheckDirectories(std::move(where), kind);
}

absl::StatusOr<SecretBuffer> ReadKeyFileFd(int fd, const std::string& path,
                                           KeyFileKind kind) {
  if (absl::Status s = CheckKeyFile(fd, path, kind); !s.ok()) return s;
  struct stat st;
  if (::fstat(fd, &st) != 0) return OsError(errno, "fstat");
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > kMaxKeyFileSize) {
    return MakeError(ErrorKind::kDefectiveCredential,
                     kind == KeyFileKind::kKeytab ? Minor::kKeytabMalformed
                                                  : Minor::kTrustMalformed,
                     absl::StrCat("gssx: the ", What(kind), " is over ",
                                  kMaxKeyFileSize, " bytes"));
  }
  // One spare byte notices a file that grew while we read it.
  absl::StatusOr<SecretBuffer> buffer =
      SecretBuffer::Create(static_cast<size_t>(st.st_size) + 1);
  if (!buffer.ok()) return ToGssxStatus(buffer.status());
  size_t got = 0;
  while (got < buffer->size()) {
    const ssize_t n = ::pread(fd, buffer->data() + got, buffer->size() - got,
                              static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return OsError(errno, "pread");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > static_cast<size_t>(st.st_size)) {
    return MakeError(ErrorKind::kNoCred, UnreadableMinor(kind),
                     absl::StrCat("gssx: the ", What(kind),
                                  " changed while being read"));
  }
  buffer->Truncate(got);
  return buffer;
}

absl::StatusOr<SecretBuffer> ReadKeyFile(const std::string& path,
                                         KeyFileKind kind) {
  transport::UniqueFd fd(
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    const int e = errno;
    return MakeError(ErrorKind::kNoCred, UnreadableMinor(kind),
                     absl::StrCat("gssx: cannot open the ", What(kind), " ",
                                  path, ": ", std::strerror(e)));
  }
  return ReadKeyFileFd(fd.get(), path, kind);
}

absl::Status ForEachKeyLine(
    absl::string_view text, Minor malformed,
    const std::function<absl::Status(const KeyLine&)>& fn) {
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t eol = text.find('\n');
    absl::string_view line = text.substr(0, eol);
    text = eol == absl::string_view::npos ? absl::string_view()
                                          : text.substr(eol + 1);
    // Fields separated by blanks.
    absl::string_view fields[3];
    size_t count = 0;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && IsBlank(line[i])) ++i;
      if (i == line.size()) break;
      size_t j = i;
      while (j < line.size() && !IsBlank(line[j])) ++j;
      if (count < 3) fields[count] = line.substr(i, j - i);
      ++count;
      i = j;
    }
    if (count == 0 || fields[0][0] == '#') continue;
    if (count != 2 || !IsValidIdentity(fields[0])) {
      return MakeError(ErrorKind::kDefectiveCredential, malformed,
                       absl::StrCat("gssx: line ", line_number,
                                    " is not \"<name> <base64 key>\""));
    }
    KeyLine entry;
    entry.line_number = line_number;
    entry.identity = fields[0];
    entry.key_base64 = fields[1];
    if (absl::Status s = fn(entry); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool DecodeKey(absl::string_view base64, absl::Span<uint8_t> out) {
  if (out.size() != kKeyBytes || base64.size() != kBase64Len) return false;
  size_t bin_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), base64.data(), base64.size(),
                        nullptr, &bin_len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      bin_len != kKeyBytes || end != base64.data() + base64.size()) {
    sodium_memzero(out.data(), out.size());
    return false;
  }
  return true;
}

absl::StatusOr<SecretBuffer> FormatKeyLine(absl::string_view identity,
                                           absl::Span<const uint8_t> key) {
  if (key.size() != kKeyBytes || !IsValidIdentity(identity)) {
    return MakeError(ErrorKind::kFailure, Minor::kBadArgument,
                     "gssx: FormatKeyLine: bad identity or key size");
  }
  // identity, ' ', base64 (+ NUL written by libsodium), '\n'
  absl::StatusOr<SecretBuffer> line =
      SecretBuffer::Create(identity.size() + 1 + kBase64Len + 1 + 1);
  if (!line.ok()) return ToGssxStatus(line.status());
  uint8_t* p = line->data();
  std::memcpy(p, identity.data(), identity.size());
  p += identity.size();
  *p++ = ' ';
  sodium_bin2base64(reinterpret_cast<char*>(p), kBase64Len + 1, key.data(),
                    key.size(), sodium_base64_VARIANT_ORIGINAL);
  p += kBase64Len;
  *p = '\n';  // overwrites the NUL
  line->Truncate(identity.size() + 1 + kBase64Len + 1);
  return line;
}

}  // namespace gssx::internal
