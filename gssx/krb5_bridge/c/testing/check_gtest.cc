// SPDX-License-Identifier: Apache-2.0
// The C++ side of libgssx-handoff's C tests: status reports and the test
// realm (the rest is testing/c_check). testonly.
#include "gssx/krb5_bridge/c/testing/check.h"

#include <gssx/handoff.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/krb5/test_kdc.h"

namespace {

std::string DescribeMit(OM_uint32 status, int type) {
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
  return absl::StrCat(hex, " (", DescribeMit(major, GSS_C_GSS_CODE), ")");
}

std::string Minor(OM_uint32 minor) {
  if (minor >= GSSX_HANDOFF_MINOR_BASE && minor < GSSX_HANDOFF_MINOR_BASE + 256) {
    return absl::StrCat("gssx-handoff ", minor - GSSX_HANDOFF_MINOR_BASE, ": ",
                        gssx_handoff_strerror(minor));
  }
  return absl::StrCat(minor, " (", DescribeMit(minor, GSS_C_MECH_CODE), ")");
}

gssx::testing::TestRealm* g_realm = nullptr;
std::string* g_service = nullptr;

// Starts the realm once, before any test (from the main thread).
class RealmEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<gssx::testing::TestRealm>> realm =
        gssx::testing::TestRealm::Create();
    ASSERT_TRUE(realm.ok()) << realm.status();
    g_realm = realm->release();
    g_service = new std::string(g_realm->service());
  }
  void TearDown() override {
    delete g_realm;
    g_realm = nullptr;
  }
};

[[maybe_unused]] const bool kRegistered = [] {
  ::testing::AddGlobalTestEnvironment(new RealmEnvironment);
  return true;
}();

}  // namespace

extern "C" {

void hc_check_major_failed(const char* file, int line, const char* call,
                           OM_uint32 actual, OM_uint32 expected,
                           OM_uint32 minor) {
  ADD_FAILURE_AT(file, line)
      << call << "\n  returned " << Major(actual) << "\n  expected "
      << Major(expected) << "\n  minor " << Minor(minor);
}

const char* hc_service(void) {
  return g_service != nullptr ? g_service->c_str() : nullptr;
}

}  // extern "C"
