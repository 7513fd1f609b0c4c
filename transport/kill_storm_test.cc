// SPDX-License-Identifier: Apache-2.0
// Kill storm: exporters and importers in separate processes hand tokens
// over channels while they are SIGKILLed at random points, and an audit
// proves that every token ended exactly once.
//
// Layout: kSlots slots, each an exporter process and an importer process
// joined by a socketpair channel (2 x kSlots >= 8 processes). The parent
// kills processes at random moments, and each process also kills itself
// with a small probability at named points of the handoff:
//   exporter: before Send | after Send, before the import | after the ack
//   importer: token decrypted, before the latch | after the latch, before
//             the ack (from the syscall seam: right after F_SEAL_SEAL) |
//             after Receive returned (acked)
// When one process of a slot dies, the survivor finishes what it can (the
// exporter reclaims every unacked token, the importer drains the channel),
// exits, and the parent starts a new pair in that slot.
//
// Accounting: a MAP_SHARED ledger indexed by token serial. Importers record
// "imported" at the latch (through the seam: right after F_SEAL_SEAL
// succeeded, before the ack goes out); exporters record "reclaimed" at the
// latch of their Reclaim. Exporters also hand the parent a duplicate of
// each token memfd as it is created (memfd_create through the seam), so
// the parent can read the kernel's verdict after a death: F_SEAL_SEAL set
// means someone consumed it. After the storm every serial must be exactly
// one of:
//   imported            importer's record, no reclaim
//   reclaimed           exporter's record, no import
//   gone with consumer  latched, unrecorded; the process that latched it
//                       (importer, or exporter reclaiming) was killed
//                       between the latch and its record
//   gone with exporter  never consumed, and its exporter was killed (it
//                       died before sending, or with it in flight to an
//                       importer that died too): the context died with the
//                       only process that owned it
//   not sent            Send failed (the exporter still held it)
// anything else is lost; two records is duplicated. The test prints, as
// the very last line of its output:
//   handoffs: N kills: N reclaimed: N lost: 0 duplicated: 0
// and fails unless lost and duplicated are 0.
//
// Size: GSSX_KILL_STORM_HANDOFFS (default 100000) handoffs: about 6 s
// normally, 12 s under ASan on 2 cores; set it higher for a longer storm.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fd_leak.h"
#include "transport/channel.h"
#include "transport/base/deadline.h"
#include "transport/base/errors.h"
#include "transport/base/fd_passing.h"
#include "transport/base/syscalls.h"

