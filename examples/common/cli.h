// SPDX-License-Identifier: Apache-2.0
// Command lines of the example binaries: Abseil flags, with a --help that
// exits 0 (Abseil's own exits 1).
//
//   int main(int argc, char** argv) {
//     absl::SetProgramUsageMessage("prefork_server: ... \nUsage: ...");
//     gssx::examples::ParseCommandLine(argc, argv);
//     ...
//   }
#ifndef GSSX_EXAMPLES_CLI_H_
#define GSSX_EXAMPLES_CLI_H_

#include <vector>

namespace gssx::examples {

// If argv has --help or -h (before a "--"), prints the program usage
// message and the program's own flags (not Abseil's) on stdout and exits 0
// without doing anything else. Otherwise parses the flags as
// absl::ParseCommandLine does (an unknown flag: message, exit 1) and
// returns the remaining arguments (argv[0] first).
std::vector<char*> ParseCommandLine(int argc, char** argv);

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_CLI_H_
