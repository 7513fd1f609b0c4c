// SPDX-License-Identifier: Apache-2.0
// Upgrade kill storm: live upgrades (transport/upgrade.h) from a source
// process to a target process, one after another, while either side is
// SIGKILLed at random points; a ledger over every round proves that each
// session (a real token in locked memory + a real socket) ended owned by
// exactly one process — or died with the killed process that owned it.
//
// Lineages: the parent creates a lineage in each of kSlots slots: kSessions
// sessions (socketpairs: the parent keeps the "client" ends; tokens whose
// bytes derive from the session's serial) and a listening socket, given to
// a first holder process. A holder upgrades again and again: it forks a
// target (joined by a socketpair channel), Begin, OfferListeners, offers
// its sessions (sometimes holding one back: "mid-request", it stays), and
// Commits. Committed: the target is the new holder of what it got, and the
// source exits once it holds nothing. Returned: the source keeps serving
// what came back. So the chain of holders of a lineage runs until a kill
// ends it; then the parent judges the lineage and starts a new one.
//
// Kills: the parent SIGKILLs the source or the target of a slot's latest
// round at random moments, and each process kills itself with a small
// probability at named points (larger at the COMMIT's):
//   source: after fork | after each message is sent (after_send) | between
//           offers | at the COMMIT's reclaim latch | after Commit returned
//           | between restores
//   target: before each latch (before_consume) | after each latch, before
//           the ack (the syscall seam, right after F_SEAL_SEAL) | after each
//           ack (after_receive) | after the batch | between claims
//
// Records: a MAP_SHARED ledger per round: source and target pids, the
// sessions offered, and who latched the COMMIT (target: at its latch, in
// the syscall seam, before the ack; source: at its reclaim's latch). The
// source also hands the parent a duplicate of the COMMIT memfd as it is
// created, so a latch whose recorder died at once is still seen (sealed,
// unrecorded). A process claims a session by writing, on the session's own
// socket, {serial, round, pid, kind, token checksum}: the parent reads the
// claims on the client ends, so a claim proves the claimer held the socket
// and the right token. Kinds: take (the target, after the batch), restore
// (the source, in the restore callback), final (the holder, at the end).
//
// Verdict per lineage, rounds in order: the COMMIT latch decides who owns
// what was offered (target latched: the target; source reclaimed or nobody
// latched: the source; sealed but unrecorded: nobody — its latcher was
// killed). A claim by the side that does not own it, or a round offering a
// session its source did not own, is "duplicated"; a session whose owner
// was never killed and did not claim it (in its round, or at the end) is
// "lost". The last line of the log:
//   upgrades: N committed: C kills: K sessions: S lost: 0 duplicated: 0
// and the test fails unless lost and duplicated are 0.
//
// Size: GSSX_UPGRADE_STORM_ROUNDS (default 1500, 500 under a sanitizer)
// upgrade rounds: about 16 s normally on 2 cores, 45 s under ASan.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fd_leak.h"
#include "transport/base/errors.h"
#include "transport/base/syscalls.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/upgrade.h"

namespace gssx::transport {
namespace {

constexpr int kSlots = 3;
constexpr int kSessions = 8;  // per lineage
constexpr size_t kPayloadSize = 64;
constexpr absl::Duration kStep = absl::Seconds(5);
constexpr absl::Duration kStormDeadline = absl::Seconds(240);
// A sanitized round is about 8 times slower (fork of a large process):
// the parent's kills are spaced out as much, so that rounds still commit.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kKillScale = 8;
#else
constexpr int kKillScale = 1;
#endif

enum Point : int {
  kSrcAfterFork,
  kSrcAfterSend,
  kSrcAfterCommitSend,
  kSrcBetweenOffers,
  kSrcCommitReclaimLatch,
  kSrcAfterCommit,
  kSrcBetweenRestores,
  kTgtBeforeLatch,
  kTgtBeforeCommitLatch,
  kTgtAfterLatch,
  kTgtAfterCommitLatch,
  kTgtAfterAck,
  kTgtAfterCommitAck,
  kTgtAfterBatch,
  kTgtBetweenClaims,
  kPoints,
};
const char* const kPointNames[kPoints] = {
    "source after fork",         "source after a send",
    "source after COMMIT sent",  "source between offers",
    "source at COMMIT reclaim",  "source after Commit",
    "source between restores",   "target before a latch",
    "target before COMMIT latch", "target after a latch",
    "target after COMMIT latch", "target after an ack",
    "target after COMMIT ack",   "target after the batch",
    "target between claims"};
// Per point; the COMMIT's points more often, so that every way of dying
// around the decision happens many times.
// (The COMMIT's reclaim is rare, a few percent of rounds: its point is hit
// often when it happens.)
const double kChance[kPoints] = {0.01,  0.002, 0.03,  0.002, 0.25,
                                 0.01,  0.005, 0.002, 0.03,  0.002,
                                 0.03,  0.002, 0.03,  0.01,  0.005};

// ------------------------------------------------------------ the ledger

struct Round {
  std::atomic<int32_t> lineage;  // lineage id + 1; 0: unused
  std::atomic<int32_t> source;
  std::atomic<int32_t> target;
  std::atomic<uint32_t> offered_count;
  std::atomic<uint64_t> offered[kSessions];
  std::atomic<uint8_t> target_latched;  // the COMMIT, by the target
  std::atomic<uint8_t> source_latched;  // the COMMIT, by the source's reclaim
  std::atomic<uint8_t> outcome;         // UpgradeReport::Outcome + 1
};

struct Ledger {
  std::atomic<uint64_t> next_round;
  std::atomic<uint32_t> stop;
  std::atomic<int64_t> slot_round[kSlots];  // the slot's latest round + 1
  std::atomic<uint64_t> self_kills[kPoints];
  std::atomic<uint64_t> wrong_bytes;  // a token with another's bytes
  std::atomic<uint64_t> reported_lost;  // UpgradeReport::lost entries
  std::atomic<uint64_t> committed;
  std::atomic<uint64_t> returned;
  Round rounds[1];  // [g_target]
};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

Ledger* g_ledger = nullptr;
uint64_t g_target = 0;

// ----------------------------------------------------- in the storm's processes

uint64_t g_rng = 1;

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return (x ^ (x >> 31)) | 1;
}
uint64_t Next() {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}
double Uniform() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }

