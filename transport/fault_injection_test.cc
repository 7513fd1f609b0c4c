// SPDX-License-Identifier: Apache-2.0
// Fault injection through the syscall seam (transport/base/syscalls.h).
//
// For every operation (Seal, Consume, Send, Receive, AwaitAck, Reclaim,
// Channel::Open / Pair / Connect, Listener::Listen / Accept, pool growth),
// a fault-free run first counts the calls each call site makes ("call
// site" = a system call, told apart by command for fcntl and by option for
// getsockopt). Then, for every site, every N up to its count and every
// errno that call can really return, the operation runs again from scratch
// with exactly the Nth call failing with that errno, and the test asserts:
//   - a clear status: a transport ErrorKind, carrying the injected errno
//     (or a documented translation of it, e.g. F_GET_SEALS EINVAL is "not a
//     memfd"); EINTR and EAGAIN where the code retries them never surface;
//   - no fd leaked (FdSnapshot around the whole run, teardown included);
//   - the token is never lost and never duplicated: afterwards exactly one
//     of "the importer got it", "Reclaim returned it" holds.
// A fault is injected once (the next call succeeds again), as real
// transient errors are; calls that fail with EINTR after doing their work
// (close, connect) really do the work first.
//
// At the end the test prints, per operation and call site, how many calls
// the operation makes, how many faults were injected there, and how many
// were absorbed (retried, fallen back, best effort) or surfaced.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fd_leak.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/wire_format.h"
#include "transport/base/errors.h"
#include "transport/base/syscalls.h"
#include "transport/memfd_token.h"
#include "transport/base/secret_buffer.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

