// SPDX-License-Identifier: Apache-2.0
#include "examples/common/cli.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace gssx::examples {
namespace {

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      return true;
    }
  }
  return false;
}

[[noreturn]] void PrintHelpAndExit() {
  std::string text(absl::ProgramUsageMessage());
  if (!text.empty() && text.back() != '\n') text += '\n';
  std::vector<std::pair<std::string, const absl::CommandLineFlag*>> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    // Abseil's own flags (--flagfile, --helpfull...) are not the program's.
    if (absl::StartsWith(flag->Filename(), "absl/") ||
        absl::StrContains(flag->Filename(), "/absl/")) {
      continue;
    }
    flags.emplace_back(std::string(name), flag);
  }
  absl::c_sort(flags, [](const auto& a, const auto& b) { return a.first < b.first; });
  if (!flags.empty()) text += "\nFlags:\n";
  for (const auto& [name, flag] : flags) {
    text += "  --" + name + "  " + flag->Help();
    const std::string def = flag->DefaultValue();
    if (!def.empty()) text += " (default: " + def + ")";
    text += "\n";
  }
  std::fputs(text.c_str(), stdout);
  std::exit(std::fflush(stdout) == 0 ? 0 : 1);
}

}  // namespace

std::vector<char*> ParseCommandLine(int argc, char** argv) {
  if (WantsHelp(argc, argv)) PrintHelpAndExit();
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace gssx::examples
