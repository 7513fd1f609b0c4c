// SPDX-License-Identifier: Apache-2.0
// Another process tries to take a token by reopening its memfd through
// /proc/PID/fd (which would let it pre-empt the importer's latch). Needs
// real root to run the attacker as another uid (see BUILD: no-sandbox);
// skipped, with the reason printed, otherwise.
//
// - An attacker of another uid is stopped by /proc's ptrace check.
// - An attacker of the same (non-root) uid passes that check when the
//   exporter is dumpable, and is stopped only by the token's mode 0
//   (memfd_token.h: fchmod(fd, 0)); a control memfd with the default mode
//   in the same process opens fine, which shows the check is what stops
//   it. Root ignores file modes; the threat model leaves root out.
// Either way the token is still consumable, exactly once, by its owner.
#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "transport/base/errors.h"
#include "transport/memfd_token.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

constexpr uid_t kNobody = 65534;
constexpr absl::Duration kWait = absl::Seconds(30);

bool CanSwitchUid() {
  if (::geteuid() != 0) return false;
  absl::StatusOr<ForkedChild> probe = ForkedChild::Start(
      [] { return ::setgid(kNobody) == 0 && ::setuid(kNobody) == 0 ? 0 : 1; });
  return probe.ok() && probe->Wait(kWait).value_or(1) == 0;
}

bool BecomeNobody() {
  return ::setgroups(0, nullptr) == 0 && ::setgid(kNobody) == 0 &&
         ::setuid(kNobody) == 0;
}

// 0: open failed with EACCES; 1: it succeeded; 2: another errno.
int TryOpen(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return 1;
  }
  return errno == EACCES ? 0 : 2;
}

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

TEST(ProcReopenTest, OtherUidCannotReopenToken) {
  if (!CanSwitchUid()) {
    GTEST_SKIP() << "needs real root (outside a user namespace) to run the "
                    "attacker as uid 65534";
  }
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(Bytes("root's")));
  const std::string path =
      absl::StrCat("/proc/", ::getpid(), "/fd/", t.fd.get());
  ASSERT_OK_AND_ASSIGN(ForkedChild attacker, ForkedChild::Start([&] {
                         if (!BecomeNobody()) return 10;
                         const int rw = TryOpen(path, O_RDWR),
                                   ro = TryOpen(path, O_RDONLY);
                         return rw == 0 && ro == 0 ? 0 : 20 + rw * 3 + ro;
                       }));
  EXPECT_THAT(attacker.Wait(kWait), IsOkAndHolds(0))
      << "uid 65534 reopened (or failed oddly on) " << path;
  ASSERT_OK_AND_ASSIGN(
      SecretBuffer got,
      ConsumeEncryptedToken(t.fd.get(), t.expect, t.key.span(), nullptr));
  EXPECT_TRUE(got.Equals(Bytes("root's")));
  EXPECT_THAT(
      ConsumeEncryptedToken(t.fd.get(), t.expect, t.key.span(), nullptr),
      HasErrorKind(ErrorKind::kAlreadyConsumed));
}

TEST(ProcReopenTest, SameUidCannotReopenModeZeroToken) {
  if (!CanSwitchUid()) {
    GTEST_SKIP() << "needs real root (outside a user namespace) to run "
                    "exporter and attacker as uid 65534";
  }
  int info[2], done[2];
  ASSERT_EQ(::pipe2(info, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(done, O_CLOEXEC), 0);
  UniqueFd info_r(info[0]), info_w(info[1]), done_r(done[0]), done_w(done[1]);
  // The exporter: uid 65534, dumpable (so /proc/PID/fd is open to its own
  // uid, as for any process that never changed uid), holding a token and
  // a control memfd with the default mode.
  ASSERT_OK_AND_ASSIGN(
      ForkedChild exporter, ForkedChild::Start([&] {
        info_r.Reset();
        done_w.Reset();
        if (!BecomeNobody() || ::prctl(PR_SET_DUMPABLE, 1) != 0) return 10;
        absl::StatusOr<SealedToken> t = SealEncryptedToken(Bytes("nobody's"));
        if (!t.ok()) return 11;
        UniqueFd control(::memfd_create("control", MFD_CLOEXEC));
        if (!control.valid()) return 12;
        const std::string msg = absl::StrCat(::getpid(), " ", t->fd.get(), " ",
                                             control.get(), "\n");
        if (::write(info_w.get(), msg.data(), msg.size()) !=
            static_cast<ssize_t>(msg.size())) {
          return 13;
        }
        char c;
        if (::read(done_r.get(), &c, 1) != 1) return 14;
        // Still ours, exactly once.
        absl::StatusOr<SecretBuffer> got = ConsumeEncryptedToken(
            t->fd.get(), t->expect, t->key.span(), nullptr);
        if (!got.ok() || !got->Equals(Bytes("nobody's"))) return 15;
        return 0;
      }));
  info_w.Reset();
  done_r.Reset();
  ASSERT_OK_AND_ASSIGN(
      ForkedChild attacker, ForkedChild::Start([&] {
        if (!BecomeNobody()) return 10;
        char buf[128] = {};
        ssize_t n = ::read(info_r.get(), buf, sizeof buf - 1);
        int pid = 0, token_fd = 0, control_fd = 0;
        if (n <= 0 ||
            std::sscanf(buf, "%d %d %d", &pid, &token_fd, &control_fd) != 3) {
          return 11;
        }
        const std::string base = absl::StrCat("/proc/", pid, "/fd/");
        const int control = TryOpen(base + std::to_string(control_fd), O_RDWR);
        const int token_rw = TryOpen(base + std::to_string(token_fd), O_RDWR);
        const int token_ro = TryOpen(base + std::to_string(token_fd), O_RDONLY);
        (void)!::write(done_w.get(), "d", 1);
        if (control != 1) return 20 + control;  // /proc itself refused us
        return token_rw == 0 && token_ro == 0 ? 0
                                              : 30 + token_rw * 3 + token_ro;
      }));
  done_w.Reset();
  info_r.Reset();
  EXPECT_THAT(attacker.Wait(kWait), IsOkAndHolds(0))
      << "20+: /proc/PID/fd not reachable for the same uid (test broken); "
         "30+: the mode-0 token was reopened";
  EXPECT_THAT(exporter.Wait(kWait), IsOkAndHolds(0));
}

}  // namespace
}  // namespace gssx::transport
