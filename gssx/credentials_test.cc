// SPDX-License-Identifier: Apache-2.0
#include "gssx/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gssx/context.h"
#include "gssx/testing/test_peers.h"
#include "gssx/status.h"
#include "gtest/gtest.h"
#include "gssx/testing/gssx_matchers.h"
#include "testing/status_matchers.h"
#include "transport/base/secret_buffer.h"

namespace gssx {
namespace {

using ::gssx::testing::HasGssError;
using ::gssx::testing::IsOk;
using ::gssx::transport::SecretBuffer;
using Bytes = std::vector<uint8_t>;

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// Writes `text` to a fresh file with `mode`; returns its path.
std::string WriteFile(const std::string& name, const std::string& text,
                      mode_t mode) {
  const std::string path = absl::StrCat(TestDir(), "/", name);
  ::unlink(path.c_str());
  {
    std::ofstream out(path);
    out << text;
  }
  ::chmod(path.c_str(), mode);
  return path;
}

Bytes B(absl::string_view s) { return Bytes(s.begin(), s.end()); }

constexpr char kKey1[] = "fS/qVFrHG2sCB4U2/JOWCSv33dhFGKOENphAVP1gv1U=";
constexpr char kKey2[] = "5KNtf/2NgJZcjMrKUANb3tizgb4WP2Lndcv9R6NfKS0=";

TEST(KeytabTest, ParseAndSerializeRoundTrip) {
  const std::string text = absl::StrCat(
      "# a comment\n\n  alice\t", kKey1, "  \r\n", "http@web1 ", kKey2);
  ASSERT_OK_AND_ASSIGN(Keytab keytab, Keytab::Parse(B(text)));
  ASSERT_EQ(keytab.identities().size(), 2u);
  EXPECT_EQ(keytab.identities()[0].name, "alice");
  EXPECT_EQ(keytab.identities()[1].name, "http@web1");
  ASSERT_NE(keytab.Find("http@web1"), nullptr);
  EXPECT_EQ(keytab.Find("bob"), nullptr);
  ASSERT_OK_AND_ASSIGN(SecretBuffer serialized, keytab.Serialize());
  const std::string s(reinterpret_cast<const char*>(serialized.data()),
                      serialized.size());
  EXPECT_EQ(s, absl::StrCat("alice ", kKey1, "\nhttp@web1 ", kKey2, "\n"));
  ASSERT_OK_AND_ASSIGN(Keytab again, Keytab::Parse(serialized.span()));
  EXPECT_EQ(again.identities().size(), 2u);
}

TEST(KeytabTest, MalformedKeytabs) {
  for (const std::string& bad : {
           absl::StrCat("alice\n"),
           absl::StrCat("alice ", kKey1, " extra\n"),
           absl::StrCat("alice ", std::string(kKey1).substr(1), "\n"),
           absl::StrCat("alice AAAA\n"),
           absl::StrCat("alice ", std::string(43, '!'), "=\n"),
       }) {
    EXPECT_THAT(Keytab::Parse(B(bad)),
                HasGssError(ErrorKind::kDefectiveCredential,
                            Minor::kKeytabMalformed))
        << bad;
  }
  EXPECT_THAT(Keytab::Parse(B(absl::StrCat("alice ", kKey1, "\nalice ",
                                           kKey2, "\n"))),
              HasGssError(ErrorKind::kDefectiveCredential,
                          Minor::kDuplicateIdentity));
  Keytab keytab;
  ASSERT_OK(keytab.Generate("alice").status());
  EXPECT_THAT(keytab.Generate("alice"),
              HasGssError(ErrorKind::kDuplicateElement,
                          Minor::kDuplicateIdentity));
  EXPECT_THAT(keytab.Generate("bad name"),
              HasGssError(ErrorKind::kBadName, Minor::kNameMalformed));
  EXPECT_THAT(keytab.Add("bob", Bytes(31, 1)),
              HasGssError(ErrorKind::kFailure, Minor::kBadArgument));
}

TEST(KeytabTest, LoadChecksTheMode) {
  const std::string text = absl::StrCat("alice ", kKey1, "\n");
  const std::string good = WriteFile("keytab600", text, 0600);
  ASSERT_OK_AND_ASSIGN(Keytab keytab, Keytab::Load(good));
  EXPECT_EQ(keytab.identities().size(), 1u);
  EXPECT_THAT(Keytab::Load(WriteFile("keytab400", text, 0400)), IsOk());
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    EXPECT_THAT(Keytab::Load(WriteFile("keytab_bad", text, mode)),
                HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure))
        << std::oct << mode;
  }
  EXPECT_THAT(Keytab::Load(TestDir() + "/does-not-exist"),
              HasGssError(ErrorKind::kNoCred, Minor::kKeytabUnreadable));
  EXPECT_THAT(Keytab::Load(TestDir()),
              HasGssError(ErrorKind::kNoCred, Minor::kKeytabUnreadable));
}