namespace gssx::transport {
namespace {

using ::gssx::testing::FdSnapshot;
using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using internal::RealSyscalls;
using internal::Syscalls;

constexpr absl::Duration kWait = absl::Seconds(10);

// ------------------------------------------------------------ the injector

// One planned fault: the `nth` call (1-based) at `site` fails with `err`.
struct Plan {
  std::string site;
  int nth = 0;
  int err = 0;
};

// State shared with the wrappers (plain function pointers cannot capture).
// Only the test thread calls through the seam while a plan is installed.
struct InjectorState {
  std::map<std::string, int> calls;
  Plan plan;
  bool fired = false;
};
InjectorState* g_state = nullptr;

// Counts the call; true if this one is to fail (errno is then set).
bool Fail(const std::string& site) {
  if (g_state == nullptr) return false;
  const int n = ++g_state->calls[site];
  if (g_state->fired || n != g_state->plan.nth || site != g_state->plan.site) {
    return false;
  }
  g_state->fired = true;
  errno = g_state->plan.err;
  return true;
}

std::string FcntlSite(int cmd, long arg) {
  switch (cmd) {
    case F_ADD_SEALS:
      return arg == F_SEAL_SEAL ? "fcntl(F_ADD_SEALS, latch)"
                                : "fcntl(F_ADD_SEALS, seal)";
    case F_GET_SEALS:
      return "fcntl(F_GET_SEALS)";
    case F_GETFL:
      return "fcntl(F_GETFL)";
    case F_SETFL:
      return "fcntl(F_SETFL)";
    case F_GETFD:
      return "fcntl(F_GETFD)";
    case F_SETFD:
      return "fcntl(F_SETFD)";
    default:
      return absl::StrCat("fcntl(", cmd, ")");
  }
}

std::string SockoptSite(int name) {
  switch (name) {
    case SO_DOMAIN:
      return "getsockopt(SO_DOMAIN)";
    case SO_TYPE:
      return "getsockopt(SO_TYPE)";
    case SO_PEERCRED:
      return "getsockopt(SO_PEERCRED)";
    case SO_PEERPIDFD:
      return "getsockopt(SO_PEERPIDFD)";
    case SO_ERROR:
      return "getsockopt(SO_ERROR)";
    default:
      return absl::StrCat("getsockopt(", name, ")");
  }
}

const Syscalls& Real() { return RealSyscalls(); }

Syscalls MakeFaultyTable() {
  Syscalls t = RealSyscalls();  // new seam entries default to the real call
  t.memfd_create = [](const char* name, unsigned int flags) {
    return Fail("memfd_create") ? -1 : Real().memfd_create(name, flags);
  };
  t.pwrite = [](int fd, const void* b, size_t n, off_t o) -> ssize_t {
    return Fail("pwrite") ? -1 : Real().pwrite(fd, b, n, o);
  };
  t.pread = [](int fd, void* b, size_t n, off_t o) -> ssize_t {
    return Fail("pread") ? -1 : Real().pread(fd, b, n, o);
  };
  t.fcntl = [](int fd, int cmd, long arg) {
    return Fail(FcntlSite(cmd, arg)) ? -1 : Real().fcntl(fd, cmd, arg);
  };
  t.fchmod = [](int fd, mode_t mode) {
    return Fail("fchmod") ? -1 : Real().fchmod(fd, mode);
  };
  t.fstat = [](int fd, struct stat* st) {
    return Fail("fstat") ? -1 : Real().fstat(fd, st);
  };
  t.ftruncate = [](int fd, off_t len) {
    return Fail("ftruncate") ? -1 : Real().ftruncate(fd, len);
  };
  t.sendmsg = [](int fd, const msghdr* m, int flags) -> ssize_t {
    return Fail("sendmsg") ? -1 : Real().sendmsg(fd, m, flags);
  };
  t.recvmsg = [](int fd, msghdr* m, int flags) -> ssize_t {
    return Fail("recvmsg") ? -1 : Real().recvmsg(fd, m, flags);
  };
  t.socket = [](int d, int type, int p) {
    return Fail("socket") ? -1 : Real().socket(d, type, p);
  };
  t.socketpair = [](int d, int type, int p, int sv[2]) {
    return Fail("socketpair") ? -1 : Real().socketpair(d, type, p, sv);
  };
  t.bind = [](int fd, const sockaddr* a, socklen_t l) {
    return Fail("bind") ? -1 : Real().bind(fd, a, l);
  };
  t.listen = [](int fd, int backlog) {
    return Fail("listen") ? -1 : Real().listen(fd, backlog);
  };
  t.accept4 = [](int fd, sockaddr* a, socklen_t* l, int flags) {
    return Fail("accept4") ? -1 : Real().accept4(fd, a, l, flags);
  };
  t.connect = [](int fd, const sockaddr* a, socklen_t l) {
    if (!Fail("connect")) return Real().connect(fd, a, l);
    if (errno != EINTR) return -1;
    // A signal during connect: the connection goes on in the background.
    const int e = errno;
    (void)Real().connect(fd, a, l);
    errno = e;
    return -1;
  };
  t.getsockopt = [](int fd, int level, int name, void* v, socklen_t* l) {
    return Fail(SockoptSite(name)) ? -1
                                   : Real().getsockopt(fd, level, name, v, l);
  };
  t.poll = [](pollfd* fds, nfds_t n, int timeout) {
    return Fail("poll") ? -1 : Real().poll(fds, n, timeout);
  };
  t.close = [](int fd) {
    if (!Fail("close")) return Real().close(fd);
    // Linux releases the descriptor even when close reports an error.
    const int e = errno;
    (void)Real().close(fd);
    errno = e;
    return -1;
  };
  t.mmap = [](void* a, size_t len, int prot, int flags, int fd, off_t off) {
    return Fail("mmap") ? MAP_FAILED
                        : Real().mmap(a, len, prot, flags, fd, off);
  };
  t.mprotect = [](void* a, size_t len, int prot) {
    return Fail("mprotect") ? -1 : Real().mprotect(a, len, prot);
  };
  t.mlock = [](const void* a, size_t len) {
    return Fail("mlock") ? -1 : Real().mlock(a, len);
  };
  t.madvise = [](void* a, size_t len, int advice) {
    return Fail("madvise") ? -1 : Real().madvise(a, len, advice);
  };
  return t;
}

// Installs the counting/faulting table for its lifetime.
class Injector {
 public:
  explicit Injector(Plan plan) : table_(MakeFaultyTable()) {
    state_.plan = std::move(plan);
    g_state = &state_;
    scoped_.emplace(table_);
  }
  ~Injector() {
    scoped_.reset();
    g_state = nullptr;
  }
  bool fired() const { return state_.fired; }
  const std::map<std::string, int>& calls() const { return state_.calls; }

