// SPDX-License-Identifier: Apache-2.0
// scale_benchmark: does handoff cost grow with the number of live contexts,
// the token size, the fds carried? docs/design.md "Locked memory and scale".
//
//   bazel run -c opt //gssx:scale_benchmark
//
// 1. Locked bytes per live context: 10,000 established contexts (5,000
//    handshakes, both ends kept) in this process, from the pool statistics.
// 2. Context handoff (HandOffContext -> ReceiveContext, with ack) between
//    two processes that each hold 1, 1,000 or 10,000 live contexts:
//    median µs per handoff.
// 3. Channel handoff of a token of 1, 4, 16, 64 KiB, and of a 4 KiB token
//    with 0, 1, 4, 16 extra fds: median µs per round trip.
// Both processes run pinned to one CPU (--cpu), so the figures are the
// handoff's own cost rather than the wake-up latency of an idle CPU.
// Last line: contexts: 10000 locked-per-context-bytes: N handoff@10k/handoff@1: X.XX
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "gssx/handoff.h"
#include "testing/bench.h"
#include "gssx/testing/test_identity.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/secret_buffer.h"

ABSL_FLAG(int, rounds, 2000, "measured handoffs per configuration");
ABSL_FLAG(int, cpu, 0,
          "CPU to pin both processes to (-1: unpinned; then each round trip "
          "also pays two cross-CPU wake-ups, which on an idle VM dominate)");

namespace gssx {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "scale_benchmark: %s\n", what.c_str());
  std::exit(2);
}

double Median(std::vector<double> v) {
  return ::gssx::testing::Percentile(std::move(v), 0.5);
}

// `n` live established contexts (n/2 handshakes, both ends kept).
std::vector<Context> MakeLive(const testing::TestIdentities& ids, int n) {
  std::vector<Context> live;
  live.reserve(n + 1);
  while (static_cast<int>(live.size()) < n) {
    absl::StatusOr<testing::TestContexts> p = testing::EstablishTestContexts(ids);
    if (!p.ok()) Die(std::string(p.status().message()));
    live.push_back(std::move(p->client));
    if (static_cast<int>(live.size()) < n) live.push_back(std::move(p->server));
  }
  return live;
}

// Median µs of a context handoff with `n` live contexts on both sides.
double ContextHandoff(const testing::TestIdentities& ids, int n, int rounds) {
  absl::StatusOr<std::pair<transport::UniqueFd, transport::UniqueFd>> fds =
      transport::MakeSocketPair();
  if (!fds.ok()) Die("socketpair");
  // The contexts to hand off: imports of one exported template, made
  // before timing starts.
  absl::StatusOr<testing::TestContexts> tmpl = testing::EstablishTestContexts(ids);
  if (!tmpl.ok()) Die("template");
  absl::StatusOr<transport::SecretBuffer> token = std::move(tmpl->server).Export();
  if (!token.ok()) Die("export");
  pid_t pid = ::fork();
  if (pid == 0) {
    fds->first.Reset();
    std::vector<Context> live = MakeLive(ids, n);
    absl::StatusOr<transport::Channel> ch = transport::Channel::Open(std::move(fds->second));
    if (!ch.ok()) ::_exit(1);
    for (;;) {
      absl::StatusOr<ReceivedContext> r = ReceiveContext(*ch);
      if (!r.ok()) ::_exit(0);  // the exporter closed the channel
      (void)r->context.Delete();  // keep the live count at n
    }
  }
  fds->second.Reset();
  std::vector<Context> live = MakeLive(ids, n);
  absl::StatusOr<transport::Channel> ch = transport::Channel::Open(std::move(fds->first));
  if (!ch.ok()) Die("channel");
  std::vector<double> us;
  for (int i = 0; i < rounds + rounds / 10; ++i) {
    absl::StatusOr<Context> ctx = Context::Import(token->span());
    if (!ctx.ok()) Die("import template");
    absl::Time t0 = absl::Now();
    absl::StatusOr<Delivery> d = HandOffContext(*ch, *ctx, {});
    double t = absl::ToDoubleMicroseconds(absl::Now() - t0);
    if (!d.ok()) Die(std::string(d.status().message()));
    if (i >= rounds / 10) us.push_back(t);
  }
  { transport::Channel closing = std::move(*ch); }
  ::waitpid(pid, nullptr, 0);
  return Median(us);
}