void MaybeDie(Point p) {
  if (Uniform() >= kChance[p]) return;
  g_ledger->self_kills[p].fetch_add(1);
  ::raise(SIGKILL);
}

void Payload(uint64_t serial, uint8_t out[kPayloadSize]) {
  for (size_t i = 0; i < kPayloadSize; ++i) {
    out[i] = static_cast<uint8_t>((serial >> (8 * (i % 8))) + i * 29);
  }
}

uint64_t Checksum(absl::Span<const uint8_t> bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t b : bytes) h = (h ^ b) * 1099511628211ULL;
  return h;
}

uint64_t ExpectedChecksum(uint64_t serial) {
  uint8_t p[kPayloadSize];
  Payload(serial, p);
  return Checksum(absl::MakeConstSpan(p));
}

enum ClaimKind : uint32_t { kTake = 1, kRestore = 2, kFinal = 3 };

struct ClaimMessage {
  uint64_t serial;
  uint64_t round;
  int32_t pid;
  uint32_t kind;
  uint64_t checksum;
};

struct Held {
  uint64_t serial = 0;
  SecretBuffer token;
  UniqueFd fd;
};

// This process's state (copied by fork; the target drops what it inherits).
int32_t g_lineage = -1;
int g_slot = -1;
int g_audit_fd = -1;
std::vector<Held> g_held;
UniqueFd g_listener;
// Seam state.
enum Role { kNone, kSource, kTarget };
std::atomic<int> g_role{kNone};
std::atomic<int64_t> g_round{-1};
std::atomic<bool> g_in_commit{false};     // source: inside Commit()
std::atomic<bool> g_commit_sent{false};   // source: after_send("COMMIT")
std::atomic<bool> g_commit_next{false};   // target: COMMIT about to latch

[[noreturn]] void Fail(int code) { ::_exit(code); }

void Claim(int fd, uint64_t serial, uint64_t round, ClaimKind kind,
           const SecretBuffer& token) {
  ClaimMessage m{serial, round, ::getpid(), kind, Checksum(token.span())};
  if (::send(fd, &m, sizeof m, MSG_NOSIGNAL) != sizeof m) Fail(41);
}

int SeamMemfdCreate(const char* name, unsigned int flags) {
  int fd = internal::RealSyscalls().memfd_create(name, flags);
  if (fd >= 0 && g_role.load() == kSource && g_in_commit.load()) {
    // The parent's audit copy of the COMMIT, before it can go anywhere.
    const uint64_t round = static_cast<uint64_t>(g_round.load());
    char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{const_cast<uint64_t*>(&round), sizeof round};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (::sendmsg(g_audit_fd, &msg, MSG_NOSIGNAL) < 0) Fail(40);
  }
  return fd;
}