 private:
  Syscalls table_;
  InjectorState state_;
  std::optional<internal::ScopedSyscalls> scoped_;
};

// The errnos each call can really return (man pages), that we inject.
std::vector<int> Plausible(const std::string& site) {
  static const std::map<std::string, std::vector<int>> kErrnos = {
      {"memfd_create", {EMFILE, ENFILE, ENOMEM, EINVAL}},
      {"pwrite", {EINTR, ENOMEM, ENOSPC, EFBIG}},
      {"pread", {EINTR, ENOMEM, EIO}},
      // Sealing a fresh memfd: EBUSY (a writable mapping), EINVAL (unknown
      // seal: the fallback without F_SEAL_EXEC), EPERM.
      {"fcntl(F_ADD_SEALS, seal)", {EBUSY, EINVAL, EPERM}},
      // The latch. EPERM is the kernel's "already latched" (the very answer
      // it reports), so not a fault to inject; anything else must surface
      // without losing the token.
      {"fcntl(F_ADD_SEALS, latch)", {EINTR, ENOMEM, EINVAL, EBUSY}},
      {"fcntl(F_GET_SEALS)", {EINVAL, ENOMEM}},
      {"fcntl(F_GETFL)", {ENOMEM, EINVAL}},
      {"fcntl(F_SETFL)", {ENOMEM, EINVAL}},
      {"fcntl(F_GETFD)", {EBADF}},
      {"fcntl(F_SETFD)", {EINVAL}},
      {"fchmod", {EPERM, EIO, EROFS}},
      {"fstat", {ENOMEM, EIO, EOVERFLOW}},
      {"ftruncate", {EINTR, EPERM, EIO}},
      {"sendmsg",
       {EINTR, EAGAIN, EPIPE, ECONNRESET, ETOOMANYREFS, ENOMEM, ENOBUFS}},
      {"recvmsg", {EINTR, EAGAIN, ENOMEM, ECONNRESET, ENOBUFS}},
      {"socket", {EMFILE, ENFILE, ENOMEM, ENOBUFS, EACCES}},
      {"socketpair", {EMFILE, ENFILE, ENOMEM}},
      {"bind", {EADDRINUSE, EACCES, ENOMEM}},
      {"listen", {EADDRINUSE, ENOMEM}},
      {"accept4",
       {EMFILE, ENFILE, ENOMEM, ENOBUFS, EINTR, EAGAIN, ECONNABORTED, EPERM}},
      {"connect", {EINTR, EAGAIN, ECONNREFUSED, ENOENT, EACCES, ENOMEM}},
      {"getsockopt(SO_DOMAIN)", {ENOMEM, ENOBUFS}},
      {"getsockopt(SO_TYPE)", {ENOMEM}},
      {"getsockopt(SO_PEERCRED)", {ENOMEM, ENOTCONN}},
      {"getsockopt(SO_PEERPIDFD)", {EMFILE, ENFILE, ENOPROTOOPT, ESRCH}},
      {"getsockopt(SO_ERROR)", {ENOMEM}},
      {"poll", {EINTR, ENOMEM}},
      {"close", {EINTR, EIO}},
      {"mmap", {ENOMEM, EAGAIN}},
      {"mprotect", {ENOMEM, EACCES}},
      {"mlock", {ENOMEM, EPERM, EAGAIN}},
      {"madvise", {EINVAL, ENOMEM}},
  };
  auto it = kErrnos.find(site);
  return it == kErrnos.end() ? std::vector<int>{ENOMEM} : it->second;
}

// EINTR (and EAGAIN on non-blocking sockets) must be retried here.
bool MustRetry(const std::string& site, int err) {
  static const std::set<std::string> kEintr = {
      "pwrite",  "pread", "ftruncate", "sendmsg",
      "recvmsg", "poll",  "accept4",   "connect"};
  static const std::set<std::string> kEagain = {"sendmsg", "recvmsg",
                                                "accept4"};
  return (err == EINTR && kEintr.count(site)) ||
         (err == EAGAIN && kEagain.count(site));
}

// Documented translations of an injected errno into a more specific kind
// that does not carry it.
bool Translated(const std::string& site, int err, ErrorKind kind) {
  if (site == "fcntl(F_GET_SEALS)" && err == EINVAL) {
    return kind == ErrorKind::kNotMemfd;  // only shmem supports seals
  }
  return false;
}

// ------------------------------------------------------------- the table

struct Tally {
  int calls = 0;  // in the fault-free run
  int injected = 0;
  int absorbed = 0;  // the operation still succeeded
  int surfaced = 0;  // it failed with a clear status
  std::set<std::string> statuses;
};
std::map<std::pair<std::string, std::string>, Tally>& Table() {
  static auto* table = new std::map<std::pair<std::string, std::string>, Tally>;
  return *table;
}
std::vector<std::string>& OperationOrder() {
  static auto* order = new std::vector<std::string>;
  return *order;
}

class PrintTable : public ::testing::Environment {
 public:
  void TearDown() override {
    int faults = 0, sites = 0;
    for (const auto& [key, t] : Table()) {
      faults += t.injected;
      ++sites;
    }
    std::printf(
        "\nfaults injected per call site (one run per fault; calls = "
        "calls the operation makes when nothing fails)\n");
    std::printf("%-22s %-27s %5s %6s %8s %8s  %s\n", "operation", "call site",
                "calls", "faults", "absorbed", "surfaced", "statuses seen");
    for (const std::string& op : OperationOrder()) {
      for (const auto& [key, t] : Table()) {
        if (key.first != op) continue;
        std::printf("%-22s %-27s %5d %6d %8d %8d  %s\n", op.c_str(),
                    key.second.c_str(), t.calls, t.injected, t.absorbed,
                    t.surfaced, absl::StrJoin(t.statuses, " ").c_str());
      }
    }
    std::printf(
        "fault injection: %d faults at %d (operation, call site) "
        "pairs; tokens lost: 0, duplicated: 0, fds leaked: 0 "
        "(else a test above failed)\n",
        faults, sites);
  }
};
const auto* const kPrintTable =
    ::testing::AddGlobalTestEnvironment(new PrintTable);

std::string Describe(const absl::Status& s) {
  if (s.ok()) return "ok";
  const int e = ErrnoOf(s);
  return e != 0
             ? absl::StrCat(ErrorKindName(KindOf(s)), "/", strerrorname_np(e))
             : std::string(ErrorKindName(KindOf(s)));
}

// ----------------------------------------------------------- the scenarios

class Scenario {
 public:
  virtual ~Scenario() = default;
  // Before the faults (real system calls). May use ASSERT_*.
  virtual void Setup() {}
  // The operation under test.
  virtual absl::Status Run() = 0;
  // After the faults (real system calls): the exactly-once checks.
  virtual void Check(const absl::Status& run) = 0;
};
using Factory = std::function<std::unique_ptr<Scenario>()>;

// Runs `make`'s scenario fault-free (twice: the first run may warm up
// caches such as the locked pool; the second one's calls are the ones to
// fail), then once per (site, N, errno). A faulted run whose status equals
// the fault-free one absorbed the fault (retried it, fell back, or it was
// best effort); any other status must be a clear one.
void Drive(const std::string& op, const Factory& make) {
  OperationOrder().push_back(op);
  std::map<std::string, int> counts;
  absl::Status baseline;
  for (int warm = 0; warm < 2; ++warm) {
    FdSnapshot before = FdSnapshot::Take();
    std::unique_ptr<Scenario> s = make();
    s->Setup();
    if (::testing::Test::HasFatalFailure()) return;
    {
      Injector counting(Plan{});
      baseline = s->Run();
      counts = counting.calls();
    }
    s->Check(baseline);
    s.reset();
    ASSERT_EQ(before.LeakedSince(), "") << op << " (no fault)";
  }
  ASSERT_FALSE(counts.empty()) << op << " made no system call";
  for (const auto& [site, count] : counts) {
    Tally& tally = Table()[{op, site}];
    tally.calls = count;
    for (int nth = 1; nth <= count; ++nth) {
      for (int err : Plausible(site)) {
        SCOPED_TRACE(absl::StrCat(op, ": call ", nth, " of ", site,
                                  " fails with ", strerrorname_np(err)));
        FdSnapshot before = FdSnapshot::Take();
        std::unique_ptr<Scenario> s = make();
        s->Setup();
        if (::testing::Test::HasFatalFailure()) return;
        absl::Status run;
        bool fired;
        {
          Injector faulty(Plan{site, nth, err});
          run = s->Run();
          fired = faulty.fired();
        }
        EXPECT_TRUE(fired) << "the call did not happen again";
        if (!fired) continue;
        ++tally.injected;
        tally.statuses.insert(Describe(run));
        if (run.ok() == baseline.ok() && KindOf(run) == KindOf(baseline)) {
          ++tally.absorbed;
        } else {
          ++tally.surfaced;
          EXPECT_NE(KindOf(run), ErrorKind::kNone) << run;
          EXPECT_FALSE(MustRetry(site, err)) << "not retried: " << run;
          EXPECT_TRUE(ErrnoOf(run) == err || Translated(site, err, KindOf(run)))
              << "the status does not carry the errno: " << run;
        }
        s->Check(run);
        s.reset();
        EXPECT_EQ(before.LeakedSince(), "");
      }
    }
  }
}

std::vector<uint8_t> Payload(size_t size) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(i * 7 + 1);
  return p;
}

ReceiveOptions Opts(absl::Duration timeout, size_t max_fds = 1) {
  ReceiveOptions o;
  o.timeout = timeout;
  o.max_extra_fds = max_fds;
  return o;
}

// ---- tokens

class SealScenario : public Scenario {
 public:
  explicit SealScenario(size_t size) : payload_(Payload(size)) {}
  absl::Status Run() override {
    token_ = SealEncryptedToken(payload_);
    return token_.status();
  }
  void Check(const absl::Status& run) override {
    if (!run.ok()) return;
    absl::StatusOr<SecretBuffer> got = ConsumeEncryptedToken(
        token_->fd.get(), token_->expect, token_->key.span(), nullptr);
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(got->Equals(payload_));
  }

