// SPDX-License-Identifier: Apache-2.0
// Key files are trusted only if nobody else can have written them (issue 17
// item 1): the owner, the mode and every directory above are checked, by
// Keygen and by loading. The attack reproduced: in a sticky world-writable
// directory an unprivileged user (uid nobody) pre-creates svc.kt and
// svc.trust; root's keygen must refuse them, and root's loading must refuse
// a key file owned by another user or in a directory others can write.
// Tests needing a second uid run it in a forked child and need real root
// (BUILD: no-sandbox); they skip, counted as skipped, otherwise.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gssx/credentials.h"
#include "gssx/keygen.h"
#include "gssx/status.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "gssx/testing/gssx_matchers.h"
#include "testing/status_matchers.h"

namespace gssx {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasGssError;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uid_t kNobody = 65534;
constexpr absl::Duration kWait = absl::Seconds(30);

bool CanSwitchUid() {
  if (::geteuid() != 0) return false;
  absl::StatusOr<ForkedChild> probe = ForkedChild::Start(
      [] { return ::setgid(kNobody) == 0 && ::setuid(kNobody) == 0 ? 0 : 1; });
  return probe.ok() && probe->Wait(kWait).value_or(1) == 0;
}

// A fresh directory under TEST_TMPDIR with `mode` (chmod, whatever the
// umask).
std::string MakeDir(const std::string& name, mode_t mode) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, "-", ::getpid());
  if (::mkdir(dir.c_str(), 0700) != 0 || ::chmod(dir.c_str(), mode) != 0) {
    return "";
  }
  return dir;
}

// Writes `text` to a new file `path` with `mode`, as the calling process.
bool WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) ==
                      static_cast<ssize_t>(text.size()) &&
                  ::fchmod(fd, mode) == 0;
  ::close(fd);
  return ok;
}

// As uid/gid nobody, in a child: creates `path` with `mode` and `text`.
// The child reaches the directory through a descriptor opened here (the
// test's TMPDIR is under /root, which nobody cannot search); the directory
// itself must let nobody in (the sticky 01777 ones do).
bool WriteFileAsNobody(const std::string& path, const std::string& text,
                       mode_t mode) {
  const size_t slash = path.rfind('/');
  const int dir = ::open(path.substr(0, slash).c_str(),
                         O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  const std::string name = path.substr(slash + 1);
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([&] {
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) return 10;
    const int fd = ::openat(dir, name.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return 11;
    const bool ok = ::write(fd, text.data(), text.size()) ==
                        static_cast<ssize_t>(text.size()) &&
                    ::fchmod(fd, mode) == 0;
    return ok ? 0 : 12;
  });
  const bool ok = child.ok() && child->Wait(kWait).value_or(1) == 0;
  ::close(dir);
  return ok;
}

off_t SizeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// The attack from issue 17, step 1: root's keygen in a sticky world-
// writable directory where nobody already made the files.
TEST(KeyFileSecurityTest, KeygenRefusesFilesPrecreatedByAnotherUser) {
  if (!CanSwitchUid()) GTEST_SKIP() << "needs root to create files as another uid";
  const std::string dir = MakeDir("sticky", 01777);
  ASSERT_FALSE(dir.empty());
  const std::string kt = dir + "/svc.kt", trust = dir + "/svc.trust";
  ASSERT_TRUE(WriteFileAsNobody(kt, "", 0600));
  ASSERT_TRUE(WriteFileAsNobody(trust, "", 0644));

  absl::StatusOr<KeygenResult> r = Keygen("root", kt, trust);
  EXPECT_THAT(r, HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure));
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr(kt), HasSubstr("owned by uid 65534")));
  EXPECT_EQ(SizeOf(kt), 0) << "the private key went into nobody's file";
  std::cout << "keygen refused: " << r.status().message() << "\n";

  // The trust file alone (a keytab of our own): refused too.
  const std::string own_kt = dir + "/own.kt";
  absl::StatusOr<KeygenResult> t = Keygen("root", own_kt, trust);
  EXPECT_THAT(t, HasGssError(ErrorKind::kNoCred, Minor::kTrustInsecure));
  EXPECT_THAT(t.status().message(),
              AllOf(HasSubstr(trust), HasSubstr("owned by uid 65534")));
  EXPECT_EQ(SizeOf(trust), 0);
}

