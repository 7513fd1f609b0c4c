// SPDX-License-Identifier: Apache-2.0
// Test-only fault injection for the example servers' live upgrade: linked
// only into testonly binaries (prefork_server_faulty), through
// `#ifdef GSSX_EXAMPLE_UPGRADE_FAULTS` in servers/live_upgrade.cc.
//
// The new master reads the fault point from the environment variable
// GSSX_UPGRADE_FAULT, or from the first line of the file named by
// GSSX_UPGRADE_FAULT_FILE (so a test can change it between upgrades of
// one running server):
//   HELLO | LISTENERS | SESSION:k (the k-th, 1-based) | COMMIT
// and dies by SIGKILL right before consuming that message (after it passed
// its checks: the old master's offer was good), after logging
// "upgrade fault: dying before <point>". Empty, missing or "none": no
// fault. Anything else: the process exits 2 at once (a typo must not pass
// for a fault that never fired).
#ifndef GSSX_EXAMPLES_TESTDATA_UPGRADE_FAULT_H_
#define GSSX_EXAMPLES_TESTDATA_UPGRADE_FAULT_H_

#include <string>

#include "absl/status/statusor.h"
#include "transport/upgrade.h"

namespace gssx::examples::testdata {

struct UpgradeFault {
  std::string type;  // "HELLO", "LISTENERS", "SESSION", "COMMIT"; "" none
  int index = 1;     // which message of that type (SESSION:k)
};

// Parses "HELLO", "SESSION:3", ... ("" and "none": no fault).
absl::StatusOr<UpgradeFault> ParseUpgradeFault(const std::string& text);

// Installs the configured fault into `options` (before_consume).
void InjectUpgradeFault(transport::UpgradeTargetOptions& options);

}  // namespace gssx::examples::testdata

#endif  // GSSX_EXAMPLES_TESTDATA_UPGRADE_FAULT_H_
