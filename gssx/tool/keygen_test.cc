// SPDX-License-Identifier: Apache-2.0
// `gssx keygen` (the //gssx/tool:gssx_tool binary) and gssx::Keygen.
#include "gssx/keygen.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/status.h"
#include "gtest/gtest.h"
#include "gssx/testing/gssx_matchers.h"
#include "testing/run_program.h"
#include "testing/status_matchers.h"

namespace gssx {
namespace {

using ::gssx::testing::HasGssError;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string Fresh(const std::string& name) {
  const std::string path = absl::StrCat(TestDir(), "/", name);
  ::unlink(path.c_str());
  return path;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 07777;
  return st.st_mode & 07777;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

using RunResult = ::gssx::testing::ProgramResult;

// Runs the tool with `args` under `umask_value`.
RunResult RunTool(const std::vector<std::string>& args, mode_t umask_value = 022) {
  return ::gssx::testing::RunProgram(
      ::gssx::testing::RunfilesPath("gssx/tool/gssx_tool"), args,
      {.in_child = [umask_value] { ::umask(umask_value); }});
}

TEST(KeygenToolTest, CreatesA0600KeytabAndATrustFile) {
  for (mode_t umask_value : {0000, 0022, 0777}) {
    const std::string keytab = Fresh("tool_keytab");
    const std::string trust = Fresh("tool_trust");
    RunResult r = RunTool({"keygen", "--name", "http@web1", "--keytab", keytab,
                       "--trust", trust},
                      umask_value);
    ASSERT_EQ(r.exit_code, 0) << "umask " << std::oct << umask_value;
    EXPECT_EQ(ModeOf(keytab), 0600u) << std::oct << umask_value;
    EXPECT_EQ(ModeOf(trust), 0644u) << std::oct << umask_value;
    // stdout is the trust line, which is what the trust file holds.
    EXPECT_EQ(Slurp(trust), r.out);
    std::vector<std::string> fields = absl::StrSplit(r.out, ' ');
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0], "http@web1");
    EXPECT_EQ(fields[1].size(), 45u);  // 44 base64 characters and '\n'

    ASSERT_OK_AND_ASSIGN(Keytab loaded, Keytab::Load(keytab));
    ASSERT_EQ(loaded.identities().size(), 1u);
    EXPECT_EQ(loaded.identities()[0].name, "http@web1");
    ASSERT_OK_AND_ASSIGN(TrustStore t, TrustStore::Load(trust));
    ASSERT_TRUE(t.Find("http@web1").has_value());
    // The trust file holds the public half of the keytab's key.
    const absl::Span<const uint8_t> pub =
        loaded.identities()[0].key.public_key();
    EXPECT_TRUE(std::equal(pub.begin(), pub.end(),
                           t.Find("http@web1")->begin()));
  }
}

TEST(KeygenToolTest, AppendsAndRefusesDuplicates) {
  const std::string keytab = Fresh("append_keytab");
  ASSERT_EQ(RunTool({"keygen", "--name=alice", "--keytab=" + keytab}).exit_code, 0);
  ASSERT_EQ(RunTool({"keygen", "--name", "bob", "--keytab", keytab}).exit_code, 0);
  EXPECT_EQ(RunTool({"keygen", "--name", "alice", "--keytab", keytab}).exit_code,
            1);
  ASSERT_OK_AND_ASSIGN(Keytab loaded, Keytab::Load(keytab));
  ASSERT_EQ(loaded.identities().size(), 2u);
  EXPECT_EQ(loaded.identities()[0].name, "alice");  // the default initiator
  EXPECT_EQ(loaded.identities()[1].name, "bob");
  EXPECT_EQ(ModeOf(keytab), 0600u);
}

TEST(KeygenToolTest, RefusesAGroupReadableKeytab) {
  const std::string keytab = Fresh("open_keytab");
  ASSERT_EQ(RunTool({"keygen", "--name", "alice", "--keytab", keytab}).exit_code,
            0);
  ASSERT_EQ(::chmod(keytab.c_str(), 0644), 0);
  // Loading it is refused with a specific status...
  EXPECT_THAT(Keytab::Load(keytab),
              HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure));
  AcquireOptions options;
  options.keytab_path = keytab;
  EXPECT_THAT(Credentials::Acquire(options),
              HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure));
  // ...and so is appending to it, which leaves it untouched.
  const std::string before = Slurp(keytab);
  EXPECT_EQ(RunTool({"keygen", "--name", "bob", "--keytab", keytab}).exit_code, 1);
  EXPECT_EQ(Slurp(keytab), before);
  EXPECT_EQ(ModeOf(keytab), 0644u);
}

