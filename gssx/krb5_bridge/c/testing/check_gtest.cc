// SPDX-License-Identifier: Apache-2.0
// The C++ side of libgssx-handoff's C tests: gtest reporting, the test
// realm, forked children. testonly.
#include "gssx/krb5_bridge/c/testing/check.h"

#include <gssx/handoff.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/fd_leak.h"
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

std::vector<std::unique_ptr<gssx::testing::ForkedChild>>& Children() {
  static auto* const children =
      new std::vector<std::unique_ptr<gssx::testing::ForkedChild>>;
  return *children;
}

gssx::testing::ForkedChild* Child(int id) {
  if (id < 0 || static_cast<size_t>(id) >= Children().size()) return nullptr;
  return Children()[id].get();
}

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

// Kills the children a test left behind.
class ChildReaper : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo&) override { Children().clear(); }
};

[[maybe_unused]] const bool kRegistered = [] {
  ::testing::AddGlobalTestEnvironment(new RealmEnvironment);
  ::testing::UnitTest::GetInstance()->listeners().Append(new ChildReaper);
  return true;
}();

}  // namespace

extern "C" {

void hc_check_failed(const char* file, int line, const char* message) {
  ADD_FAILURE_AT(file, line) << "check failed: " << message;
}

void hc_check_major_failed(const char* file, int line, const char* call,
                           OM_uint32 actual, OM_uint32 expected,
                           OM_uint32 minor) {
  ADD_FAILURE_AT(file, line)
      << call << "\n  returned " << Major(actual) << "\n  expected "
      << Major(expected) << "\n  minor " << Minor(minor);
}

void hc_check_u64_failed(const char* file, int line, const char* expr,
                         unsigned long long actual,
                         unsigned long long expected) {
  ADD_FAILURE_AT(file, line)
      << expr << " is " << actual << ", expected " << expected;
}

const char* hc_service(void) {
  return g_service != nullptr ? g_service->c_str() : nullptr;
}

int hc_start_child(int (*body)(void*), void* arg) {
  absl::StatusOr<gssx::testing::ForkedChild> child =
      gssx::testing::ForkedChild::Start([body, arg] {
        ::alarm(60);  // never outlives a forgotten wait by long
        return body(arg);
      });
  if (!child.ok()) return -1;
  Children().push_back(
      std::make_unique<gssx::testing::ForkedChild>(*std::move(child)));
  return static_cast<int>(Children().size() - 1);
}

int hc_wait_child(int id, int timeout_seconds) {
  gssx::testing::ForkedChild* child = Child(id);
  if (child == nullptr) return -1;
  absl::StatusOr<int> code = child->Wait(absl::Seconds(timeout_seconds));
  return code.ok() ? *code : -1;
}

int hc_kill_child(int id) {
  gssx::testing::ForkedChild* child = Child(id);
  if (child == nullptr) return -1;
  absl::StatusOr<int> code = child->Kill();
  return code.ok() ? *code : -1;
}

pid_t hc_child_pid(int id) {
  gssx::testing::ForkedChild* child = Child(id);
  return child == nullptr ? -1 : child->pid();
}

int hc_count_open_fds(void) { return gssx::testing::CountOpenFds(); }

}  // extern "C"
