// SPDX-License-Identifier: Apache-2.0
#include "gssx/name.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gssx/oid.h"
#include "gssx/status.h"
#include "gtest/gtest.h"
#include "gssx/testing/gssx_matchers.h"
#include "testing/status_matchers.h"

namespace gssx {
namespace {

using ::gssx::testing::HasGssError;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;
using Bytes = std::vector<uint8_t>;

Bytes B(absl::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(OidTest, MechanismOidIsTheDocumentedUuidArc) {
  EXPECT_THAT(MechanismOid().ToString(), IsOkAndHolds(std::string(kMechanismOidString)));
  ASSERT_OK_AND_ASSIGN(Oid parsed, Oid::FromString(kMechanismOidString));
  EXPECT_EQ(parsed, MechanismOid());
  // The UUID as one integer is the last arc.
  EXPECT_EQ(std::string(kMechanismOidString),
            "2.25.102548362089127675016825963317424568452");
}

TEST(OidTest, BothStringForms) {
  ASSERT_OK_AND_ASSIGN(Oid a, Oid::FromString("1.2.840.113554.1.2.1.4"));
  ASSERT_OK_AND_ASSIGN(Oid b, Oid::FromString("{ 1 2 840 113554 1 2 1 4 }"));
  EXPECT_EQ(a, NtHostBasedService());
  EXPECT_EQ(b, NtHostBasedService());
  EXPECT_THAT(NtExportName().ToString(), IsOkAndHolds(std::string("1.3.6.1.5.6.4")));
  EXPECT_THAT(NtUserName().ToString(),
              IsOkAndHolds(std::string("1.2.840.113554.1.2.1.1")));
}

TEST(OidTest, MalformedOids) {
  for (const char* bad : {"", "1", "3.1", "1.40", "1..2", "1.2.x", "{ 1 2",
                          "01.2", "1.2.340282366920938463463374607431768211456"}) {
    EXPECT_THAT(Oid::FromString(bad),
                HasGssError(ErrorKind::kFailure, Minor::kOidMalformed))
        << bad;
  }
  EXPECT_THAT(Oid().ToString(), HasGssError(ErrorKind::kFailure));
  EXPECT_THAT(Oid(Bytes{0x2a, 0x86}).ToString(),
              HasGssError(ErrorKind::kFailure));  // truncated arc
  EXPECT_THAT(Oid(Bytes{0x2a, 0x80, 0x01}).ToString(),
              HasGssError(ErrorKind::kFailure));  // non-minimal
}

TEST(NameTest, UserNames) {
  ASSERT_OK_AND_ASSIGN(Name n, Name::Import("alice", NameType::kUser));
  EXPECT_EQ(n.identity(), "alice");
  EXPECT_EQ(n.Display(), "alice");
  EXPECT_EQ(n.DisplayType(), NtUserName());
  EXPECT_FALSE(n.is_mechanism_name());
  // GSS_C_NO_OID means a user name.
  ASSERT_OK_AND_ASSIGN(Name d, Name::Import(B("alice"), Oid()));
  EXPECT_THAT(Name::Compare(n, d), IsOkAndHolds(true));
}

TEST(NameTest, HostBasedServices) {
  ASSERT_OK_AND_ASSIGN(Name n, Name::Import("HTTP@Web1.Example",
                                            NameType::kHostBasedService));
  EXPECT_EQ(n.identity(), "HTTP@web1.example");  // host lower-cased only
  EXPECT_EQ(n.Display(), "HTTP@Web1.Example");   // displayed as imported
  EXPECT_EQ(n.DisplayType(), NtHostBasedService());

  ASSERT_OK_AND_ASSIGN(Name local, Name::Import("ssh", NameType::kHostBasedService));
  EXPECT_EQ(local.identity(), "ssh@" + LocalHostName());
  ASSERT_OK_AND_ASSIGN(Name empty_host,
                       Name::Import("ssh@", NameType::kHostBasedService));
  EXPECT_THAT(Name::Compare(local, empty_host), IsOkAndHolds(true));
  EXPECT_FALSE(LocalHostName().empty());
  EXPECT_EQ(LocalHostName(), absl::AsciiStrToLower(LocalHostName()));

  ASSERT_OK_AND_ASSIGN(Name via_oid, Name::Import(B("http@web1"),
                                                  NtHostBasedService()));
  EXPECT_EQ(via_oid.identity(), "http@web1");
}

TEST(NameTest, MalformedNames) {
  EXPECT_THAT(Name::Import("", NameType::kUser),
              HasGssError(ErrorKind::kBadName, Minor::kNameEmpty));
  for (const char* bad : {"al ice", "tab\there", "#root", "new\nline"}) {
    EXPECT_THAT(Name::Import(bad, NameType::kUser),
                HasGssError(ErrorKind::kBadName, Minor::kNameMalformed))
        << bad;
  }
  EXPECT_THAT(Name::Import(std::string(257, 'a'), NameType::kUser),
              HasGssError(ErrorKind::kBadName, Minor::kNameMalformed));
  EXPECT_THAT(Name::Import(std::string(256, 'a'), NameType::kUser), IsOk());
  for (const char* bad : {"", "@host", "a@b@c", "sp ace@host"}) {
    EXPECT_THAT(Name::Import(bad, NameType::kHostBasedService),
                HasGssError(ErrorKind::kBadName))
        << bad;
  }
  EXPECT_THAT(Name::Import(B("1000"), NtStringUidName()),
              HasGssError(ErrorKind::kBadNameType,
                          Minor::kNameTypeUnsupported));
  EXPECT_THAT(Name::Import(B(""), NtAnonymous()),
              HasGssError(ErrorKind::kBadNameType));
}

TEST(NameTest, ExportRequiresAMechanismName) {
  ASSERT_OK_AND_ASSIGN(Name n, Name::Import("http@web1",
                                            NameType::kHostBasedService));
  EXPECT_THAT(n.Export(),
              HasGssError(ErrorKind::kNameNotMn, Minor::kNameNotMechanismName));
  ASSERT_OK_AND_ASSIGN(Name mn, n.Canonicalize());
  EXPECT_TRUE(mn.is_mechanism_name());
  ASSERT_OK_AND_ASSIGN(Bytes exported, mn.Export());
  // 04 01 | 00 16 | 06 14 <oid> | 00 00 00 09 | "http@web1"
  ASSERT_EQ(exported.size(), 4u + 2 + 20 + 4 + 9);
  EXPECT_EQ(exported[0], 0x04);
  EXPECT_EQ(exported[1], 0x01);
  EXPECT_EQ(exported[2], 0x00);
  EXPECT_EQ(exported[3], 22);
  EXPECT_EQ(exported[4], 0x06);
  EXPECT_EQ(exported[5], 20);
  EXPECT_EQ(exported[29], 9);

  ASSERT_OK_AND_ASSIGN(Name back, Name::ImportExported(exported));
  EXPECT_TRUE(back.is_mechanism_name());
  EXPECT_EQ(back.identity(), "http@web1");
  EXPECT_EQ(back.Display(), "http@web1");
  EXPECT_EQ(back.DisplayType(), NtHostBasedService());
  EXPECT_THAT(Name::Compare(back, n), IsOkAndHolds(true));
  ASSERT_OK_AND_ASSIGN(Name via_oid, Name::Import(exported, NtExportName()));
  EXPECT_EQ(via_oid.identity(), "http@web1");
  // Duplicating is copying.
  Name copy = back;
  EXPECT_THAT(Name::Compare(copy, back), IsOkAndHolds(true));
}

TEST(NameTest, BadExportedNames) {
  ASSERT_OK_AND_ASSIGN(Name mn, Name::FromIdentity("alice"));
  ASSERT_OK_AND_ASSIGN(Bytes good, mn.Export());
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes cut(good.begin(), good.begin() + n);
    EXPECT_FALSE(Name::ImportExported(cut).ok()) << n;
  }
  const size_t name_start = good.size() - 5;  // "alice"
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= 0x80;
    absl::StatusOr<Name> r = Name::ImportExported(bad);
    if (i >= name_start) {
      // Another (UTF-8-ish) identity: still a well-formed exported name.
      ASSERT_OK(r.status());
      EXPECT_NE(r->identity(), "alice");
      continue;
    }
    ASSERT_FALSE(r.ok()) << i;
    if (i >= 6 && i < 26) {
      EXPECT_THAT(r, HasGssError(ErrorKind::kBadMech, Minor::kWrongMechanism));
    } else {
      EXPECT_THAT(r, HasGssError(ErrorKind::kBadName,
                                 Minor::kExportedNameMalformed)) << i;
    }
  }
}

TEST(NameTest, CompareAndEmptyNames) {
  ASSERT_OK_AND_ASSIGN(Name a, Name::Import("alice", NameType::kUser));
  ASSERT_OK_AND_ASSIGN(Name b, Name::Import("bob", NameType::kUser));
  EXPECT_THAT(Name::Compare(a, b), IsOkAndHolds(false));
  Name empty;
  EXPECT_THAT(Name::Compare(a, empty),
              HasGssError(ErrorKind::kBadName, Minor::kNameEmpty));
  EXPECT_THAT(empty.Canonicalize(), HasGssError(ErrorKind::kBadName));
  EXPECT_THAT(empty.Export(), HasGssError(ErrorKind::kBadName));
  ASSERT_OK_AND_ASSIGN(Name user_mn, Name::FromIdentity("alice"));
  EXPECT_EQ(user_mn.DisplayType(), NtUserName());
}

}  // namespace
}  // namespace gssx