TEST(TrustStoreTest, ParseAddFind) {
  ASSERT_OK_AND_ASSIGN(TrustStore trust,
                       TrustStore::Parse(absl::StrCat("http@web1 ", kKey1,
                                                      "\nalice ", kKey2)));
  EXPECT_EQ(trust.size(), 2u);
  ASSERT_TRUE(trust.Find("alice").has_value());
  EXPECT_FALSE(trust.Find("bob").has_value());
  const PublicKey alice = *trust.Find("alice");
  EXPECT_THAT(trust.Add("alice", alice), IsOk());  // same pair: fine
  PublicKey other = alice;
  other[0] ^= 1;
  EXPECT_THAT(trust.Add("alice", other),
              HasGssError(ErrorKind::kDuplicateElement));
  ASSERT_OK_AND_ASSIGN(TrustStore again, TrustStore::Parse(trust.Serialize()));
  EXPECT_EQ(again.size(), 2u);
  EXPECT_THAT(TrustStore::Parse(absl::StrCat("alice ", kKey1, "\nalice ",
                                             kKey1, "\n")),
              HasGssError(ErrorKind::kDefectiveCredential,
                          Minor::kDuplicateIdentity));
  EXPECT_THAT(TrustStore::Parse("alice notbase64\n"),
              HasGssError(ErrorKind::kDefectiveCredential,
                          Minor::kTrustMalformed));
}

TEST(TrustStoreTest, LoadRefusesWritableByOthers) {
  const std::string text = absl::StrCat("alice ", kKey1, "\n");
  EXPECT_THAT(TrustStore::Load(WriteFile("trust644", text, 0644)), IsOk());
  for (mode_t mode : {0664, 0646}) {
    EXPECT_THAT(TrustStore::Load(WriteFile("trust_bad", text, mode)),
                HasGssError(ErrorKind::kNoCred, Minor::kTrustInsecure));
  }
}

TEST(CredentialsTest, AcquireFromFilesAndEnvironment) {
  const std::string keytab = WriteFile(
      "acq_keytab", absl::StrCat("alice ", kKey1, "\nbob ", kKey2, "\n"),
      0600);
  const std::string trust =
      WriteFile("acq_trust", absl::StrCat("http@web1 ", kKey1, "\n"), 0644);
  AcquireOptions options;
  options.keytab_path = keytab;
  options.trust_path = trust;
  ASSERT_OK_AND_ASSIGN(Credentials cred, Credentials::Acquire(options));
  EXPECT_EQ(cred.name().identity(), "alice");
  EXPECT_EQ(cred.identities().size(), 2u);
  EXPECT_EQ(cred.expiry(), absl::InfiniteFuture());
  EXPECT_TRUE(cred.trust().Find("http@web1").has_value());

  options.usage = CredentialUsage::kInitiate;
  ASSERT_OK_AND_ASSIGN(Credentials init, Credentials::Acquire(options));
  EXPECT_EQ(init.identities().size(), 1u);

  options.desired_name = *Name::Import("bob", NameType::kUser);
  ASSERT_OK_AND_ASSIGN(Credentials bob, Credentials::Acquire(options));
  EXPECT_EQ(bob.name().identity(), "bob");
  options.desired_name = *Name::Import("carol", NameType::kUser);
  EXPECT_THAT(Credentials::Acquire(options),
              HasGssError(ErrorKind::kNoCred, Minor::kIdentityNotFound));

  // From the environment.
  AcquireOptions env;
  ::unsetenv("GSSX_KEYTAB");
  ::unsetenv("GSSX_TRUST");
  EXPECT_THAT(Credentials::Acquire(env),
              HasGssError(ErrorKind::kNoCred, Minor::kNoKeytab));
  ::setenv("GSSX_KEYTAB", keytab.c_str(), 1);
  ::setenv("GSSX_TRUST", trust.c_str(), 1);
  ASSERT_OK_AND_ASSIGN(Credentials from_env, Credentials::Acquire(env));
  EXPECT_EQ(from_env.name().identity(), "alice");
  EXPECT_TRUE(from_env.trust().Find("http@web1").has_value());
  ::unsetenv("GSSX_TRUST");
  ASSERT_OK_AND_ASSIGN(Credentials no_trust, Credentials::Acquire(env));
  EXPECT_EQ(no_trust.trust().size(), 0u);
  ::setenv("GSSX_TRUST", (TestDir() + "/missing-trust").c_str(), 1);
  EXPECT_THAT(Credentials::Acquire(env),
              HasGssError(ErrorKind::kNoCred, Minor::kTrustUnreadable));
  ::unsetenv("GSSX_KEYTAB");
  ::unsetenv("GSSX_TRUST");

  // An insecure keytab is refused by Acquire too.
  ::chmod(keytab.c_str(), 0644);
  AcquireOptions insecure;
  insecure.keytab_path = keytab;
  EXPECT_THAT(Credentials::Acquire(insecure),
              HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure));
}