int SeamFcntl(int fd, int cmd, long arg) {
  int rc = internal::RealSyscalls().fcntl(fd, cmd, arg);
  if (rc == 0 && cmd == F_ADD_SEALS && arg == F_SEAL_SEAL) {
    const int64_t round = g_round.load();
    if (g_role.load() == kTarget) {
      if (g_commit_next.load()) {
        g_ledger->rounds[round].target_latched.store(1);
        MaybeDie(kTgtAfterCommitLatch);  // the batch is ours, not acked
      } else {
        MaybeDie(kTgtAfterLatch);
      }
    } else if (g_role.load() == kSource && g_commit_sent.load()) {
      g_ledger->rounds[round].source_latched.store(1);
      MaybeDie(kSrcCommitReclaimLatch);  // back with us, not restored
    }
  }
  return rc;
}

void InstallSeam() {
  static internal::Syscalls table = [] {
    internal::Syscalls t = internal::RealSyscalls();
    t.memfd_create = SeamMemfdCreate;
    t.fcntl = SeamFcntl;
    return t;
  }();
  static internal::ScopedSyscalls* scoped = new internal::ScopedSyscalls(table);
  (void)scoped;
}

[[noreturn]] void HolderLoop();

// The holder at the end of the storm: claims what it holds, exits.
[[noreturn]] void Final() {
  for (Held& h : g_held) Claim(h.fd.get(), h.serial, 0, kFinal, h.token);
  g_held.clear();
  ::_exit(0);
}

int Find(const Round& r, uint64_t serial) {
  const uint32_t n = std::min<uint32_t>(r.offered_count.load(), kSessions);
  for (uint32_t i = 0; i < n; ++i) {
    if (r.offered[i].load() == serial) return static_cast<int>(i);
  }
  return -1;
}

[[noreturn]] void TargetMain(uint64_t round, int channel_fd) {
  g_role = kTarget;
  g_round = static_cast<int64_t>(round);
  g_commit_next = false;
  absl::StatusOr<Channel> ch = Channel::Open(UniqueFd(channel_fd));
  if (!ch.ok()) ::_exit(0);  // the source died first: nothing is ours
  UpgradeTargetOptions o;
  o.self = {"storm", 1};
  o.step_timeout = kStep;
  o.before_consume = [](const char* type) {
    const bool commit = std::strcmp(type, "COMMIT") == 0;
    MaybeDie(commit ? kTgtBeforeCommitLatch : kTgtBeforeLatch);
    g_commit_next = commit;
  };
  o.after_receive = [](const char* type) {
    g_commit_next = false;
    MaybeDie(std::strcmp(type, "COMMIT") == 0 ? kTgtAfterCommitAck
                                              : kTgtAfterAck);
  };
  absl::StatusOr<UpgradeTarget> t = UpgradeTarget::Accept(std::move(*ch), o);
  if (!t.ok()) ::_exit(0);
  absl::StatusOr<UpgradeBatch> batch = t->ReceiveBatch();
  g_commit_next = false;
  if (!batch.ok()) ::_exit(0);  // nothing committed: the source keeps all
  MaybeDie(kTgtAfterBatch);
  const Round& r = g_ledger->rounds[round];
  for (IncomingSession& s : batch->sessions) {
    uint8_t expected[kPayloadSize];
    Payload(s.id, expected);
    if (!s.context_token.Equals(absl::MakeConstSpan(expected)) ||
        Find(r, s.id) < 0) {
      g_ledger->wrong_bytes.fetch_add(1);
    }
    Claim(s.client.get(), s.id, round, kTake, s.context_token);
    g_held.push_back({s.id, std::move(s.context_token), std::move(s.client)});
    MaybeDie(kTgtBetweenClaims);
  }
  for (IncomingListener& l : batch->listeners) g_listener = std::move(l.fd);
  HolderLoop();
}