 private:
  std::vector<uint8_t> payload_;
  absl::StatusOr<SealedToken> token_;
};

class SealRawScenario : public Scenario {
 public:
  absl::Status Run() override {
    fd_ = SealRawToken(Payload(100));
    return fd_.status();
  }
  void Check(const absl::Status& run) override {
    if (run.ok()) {
      EXPECT_THAT(ConsumeRawToken(fd_->get(), nullptr), IsOk());
    }
  }

 private:
  absl::StatusOr<UniqueFd> fd_;
};

// Exactly one of the faulted consume and a later fault-free one succeeds.
class ConsumeScenario : public Scenario {
 public:
  explicit ConsumeScenario(size_t size) : payload_(Payload(size)) {}
  void Setup() override {
    ASSERT_OK_AND_ASSIGN(token_, SealEncryptedToken(payload_));
  }
  absl::Status Run() override {
    got_ = ConsumeEncryptedToken(token_.fd.get(), token_.expect,
                                 token_.key.span(), nullptr);
    return got_.status();
  }
  void Check(const absl::Status& run) override {
    absl::StatusOr<SecretBuffer> again = ConsumeEncryptedToken(
        token_.fd.get(), token_.expect, token_.key.span(), nullptr);
    EXPECT_EQ(int{run.ok()} + int{again.ok()}, 1)
        << "faulted: " << run << "; then: " << again.status();
    if (run.ok()) {
      EXPECT_TRUE(got_->Equals(payload_));
    }
    if (again.ok()) {
      EXPECT_TRUE(again->Equals(payload_));
    }
    if (run.ok()) {
      EXPECT_THAT(again, HasErrorKind(ErrorKind::kAlreadyConsumed));
    }
  }

