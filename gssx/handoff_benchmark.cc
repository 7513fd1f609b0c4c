// SPDX-License-Identifier: Apache-2.0
// handoff_benchmark: what one exactly-once handoff costs, next to the
// kernel floor it is built on. Run: bazel run -c opt //gssx:handoff_benchmark
//
// Cases (round trip = exporter starts → importer's ack received):
//   1. one fd over SCM_RIGHTS + 1-byte ack
//   2. bare memfd floor: create, pwrite 4 KiB, seal, send, latch, pread,
//      ftruncate, close, 1-byte ack
//   3. full Channel handoff of a 4 KiB secret token with ack
//   4. 4 KiB as plain bytes + 1-byte ack
//   5. the memfd floor of case 2 at the size of a real exported gssx
//      context (exported from an established pair of test contexts; its
//      size is printed)
//   6. full Channel handoff of that exported context with ack
// Each case runs with both processes pinned to one CPU, then unpinned, in
// --blocks turns (case 1, 2, ..., 6, then case 1 again...), each turn a
// fresh pair of processes with its own warm-up.
// The last two lines are the ratios the project's goals are stated in:
// handoff/floor pinned at 4 KiB (3/2) and at the context's size (6/5).
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gssx/context.h"
#include "testing/bench.h"
#include "gssx/testing/test_identity.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/secret_buffer.h"

ABSL_FLAG(int, rounds, 20000, "measured round trips per case and mode");
ABSL_FLAG(int, warmup, 1000, "unmeasured round trips before measuring");
ABSL_FLAG(int, cpu, 0, "CPU to pin both processes to in pinned mode");
ABSL_FLAG(int, blocks, 5,
          "each case and mode runs in this many blocks of rounds/blocks "
          "round trips, the cases taking turns block by block, so that load "
          "from other processes falls on every case alike; the median is "
          "over all the blocks' samples");
ABSL_FLAG(int, only, 0, "run only case N (1-6), for profiling; 0 runs all");

namespace gssx::transport {
namespace {

constexpr size_t kSize = 4096;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "handoff_benchmark: %s: %s\n", what.c_str(),
               std::strerror(errno));
  std::exit(2);
}

// Raw sendmsg/recvmsg on purpose (not transport/base/fd_passing.h): cases 1,
// 2, 4 and 5 measure the kernel floor the transport is compared against.
void SendWithFd(int s, const void* buf, size_t len, int fd) {
  struct iovec iov = {const_cast<void*>(buf), len};
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  if (sendmsg(s, &msg, MSG_NOSIGNAL) != static_cast<ssize_t>(len)) Die("sendmsg");
}

// Returns bytes received (0 at EOF) and the fd, if any, in *fd.
ssize_t RecvWithFd(int s, void* buf, size_t len, int* fd) {
  struct iovec iov = {buf, len};
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
  *fd = -1;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (n > 0 && c != nullptr && c->cmsg_type == SCM_RIGHTS) {
    std::memcpy(fd, CMSG_DATA(c), sizeof *fd);
  }
  return n;
}

void Ack(int s) {
  char a = 'a';
  if (send(s, &a, 1, MSG_NOSIGNAL) != 1) Die("send ack");
}
void WaitAck(int s) {
  char a;
  if (recv(s, &a, 1, 0) != 1) Die("recv ack");
}

// The parent's Channel in a channel case (opened per run by Main).
Channel* parent_channel = nullptr;

struct Case {
  std::string name;
  // Importer loop in the child (until EOF on the socket).
  std::function<void(int socket)> importer;
  // One measured round trip in the parent.
  std::function<void(int socket)> round;
  // Uses a Channel rather than raw socket calls.
  bool channel = false;
  // Runs after the last round, before the importer is told to stop.
  std::function<void()> finish;
};

using Stats = ::gssx::testing::LatencyStats;

void Pin(bool pinned) {
  if (!::gssx::testing::PinToCpu(pinned ? absl::GetFlag(FLAGS_cpu) : -1).ok()) {
    Die("sched_setaffinity");
  }
}

// One block of a case: `rounds` measured round trips (after `warmup`),
// appended to `us`.
void RunCase(const Case& c, bool pinned, int warmup, int rounds,
             std::vector<double>& us) {
  Pin(pinned);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) Die("socketpair");
  pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    close(sv[0]);
    c.importer(sv[1]);
    _exit(0);
  }
  close(sv[1]);
  for (int i = 0; i < warmup + rounds; ++i) {
    absl::Time t0 = absl::Now();
    c.round(sv[0]);
    double d = absl::ToDoubleMicroseconds(absl::Now() - t0);
    if (i >= warmup) us.push_back(d);
  }
  if (c.finish) c.finish();
  close(sv[0]);
  int status;
  waitpid(pid, &status, 0);
}

