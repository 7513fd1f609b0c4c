// SPDX-License-Identifier: Apache-2.0
// //examples:upgrade_demo as a user runs it (fewer clients, shorter
// phases): its exit status and what its table says — two upgrades
// committed, the server's version 1 -> 1 -> 2, every session moved each
// time, every client answered throughout with 0 failures and 0
// re-authentications.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/run_program.h"

namespace gssx::examples {
namespace {

using ::gssx::testing::ProgramResult;
using ::gssx::testing::RunfilesPath;
using ::gssx::testing::RunProgram;

constexpr int kClients = 12;

// The totals of the demo's table: "  <name>   <value>" lines.
std::map<std::string, std::string> Totals(const std::string& out) {
  std::map<std::string, std::string> totals;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    for (const char* name :
         {"requests answered and verified", "failures (clients + servers)",
          "re-authentications", "authentications seen by the servers",
          "sessions moved", "upgrades committed"}) {
      if (absl::ConsumePrefix(&line, absl::StrCat("  ", name))) {
        totals[name] = std::string(absl::StripAsciiWhitespace(line));
      }
    }
  }
  return totals;
}

// The per-upgrade rows: "  1        1 -> 1    12/12  ...".
std::vector<std::vector<std::string>> UpgradeRows(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  bool in_table = false;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StrContains(line, "sessions moved") && absl::StrContains(line, "upgrade")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int n;
    if (f.empty() || !absl::SimpleAtoi(f[0], &n)) break;
    rows.push_back(f);
  }
  return rows;
}

TEST(UpgradeDemoTest, TwoUpgradesUnderLoadWithoutAFailure) {
  ProgramResult r = RunProgram(
      RunfilesPath("examples/upgrade_demo"),
      {absl::StrCat("--clients=", kClients), "--warmup_s=0.3", "--settle_s=0.3"},
      {.timeout = absl::Seconds(200)});
  std::printf("%s", r.out.c_str());  // the table, in the test log
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "upgrade_demo: OK")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "server versions: 1 -> 1 -> 2")) << r.out;

  std::map<std::string, std::string> t = Totals(r.out);
  EXPECT_EQ(t["failures (clients + servers)"], "0") << r.out;
  EXPECT_EQ(t["re-authentications"], "0") << r.out;
  EXPECT_EQ(t["authentications seen by the servers"], absl::StrCat(kClients)) << r.out;
  EXPECT_EQ(t["sessions moved"], absl::StrCat(2 * kClients, "/", 2 * kClients)) << r.out;
  EXPECT_EQ(t["upgrades committed"], "2/2") << r.out;
  int64_t requests = 0;
  ASSERT_TRUE(absl::SimpleAtoi(t["requests answered and verified"], &requests)) << r.out;
  // Every client was answered before, between and after the upgrades.
  EXPECT_GE(requests, 3 * kClients) << r.out;

  std::vector<std::vector<std::string>> rows = UpgradeRows(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  // "1", "1", "->", "1", "12/12", SIGHUP->commit, commit->served, pause...
  for (size_t k = 0; k < rows.size(); ++k) {
    ASSERT_GE(rows[k].size(), 5u) << r.out;
    EXPECT_EQ(rows[k][0], absl::StrCat(k + 1));
    EXPECT_EQ(rows[k][1], "1");
    EXPECT_EQ(rows[k][3], k == 0 ? "1" : "2");
    EXPECT_EQ(rows[k][4], absl::StrCat(kClients, "/", kClients));
  }
}

}  // namespace
}  // namespace gssx::examples