// Step 2: root loading a trust file (and a keytab) that another user owns,
// however tight its mode.
TEST(KeyFileSecurityTest, LoadRefusesFilesOwnedByAnotherUser) {
  if (!CanSwitchUid()) GTEST_SKIP() << "needs root to create files as another uid";
  const std::string dir = MakeDir("sticky-load", 01777);
  ASSERT_FALSE(dir.empty());
  // A well-formed trust file naming root with the attacker's key.
  Keytab attacker;
  ASSERT_OK_AND_ASSIGN(PublicKey pub, attacker.Generate("root"));
  TrustStore forged;
  ASSERT_TRUE(forged.Add("root", pub).ok());
  const std::string trust = dir + "/svc.trust";
  ASSERT_TRUE(WriteFileAsNobody(trust, forged.Serialize(), 0644));
  absl::StatusOr<TrustStore> loaded = TrustStore::Load(trust);
  EXPECT_THAT(loaded, HasGssError(ErrorKind::kNoCred, Minor::kTrustInsecure));
  EXPECT_THAT(loaded.status().message(),
              AllOf(HasSubstr(trust), HasSubstr("owned by uid 65534")));
  std::cout << "load refused: " << loaded.status().message() << "\n";

  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer text, attacker.Serialize());
  const std::string kt = dir + "/svc.kt";
  ASSERT_TRUE(WriteFileAsNobody(
      kt, std::string(reinterpret_cast<const char*>(text.data()), text.size()),
      0600));
  // nobody's 0600 file: root can still open it, and must refuse it.
  EXPECT_THAT(Keytab::Load(kt),
              HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure));

  AcquireOptions a;
  a.keytab_path = kt;
  a.trust_path = trust;
  EXPECT_THAT(Credentials::Acquire(a),
              HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure));
}

// A directory above the file that another user owns: refused, even though
// the file is ours.
TEST(KeyFileSecurityTest, LoadRefusesDirectoryOwnedByAnotherUser) {
  if (!CanSwitchUid()) GTEST_SKIP() << "needs root to create files as another uid";
  const std::string dir = MakeDir("theirs", 0755);
  ASSERT_FALSE(dir.empty());
  const std::string trust = dir + "/svc.trust";
  ASSERT_TRUE(WriteFile(trust, "", 0644));
  ASSERT_EQ(::chown(dir.c_str(), kNobody, kNobody), 0);
  absl::StatusOr<TrustStore> loaded = TrustStore::Load(trust);
  EXPECT_THAT(loaded, HasGssError(ErrorKind::kNoCred, Minor::kTrustInsecure));
  EXPECT_THAT(loaded.status().message(),
              AllOf(HasSubstr("directory " + dir), HasSubstr("owned by uid 65534")));
}

// Needs no second uid: our own files in a group- or world-writable,
// non-sticky directory (anyone could replace them) are refused, by loading
// and by keygen.
TEST(KeyFileSecurityTest, RefusesWritableNonStickyDirectory) {
  for (mode_t mode : {mode_t{0777}, mode_t{0775}}) {
    SCOPED_TRACE(absl::StrFormat("directory mode %o", mode));
    const std::string dir = MakeDir(absl::StrFormat("open%o", mode), mode);
    ASSERT_FALSE(dir.empty());
    const std::string trust = dir + "/svc.trust";
    ASSERT_TRUE(WriteFile(trust, "", 0644));
    absl::StatusOr<TrustStore> loaded = TrustStore::Load(trust);
    EXPECT_THAT(loaded, HasGssError(ErrorKind::kNoCred, Minor::kTrustInsecure));
    EXPECT_THAT(loaded.status().message(),
                AllOf(HasSubstr("directory " + dir), HasSubstr("not sticky")));
    std::cout << "load refused: " << loaded.status().message() << "\n";

    const std::string kt = dir + "/svc.kt";
    absl::StatusOr<KeygenResult> r = Keygen("svc", kt, "");
    EXPECT_THAT(r, HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure));
    EXPECT_THAT(r.status().message(), HasSubstr("not sticky"));
    EXPECT_EQ(SizeOf(kt), -1) << "keygen created a file it then refused";
  }
}

