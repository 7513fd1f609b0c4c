// The gssx command-line tool.
//
//   gssx keygen --name NAME --keytab FILE [--trust FILE]
//
// Generates an X25519 identity NAME, appends "NAME <base64 private key>" to
// the keytab FILE (created with mode 0600; an existing one must not be
// accessible by group or others), appends "NAME <base64 public key>" to the
// trust FILE when given, and prints that trust line on stdout so it can be
// added to the peers' trust files. Exit status: 0 done, 1 failed (the reason
// on stderr), 2 usage error. See gssx/keygen.h.
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gssx/keygen.h"

namespace {

constexpr char kUsage[] =
    "usage: gssx keygen --name NAME --keytab FILE [--trust FILE]\n"
    "\n"
    "  Generates an X25519 identity NAME (e.g. alice, or http@host for a\n"
    "  host-based service), appends its private key to the keytab FILE\n"
    "  (mode 0600) and its public key to the trust FILE if given, and\n"
    "  prints the trust line (NAME BASE64-PUBLIC-KEY) on stdout.\n";

int Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "gssx: %s\n", error);
  std::fputs(kUsage, stderr);
  return 2;
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
      if (missing) return Usage("a flag needs a value");
      continue;
    }
    if (std::strcmp(argv[i], "--help") == 0) return Usage(nullptr);
    return Usage((std::string("unknown argument: ") + argv[i]).c_str());
  }
  if (name.empty() || keytab.empty()) {
    return Usage("keygen needs --name and --keytab");
  }
  absl::StatusOr<gssx::KeygenResult> result =
      gssx::Keygen(name, keytab, trust);
  if (!result.ok()) {
    std::fprintf(stderr, "gssx keygen: %s\n",
                 std::string(result.status().message()).c_str());
    return 1;
  }
  std::fputs(result->trust_line.c_str(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(nullptr);
  if (std::strcmp(argv[1], "keygen") == 0) return Keygen(argc, argv);
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  return Usage((std::string("unknown command: ") + argv[1]).c_str());
}