namespace gssx::transport {
namespace {

constexpr int kSlots = 4;                   // 8 processes besides the parent
constexpr double kSelfKillChance = 0.0015;  // per process, per kill point
constexpr absl::Duration kAckWait = absl::Seconds(10);
constexpr absl::Duration kStormDeadline = absl::Seconds(240);
constexpr size_t kPayloadSize = 64;

enum Phase : int {
  kExporterBeforeSend,
  kExporterAfterSend,
  kExporterAfterAck,
  kImporterBeforeLatch,
  kImporterAfterLatch,
  kImporterAfterAck,
  kPhases,
};
const char* const kPhaseNames[kPhases] = {"exporter before send",
                                          "exporter between send and import",
                                          "exporter after ack",
                                          "importer before the latch",
                                          "importer between import and ack",
                                          "importer after ack"};

// ------------------------------------------------------------ the ledger

struct Entry {
  std::atomic<uint32_t> imported;   // importer, at its latch
  std::atomic<uint32_t> reclaimed;  // exporter, at its reclaim latch
  std::atomic<int32_t> exporter;    // pid that issued the serial
  std::atomic<int32_t> importing;   // pid of the importer about to latch
  std::atomic<int32_t> reclaiming;  // pid of the exporter about to reclaim
  std::atomic<uint8_t> sent;        // Send succeeded
  std::atomic<uint8_t> send_failed;
  std::atomic<uint8_t> wrong_bytes;  // an importer got another payload
};
static_assert(std::atomic<uint32_t>::is_always_lock_free);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

struct Ledger {
  std::atomic<uint64_t> next_serial;
  std::atomic<uint32_t> stop;
  std::atomic<uint64_t> self_kills[kPhases];
  std::atomic<uint64_t> child_errors;
  Entry entries[1];  // [capacity]
};

Ledger* g_ledger = nullptr;
uint64_t g_target = 0;

Ledger* MapLedger(uint64_t capacity, size_t* bytes) {
  *bytes = sizeof(Ledger) + capacity * sizeof(Entry);
  void* p = ::mmap(nullptr, *bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  return static_cast<Ledger*>(p);  // zero-filled: every atomic starts at 0
}

// --------------------------------------------------- in the child processes

uint64_t g_rng = 1;

// splitmix64: spreads a small seed over all bits (xorshift needs that).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return (x ^ (x >> 31)) | 1;
}
double Uniform() {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return static_cast<double>(g_rng >> 11) / 9007199254740992.0;
}

void MaybeDie(Phase phase) {
  if (Uniform() >= kSelfKillChance) return;
  g_ledger->self_kills[phase].fetch_add(1);
  ::raise(SIGKILL);
}

void Payload(uint64_t serial, uint8_t out[kPayloadSize]) {
  for (size_t i = 0; i < kPayloadSize; ++i) {
    out[i] = static_cast<uint8_t>((serial >> (8 * (i % 8))) + i * 13);
  }
}

uint64_t SerialOf(absl::Span<const uint8_t> payload) {
  uint64_t s = 0;
  for (int i = 0; i < 8 && static_cast<size_t>(i) < payload.size(); ++i) {
    s |= uint64_t{static_cast<uint8_t>(payload[i] - i * 13)} << (8 * i);
  }
  return s;
}

// Seam state of this child.
int g_audit_fd = -1;        // exporter: to the parent
int64_t g_sealing = -1;     // exporter: serial being sent
int64_t g_reclaiming = -1;  // exporter: serial being reclaimed
int64_t g_importing = -1;   // importer: serial being consumed
bool g_importer = false;

int SeamMemfdCreate(const char* name, unsigned int flags) {
  int fd = internal::RealSyscalls().memfd_create(name, flags);
  if (fd >= 0 && g_sealing >= 0) {
    // The parent's audit copy, before the token can go anywhere.
    uint64_t serial = static_cast<uint64_t>(g_sealing);
    // Through the seam's sendmsg, which this table leaves real.
    if (SendMessageOnce(g_audit_fd,
                        absl::MakeConstSpan(
                            reinterpret_cast<const uint8_t*>(&serial),
                            sizeof serial),
                        {fd}) < 0) {
      ::_exit(40);  // no audit, no storm
    }
  }
  return fd;
}

int SeamFcntl(int fd, int cmd, long arg) {
  int rc = internal::RealSyscalls().fcntl(fd, cmd, arg);
  if (rc == 0 && cmd == F_ADD_SEALS && arg == F_SEAL_SEAL) {
    if (g_importer && g_importing >= 0) {
      g_ledger->entries[g_importing].imported.fetch_add(1);
      MaybeDie(kImporterAfterLatch);  // imported, not yet acked
    } else if (!g_importer && g_reclaiming >= 0) {
      g_ledger->entries[g_reclaiming].reclaimed.fetch_add(1);
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

int ExporterMain(int channel_fd, int audit_fd) {
  g_audit_fd = audit_fd;
  InstallSeam();
  absl::StatusOr<Channel> ch = Channel::Open(UniqueFd(channel_fd));
  if (!ch.ok()) return IsError(ch.status(), ErrorKind::kPeerClosed) ? 0 : 30;
  const int32_t me = ::getpid();
  uint8_t payload[kPayloadSize];
  for (;;) {
    if (g_ledger->stop.load()) return 0;
    const uint64_t serial = g_ledger->next_serial.fetch_add(1);
    if (serial >= g_target) return 0;
    Entry& e = g_ledger->entries[serial];
    e.exporter.store(me);
    MaybeDie(kExporterBeforeSend);
    Payload(serial, payload);
    g_sealing = static_cast<int64_t>(serial);
    absl::StatusOr<Handoff> h = ch->Send(payload);
    g_sealing = -1;
    if (!h.ok()) {
      e.send_failed.store(1);
      return IsError(h.status(), ErrorKind::kPeerClosed) ? 0 : 31;
    }
    e.sent.store(1);
    MaybeDie(kExporterAfterSend);
    absl::Status acked = ch->AwaitAck(*h, kAckWait);
    if (acked.ok()) {
      MaybeDie(kExporterAfterAck);
      continue;
    }
    // No ack: the importer died, rejected it, or is slow. Take it back,
    // or learn that the importer has it.
    e.reclaiming.store(me);
    g_reclaiming = static_cast<int64_t>(serial);
    absl::StatusOr<SecretBuffer> back;
    for (int attempt = 0; attempt < 5 && !h->resolved(); ++attempt) {
      back = h->Reclaim();
    }
    g_reclaiming = -1;
    if (back.ok()) {
      if (!back->Equals(absl::MakeConstSpan(payload))) e.wrong_bytes.store(1);
    } else if (!IsError(back.status(), ErrorKind::kAlreadyConsumed)) {
      return 32;  // neither ours nor theirs: the audit will say lost
    }
    if (IsError(acked, ErrorKind::kPeerClosed)) return 0;
  }
}

int ImporterMain(int channel_fd) {
  g_importer = true;
  InstallSeam();
  absl::StatusOr<Channel> ch = Channel::Open(UniqueFd(channel_fd));
  if (!ch.ok()) return IsError(ch.status(), ErrorKind::kPeerClosed) ? 0 : 20;
  const int32_t me = ::getpid();
  ReceiveOptions opts;
  opts.validate = [me](absl::Span<const uint8_t> token) {
    const uint64_t serial = SerialOf(token);
    if (token.size() != kPayloadSize || serial >= g_target) {
      return MakeError(ErrorKind::kMalformed, "not a storm token");
    }
    g_importing = static_cast<int64_t>(serial);
    g_ledger->entries[serial].importing.store(me);
    MaybeDie(kImporterBeforeLatch);
    return absl::OkStatus();
  };
  uint8_t expected[kPayloadSize];
  for (;;) {
    g_importing = -1;
    absl::StatusOr<ReceivedToken> r = ch->Receive(opts);
    if (r.ok()) {
      const uint64_t serial = SerialOf(r->token.span());
      Payload(serial, expected);
      if (!r->token.Equals(absl::MakeConstSpan(expected))) {
        g_ledger->entries[serial].wrong_bytes.store(1);
      }
      MaybeDie(kImporterAfterAck);
      continue;
    }
    if (IsError(r.status(), ErrorKind::kPeerClosed)) return 0;
    // kAlreadyConsumed: the exporter reclaimed it first. Anything else is
    // counted; the audit decides whether a token suffered.
    if (!IsError(r.status(), ErrorKind::kAlreadyConsumed)) {
      g_ledger->child_errors.fetch_add(1);
    }
  }
}

// ------------------------------------------------------------ the parent

struct Slot {
  pid_t exporter = -1, importer = -1;
  UniqueFd audit;                       // parent's end
  std::map<uint64_t, UniqueFd> memfds;  // audit copies, by serial
  bool running = false;
};

struct Verdicts {
  uint64_t imported = 0, reclaimed = 0, gone_with_consumer = 0,
           gone_with_exporter = 0, not_sent = 0, lost = 0, duplicated = 0,
           wrong_bytes = 0;
  std::vector<std::string> lost_examples;
};

std::string g_final_line;

pid_t Spawn(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

bool StartSlot(Slot& slot, uint64_t seed) {
  int ch[2], audit[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) != 0 ||
      ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, audit) != 0) {
    return false;
  }
  slot.exporter = Spawn([&] {
    g_rng = Mix(seed * 2 + 1);
    CloseAllExcept({ch[0], audit[1]});
    return ExporterMain(ch[0], audit[1]);
  });
  slot.importer = Spawn([&] {
    g_rng = Mix(seed * 2 + 2);
    CloseAllExcept({ch[1]});
    return ImporterMain(ch[1]);
  });
  ::close(ch[0]);
  ::close(ch[1]);
  ::close(audit[1]);
  slot.audit.Reset(audit[0]);
  slot.running = slot.exporter > 0 && slot.importer > 0;
  return slot.running;
}

// Reads every audit copy waiting on the slot's socket.
void DrainAudit(Slot& slot, bool wait) {
  for (;;) {
    uint64_t serial = 0;
    ReceiveWithFdsOptions options;
    options.max_fds = 1;
    options.flags = wait ? 0 : MSG_DONTWAIT;
    ReceivedMessage m;
    const ssize_t n = ReceiveMessageOnce(
        slot.audit.get(),
        absl::MakeSpan(reinterpret_cast<uint8_t*>(&serial), sizeof serial),
        options, &m);
    if (n <= 0) return;
    wait = false;
    if (m.fds.size() != 1) continue;
    slot.memfds[serial] = std::move(m.fds[0]);
  }
}

bool Settled(const Entry& e) {
  return e.imported.load() + e.reclaimed.load() > 0 || e.send_failed.load();
}

// Drops audit copies of tokens whose fate is recorded.
void Sweep(Slot& slot) {
  for (auto it = slot.memfds.begin(); it != slot.memfds.end();) {
    if (Settled(g_ledger->entries[it->first])) {
      it = slot.memfds.erase(it);
    } else {
      ++it;
    }
  }
}

// After both processes of a slot are gone: every unrecorded token's memfd
// says whether anyone consumed it.
void AuditFinishedSlot(Slot& slot, std::map<uint64_t, int>* latched) {
  DrainAudit(slot, /*wait=*/false);
  for (auto& [serial, fd] : slot.memfds) {
    if (Settled(g_ledger->entries[serial])) continue;
    const int seals = ::fcntl(fd.get(), F_GET_SEALS);
    (*latched)[serial] = seals >= 0 && (seals & F_SEAL_SEAL) ? 1 : 0;
  }
  slot.memfds.clear();
  slot.audit.Reset();
}

Verdicts Judge(uint64_t issued, const std::map<uint64_t, int>& latched,
               const std::set<pid_t>& killed) {
  Verdicts v;
  for (uint64_t s = 0; s < issued; ++s) {
    const Entry& e = g_ledger->entries[s];
    const uint32_t imported = e.imported.load(), reclaimed = e.reclaimed.load();
    if (e.wrong_bytes.load()) ++v.wrong_bytes;
    if (imported + reclaimed > 1) {
      ++v.duplicated;
      continue;
    }
    if (imported == 1) {
      ++v.imported;
      continue;
    }
    if (reclaimed == 1) {
      ++v.reclaimed;
      continue;
    }
    if (e.send_failed.load()) {
      ++v.not_sent;
      continue;
    }
    const bool exporter_killed = killed.count(e.exporter.load()) > 0;
    auto it = latched.find(s);
    std::string why;
    if (it == latched.end()) {
      // No audit copy: the exporter died before creating the memfd (if it
      // did not even record its pid, it died right after claiming the
      // serial: every process has exited, and a live one records it next).
      if ((exporter_killed || e.exporter.load() == 0) && !e.sent.load()) {
        ++v.gone_with_exporter;
        continue;
      }
      why = "no memfd, exporter not killed";
    } else if (it->second == 1) {
      const bool importer_killed =
          e.importing.load() != 0 && killed.count(e.importing.load()) > 0;
      const bool reclaimer_killed =
          e.reclaiming.load() != 0 && killed.count(e.reclaiming.load()) > 0;
      if (importer_killed || reclaimer_killed) {
        ++v.gone_with_consumer;
        continue;
      }
      why = "consumed by a live process that did not record it";
    } else {
      if (exporter_killed) {
        ++v.gone_with_exporter;
        continue;
      }
      why = "never consumed, exporter alive";
    }
    ++v.lost;
    if (v.lost_examples.size() < 10) {
      v.lost_examples.push_back(absl::StrCat("serial ", s, ": ", why));
    }
  }
  return v;
}

uint64_t Target() {
  const char* env = std::getenv("GSSX_KILL_STORM_HANDOFFS");
  if (env != nullptr && std::atoll(env) > 0) return std::atoll(env);
  return 100000;
}

TEST(KillStormTest, EveryTokenEndsExactlyOnce) {
  g_target = Target();
  size_t ledger_bytes = 0;
  g_ledger = MapLedger(g_target, &ledger_bytes);
  ASSERT_NE(g_ledger, nullptr) << std::strerror(errno);

  std::vector<Slot> slots(kSlots);
  std::set<pid_t> killed;           // by a signal, whoever sent it
  std::map<uint64_t, int> latched;  // audit verdicts of unrecorded tokens
  uint64_t parent_kills = 0, seed = 1, respawns = 0;
  uint64_t exit_errors = 0;
  std::vector<std::string> exit_error_examples;
  const absl::Time start = absl::Now();
  absl::Time next_kill = start + absl::Milliseconds(5);
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  auto rand_below = [&rng](uint64_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
  };

  for (Slot& s : slots) ASSERT_TRUE(StartSlot(s, seed++));
  for (;;) {
    // Audit copies arrive as exporters create memfds.
    std::vector<pollfd> pfds;
    for (Slot& s : slots) {
      if (s.audit.valid()) pfds.push_back({s.audit.get(), POLLIN, 0});
    }
    const int wait_ms = std::min(PollTimeoutMs(next_kill), 20);
    (void)::poll(pfds.data(), pfds.size(), wait_ms);
    for (Slot& s : slots) {
      if (s.audit.valid()) {
        DrainAudit(s, false);
        if (s.memfds.size() > 64) Sweep(s);
      }
    }
    // Reap.
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (WIFSIGNALED(status)) {
        killed.insert(pid);
      } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        ++exit_errors;
        if (exit_error_examples.size() < 5) {
          exit_error_examples.push_back(
              absl::StrCat("pid ", pid, " exited ", WEXITSTATUS(status)));
        }
      }
      for (Slot& s : slots) {
        if (s.exporter == pid) s.exporter = -1;
        if (s.importer == pid) s.importer = -1;
      }
    }
    // Finished slots: audit, then a new pair while there is work.
    bool any_running = false;
    const bool more =
        g_ledger->next_serial.load() < g_target && !g_ledger->stop.load();
    for (Slot& s : slots) {
      if (s.running && s.exporter < 0 && s.importer < 0) {
        AuditFinishedSlot(s, &latched);
        s.running = false;
        if (more) {
          ASSERT_TRUE(StartSlot(s, seed++));
          ++respawns;
        }
      }
      any_running |= s.running;
    }
    if (!any_running) break;
    // A random kill, in a slot whose two processes are both alive.
    const absl::Time now = absl::Now();
    if (now >= next_kill && more) {
      next_kill = now + absl::Milliseconds(2 + rand_below(18));
      Slot& s = slots[rand_below(kSlots)];
      if (s.exporter > 0 && s.importer > 0) {
        ::kill(rand_below(2) ? s.exporter : s.importer, SIGKILL);
        ++parent_kills;
      }
    }
    if (now - start > kStormDeadline) g_ledger->stop.store(1);
  }
  const absl::Duration took = absl::Now() - start;

  const uint64_t issued =
      std::min<uint64_t>(g_ledger->next_serial.load(), g_target);
  Verdicts v = Judge(issued, latched, killed);
  uint64_t self_kills = 0;
  std::string phases;
  for (int p = 0; p < kPhases; ++p) {
    self_kills += g_ledger->self_kills[p].load();
    absl::StrAppend(&phases, phases.empty() ? "" : ", ", kPhaseNames[p], " ",
                    g_ledger->self_kills[p].load());
  }
  std::printf(
      "kill storm: %d slots (%d processes at a time), %llu pairs started, "
      "%s\n  kill signals: %llu from the parent at random moments, %llu "
      "self-kills "
      "(%s)\n  tokens: imported %llu, reclaimed %llu, gone with the killed "
      "process that consumed them %llu, gone with their killed exporter %llu, "
      "not sent "
      "%llu; importer-side unexpected errors %llu\n",
      kSlots, 2 * kSlots, static_cast<unsigned long long>(kSlots + respawns),
      absl::FormatDuration(took).c_str(),
      static_cast<unsigned long long>(parent_kills),
      static_cast<unsigned long long>(self_kills), phases.c_str(),
      static_cast<unsigned long long>(v.imported),
      static_cast<unsigned long long>(v.reclaimed),
      static_cast<unsigned long long>(v.gone_with_consumer),
      static_cast<unsigned long long>(v.gone_with_exporter),
      static_cast<unsigned long long>(v.not_sent),
      static_cast<unsigned long long>(g_ledger->child_errors.load()));
  g_final_line = absl::StrCat("handoffs: ", issued, " kills: ", killed.size(),
                              " reclaimed: ", v.reclaimed, " lost: ", v.lost,
                              " duplicated: ", v.duplicated);

  EXPECT_EQ(issued, g_target) << "the storm stopped early (deadline)";
  EXPECT_EQ(v.lost, 0u) << absl::StrJoin(v.lost_examples, "; ");
  EXPECT_EQ(v.duplicated, 0u);
  EXPECT_EQ(v.wrong_bytes, 0u) << "a token arrived with another's bytes";
  EXPECT_EQ(exit_errors, 0u) << absl::StrJoin(exit_error_examples, "; ");
  EXPECT_GT(killed.size(), 0u) << "nothing was killed: not a storm";
  EXPECT_GT(v.reclaimed, 0u) << "no reclaim exercised";
  ::munmap(g_ledger, ledger_bytes);
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
