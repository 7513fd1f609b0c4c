// SPDX-License-Identifier: Apache-2.0
// For key_file_security_test: installed setuid root and run by another
// user, with GSSX_KEYTAB pointing somewhere. Prints what
// Credentials::Acquire (no explicit path) made of it. Exit 0: the variable
// was ignored (kNoKeytab, as in a setuid program it must be); 1: it was
// used; 2: something else.
#include <cstdio>

#include "gssx/credentials.h"
#include "gssx/status.h"

int main() {
  gssx::AcquireOptions options;
  options.usage = gssx::CredentialUsage::kAccept;
  absl::StatusOr<gssx::Credentials> cred = gssx::Credentials::Acquire(options);
  std::printf("probe: %s\n", cred.status().ToString().c_str());
  if (cred.ok()) return 1;
  if (gssx::MinorOf(cred.status()) ==
      static_cast<uint32_t>(gssx::Minor::kNoKeytab)) {
    return 0;
  }
  return gssx::MinorOf(cred.status()) ==
                 static_cast<uint32_t>(gssx::Minor::kKeytabUnreadable)
             ? 1
             : 2;
}