 private:
  std::vector<uint8_t> payload_;
  SealedToken token_;
  absl::StatusOr<SecretBuffer> got_;
};

class ConsumeRawScenario : public Scenario {
 public:
  void Setup() override {
    ASSERT_OK_AND_ASSIGN(fd_, SealRawToken(Payload(64)));
  }
  absl::Status Run() override {
    return ConsumeRawToken(fd_.get(), nullptr).status();
  }
  void Check(const absl::Status& run) override {
    absl::StatusOr<SecretBuffer> again = ConsumeRawToken(fd_.get(), nullptr);
    EXPECT_EQ(int{run.ok()} + int{again.ok()}, 1)
        << "faulted: " << run << "; then: " << again.status();
  }

 private:
  UniqueFd fd_;
};

// ---- channels

// A channel pair with a pipe to send along, and the exactly-once audit.
class PairScenario : public Scenario {
 public:
  explicit PairScenario(size_t size = 200) : payload_(Payload(size)) {}
  void Setup() override {
    ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
    a_.emplace(std::move(pair.first));
    b_.emplace(std::move(pair.second));
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    pipe_r_.Reset(p[0]);
    pipe_w_.Reset(p[1]);
  }

 protected:
  void SendReal() {
    absl::StatusOr<Handoff> h = a_->Send(payload_, {pipe_r_.get()});
    ASSERT_THAT(h, IsOk());
    handoff_ = std::move(*h);
  }
  // Whatever the fault did, the token ends exactly once: imported (by the
  // faulted Receive or a later one) or reclaimed; an import is acked or
  // answered "already consumed" to the exporter.
  void Audit(bool imported_by_run) {
    int imported = imported_by_run ? 1 : 0, reclaimed = 0;
    if (!handoff_.resolved()) {
      absl::Status acked = a_->AwaitAck(handoff_, absl::ZeroDuration());
      if (acked.ok()) {
        EXPECT_TRUE(imported_by_run) << "acked, but nobody imported it";
      }
    }
    // The importer tries again (a message still queued is read now).
    absl::StatusOr<ReceivedToken> late =
        b_->Receive(Opts(absl::ZeroDuration()));
    if (late.ok()) {
      ++imported;
      EXPECT_TRUE(late->token.Equals(payload_));
      EXPECT_EQ(late->fds.size(), 1u);
    }
    if (!handoff_.resolved()) {
      absl::StatusOr<SecretBuffer> back = handoff_.Reclaim();
      if (back.ok()) {
        ++reclaimed;
        EXPECT_TRUE(back->Equals(payload_));
      } else {
        EXPECT_THAT(back, HasErrorKind(ErrorKind::kAlreadyConsumed));
        EXPECT_EQ(imported, 1) << "reclaim says imported, but nobody has it";
      }
    }
    EXPECT_EQ(imported + reclaimed, 1)
        << "imported " << imported << " times, reclaimed " << reclaimed;
  }

