// SPDX-License-Identifier: Apache-2.0
// The gssx command-line tool.
//
//   gssx keygen --name NAME --keytab FILE [--trust FILE]
//   gssx --help | gssx keygen --help | gssx --version
//
// Generates an X25519 identity NAME, appends "NAME <base64 private key>" to
// the keytab FILE (created with mode 0600; an existing one must not be
// accessible by group or others), appends "NAME <base64 public key>" to the
// trust FILE when given, and prints that trust line on stdout so it can be
// added to the peers' trust files; on stderr it says which file got which
// key. Missing parent directories of both files are created with mode 0700.
// Exit status: 0 done (and for --help, --version), 1 failed (the reason on
// stderr), 2 usage error. See gssx/keygen.h.
#include <gssx/gssx.h>  // GSSX_VERSION_STRING
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gssx/keygen.h"

namespace {

constexpr char kKeygenUsage[] =
    "usage: gssx keygen --name NAME --keytab FILE [--trust FILE]\n"
    "\n"
    "  Generates an X25519 identity NAME (e.g. alice, or http@host for a\n"
    "  host-based service), appends its private key to the keytab FILE\n"
    "  (mode 0600) and its public key to the trust FILE if given, and\n"
    "  prints the trust line (NAME BASE64-PUBLIC-KEY) on stdout. Missing\n"
    "  parent directories are created with mode 0700. Programs find the\n"
    "  files through GSSX_KEYTAB and GSSX_TRUST.\n";

constexpr char kUsage[] =
    "usage: gssx COMMAND [ARGS]\n"
    "       gssx --help | --version\n"
    "\n"
    "gssx " GSSX_VERSION_STRING
    ": hand live GSS-API security contexts between processes.\n"
    "\n"
    "commands:\n"
    "  keygen   make an identity: a keytab entry and a trust line\n"
    "           (gssx keygen --help)\n";

int Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "gssx: %s\n", error);
  std::fputs(kUsage, stderr);
  return 2;
}

int KeygenUsage(const char* error) {
  std::fprintf(stderr, "gssx keygen: %s\n", error);
  std::fputs(kKeygenUsage, stderr);
  return 2;
}

// Creates the missing directories above `path` (not `path` itself) with
// mode 0700, whatever the umask; existing ones are left as they are.
// Reports each directory it made on stderr. False (with the reason on
// stderr) if one cannot be made or a component is not a directory.
bool MakeParentDirectories(const std::string& path) {
  std::vector<std::string> missing;
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos
                                       ? 0
                                       : path.find_last_of('/'));
  while (!dir.empty()) {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) break;
      std::fprintf(stderr, "gssx keygen: %s is not a directory\n",
                   dir.c_str());
      return false;
    }
    // ENOTDIR: a component above is not a directory; the walk up finds it.
    if (errno != ENOENT && errno != ENOTDIR) {
      std::fprintf(stderr, "gssx keygen: cannot use the directory %s: %s\n",
                   dir.c_str(), std::strerror(errno));
      return false;
    }
    missing.push_back(dir);
    const size_t slash = dir.find_last_of('/');
    dir.resize(slash == std::string::npos ? 0 : slash);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      std::fprintf(stderr, "gssx keygen: cannot create the directory %s: %s\n",
                   it->c_str(), std::strerror(errno));
      return false;
    }
    if (::chmod(it->c_str(), 0700) != 0) {
      std::fprintf(stderr, "gssx keygen: cannot set mode 0700 on %s: %s\n",
                   it->c_str(), std::strerror(errno));
      return false;
    }
    std::fprintf(stderr, "gssx keygen: created the directory %s (mode 0700)\n",
                 it->c_str());
  }
  return true;
}

// Says on stderr which file got which key.
void ReportKeygen(const std::string& name, const std::string& keytab,
                  const std::string& trust) {
  std::fprintf(stderr, "gssx keygen: private key of %s appended to the keytab %s\n",
               name.c_str(), keytab.c_str());
  if (!trust.empty()) {
    std::fprintf(stderr,
                 "gssx keygen: public key of %s appended to the trust file %s\n",
                 name.c_str(), trust.c_str());
  }
  std::fprintf(stderr,
               "gssx keygen: the trust line on stdout goes into the trust "
               "file of every peer that must recognize %s\n",
               name.c_str());
}

// Reads "--flag VALUE" or "--flag=VALUE" at argv[*i]; true if it matched.
bool FlagValue(int argc, char** argv, int* i, absl::string_view flag,
               std::string* value, bool* missing) {
  absl::string_view arg = argv[*i];
  if (arg == flag) {
    if (*i + 1 >= argc) {
      *missing = true;
      return true;
    }
    *value = argv[++*i];
    return true;
  }
  if (absl::StartsWith(arg, flag) && arg.size() > flag.size() &&
      arg[flag.size()] == '=') {
    *value = std::string(arg.substr(flag.size() + 1));
    return true;
  }
  return false;
}

int Keygen(int argc, char** argv) {
  std::string name, keytab, trust;
  for (int i = 2; i < argc; ++i) {
    bool missing = false;
    if (FlagValue(argc, argv, &i, "--name", &name, &missing) ||
        FlagValue(argc, argv, &i, "--keytab", &keytab, &missing) ||
        FlagValue(argc, argv, &i, "--trust", &trust, &missing)) {
      if (missing) return KeygenUsage("a flag needs a value");
      continue;
    }
    if (std::strcmp(argv[i], "--help") == 0) {
      std::fputs(kKeygenUsage, stdout);
      return std::fflush(stdout) == 0 ? 0 : 1;
    }
    return KeygenUsage((std::string("unknown argument: ") + argv[i]).c_str());
  }
  if (name.empty() || keytab.empty()) {
    return KeygenUsage("keygen needs --name and --keytab");
  }
  if (!MakeParentDirectories(keytab) ||
      (!trust.empty() && !MakeParentDirectories(trust))) {
    return 1;
  }
  absl::StatusOr<gssx::KeygenResult> result =
      gssx::Keygen(name, keytab, trust);
  if (!result.ok()) {
    std::fprintf(stderr, "gssx keygen: %s\n",
                 std::string(result.status().message()).c_str());
    return 1;
  }
  ReportKeygen(result->name, keytab, trust);
  std::fputs(result->trust_line.c_str(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(nullptr);
  if (std::strcmp(argv[1], "keygen") == 0) return Keygen(argc, argv);
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::fputs(kUsage, stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::fputs("gssx " GSSX_VERSION_STRING "\n", stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  return Usage((std::string("unknown command: ") + argv[1]).c_str());
}