// The good case: a sticky world-writable directory (like /tmp) with files
// we made ourselves is fine, for keygen and for loading.
TEST(KeyFileSecurityTest, AcceptsOwnFilesInStickyDirectory) {
  const std::string dir = MakeDir("sticky-ok", 01777);
  ASSERT_FALSE(dir.empty());
  const std::string kt = dir + "/svc.kt", trust = dir + "/svc.trust";
  ASSERT_OK_AND_ASSIGN(KeygenResult r, Keygen("svc", kt, trust));
  EXPECT_EQ(r.name, "svc");
  ASSERT_OK_AND_ASSIGN(Keytab keytab, Keytab::Load(kt));
  EXPECT_NE(keytab.Find("svc"), nullptr);
  ASSERT_OK_AND_ASSIGN(TrustStore store, TrustStore::Load(trust));
  EXPECT_TRUE(store.Find("svc").has_value());
}

// No group/other read on a keytab, with the file named in the message.
TEST(KeyFileSecurityTest, KeytabReadableByGroupIsRefusedByName) {
  const std::string dir = MakeDir("private", 0700);
  ASSERT_FALSE(dir.empty());
  const std::string kt = dir + "/svc.kt";
  ASSERT_OK_AND_ASSIGN(KeygenResult r, Keygen("svc", kt, ""));
  ASSERT_EQ(::chmod(kt.c_str(), 0640), 0);
  absl::StatusOr<Keytab> loaded = Keytab::Load(kt);
  EXPECT_THAT(loaded, HasGssError(ErrorKind::kNoCred, Minor::kKeytabInsecure));
  EXPECT_THAT(loaded.status().message(),
              AllOf(HasSubstr(kt), HasSubstr("mode 0640")));
}

std::string ProbePath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "gssx",
                      "/gssx/env_keytab_probe");
}

// Copies `from` to `to` with `mode` (as root: setuid root). Empty if it
// worked, else why not.
std::string CopyExecutable(const std::string& from, const std::string& to,
                           mode_t mode) {
  std::ifstream in(from, std::ios::binary);
  if (!in.is_open()) return "cannot open " + from;
  std::ofstream out(to, std::ios::binary);
  if (!out.is_open()) return "cannot create " + to;
  out << in.rdbuf();
  out.close();
  if (!out) return "cannot write " + to;
  if (::chown(to.c_str(), 0, 0) != 0) return "chown: " + std::string(std::strerror(errno));
  if (::chmod(to.c_str(), mode) != 0) return "chmod: " + std::string(std::strerror(errno));
  return "";
}

// A setuid-root program run by another user must not take its key file
// from the caller's environment (secure_getenv): the caller could point
// GSSX_KEYTAB at a file of its choosing.
TEST(KeyFileSecurityTest, SetuidProgramIgnoresKeytabEnvironment) {
  if (!CanSwitchUid()) GTEST_SKIP() << "needs root to run a setuid program as another uid";
  // Somewhere nobody can reach (TEST_TMPDIR is under /root): /tmp, on a
  // file system that honours setuid.
  char dir_template[] = "/tmp/gssx-setuid-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  const std::string probe = dir + "/probe";
  const std::string copied = CopyExecutable(ProbePath(), probe, 04755);
  if (!copied.empty()) {
    ::unlink(probe.c_str());
    ::rmdir(dir.c_str());
    FAIL() << copied;
  }
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([&] {
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) return 10;
    const std::string env = "GSSX_KEYTAB=" + dir + "/attacker-chosen.kt";
    char* argv[] = {const_cast<char*>(probe.c_str()), nullptr};
    char* envp[] = {const_cast<char*>(env.c_str()), nullptr};
    ::execve(probe.c_str(), argv, envp);
    return 11;
  });
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<int> code = child->Wait(kWait);
  ::unlink(probe.c_str());
  ::rmdir(dir.c_str());
  ASSERT_TRUE(code.ok()) << code.status();
  if (*code == 11) GTEST_SKIP() << "cannot exec a setuid program from /tmp here";
  EXPECT_EQ(*code, 0) << "the setuid program used the caller's GSSX_KEYTAB";
}

}  // namespace
}  // namespace gssx