TEST(KeygenToolTest, UsageErrors) {
  EXPECT_EQ(RunTool({}).exit_code, 2);
  EXPECT_EQ(RunTool({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunTool({"keygen", "--name", "alice"}).exit_code, 2);
  EXPECT_EQ(RunTool({"keygen", "--keytab", Fresh("k")}).exit_code, 2);
  EXPECT_EQ(RunTool({"keygen", "--name"}).exit_code, 2);
  EXPECT_EQ(RunTool({"keygen", "--name", "a", "--keytab", Fresh("k"), "--bogus"})
                .exit_code,
            2);
  EXPECT_EQ(RunTool({"keygen", "--name", "bad name", "--keytab", Fresh("k")})
                .exit_code,
            1);
  EXPECT_EQ(RunTool({"--help"}).exit_code, 0);
}

TEST(KeygenTest, ChecksBeforeWriting) {
  const std::string keytab = Fresh("fn_keytab");
  const std::string trust = Fresh("fn_trust");
  ASSERT_OK_AND_ASSIGN(KeygenResult r, Keygen("alice", keytab, trust));
  EXPECT_EQ(r.name, "alice");
  EXPECT_EQ(Slurp(trust), r.trust_line);
  // The trust file already knows "bob"? Nothing is written anywhere.
  {
    std::ofstream out(trust, std::ios::app);
    out << "bob AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
  }
  const std::string keytab_before = Slurp(keytab);
  EXPECT_THAT(Keygen("bob", keytab, trust),
              HasGssError(ErrorKind::kDuplicateElement,
                          Minor::kDuplicateIdentity));
  EXPECT_EQ(Slurp(keytab), keytab_before);
  // A world-writable trust file is refused.
  ASSERT_EQ(::chmod(trust.c_str(), 0666), 0);
  EXPECT_THAT(Keygen("carol", keytab, trust),
              HasGssError(ErrorKind::kNoCred, Minor::kTrustInsecure));
  EXPECT_EQ(Slurp(keytab), keytab_before);
  // A malformed keytab is not appended to.
  const std::string broken = Fresh("fn_broken");
  {
    std::ofstream out(broken);
    out << "this is not a keytab";
  }
  ASSERT_EQ(::chmod(broken.c_str(), 0600), 0);
  EXPECT_THAT(Keygen("dave", broken, ""),
              HasGssError(ErrorKind::kDefectiveCredential,
                          Minor::kKeytabMalformed));
  // A keytab without a final newline gets one before the new line.
  const std::string no_newline = Fresh("fn_nonl");
  ASSERT_OK(Keygen("erin", no_newline, "").status());
  std::string text = Slurp(no_newline);
  text.pop_back();
  {
    std::ofstream out(no_newline);
    out << text;
  }
  ASSERT_OK(Keygen("frank", no_newline, "").status());
  ASSERT_OK_AND_ASSIGN(Keytab two, Keytab::Load(no_newline));
  EXPECT_EQ(two.identities().size(), 2u);
  // Symbolic links are not followed.
  const std::string link = Fresh("fn_link");
  ASSERT_EQ(::symlink(keytab.c_str(), link.c_str()), 0);
  EXPECT_THAT(Keygen("gina", link, ""),
              HasGssError(ErrorKind::kNoCred, Minor::kKeytabUnreadable));
}

TEST(KeygenTest, ToolMadeFilesEstablishAContext) {
  const std::string ck = Fresh("e2e_client_keytab");
  const std::string sk = Fresh("e2e_server_keytab");
  const std::string ct = Fresh("e2e_client_trust");
  const std::string st = Fresh("e2e_server_trust");
  // Each side's public key goes to the other side's trust file.
  ASSERT_EQ(RunTool({"keygen", "--name", "alice", "--keytab", ck, "--trust", st})
                .exit_code,
            0);
  ASSERT_EQ(RunTool({"keygen", "--name", "imap@mail", "--keytab", sk, "--trust",
                 ct})
                .exit_code,
            0);
  AcquireOptions co, so;
  co.keytab_path = ck;
  co.trust_path = ct;
  so.keytab_path = sk;
  so.trust_path = st;
  ASSERT_OK_AND_ASSIGN(Credentials client, Credentials::Acquire(co));
  ASSERT_OK_AND_ASSIGN(Credentials server, Credentials::Acquire(so));
  InitOptions io;
  io.target = *Name::Import("imap@mail", NameType::kHostBasedService);
  ASSERT_OK_AND_ASSIGN(HandshakeStep init, Context::Initiate(client, io));
  ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                       Context::Accept(server, init.output_token));
  ASSERT_OK(init.context.Continue(acc.output_token));
  const std::vector<uint8_t> msg = {1, 2, 3};
  ASSERT_OK_AND_ASSIGN(WrapResult w, init.context.Wrap(msg, true));
  ASSERT_OK_AND_ASSIGN(UnwrapResult u, acc.context.Unwrap(w.token));
  EXPECT_EQ(u.message, msg);
}

}  // namespace
}  // namespace gssx
