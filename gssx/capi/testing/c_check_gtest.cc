// SPDX-License-Identifier: Apache-2.0
#include "gssx/capi/testing/c_check_gtest.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "testing/c_check/gss_status_text.h"
#include "gssx/capi/internal/common.h"
#include "gssx/clock.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/keygen.h"
#include "gssx/name.h"
#include "gssx/testing/test_peers.h"

namespace {

using ::gssx::testing::GssStatusText;
using ::gssx::testing::GssMajorText;

// The two halves of an established context pair, made with the C++ API
// from the test identities. `clock` may be null.
gss_ctx_id_t MakeInitiatorContext(const gssx::Clock* clock,
                                  absl::Duration lifetime, bool transferable) {
  if (gssx_c_use_test_identities() != 0) return GSS_C_NO_CONTEXT;
  absl::StatusOr<gssx::Credentials> cred =
      gssx::Credentials::Acquire(gssx::AcquireOptions{});
  if (!cred.ok()) return GSS_C_NO_CONTEXT;
  gssx::InitOptions init;
  absl::StatusOr<gssx::Name> target =
      gssx::Name::Import(GSSX_C_SERVICE, gssx::NameType::kHostBasedService);
  if (!target.ok()) return GSS_C_NO_CONTEXT;
  init.target = *target;
  init.lifetime = lifetime;
  init.transferable = transferable;
  init.clock = clock;
  gssx::AcceptOptions accept;
  accept.clock = clock;
  absl::StatusOr<gssx::testing::ContextPair> pair =
      gssx::testing::Establish(*cred, *cred, init, accept);
  if (!pair.ok()) return GSS_C_NO_CONTEXT;
  return gssx::capi::internal::NewContextHandle(std::move(pair->initiator));
}

}  // namespace

extern "C" {

void gssx_c_check_major_failed(const char* file, int line, const char* call,
                               OM_uint32 actual, OM_uint32 expected,
                               OM_uint32 minor) {
  ADD_FAILURE_AT(file, line)
      << call << "\n  returned " << GssMajorText(actual) << "\n  expected "
      << GssMajorText(expected) << "\n  minor " << minor << " ("
      << GssStatusText(minor, GSS_C_MECH_CODE) << ")";
}

int gssx_c_use_test_identities(void) {
  static int result = -1;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string dir = tmp != nullptr ? tmp : "/tmp";
    const std::string keytab = absl::StrCat(dir, "/capi_test.keytab");
    const std::string trust = absl::StrCat(dir, "/capi_test.trust");
    ::unlink(keytab.c_str());
    ::unlink(trust.c_str());
    if (!gssx::Keygen(GSSX_C_CLIENT, keytab, trust).ok()) return;
    if (!gssx::Keygen(GSSX_C_SERVER, keytab, trust).ok()) return;
    if (::setenv("GSSX_KEYTAB", keytab.c_str(), 1) != 0) return;
    if (::setenv("GSSX_TRUST", trust.c_str(), 1) != 0) return;
    result = 0;
  });
  return result;
}

gss_ctx_id_t gssx_c_make_expired_context(void) {
  // Lives as long as the process: the context keeps a pointer to it.
  static gssx::ManualClock* const clock = new gssx::ManualClock;
  gss_ctx_id_t ctx =
      MakeInitiatorContext(clock, absl::Minutes(1), /*transferable=*/true);
  clock->Advance(absl::Minutes(2));
  return ctx;
}

gss_ctx_id_t gssx_c_make_untransferable_context(void) {
  return MakeInitiatorContext(nullptr, absl::ZeroDuration(),
                              /*transferable=*/false);
}

}  // extern "C"