  std::vector<uint8_t> payload_;
  std::optional<Channel> a_, b_;
  UniqueFd pipe_r_, pipe_w_;
  Handoff handoff_;
};

class SendScenario : public PairScenario {
 public:
  using PairScenario::PairScenario;
  absl::Status Run() override {
    absl::StatusOr<Handoff> h = a_->Send(payload_, {pipe_r_.get()});
    if (h.ok()) handoff_ = std::move(*h);
    return h.status();
  }
  void Check(const absl::Status& run) override {
    if (!run.ok()) {
      // Nothing left the process: nothing arrives, nothing to reclaim.
      EXPECT_THAT(b_->Receive(Opts(absl::ZeroDuration())),
                  HasErrorKind(ErrorKind::kTimeout));
      return;
    }
    Audit(/*imported_by_run=*/false);
  }
};

class ReceiveScenario : public PairScenario {
 public:
  ReceiveScenario(size_t size, absl::Duration timeout)
      : PairScenario(size), timeout_(timeout) {}
  void Setup() override {
    PairScenario::Setup();
    if (!::testing::Test::HasFatalFailure()) SendReal();
  }
  absl::Status Run() override {
    absl::StatusOr<ReceivedToken> r = b_->Receive(Opts(timeout_));
    if (r.ok()) {
      EXPECT_TRUE(r->token.Equals(payload_));
      EXPECT_EQ(r->fds.size(), 1u);
    }
    return r.status();
  }
  void Check(const absl::Status& run) override { Audit(run.ok()); }

 private:
  absl::Duration timeout_;
};

class AwaitAckScenario : public PairScenario {
 public:
  explicit AwaitAckScenario(bool reject) : reject_(reject) {}
  void Setup() override {
    PairScenario::Setup();
    if (::testing::Test::HasFatalFailure()) return;
    SendReal();
    ReceiveOptions o = Opts(kWait);
    if (reject_) {
      o.validate = [](absl::Span<const uint8_t>) {
        return MakeError(ErrorKind::kMalformed, "not today");
      };
    }
    absl::StatusOr<ReceivedToken> r = b_->Receive(o);
    imported_ = r.ok();
    ASSERT_EQ(imported_, !reject_) << r.status();
  }
  absl::Status Run() override { return a_->AwaitAck(handoff_, kWait); }
  void Check(const absl::Status& run) override {
    if (reject_) {
      EXPECT_FALSE(run.ok());
    } else if (!run.ok()) {
      // The answer is still on its way: waiting again finds it.
      EXPECT_THAT(a_->AwaitAck(handoff_, absl::ZeroDuration()), IsOk());
    }
    Audit(imported_);
  }