// One upgrade attempt of this holder.
void UpgradeOnce(uint64_t round) {
  Round& r = g_ledger->rounds[round];
  r.lineage.store(g_lineage + 1);
  r.source.store(::getpid());
  g_ledger->slot_round[g_slot].store(static_cast<int64_t>(round) + 1);
  // No reclaim helper thread may be running across fork.
  for (int i = 0; i < 1000 && RunningReclaims() > 0; ++i) ::usleep(1000);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    Fail(42);
  }
  const uint64_t seed = Next();
  const pid_t pid = ::fork();
  if (pid < 0) Fail(43);
  if (pid == 0) {
    g_rng = Mix(seed);
    ::close(sv[0]);
    g_held.clear();  // the source's: not ours
    g_listener.Reset();
    TargetMain(round, sv[1]);
  }
  ::close(sv[1]);
  r.target.store(pid);
  g_role = kSource;
  g_round = static_cast<int64_t>(round);
  MaybeDie(kSrcAfterFork);

  UpgradeOptions o;
  o.step_timeout = kStep;
  o.after_send = [](const char* type) {
    if (std::strcmp(type, "COMMIT") == 0) {
      g_commit_sent = true;
      MaybeDie(kSrcAfterCommitSend);
    } else {
      MaybeDie(kSrcAfterSend);
    }
  };
  absl::StatusOr<UpgradeSource> up =
      UpgradeSource::Begin(UniqueFd(sv[0]), {"storm", 1}, o);
  if (!up.ok()) return;  // nothing moved; the target exits by itself
  if (g_listener.valid()) {
    (void)up->OfferListeners({{"storm", g_listener.get()}});
  }
  // Sometimes one session is "mid-request": not offered, it stays.
  const int held_back = Uniform() < 0.25 && g_held.size() > 1
                            ? static_cast<int>(Next() % g_held.size())
                            : -1;
  std::vector<Held> keep;
  std::map<uint64_t, UniqueFd> parked;  // offered: their fds
  std::vector<Held> offering = std::move(g_held);
  g_held.clear();
  bool failed = false;
  for (size_t i = 0; i < offering.size(); ++i) {
    Held& h = offering[i];
    if (static_cast<int>(i) == held_back || failed) {
      keep.push_back(std::move(h));
      continue;
    }
    const uint32_t slot = r.offered_count.load();
    r.offered[slot].store(h.serial);
    r.offered_count.store(slot + 1);
    const uint64_t serial = h.serial;
    const int fd = h.fd.get();
    parked[serial] = std::move(h.fd);
    OutgoingSession s;
    s.id = serial;
    s.client_fd = fd;
    s.context_token = std::move(h.token);
    s.restore = [serial, round, &parked](SecretBuffer token) {
      MaybeDie(kSrcBetweenRestores);
      uint8_t expected[kPayloadSize];
      Payload(serial, expected);
      if (!token.Equals(absl::MakeConstSpan(expected))) {
        g_ledger->wrong_bytes.fetch_add(1);
      }
      UniqueFd fd = std::move(parked[serial]);
      parked.erase(serial);
      Claim(fd.get(), serial, round, kRestore, token);
      g_held.push_back({serial, std::move(token), std::move(fd)});
      return absl::OkStatus();
    };
    if (!up->OfferSession(std::move(s)).ok()) failed = true;
    MaybeDie(kSrcBetweenOffers);
  }
  g_in_commit = true;
  UpgradeReport report = up->Commit();
  g_in_commit = false;
  g_commit_sent = false;
  MaybeDie(kSrcAfterCommit);
  r.outcome.store(static_cast<uint8_t>(report.outcome) + 1);
  g_ledger->reported_lost.fetch_add(report.lost.size());
  if (report.outcome == UpgradeReport::Outcome::kCommitted) {
    g_ledger->committed.fetch_add(1);
    if (report.listener_messages > 0) g_listener.Reset();
  } else if (report.outcome == UpgradeReport::Outcome::kReturned) {
    g_ledger->returned.fetch_add(1);
  }
  parked.clear();  // committed (or lost): the target's now; close ours
  for (Held& h : keep) g_held.push_back(std::move(h));
}

void HolderLoop() {
  for (;;) {
    g_role = kNone;
    if (g_held.empty()) ::_exit(0);
    if (g_ledger->stop.load()) Final();
    if (Next() % 4 == 0) ::usleep(static_cast<useconds_t>(Next() % 1000));
    const uint64_t round = g_ledger->next_round.fetch_add(1);
    if (round >= g_target) Final();
    UpgradeOnce(round);
  }
}

// Closes every fd of this process but stdio and `keep`.
void CloseAllExcept(std::vector<int> keep) {
  keep.push_back(2);
  std::sort(keep.begin(), keep.end());
  unsigned int from = 3;
  for (int k : keep) {
    if (k < static_cast<int>(from)) continue;
    if (static_cast<unsigned int>(k) > from) {
      ::syscall(SYS_close_range, from, static_cast<unsigned int>(k) - 1, 0);
    }
    from = static_cast<unsigned int>(k) + 1;
  }
  ::syscall(SYS_close_range, from, ~0U, 0);
}

// ------------------------------------------------------------ the parent

struct SessionRecord {
  uint64_t serial = 0;
  UniqueFd client;
  bool hup = false;
  std::vector<ClaimMessage> claims;
};

struct Lineage {
  int32_t id = -1;
  int slot = -1;
  pid_t creator = -1;
  uint64_t first_round = 0;
  UniqueFd audit;
  std::map<uint64_t, UniqueFd> commit_memfds;  // by round
  std::vector<SessionRecord> sessions;
};

struct Tally {
  uint64_t sessions = 0, alive_at_end = 0, gone_with_killed_owner = 0,
           lost = 0, duplicated = 0, restores = 0, takes = 0,
           bad_claims = 0, rounds_judged = 0, commit_latched_by_target = 0,
           commit_reclaimed = 0, commit_unrecorded = 0;
  std::vector<std::string> examples;
  void Note(std::string what) {
    if (examples.size() < 12) examples.push_back(std::move(what));
  }
};

