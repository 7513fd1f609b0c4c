// SPDX-License-Identifier: Apache-2.0
// The text formats of keytabs and trust files, and reading them safely.
// Internal: the public API is gssx/credentials.h and gssx/keygen.h.
//
// Both files are UTF-8/ASCII text, one entry per line:
//   # comment lines and blank lines are ignored
//   <identity> <base64 of 32 bytes>
// separated by spaces or tabs; the key is standard base64 with padding
// (44 characters). A keytab's key is an X25519 private key; a trust file's
// is an X25519 public key. Identities follow internal/identity.h.
#ifndef GSSX_INTERNAL_KEY_FILES_H_
#define GSSX_INTERNAL_KEY_FILES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gssx/status.h"
#include "transport/base/secret_buffer.h"

namespace gssx::internal {

// Largest keytab or trust file read (about 3,000 entries).
inline constexpr size_t kMaxKeyFileSize = 1 << 20;
inline constexpr size_t kKeyBytes = 32;

enum class KeyFileKind {
  kKeytab,  // refused if group- or world-accessible (mode & 077)
  kTrust,   // refused if group- or world-writable (mode & 022)
};

// Checks an open key file before anything in it is believed:
//  - a regular file (kNoCred / k*Unreadable otherwise);
//  - owned by this process's effective uid or by root;
//  - a keytab not accessible by group or others (mode & 077), a trust file
//    not writable by them (mode & 022);
//  - every directory above it, up to "/", owned by the effective uid or
//    root, and not writable by group or others unless it is sticky (like
//    /tmp: then only the owner of an entry can rename or remove it, and
//    the entry below it is checked to be ours or root's). The path checked
//    is where the open file really is (/proc/self/fd), else `path` made
//    absolute with realpath.
// Failures are kNoCred with kKeytabInsecure / kTrustInsecure, and the
// message names the file or directory and the reason.
absl::Status CheckKeyFile(int fd, const std::string& path, KeyFileKind kind);

// The directory part of the check above alone, for `dir` (made absolute
// with realpath): what keygen checks before it creates a file there.
absl::Status CheckKeyFileDirectory(const std::string& dir, KeyFileKind kind);

// Reads all of the open file `fd` (opened from `path`) from offset 0
// (pread) into locked memory, after CheckKeyFile. kDefectiveCredential if
// over kMaxKeyFileSize.
absl::StatusOr<transport::SecretBuffer> ReadKeyFileFd(int fd,
                                                      const std::string& path,
                                                      KeyFileKind kind);
// Opens `path` read-only (close-on-exec) and reads it as above. kNoCred /
// k*Unreadable if it cannot be opened.
absl::StatusOr<transport::SecretBuffer> ReadKeyFile(const std::string& path,
                                                    KeyFileKind kind);

struct KeyLine {
  size_t line_number = 0;  // 1-based
  absl::string_view identity;
  absl::string_view key_base64;
};

// Calls `fn` for each entry of `text`, in order; stops at the first non-OK
// status and returns it. A malformed line (not two fields, invalid
// identity) is kDefectiveCredential with `malformed` as minor; error
// messages name the line number, never its contents.
absl::Status ForEachKeyLine(absl::string_view text, Minor malformed,
                            const std::function<absl::Status(const KeyLine&)>& fn);

// Decodes a base64 key into `out` (kKeyBytes). False unless it is exactly
// that many bytes of valid padded base64.
bool DecodeKey(absl::string_view base64, absl::Span<uint8_t> out);

// "<identity> <base64(key)>\n" in locked memory (for keytab lines).
absl::StatusOr<transport::SecretBuffer> FormatKeyLine(
    absl::string_view identity, absl::Span<const uint8_t> key);

}  // namespace gssx::internal

#endif  // GSSX_INTERNAL_KEY_FILES_H_
