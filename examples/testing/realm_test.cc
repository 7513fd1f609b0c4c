// SPDX-License-Identifier: Apache-2.0
#include "examples/testing/realm_test.h"

#include <utility>

namespace gssx::examples::testing {

::gssx::testing::TestRealm* RealmTest::realm_ = nullptr;

void RealmTest::SetUpTestSuite() {
  absl::StatusOr<std::unique_ptr<::gssx::testing::TestRealm>> realm =
      ::gssx::testing::TestRealm::Create();
  ASSERT_TRUE(realm.ok()) << realm.status();
  realm_ = realm->release();
}

void RealmTest::TearDownTestSuite() {
  delete realm_;
  realm_ = nullptr;
}

void RealmTest::SetUp() { ASSERT_NE(realm_, nullptr) << "no test realm"; }

std::unique_ptr<ServerProcess> RealmTest::StartServer(const std::string& binary,
                                                      std::vector<std::string> args) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> s =
      ServerProcess::Start(RunfilesPath("examples/" + binary), std::move(args));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

}  // namespace gssx::examples::testing