struct Parent {
  std::map<pid_t, bool> reaped;  // pid -> killed by a signal
  uint64_t kills = 0, exit_errors = 0, lineages = 0;
  std::vector<std::string> exit_error_examples;
  uint64_t next_serial = 0;
  int32_t next_lineage = 0;
  Tally tally;

  bool Killed(pid_t pid) const {
    auto it = reaped.find(pid);
    return it != reaped.end() && it->second;
  }
  bool Reaped(pid_t pid) const { return reaped.count(pid) > 0; }
};

std::unique_ptr<Lineage> StartLineage(Parent& parent, int slot) {
  auto l = std::make_unique<Lineage>();
  l->id = parent.next_lineage++;
  l->slot = slot;
  l->first_round = g_ledger->next_round.load();
  int audit[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, audit) != 0) {
    return nullptr;
  }
  l->audit.Reset(audit[0]);
  UniqueFd audit_child(audit[1]);
  std::vector<UniqueFd> server_ends;
  for (int i = 0; i < kSessions; ++i) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return nullptr;
    }
    SessionRecord s;
    s.serial = parent.next_serial++;
    s.client.Reset(sv[0]);
    server_ends.emplace_back(sv[1]);
    l->sessions.push_back(std::move(s));
  }
  UniqueFd listener(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;  // autobind: an abstract name
  if (!listener.valid() ||
      ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr),
             sizeof(sa_family_t)) != 0 ||
      ::listen(listener.get(), 8) != 0) {
    return nullptr;
  }
  const uint64_t seed = Mix(0x5eed0000ULL + static_cast<uint64_t>(l->id));
  const pid_t pid = ::fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    std::vector<int> keep = {audit_child.get(), listener.get()};
    for (UniqueFd& fd : server_ends) keep.push_back(fd.get());
    CloseAllExcept(keep);
    g_rng = seed;
    g_lineage = l->id;
    g_slot = slot;
    g_audit_fd = audit_child.get();
    g_listener = std::move(listener);
    InstallSeam();
    for (size_t i = 0; i < server_ends.size(); ++i) {
      uint8_t p[kPayloadSize];
      Payload(l->sessions[i].serial, p);
      absl::StatusOr<SecretBuffer> token =
          SecretBuffer::CopyOf(absl::MakeConstSpan(p));
      if (!token.ok()) Fail(44);
      g_held.push_back(
          {l->sessions[i].serial, std::move(*token), std::move(server_ends[i])});
    }
    (void)l.release();  // the parent's records: not this process's to free
    HolderLoop();
  }
  l->creator = pid;
  ++parent.lineages;
  parent.tally.sessions += kSessions;
  return l;
}

void DrainAudit(Lineage& l) {
  for (;;) {
    uint64_t round = 0;
    char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{&round, sizeof round};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(l.audit.get(), &msg,
                                MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n <= 0) return;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c == nullptr || c->cmsg_type != SCM_RIGHTS) continue;
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    l.commit_memfds[round].Reset(fd);
  }
}

void DrainClaims(SessionRecord& s) {
  for (;;) {
    ClaimMessage m{};
    const ssize_t n = ::recv(s.client.get(), &m, sizeof m, MSG_DONTWAIT);
    if (n == sizeof m) {
      s.claims.push_back(m);
      continue;
    }
    if (n == 0) s.hup = true;
    return;
  }
}

// Every session's socket closed everywhere, every process of it reaped.
bool Finished(const Parent& parent, const Lineage& l) {
  for (const SessionRecord& s : l.sessions) {
    if (!s.hup) return false;
  }
  if (!parent.Reaped(l.creator)) return false;
  const uint64_t end =
      std::min<uint64_t>(g_ledger->next_round.load(), g_target);
  for (uint64_t u = l.first_round; u < end; ++u) {
    const Round& r = g_ledger->rounds[u];
    if (r.lineage.load() != l.id + 1) continue;
    if (!parent.Reaped(r.source.load())) return false;
    const pid_t t = r.target.load();
    if (t > 0 && !parent.Reaped(t)) return false;
  }
  return true;
}

