// SPDX-License-Identifier: Apache-2.0
// The MIT bridge and the MIT example programs must not link gssx's own
// mechanism or C ABI: both sides define gss_import_sec_context and the
// rest, and a program with both would call whichever the linker met first.
// Reads the dependency graph Bazel computed (genquery :mit_programs_deps).
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

std::vector<std::string> Labels() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  std::ifstream in(absl::StrCat(srcdir ? srcdir : ".", "/", ws ? ws : "gssx",
                                "/gssx/krb5_bridge/mit_programs_deps"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(SymbolSeparationTest, MitProgramsLinkMitAndTransportOnly) {
  std::vector<std::string> labels = Labels();
  ASSERT_FALSE(labels.empty()) << "genquery output missing";
  // What they must link: MIT's library and gssx's transport.
  EXPECT_THAT(labels, ::testing::Contains("//third_party/system:mit_gssapi"));
  EXPECT_THAT(labels, ::testing::Contains("//transport:transport"));
  EXPECT_THAT(labels, ::testing::Contains("//gssx/krb5_bridge:bridge"));
  // What they must not: gssx's mechanism, Noise core, C ABI.
  for (const std::string& label : labels) {
    EXPECT_FALSE(absl::StartsWith(label, "//gssx:")) << label;
    EXPECT_FALSE(absl::StartsWith(label, "//gssx/capi")) << label;
    EXPECT_FALSE(absl::StartsWith(label, "//gssx/noise")) << label;
  }
}

}  // namespace
