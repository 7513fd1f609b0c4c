// SPDX-License-Identifier: Apache-2.0
#include "examples/testdata/upgrade_fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace gssx::examples::testdata {

absl::StatusOr<UpgradeFault> ParseUpgradeFault(const std::string& text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  UpgradeFault f;
  if (t.empty() || t == "none") return f;
  if (t == "HELLO" || t == "LISTENERS" || t == "COMMIT") {
    f.type = std::string(t);
    return f;
  }
  if (absl::ConsumePrefix(&t, "SESSION:") && absl::SimpleAtoi(t, &f.index) &&
      f.index >= 1) {
    f.type = "SESSION";
    return f;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("GSSX_UPGRADE_FAULT: \"", text,
                   "\" is not HELLO, LISTENERS, SESSION:k or COMMIT"));
}

void InjectUpgradeFault(transport::UpgradeTargetOptions& options) {
  std::string text;
  if (const char* v = std::getenv("GSSX_UPGRADE_FAULT"); v != nullptr) {
    text = v;
  } else if (const char* file = std::getenv("GSSX_UPGRADE_FAULT_FILE");
             file != nullptr) {
    std::ifstream in(file);
    std::getline(in, text);
  }
  absl::StatusOr<UpgradeFault> fault = ParseUpgradeFault(text);
  if (!fault.ok()) {
    std::fprintf(stderr, "%s\n", std::string(fault.status().message()).c_str());
    ::_exit(2);
  }
  if (fault->type.empty()) return;
  auto seen = std::make_shared<int>(0);
  options.before_consume = [f = *fault, seen](const char* type) {
    if (f.type != type || ++*seen != f.index) return;
    const std::string line =
        f.type == "SESSION"
            ? absl::StrCat("upgrade fault: dying before SESSION ", f.index, "\n")
            : absl::StrCat("upgrade fault: dying before ", f.type, "\n");
    (void)!::write(2, line.data(), line.size());
    ::raise(SIGKILL);
  };
}

}  // namespace gssx::examples::testdata