 private:
  bool reject_;
  bool imported_ = false;
};

class ReclaimScenario : public PairScenario {
 public:
  using PairScenario::PairScenario;
  void Setup() override {
    PairScenario::Setup();
    if (!::testing::Test::HasFatalFailure()) SendReal();
  }
  absl::Status Run() override {
    absl::StatusOr<SecretBuffer> back = handoff_.Reclaim();
    if (back.ok()) {
      EXPECT_TRUE(back->Equals(payload_));
    }
    return back.status();
  }
  void Check(const absl::Status& run) override {
    int reclaimed = run.ok() ? 1 : 0, imported = 0;
    if (IsError(run, ErrorKind::kAlreadyConsumed)) {
      ADD_FAILURE() << "reclaim says imported, but nobody imported it";
    }
    if (!run.ok()) {
      EXPECT_FALSE(handoff_.resolved()) << "a failed reclaim gave up the token";
    }
    absl::StatusOr<ReceivedToken> r = b_->Receive(Opts(absl::ZeroDuration()));
    if (r.ok()) ++imported;
    if (!handoff_.resolved()) {
      absl::StatusOr<SecretBuffer> back = handoff_.Reclaim();
      if (back.ok()) ++reclaimed;
    }
    EXPECT_EQ(imported + reclaimed, 1)
        << "imported " << imported << " times, reclaimed " << reclaimed;
  }
};

// ---- opening channels


bool SendHelloRaw(int fd) {
  uint8_t hello[internal::kHelloSize];
  const size_t n = internal::EncodeHello(true, absl::MakeSpan(hello));
  return n == sizeof hello &&
         ::send(fd, hello, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n);
}

class OpenScenario : public Scenario {
 public:
  void Setup() override {
    ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
    mine_ = std::move(fds.first);
    raw_ = std::move(fds.second);
    ASSERT_TRUE(SendHelloRaw(raw_.get()));
  }
  absl::Status Run() override {
    channel_ = Channel::Open(std::move(mine_));
    return channel_.status();
  }
  void Check(const absl::Status& run) override {
    uint8_t buf[64];
    ssize_t n = ::recv(raw_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (run.ok()) {
      EXPECT_EQ(n, 12) << "no HELLO from the opened channel";
      EXPECT_GT(channel_->peer().pid, 0);
      return;
    }
    // Failed: the socket was closed: EOF after at most its HELLO (a peer
    // that closes with our HELLO unread first makes recv say ECONNRESET).
    for (int i = 0; i < 2 && (n == 12 || (n < 0 && errno == ECONNRESET)); ++i) {
      n = ::recv(raw_.get(), buf, sizeof buf, MSG_DONTWAIT);
    }
    EXPECT_EQ(n, 0) << "a failed Open kept the socket";
  }

 private:
  UniqueFd mine_, raw_;
  absl::StatusOr<Channel> channel_;
};

class MakePairScenario : public Scenario {
 public:
  absl::Status Run() override {
    pair_ = Channel::Pair();
    return pair_.status();
  }
  void Check(const absl::Status& run) override {
    if (!run.ok()) return;
    ASSERT_OK_AND_ASSIGN(Handoff h, pair_->first.Send(Payload(10)));
    EXPECT_THAT(pair_->second.Receive(Opts(kWait)), IsOk());
    EXPECT_THAT(pair_->first.AwaitAck(h, kWait), IsOk());
  }

 private:
  absl::StatusOr<std::pair<Channel, Channel>> pair_;
};

std::string NewAddress() {
  static int n = 0;
  return absl::StrCat("@gssx-fault-", ::getpid(), "-", ++n);
}

// A client connecting by hand (libc, not the seam): connect + HELLO.
UniqueFd RawClient(const std::string& address) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, address.data() + 1, address.size() - 1);
  socklen_t len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len), 0)
      << std::strerror(errno);
  EXPECT_TRUE(SendHelloRaw(fd.get()));
  return fd;
}

class ListenScenario : public Scenario {
 public:
  absl::Status Run() override {
    address_ = NewAddress();
    listener_ = Listener::Listen(address_);
    return listener_.status();
  }
  void Check(const absl::Status& run) override {
    if (!run.ok()) return;
    UniqueFd client = RawClient(address_);
    EXPECT_THAT(listener_->Accept(kWait), IsOk());
  }

 private:
  std::string address_;
  absl::StatusOr<Listener> listener_;
};

class AcceptScenario : public Scenario {
 public:
  void Setup() override {
    address_ = NewAddress();
    ASSERT_OK_AND_ASSIGN(Listener l, Listener::Listen(address_));
    listener_.emplace(std::move(l));
    client_ = RawClient(address_);
  }
  absl::Status Run() override { return listener_->Accept(kWait).status(); }
  void Check(const absl::Status& run) override {
    if (run.ok()) return;
    // The listener survives: a new client (or the pending one) gets in.
    UniqueFd again = RawClient(address_);
    EXPECT_THAT(listener_->Accept(kWait), IsOk());
  }

 private:
  std::string address_;
  std::optional<Listener> listener_;
  UniqueFd client_;
};

// Connect needs a live server: a thread accepting by hand (libc only, so
// that it neither trips nor counts the injected faults).
class ConnectScenario : public Scenario {
 public:
  ~ConnectScenario() override {
    if (server_.joinable()) {
      const char stop = 's';
      (void)::write(stop_w_, &stop, 1);
      server_.join();
    }
    if (stop_w_ >= 0) ::close(stop_w_);
  }
  void Setup() override {
    address_ = NewAddress();
    ASSERT_OK_AND_ASSIGN(Listener l, Listener::Listen(address_));
    listener_.emplace(std::move(l));
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    stop_w_ = p[1];
    const int listen_fd = listener_->fd(), stop_r = p[0];
    server_ = std::thread([listen_fd, stop_r] {
      std::vector<int> accepted;
      for (;;) {
        // Raw ::poll / ::accept4 on purpose: this server runs beside the
        // faulted calls and must stay outside the syscall seam.
        pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_r, POLLIN, 0}};
        if (::poll(fds, 2, 30000) <= 0 || fds[1].revents) break;
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        accepted.push_back(fd);
        (void)SendHelloRaw(fd);
      }
      for (int fd : accepted) ::close(fd);
      ::close(stop_r);
    });
  }
  absl::Status Run() override { return Channel::Connect(address_).status(); }
  void Check(const absl::Status&) override {}

 private:
  std::string address_;
  std::optional<Listener> listener_;
  int stop_w_ = -1;
  std::thread server_;
};