std::vector<uint8_t> Payload(size_t size) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 31);
  return p;
}

// The memfd floor: create, pwrite `payload`, seal, send, latch, pread,
// ftruncate, close, 1-byte ack.
Case MemfdFloorCase(std::string name, const std::vector<uint8_t>* payload) {
  const size_t size = payload->size();
  return Case{
      std::move(name),
      [size](int s) {
        char b;
        int fd;
        std::vector<uint8_t> buf(size);
        while (RecvWithFd(s, &b, 1, &fd) > 0) {
          if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) != 0) Die("latch");
          if (pread(fd, buf.data(), buf.size(), 0) !=
              static_cast<ssize_t>(size)) {
            Die("pread");
          }
          if (ftruncate(fd, 0) != 0) Die("ftruncate");
          close(fd);
          Ack(s);
        }
      },
      [payload, size](int s) {
        int fd = memfd_create("floor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0) Die("memfd_create");
        if (pwrite(fd, payload->data(), size, 0) != static_cast<ssize_t>(size)) {
          Die("pwrite");
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW) != 0) Die("seal");
        char b = 'm';
        SendWithFd(s, &b, 1, fd);
        close(fd);
        WaitAck(s);
      }};
}

// A full Channel handoff of `secret` (Send, the importer's Receive, the
// ack). The parent's Channel is opened per run by Main (parent_channel
// points to it then).
Case ChannelCase(std::string name, const SecretBuffer* secret) {
  return Case{
      std::move(name),
      [](int s) {
        absl::StatusOr<Channel> ch = Channel::Open(UniqueFd(dup(s)));
        if (!ch.ok()) Die("Channel::Open (importer)");
        for (;;) {
          absl::StatusOr<ReceivedToken> r = ch->Receive();
          if (!r.ok()) {
            if (IsError(r.status(), ErrorKind::kPeerClosed)) return;
            Die(std::string(r.status().message()));
          }
        }
      },
      [secret](int) {
        absl::StatusOr<Handoff> h = parent_channel->Send(secret->span());
        if (!h.ok()) Die(std::string(h.status().message()));
        absl::Status a = parent_channel->AwaitAck(*h);
        if (!a.ok()) Die(std::string(a.message()));
      },
      true};
}

// The export token of one side of a freshly established gssx context.
constexpr char kServerName[] = "test@localhost";
constexpr char kClientName[] = "tester";
absl::StatusOr<SecretBuffer> ExportedContext() {
  absl::StatusOr<::gssx::testing::TestIdentities> ids =
      ::gssx::testing::MakeTestIdentities(kServerName, kClientName);
  if (!ids.ok()) return ids.status();
  absl::StatusOr<::gssx::testing::TestContexts> pair =
      ::gssx::testing::EstablishTestContexts(*ids);
  if (!pair.ok()) return pair.status();
  return pair->server.Export();
}

