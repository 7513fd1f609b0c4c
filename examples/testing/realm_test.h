// SPDX-License-Identifier: Apache-2.0
// A gtest fixture for the MIT Kerberos examples' end-to-end tests: one
// throwaway realm with a real KDC (testing/krb5) shared by the suite's
// tests, and the example server binaries started in it.
//
//   class MyTest : public RealmTest {};
//   TEST_F(MyTest, X) {
//     std::unique_ptr<ServerProcess> s = StartServer("krb5_server", {...});
//     ... realm_->service() ...
//   }
#ifndef GSSX_EXAMPLES_TESTING_REALM_TEST_H_
#define GSSX_EXAMPLES_TESTING_REALM_TEST_H_

#include <memory>
#include <string>
#include <vector>

#include "examples/testing/server_process.h"
#include "gtest/gtest.h"
#include "testing/krb5/test_kdc.h"

namespace gssx::examples::testing {

class RealmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // Starts examples/<binary> with `args`; nullptr (and a test failure) if
  // it did not start.
  static std::unique_ptr<ServerProcess> StartServer(const std::string& binary,
                                                    std::vector<std::string> args);

  static ::gssx::testing::TestRealm* realm_;  // the suite's realm
};

}  // namespace gssx::examples::testing

#endif  // GSSX_EXAMPLES_TESTING_REALM_TEST_H_