// ---- locked memory

// Allocates pooled buffers until the pool maps a new region (or fails).
class PoolGrowthScenario : public Scenario {
 public:
  absl::Status Run() override {
    const size_t regions = GetLockedMemoryStats().regions;
    for (int i = 0; i < 64; ++i) {
      absl::StatusOr<SecretBuffer> b = SecretBuffer::Create(16 * 1024);
      if (!b.ok()) return b.status();
      held_.push_back(std::move(*b));
      if (GetLockedMemoryStats().regions > regions) return absl::OkStatus();
    }
    return MakeError(ErrorKind::kBadArgument, "the pool never grew");
  }
  void Check(const absl::Status& run) override {
    for (SecretBuffer& b : held_) {
      b.data()[0] = 1;  // usable (mapped read-write)
      b.data()[b.size() - 1] = 2;
    }
    if (!run.ok()) {
      EXPECT_THAT(run, HasErrorKind(ErrorKind::kOs));
    }
  }

 private:
  std::vector<SecretBuffer> held_;
};

template <typename T, typename... Args>
Factory Make(Args... args) {
  return [=] { return std::unique_ptr<Scenario>(new T(args...)); };
}

// 100 KiB: above the pool's largest slot, so buffers are large mappings
// of their own (mmap, mprotect, madvise, mlock faults are reached too).
constexpr size_t kLarge = 100 * 1024;

TEST(FaultInjectionTest, Seal) {
  Drive("Seal", Make<SealScenario>(size_t{300}));
}
TEST(FaultInjectionTest, SealRaw) { Drive("SealRaw", Make<SealRawScenario>()); }
TEST(FaultInjectionTest, Consume) {
  Drive("Consume", Make<ConsumeScenario>(size_t{300}));
}
TEST(FaultInjectionTest, ConsumeLarge) {
  Drive("Consume (100 KiB)", Make<ConsumeScenario>(kLarge));
}
TEST(FaultInjectionTest, ConsumeRaw) {
  Drive("ConsumeRaw", Make<ConsumeRawScenario>());
}
TEST(FaultInjectionTest, Send) {
  Drive("Send", Make<SendScenario>(size_t{200}));
}
// Above kMaxInlineToken: the ciphertext-in-memfd form (200 bytes go inline).
TEST(FaultInjectionTest, SendMemfd) {
  Drive("Send (4 KiB, memfd)", Make<SendScenario>(size_t{4096}));
}
TEST(FaultInjectionTest, Receive) {
  Drive("Receive", Make<ReceiveScenario>(size_t{200}, kWait));
}
TEST(FaultInjectionTest, ReceiveBlocking) {
  Drive("Receive (no timeout)",
        Make<ReceiveScenario>(size_t{200}, absl::InfiniteDuration()));
}
TEST(FaultInjectionTest, ReceiveLarge) {
  Drive("Receive (100 KiB)", Make<ReceiveScenario>(kLarge, kWait));
}
TEST(FaultInjectionTest, AwaitAck) {
  Drive("AwaitAck", Make<AwaitAckScenario>(false));
}
TEST(FaultInjectionTest, AwaitAckRejected) {
  Drive("AwaitAck (rejected)", Make<AwaitAckScenario>(true));
}
TEST(FaultInjectionTest, Reclaim) {
  Drive("Reclaim", Make<ReclaimScenario>(size_t{200}));
}
TEST(FaultInjectionTest, ReclaimLarge) {
  Drive("Reclaim (100 KiB)", Make<ReclaimScenario>(kLarge));
}
TEST(FaultInjectionTest, Open) { Drive("Channel::Open", Make<OpenScenario>()); }
TEST(FaultInjectionTest, Pair) {
  Drive("Channel::Pair", Make<MakePairScenario>());
}
TEST(FaultInjectionTest, Listen) {
  Drive("Listener::Listen", Make<ListenScenario>());
}
TEST(FaultInjectionTest, Accept) {
  Drive("Listener::Accept", Make<AcceptScenario>());
}
TEST(FaultInjectionTest, Connect) {
  Drive("Channel::Connect", Make<ConnectScenario>());
}
TEST(FaultInjectionTest, PoolGrowth) {
  Drive("SecretBuffer (pool grows)", Make<PoolGrowthScenario>());
}

}  // namespace
}  // namespace gssx::transport