int Main() {
  if (!EnsureSodium().ok()) Die("sodium_init");
  const std::vector<uint8_t> payload = Payload(kSize);
  int devnull = eventfd(0, EFD_CLOEXEC);  // a cheap fd to pass

  std::vector<Case> cases;
  cases.push_back(Case{
      "1 fd over SCM_RIGHTS + ack",
      [](int s) {
        char b;
        int fd;
        while (RecvWithFd(s, &b, 1, &fd) > 0) {
          if (fd >= 0) close(fd);
          Ack(s);
        }
      },
      [devnull](int s) {
        char b = 'f';
        SendWithFd(s, &b, 1, devnull);
        WaitAck(s);
      }});
  cases.push_back(MemfdFloorCase("memfd floor 4 KiB (create..close + ack)",
                                 &payload));
  absl::StatusOr<SecretBuffer> token = SecretBuffer::CopyOf(payload);
  if (!token.ok()) Die("SecretBuffer");
  cases.push_back(ChannelCase("gssx Channel handoff 4 KiB + ack", &*token));
  cases.push_back(Case{
      "4 KiB plain bytes + ack",
      [](int s) {
        std::vector<uint8_t> buf(kSize);
        while (recv(s, buf.data(), buf.size(), 0) > 0) Ack(s);
      },
      [&payload](int s) {
        if (send(s, payload.data(), payload.size(), MSG_NOSIGNAL) != kSize) Die("send");
        WaitAck(s);
      }});
  // A real exported context: what a pre-fork master hands to a worker.
  absl::StatusOr<SecretBuffer> context = ExportedContext();
  if (!context.ok()) Die(std::string(context.status().message()));
  const std::vector<uint8_t> context_floor_payload = Payload(context->size());
  const std::string context_size = std::to_string(context->size());
  cases.push_back(MemfdFloorCase(
      "memfd floor " + context_size + " B (create..close + ack)",
      &context_floor_payload));
  cases.push_back(ChannelCase(
      "gssx Channel handoff of a real exported context (" + context_size +
          " B) + ack",
      &*context));

  std::printf("handoff_benchmark: %d rounds per case (after %d warm-up) in "
              "%d interleaved blocks, round trip in microseconds, "
              "2 processes\n",
              absl::GetFlag(FLAGS_rounds), absl::GetFlag(FLAGS_warmup),
              std::max(1, absl::GetFlag(FLAGS_blocks)));
  std::printf("exported gssx context (acceptor side, %s <- %s): %zu bytes\n",
              kServerName, kClientName, context->size());
  std::printf("%-64s %12s %10s %14s %10s\n", "case", "pinned med", "p99",
              "unpinned med", "p99");
  const int only = absl::GetFlag(FLAGS_only);
  const int blocks = std::max(1, absl::GetFlag(FLAGS_blocks));
  const int block_rounds = std::max(1, absl::GetFlag(FLAGS_rounds) / blocks);
  const int block_warmup = absl::GetFlag(FLAGS_warmup) / blocks;
  // samples[case][mode]
  std::vector<std::array<std::vector<double>, 2>> samples(cases.size());
  for (int b = 0; b < blocks; ++b) {
    for (size_t ci = 0; ci < cases.size(); ++ci) {
      if (only != 0 && static_cast<size_t>(only) != ci + 1) continue;
      const Case& c = cases[ci];
      for (int mode = 0; mode < 2; ++mode) {
        const bool pinned = mode == 0;
        if (c.channel) {
          // Wrap the round so the parent's Channel is opened on this run's
          // socket (the importer opens its end in the child).
          Case wrapped = c;
          std::unique_ptr<Channel> ch;
          wrapped.round = [&](int s) {
            if (!ch) {
              absl::StatusOr<Channel> opened = Channel::Open(UniqueFd(dup(s)));
              if (!opened.ok()) Die("Channel::Open (exporter)");
              ch = std::make_unique<Channel>(std::move(*opened));
              parent_channel = ch.get();
            }
            c.round(s);
          };
          wrapped.finish = [&] { ch.reset(); };  // its dup of the socket too
          RunCase(wrapped, pinned, block_warmup, block_rounds,
                  samples[ci][mode]);
        } else {
          RunCase(c, pinned, block_warmup, block_rounds, samples[ci][mode]);
        }
      }
    }
  }
  std::vector<Stats> pinned_stats, unpinned_stats;
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    if (only != 0 && static_cast<size_t>(only) != ci + 1) {
      pinned_stats.push_back(Stats{1, 1});
      unpinned_stats.push_back(Stats{1, 1});
      continue;
    }
    const Stats p = ::gssx::testing::Summarize(std::move(samples[ci][0]));
    const Stats u = ::gssx::testing::Summarize(std::move(samples[ci][1]));
    pinned_stats.push_back(p);
    unpinned_stats.push_back(u);
    std::printf("%-64s %12.1f %10.1f %14.1f %10.1f\n", cases[ci].name.c_str(),
                p.median, p.p99, u.median, u.p99);
  }
  std::printf("\nratios of medians: handoff/1fd pinned %.2f, "
              "plain-bytes/floor pinned %.2f, handoff/floor unpinned %.2f, "
              "at context size unpinned %.2f\n",
              pinned_stats[2].median / pinned_stats[0].median,
              pinned_stats[3].median / pinned_stats[1].median,
              unpinned_stats[2].median / unpinned_stats[1].median,
              unpinned_stats[5].median / unpinned_stats[4].median);
  std::printf("handoff/floor pinned: %.2f\n",
              pinned_stats[2].median / pinned_stats[1].median);
  std::printf("handoff/floor pinned at context size: %.2f\n",
              pinned_stats[5].median / pinned_stats[4].median);
  return 0;
}

}  // namespace
}  // namespace gssx::transport

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return gssx::transport::Main();
}