void Judge(Parent& parent, Lineage& l) {
  Tally& t = parent.tally;
  DrainAudit(l);
  constexpr pid_t kDead = -2;
  std::map<uint64_t, pid_t> owner;
  std::map<uint64_t, bool> bad;  // a verdict already given
  std::map<uint64_t, SessionRecord*> by_serial;
  for (SessionRecord& s : l.sessions) {
    owner[s.serial] = l.creator;
    by_serial[s.serial] = &s;
    for (const ClaimMessage& c : s.claims) {
      if (c.serial != s.serial || c.checksum != ExpectedChecksum(s.serial)) {
        ++t.bad_claims;
        t.Note(absl::StrCat("session ", s.serial, ": a claim with serial ",
                            c.serial, " or the wrong token"));
      }
      if (c.kind == kTake) ++t.takes;
      if (c.kind == kRestore) ++t.restores;
    }
  }
  auto verdict = [&](uint64_t serial, bool duplicated, std::string why) {
    if (bad[serial]) return;
    bad[serial] = true;
    ++(duplicated ? t.duplicated : t.lost);
    t.Note(absl::StrCat(duplicated ? "duplicated" : "lost", ": session ",
                        serial, ": ", why));
  };
  auto count = [](const SessionRecord& s, uint64_t round, uint32_t kind,
                  pid_t pid, int* others) {
    int n = 0;
    for (const ClaimMessage& c : s.claims) {
      if (c.kind != kind || c.round != round) continue;
      if (c.pid == pid) {
        ++n;
      } else {
        ++*others;
      }
    }
    return n;
  };
  const uint64_t end =
      std::min<uint64_t>(g_ledger->next_round.load(), g_target);
  for (uint64_t u = l.first_round; u < end; ++u) {
    const Round& r = g_ledger->rounds[u];
    if (r.lineage.load() != l.id + 1) continue;
    ++t.rounds_judged;
    const pid_t src = r.source.load(), tgt = r.target.load();
    const bool tl = r.target_latched.load() != 0;
    const bool sl = r.source_latched.load() != 0;
    bool sealed = false;
    auto it = l.commit_memfds.find(u);
    if (it != l.commit_memfds.end()) {
      const int seals = ::fcntl(it->second.get(), F_GET_SEALS);
      sealed = seals >= 0 && (seals & F_SEAL_SEAL);
    }
    enum { kToTarget, kToSource, kNobody, kBoth } truth;
    if (tl && sl) {
      truth = kBoth;
    } else if (tl) {
      truth = kToTarget;
      ++t.commit_latched_by_target;
    } else if (sl) {
      truth = kToSource;
      ++t.commit_reclaimed;
    } else if (sealed) {
      truth = kNobody;
      ++t.commit_unrecorded;
    } else {
      truth = kToSource;
    }
    const uint32_t n = std::min<uint32_t>(r.offered_count.load(), kSessions);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t serial = r.offered[i].load();
      auto rec = by_serial.find(serial);
      if (rec == by_serial.end()) {
        ++t.duplicated;
        t.Note(absl::StrCat("round ", u, " offered session ", serial,
                            " of another lineage"));
        continue;
      }
      const SessionRecord& s = *rec->second;
      const std::string where =
          absl::StrCat("round ", u, " (source ", src, ", target ", tgt, ")");
      if (owner[serial] != src) {
        verdict(serial, true,
                absl::StrCat(where, ": offered by a process that did not "
                                    "own it (owner ", owner[serial], ")"));
      }
      int others = 0;
      const int restores = count(s, u, kRestore, src, &others);
      const int takes = count(s, u, kTake, tgt, &others);
      if (others > 0 || restores + takes > 1 || truth == kBoth) {
        verdict(serial, true,
                absl::StrCat(where, ": ", restores, " restores, ", takes,
                             " takes, ", others, " claims by others"));
      }
      switch (truth) {
        case kToTarget:
          if (restores > 0) {
            verdict(serial, true,
                    absl::StrCat(where, ": the target consumed the COMMIT "
                                        "and the source restored it"));
          }
          if (takes == 0 && !parent.Killed(tgt)) {
            verdict(serial, false,
                    absl::StrCat(where, ": the target consumed the COMMIT, "
                                        "lives, and never took it"));
          }
          owner[serial] = tgt;
          break;
        case kToSource:
          if (takes > 0) {
            verdict(serial, true,
                    absl::StrCat(where, ": the target took it without "
                                        "consuming the COMMIT"));
          }
          if (restores == 0 && !parent.Killed(src)) {
            verdict(serial, false,
                    absl::StrCat(where, ": not committed, the source lives "
                                        "and never got it back"));
          }
          owner[serial] = src;
          break;
        case kNobody:
        case kBoth:
          if (restores + takes > 0) {
            verdict(serial, true,
                    absl::StrCat(where, ": claimed though its COMMIT's "
                                        "latch was unrecorded"));
          }
          if (!parent.Killed(src) && !parent.Killed(tgt)) {
            verdict(serial, false,
                    absl::StrCat(where, ": COMMIT latched, unrecorded, and "
                                        "nobody was killed"));
          }
          owner[serial] = kDead;
          break;
      }
    }
  }
  for (SessionRecord& s : l.sessions) {
    int finals = 0;
    pid_t final_pid = -1;
    for (const ClaimMessage& c : s.claims) {
      if (c.kind == kFinal) {
        ++finals;
        final_pid = c.pid;
      }
    }
    const pid_t o = owner[s.serial];
    if (bad[s.serial]) continue;
    if (o == kDead) {
      if (finals > 0) verdict(s.serial, true, "held at the end by a process "
                                              "that never owned it");
      else ++t.gone_with_killed_owner;
    } else if (finals == 1 && final_pid == o) {
      ++t.alive_at_end;
    } else if (finals == 0 && parent.Killed(o)) {
      ++t.gone_with_killed_owner;
    } else if (finals > 1 || (finals == 1 && final_pid != o)) {
      verdict(s.serial, true,
              absl::StrCat("held at the end by ", finals, " processes (",
                           final_pid, "), owner ", o));
    } else {
      verdict(s.serial, false,
              absl::StrCat("owner ", o, " lives and did not hold it at the "
                                       "end"));
    }
  }
}