// Median µs of a channel round trip with a `size`-byte token and `nfds`
// extra fds.
double ChannelHandoff(size_t size, int nfds, int rounds) {
  absl::StatusOr<std::pair<transport::Channel, transport::Channel>> pair =
      transport::Channel::Pair();
  if (!pair.ok()) Die("pair");
  absl::StatusOr<std::pair<transport::UniqueFd, transport::UniqueFd>> raw =
      transport::MakeSocketPair();
  if (!raw.ok()) Die("socketpair");
  pid_t pid = ::fork();
  if (pid == 0) {
    // The importer, in its own process: the channel end moves here.
    transport::Channel mine = std::move(pair->second);
    { transport::Channel theirs = std::move(pair->first); }  // see EOF at the end
    transport::ReceiveOptions opts;
    opts.max_extra_fds = static_cast<size_t>(nfds);
    for (;;) {
      absl::StatusOr<transport::ReceivedToken> r = mine.Receive(opts);
      if (!r.ok()) ::_exit(0);
    }
  }
  { transport::Channel gone = std::move(pair->second); }
  absl::StatusOr<transport::SecretBuffer> token = transport::SecretBuffer::Create(size);
  if (!token.ok()) Die("token");
  std::vector<int> extra(static_cast<size_t>(nfds), raw->first.get());
  std::vector<double> us;
  for (int i = 0; i < rounds + rounds / 10; ++i) {
    absl::Time t0 = absl::Now();
    absl::StatusOr<transport::Handoff> h = pair->first.Send(token->span(), extra);
    if (!h.ok()) Die(std::string(h.status().message()));
    absl::Status a = pair->first.AwaitAck(*h);
    double t = absl::ToDoubleMicroseconds(absl::Now() - t0);
    if (!a.ok()) Die(std::string(a.message()));
    if (i >= rounds / 10) us.push_back(t);
  }
  { transport::Channel closing = std::move(pair->first); }
  ::waitpid(pid, nullptr, 0);
  return Median(us);
}

int Main() {
  if (absl::Status pin = testing::PinToCpu(absl::GetFlag(FLAGS_cpu)); !pin.ok()) {
    Die(std::string(pin.message()));
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines as they come
  const int rounds = absl::GetFlag(FLAGS_rounds);
  absl::StatusOr<testing::TestIdentities> ids = testing::MakeTestIdentities();
  if (!ids.ok()) Die("identities");

  // 1. Locked bytes per live context.
  const transport::LockedMemoryStats before = transport::GetLockedMemoryStats();
  size_t per_context = 0;
  {
    std::vector<Context> live = MakeLive(*ids, 10000);
    const transport::LockedMemoryStats full = transport::GetLockedMemoryStats();
    per_context = (full.buffer_bytes_in_use - before.buffer_bytes_in_use) / 10000;
    std::printf("scale_benchmark: 10000 live contexts hold %zu bytes of locked "
                "slots (%zu per context); pool regions lock %zu bytes; "
                "unlocked regions: %zu\n",
                full.buffer_bytes_in_use - before.buffer_bytes_in_use, per_context,
                full.locked_bytes, full.unlocked_regions);
  }

  // 2. Context handoff vs live contexts.
  std::printf("\n%-44s %12s\n", "context handoff (both processes hold N)", "median us");
  double at[3];
  const int counts[3] = {1, 1000, 10000};
  for (int i = 0; i < 3; ++i) {
    at[i] = ContextHandoff(*ids, counts[i], rounds);
    std::printf("%-44s %12.1f\n", ("N = " + std::to_string(counts[i])).c_str(), at[i]);
  }

  // 3. Token size and fd count.
  std::printf("\n%-44s %12s\n", "channel handoff", "median us");
  for (size_t kib : {1, 4, 16, 64}) {
    std::printf("%-44s %12.1f\n",
                ("token " + std::to_string(kib) + " KiB, 0 extra fds").c_str(),
                ChannelHandoff(kib * 1024, 0, rounds));
  }
  for (int nfds : {1, 4, 16}) {
    std::printf("%-44s %12.1f\n",
                ("token 4 KiB, " + std::to_string(nfds) + " extra fds").c_str(),
                ChannelHandoff(4096, nfds, rounds));
  }
  std::printf("\ncontexts: 10000 locked-per-context-bytes: %zu handoff@10k/handoff@1: %.2f\n",
              per_context, at[2] / at[0]);
  return 0;
}

}  // namespace
}  // namespace gssx

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return gssx::Main();
}