TEST(CredentialsTest, EmptyKeytabHasNoIdentity) {
  AcquireOptions options;
  options.keytab_path = WriteFile("empty_keytab", "# nothing\n", 0600);
  EXPECT_THAT(Credentials::Acquire(options),
              HasGssError(ErrorKind::kNoCred, Minor::kNoIdentity));
}

TEST(CredentialsTest, LifetimeSetsExpiry) {
  ManualClock clock;
  Keytab keytab;
  ASSERT_OK(keytab.Generate("alice").status());
  AcquireOptions options;
  options.clock = &clock;
  options.lifetime = absl::Hours(2);
  ASSERT_OK_AND_ASSIGN(Credentials cred,
                       Credentials::FromKeytab(keytab, nullptr, options));
  EXPECT_EQ(cred.expiry(), clock.Now() + absl::Hours(2));
  EXPECT_EQ(cred.trust().size(), 0u);
}

TEST(CredentialsTest, FilesMadeByHandWorkForAHandshake) {
  // Two identities with keys from files, each trusting the other.
  Keytab a, b;
  ASSERT_OK_AND_ASSIGN(PublicKey pa, a.Generate("alice"));
  ASSERT_OK_AND_ASSIGN(PublicKey pb, b.Generate("svc@host1"));
  ASSERT_OK_AND_ASSIGN(SecretBuffer ka, a.Serialize());
  ASSERT_OK_AND_ASSIGN(SecretBuffer kb, b.Serialize());
  TrustStore ta, tb;
  ASSERT_OK(ta.Add("svc@host1", pb));
  ASSERT_OK(tb.Add("alice", pa));
  AcquireOptions oa, ob;
  oa.keytab_path = WriteFile(
      "hs_a", std::string(reinterpret_cast<const char*>(ka.data()), ka.size()),
      0600);
  oa.trust_path = WriteFile("hs_ta", ta.Serialize(), 0644);
  ob.keytab_path = WriteFile(
      "hs_b", std::string(reinterpret_cast<const char*>(kb.data()), kb.size()),
      0600);
  ob.trust_path = WriteFile("hs_tb", tb.Serialize(), 0644);
  ASSERT_OK_AND_ASSIGN(Credentials ca, Credentials::Acquire(oa));
  ASSERT_OK_AND_ASSIGN(Credentials cb, Credentials::Acquire(ob));
  InitOptions io;
  io.target = *Name::Import("svc@HOST1", NameType::kHostBasedService);
  ASSERT_OK_AND_ASSIGN(HandshakeStep init, Context::Initiate(ca, io));
  ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                       Context::Accept(cb, init.output_token));
  ASSERT_OK(init.context.Continue(acc.output_token));
  ASSERT_OK_AND_ASSIGN(ContextInfo info, acc.context.Inquire());
  EXPECT_EQ(info.source.identity(), "alice");
}

}  // namespace
}  // namespace gssx