// A judged lineage's pids may be reused by later processes.
void Forget(Parent& parent, const Lineage& l) {
  parent.reaped.erase(l.creator);
  const uint64_t end =
      std::min<uint64_t>(g_ledger->next_round.load(), g_target);
  for (uint64_t u = l.first_round; u < end; ++u) {
    const Round& r = g_ledger->rounds[u];
    if (r.lineage.load() != l.id + 1) continue;
    parent.reaped.erase(r.source.load());
    parent.reaped.erase(r.target.load());
  }
}

uint64_t Target() {
  const char* env = std::getenv("GSSX_UPGRADE_STORM_ROUNDS");
  if (env != nullptr && std::atoll(env) > 0) return std::atoll(env);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 500;  // a sanitized fork costs ~60 ms here: keep it within minutes
#else
  return 1500;
#endif
}

std::string g_final_line;

TEST(UpgradeKillStormTest, EverySessionEndsOwnedByExactlyOneProcess) {
  g_target = Target();
  const size_t bytes = sizeof(Ledger) + g_target * sizeof(Round);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
  g_ledger = static_cast<Ledger*>(p);
  // Orphans (a committed source's target outlives it) are ours to reap.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0) << std::strerror(errno);

  Parent parent;
  std::vector<std::unique_ptr<Lineage>> slots(kSlots);
  uint64_t rng = 0x243f6a8885a308d3ULL;
  auto rand_below = [&rng](uint64_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
  };
  const absl::Time start = absl::Now();
  absl::Time next_kill = start + absl::Milliseconds(5);
  uint64_t parent_kills = 0;
  for (;;) {
    const bool more =
        g_ledger->next_round.load() < g_target && !g_ledger->stop.load();
    // New lineages while there are rounds to run.
    for (int i = 0; i < kSlots; ++i) {
      if (!slots[i] && more) {
        slots[i] = StartLineage(parent, i);
        ASSERT_NE(slots[i], nullptr) << std::strerror(errno);
      }
    }
    std::vector<pollfd> pfds;
    for (auto& l : slots) {
      if (!l) continue;
      pfds.push_back({l->audit.get(), POLLIN, 0});
      for (SessionRecord& s : l->sessions) {
        if (!s.hup) pfds.push_back({s.client.get(), POLLIN, 0});
      }
    }
    (void)::poll(pfds.data(), pfds.size(), 5);
    for (auto& l : slots) {
      if (!l) continue;
      DrainAudit(*l);
      for (SessionRecord& s : l->sessions) {
        if (!s.hup) DrainClaims(s);
      }
    }
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      const bool killed = WIFSIGNALED(status);
      parent.reaped[pid] = killed;
      if (killed) ++parent.kills;
      if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        ++parent.exit_errors;
        if (parent.exit_error_examples.size() < 5) {
          parent.exit_error_examples.push_back(
              absl::StrCat("pid ", pid, " exited ", WEXITSTATUS(status)));
        }
      }
    }
    bool any = false;
    for (auto& l : slots) {
      if (l && Finished(parent, *l)) {
        Judge(parent, *l);
        Forget(parent, *l);
        l.reset();
      }
      any |= l != nullptr;
    }
    if (!any && !more) break;
    const absl::Time now = absl::Now();
    if (more && now >= next_kill) {
      next_kill = now + kKillScale * absl::Milliseconds(10 + rand_below(50));
      const int slot = static_cast<int>(rand_below(kSlots));
      const int64_t round = g_ledger->slot_round[slot].load() - 1;
      if (round >= 0 && static_cast<uint64_t>(round) < g_target) {
        const Round& r = g_ledger->rounds[round];
        const pid_t victim =
            rand_below(2) ? r.source.load() : r.target.load();
        if (victim > 0 && !parent.Reaped(victim)) {
          ::kill(victim, SIGKILL);
          ++parent_kills;
        }
      }
    }
    if (now - start > kStormDeadline) g_ledger->stop.store(1);
  }
  // Stragglers (targets of failed rounds) are reaped too.
  while (::waitpid(-1, nullptr, 0) > 0) {
  }
  const absl::Duration took = absl::Now() - start;

  const Tally& t = parent.tally;
  const uint64_t rounds = std::min<uint64_t>(g_ledger->next_round.load(),
                                             g_target);
  uint64_t self_kills = 0;
  std::string points;
  for (int i = 0; i < kPoints; ++i) {
    self_kills += g_ledger->self_kills[i].load();
    absl::StrAppend(&points, points.empty() ? "" : ", ", kPointNames[i], " ",
                    g_ledger->self_kills[i].load());
  }
  std::printf(
      "upgrade kill storm: %d slots, %llu lineages of %d sessions, %s\n"
      "  rounds: %llu (judged %llu): committed %llu, returned %llu; COMMIT "
      "latched by the target %llu, reclaimed by the source %llu, latched "
      "unrecorded %llu\n"
      "  kills: %llu processes (%llu signals from the parent, %llu "
      "self-kills: %s)\n"
      "  sessions: %llu: held at the end by their owner %llu, gone with "
      "their killed owner %llu; claims: %llu takes, %llu restores\n",
      kSlots, static_cast<unsigned long long>(parent.lineages), kSessions,
      absl::FormatDuration(took).c_str(),
      static_cast<unsigned long long>(rounds),
      static_cast<unsigned long long>(t.rounds_judged),
      static_cast<unsigned long long>(g_ledger->committed.load()),
      static_cast<unsigned long long>(g_ledger->returned.load()),
      static_cast<unsigned long long>(t.commit_latched_by_target),
      static_cast<unsigned long long>(t.commit_reclaimed),
      static_cast<unsigned long long>(t.commit_unrecorded),
      static_cast<unsigned long long>(parent.kills),
      static_cast<unsigned long long>(parent_kills),
      static_cast<unsigned long long>(self_kills), points.c_str(),
      static_cast<unsigned long long>(t.sessions),
      static_cast<unsigned long long>(t.alive_at_end),
      static_cast<unsigned long long>(t.gone_with_killed_owner),
      static_cast<unsigned long long>(t.takes),
      static_cast<unsigned long long>(t.restores));
  g_final_line = absl::StrCat(
      "upgrades: ", rounds, " committed: ", g_ledger->committed.load(),
      " kills: ", parent.kills, " sessions: ", t.sessions, " lost: ", t.lost,
      " duplicated: ", t.duplicated);

  EXPECT_EQ(t.lost, 0u) << absl::StrJoin(t.examples, "\n");
  EXPECT_EQ(t.duplicated, 0u) << absl::StrJoin(t.examples, "\n");
  EXPECT_EQ(t.bad_claims, 0u) << absl::StrJoin(t.examples, "\n");
  EXPECT_EQ(g_ledger->wrong_bytes.load(), 0u)
      << "a session arrived with another's token";
  EXPECT_EQ(g_ledger->reported_lost.load(), 0u);
  EXPECT_EQ(parent.exit_errors, 0u)
      << absl::StrJoin(parent.exit_error_examples, "; ");
  EXPECT_EQ(rounds, g_target) << "the storm stopped early (deadline)";
  // A round number drawn by a holder killed before it recorded the round
  // is unused (its sessions died with it, judged in their lineage).
  uint64_t unused = 0;
  for (uint64_t u = 0; u < rounds; ++u) {
    if (g_ledger->rounds[u].lineage.load() == 0) ++unused;
  }
  EXPECT_EQ(t.rounds_judged + unused, rounds);
  EXPECT_EQ(t.sessions, t.alive_at_end + t.gone_with_killed_owner +
                            t.lost + t.duplicated);
  // A storm, not a calm: every way the decision can go happened.
  EXPECT_GT(parent.kills, 0u);
  EXPECT_GT(g_ledger->committed.load(), 0u);
  EXPECT_GT(t.commit_latched_by_target, 0u);
  EXPECT_GT(t.commit_reclaimed, 0u);
  EXPECT_GT(t.restores, 0u);
  EXPECT_GT(t.alive_at_end, 0u);
  ::munmap(g_ledger, bytes);
  g_ledger = nullptr;
}

}  // namespace
}  // namespace gssx::transport

// gtest's main, printing the storm's line after gtest's own output: it is
// the last line of the test's log.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gssx::testing::InstallFdLeakCheck();
  const int rc = RUN_ALL_TESTS();
  if (!gssx::transport::g_final_line.empty()) {
    std::fflush(stdout);
    std::printf("%s\n", gssx::transport::g_final_line.c_str());
    std::fflush(stdout);
  }
  return rc;
}
