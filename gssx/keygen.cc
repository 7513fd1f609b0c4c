// SPDX-License-Identifier: Apache-2.0
#include "gssx/keygen.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gssx/internal/identity.h"
#include "gssx/internal/key_files.h"
#include "gssx/status.h"
#include "transport/base/unique_fd.h"

namespace gssx {
namespace {

using internal::KeyFileKind;
using transport::SecretBuffer;
using transport::UniqueFd;

// An open, locked key file and what it held.
struct LockedFile {
  UniqueFd fd;
  SecretBuffer contents;
};

absl::StatusOr<LockedFile> OpenLocked(const std::string& path,
                                      KeyFileKind kind) {
  const mode_t mode = kind == KeyFileKind::kKeytab ? 0600 : 0644;
  const int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
  LockedFile file;
  // Before creating anything: the directory must be one that only we (or
  // root) can change, else someone else could swap the file under us.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string(".")
                          : slash == 0               ? std::string("/")
                                                     : path.substr(0, slash);
  if (absl::Status s = internal::CheckKeyFileDirectory(dir, kind); !s.ok()) {
    return s;
  }
  bool created = true;
  int fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL, mode);
  int e = errno;
  if (fd < 0 && e == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), flags);
    e = errno;
  }
  file.fd.Reset(fd);
  if (!file.fd.valid()) {
    return MakeError(ErrorKind::kNoCred,
                     kind == KeyFileKind::kKeytab ? Minor::kKeytabUnreadable
                                                  : Minor::kTrustUnreadable,
                     absl::StrCat("gssx: cannot open ", path, ": ",
                                  std::strerror(e)));
  }
  // Exactly `mode` for a file we made, whatever the umask.
  if (created && ::fchmod(file.fd.get(), mode) != 0) {
    return OsError(errno, "fchmod");
  }
  int r;
  do {
    r = ::flock(file.fd.get(), LOCK_EX);
  } while (r != 0 && errno == EINTR);
  if (r != 0) return OsError(errno, "flock");
  absl::StatusOr<SecretBuffer> contents =
      internal::ReadKeyFileFd(file.fd.get(), path, kind);
  if (!contents.ok()) return contents.status();
  file.contents = *std::move(contents);
  return file;
}

absl::Status WriteAll(int fd, absl::Span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return OsError(errno, "write");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Appends `line` (ending in '\n'), after a '\n' if the file lacks a final
// one, and syncs.
absl::Status Append(const LockedFile& file, absl::Span<const uint8_t> line) {
  const SecretBuffer& c = file.contents;
  if (!c.empty() && c.data()[c.size() - 1] != '\n') {
    static constexpr uint8_t kNewline = '\n';
    if (absl::Status s = WriteAll(file.fd.get(), {&kNewline, 1}); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = WriteAll(file.fd.get(), line); !s.ok()) return s;
  if (::fsync(file.fd.get()) != 0) return OsError(errno, "fsync");
  return absl::OkStatus();
}

absl::Status Duplicate(absl::string_view name, absl::string_view path) {
  return MakeError(ErrorKind::kDuplicateElement, Minor::kDuplicateIdentity,
                   absl::StrCat("gssx: ", path, " already has ", name));
}

}  // namespace

absl::StatusOr<KeygenResult> Keygen(absl::string_view name,
                                    const std::string& keytab_path,
                                    const std::string& trust_path) {
  if (!internal::IsValidIdentity(name)) {
    return MakeError(ErrorKind::kBadName, Minor::kNameMalformed,
                     "gssx: names are 1-256 bytes without spaces or control "
                     "characters, not starting with '#'");
  }
  absl::StatusOr<LockedFile> keytab_file =
      OpenLocked(keytab_path, KeyFileKind::kKeytab);
  if (!keytab_file.ok()) return keytab_file.status();
  absl::StatusOr<Keytab> keytab = Keytab::Parse(keytab_file->contents.span());
  if (!keytab.ok()) return keytab.status();
  if (keytab->Find(name) != nullptr) return Duplicate(name, keytab_path);

  std::optional<LockedFile> trust_file;
  if (!trust_path.empty()) {
    absl::StatusOr<LockedFile> opened =
        OpenLocked(trust_path, KeyFileKind::kTrust);
    if (!opened.ok()) return opened.status();
    absl::StatusOr<TrustStore> trust = TrustStore::Parse(absl::string_view(
        reinterpret_cast<const char*>(opened->contents.data()),
        opened->contents.size()));
    if (!trust.ok()) return trust.status();
    if (trust->Find(name).has_value()) return Duplicate(name, trust_path);
    trust_file = *std::move(opened);
  }

  absl::StatusOr<noise::KeyPair> pair = noise::KeyPair::Generate();
  if (!pair.ok()) return ToGssxStatus(pair.status());
  absl::StatusOr<SecretBuffer> line =
      internal::FormatKeyLine(name, pair->private_key());
  if (!line.ok()) return line.status();

  KeygenResult result;
  result.name = std::string(name);
  std::memcpy(result.public_key.data(), pair->public_key().data(),
              result.public_key.size());
  TrustStore one;
  if (absl::Status s = one.Add(name, result.public_key); !s.ok()) return s;
  result.trust_line = one.Serialize();

  if (absl::Status s = Append(*keytab_file, line->span()); !s.ok()) return s;
  if (trust_file.has_value()) {
    const absl::Span<const uint8_t> trust_line(
        reinterpret_cast<const uint8_t*>(result.trust_line.data()),
        result.trust_line.size());
    if (absl::Status s = Append(*trust_file, trust_line); !s.ok()) return s;
  }
  return result;
}

}  // namespace gssx
