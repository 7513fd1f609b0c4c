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
#include "gssx/capi/internal/common.h"
#include "gssx/clock.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/keygen.h"
#include "gssx/name.h"

namespace {

std::string Describe(OM_uint32 status, int type) {
  std::string out;
  OM_uint32 minor = 0;
  OM_uint32 context = 0;
  do {
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    if (gss_display_status(&minor, status, type, GSS_C_NO_OID, &context,
                           &text) != GSS_S_COMPLETE) {
      absl::StrAppend(&out, "(undisplayable)");
      break;
    }
    if (!out.empty()) absl::StrAppend(&out, "; ");
    absl::StrAppend(&out, std::string(static_cast<char*>(text.value),
                                      text.length));
    gss_release_buffer(&minor, &text);
  } while (context != 0);
  return out;
}

std::string Major(OM_uint32 major) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", major);
  return absl::StrCat(hex, " (", Describe(major, GSS_C_GSS_CODE), ")");
}

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
  absl::StatusOr<gssx::HandshakeStep> first =
      gssx::Context::Initiate(*cred, init);
  if (!first.ok()) return GSS_C_NO_CONTEXT;
  gssx::AcceptOptions accept;
  accept.clock = clock;
  absl::StatusOr<gssx::HandshakeStep> reply =
      gssx::Context::Accept(*cred, first->output_token, accept);
  if (!reply.ok()) return GSS_C_NO_CONTEXT;
  if (!first->context.Continue(reply->output_token).ok()) {
    return GSS_C_NO_CONTEXT;
  }
  return gssx::capi_internal::NewContextHandle(std::move(first->context));
}

}  // namespace

extern "C" {

void gssx_c_check_major_failed(const char* file, int line, const char* call,
                               OM_uint32 actual, OM_uint32 expected,
                               OM_uint32 minor) {
  ADD_FAILURE_AT(file, line)
      << call << "\n  returned " << Major(actual) << "\n  expected "
      << Major(expected) << "\n  minor " << minor << " ("
      << Describe(minor, GSS_C_MECH_CODE) << ")";
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
