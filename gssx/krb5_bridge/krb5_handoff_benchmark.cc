// SPDX-License-Identifier: Apache-2.0
// What moving a real MIT Kerberos context to another process through gssx
// costs, against what MIT's own export+import costs in one process.
//
//   bazel run -c opt //gssx/krb5_bridge:krb5_handoff_benchmark
//
// Starts a throwaway realm with a real KDC (testing/krb5: needs Debian's
// krb5-kdc, krb5-admin-server, krb5-user — tools/setup), establishes one
// acceptor context with a ticket from kinit, then times, per round:
//   in-process:  ExportMitContext (gss_export_sec_context into locked
//                memory, MIT's buffer wiped) + ImportMitContext;
//   channel:     HandOffMitContext to a worker process — export, seal into
//                a memfd under a one-time key, send, the worker's
//                ReceiveMitContext (verify, decrypt, gss_import_sec_context,
//                latch, ack) — until the ack is back. Then the parent tells
//                the worker (a byte on a pipe) to hand the context back,
//                outside the timed interval, so every round moves the same
//                live context.
// Both with the two processes pinned to one CPU and unpinned; medians and
// p99 in microseconds. The context is checked with a wrap/unwrap before
// and after. Last line: channel / in-process, pinned medians.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gssx/krb5_bridge/bridge.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/mit_handshake.h"
#include "testing/bench.h"
#include "testing/krb5/test_kdc.h"
#include "transport/testing/raw_messages.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/memfd_token.h"

ABSL_FLAG(int, rounds, 5000, "measured rounds per case and mode");
ABSL_FLAG(int, warmup, 500, "unmeasured rounds before measuring");
ABSL_FLAG(int, cpu, 0, "CPU to pin both processes to in pinned mode");

namespace gssx::krb5 {
namespace {

// The realm lives here so that Die's std::exit still stops the KDC and
// removes the realm's directory (static destructors run at exit).
std::unique_ptr<testing::TestRealm> g_realm;

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "krb5_handoff_benchmark: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::exit(1);
}

using Stats = ::gssx::testing::LatencyStats;
using ::gssx::testing::Summarize;

void Pin(bool pinned) {
  absl::Status s = ::gssx::testing::PinToCpu(pinned ? absl::GetFlag(FLAGS_cpu) : -1);
  if (!s.ok()) Die("pin", s);
}

// Checks that `acceptor` still talks to `initiator`, both ways.
void CheckAlive(MitContext& initiator, MitContext& acceptor,
                const std::string& when) {
  std::vector<uint8_t> m = {'p', 'i', 'n', 'g'};
  absl::StatusOr<std::vector<uint8_t>> w = initiator.Wrap(m);
  if (!w.ok()) Die(when + ": wrap", w.status());
  absl::StatusOr<std::vector<uint8_t>> u = acceptor.Unwrap(*w);
  if (!u.ok()) Die(when + ": unwrap", u.status());
  if (*u != m) Die(when, absl::DataLossError("unwrapped text differs"));
  w = acceptor.Wrap(m);
  if (!w.ok()) Die(when + ": wrap", w.status());
  u = initiator.Unwrap(*w);
  if (!u.ok() || *u != m) Die(when + ": reply", u.status());
}

Stats InProcess(MitContext& ctx, bool pinned) {
  Pin(pinned);
  const int warmup = absl::GetFlag(FLAGS_warmup);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  std::vector<double> us;
  us.reserve(rounds);
  for (int i = 0; i < warmup + rounds; ++i) {
    absl::Time t0 = absl::Now();
    absl::StatusOr<transport::SecretBuffer> token = ExportMitContext(ctx);
    if (!token.ok()) Die("export", token.status());
    absl::StatusOr<MitContext> back = ImportMitContext(token->span());
    if (!back.ok()) Die("import", back.status());
    ctx = std::move(*back);
    double d = absl::ToDoubleMicroseconds(absl::Now() - t0);
    if (i >= warmup) us.push_back(d);
  }
  Pin(false);
  return Summarize(std::move(us));
}

// The worker: imports what arrives and, when the parent says so on `go`
// (after it stopped its clock: the return leg must not run inside the
// timed interval), hands it back; until the channel closes.
int Worker(transport::UniqueFd socket, transport::UniqueFd go) {
  absl::StatusOr<transport::Channel> ch = transport::Channel::Open(std::move(socket));
  if (!ch.ok()) return 1;
  for (;;) {
    absl::StatusOr<ReceivedMitContext> r = ReceiveMitContext(*ch);
    if (!r.ok()) {
      return transport::IsError(r.status(), transport::ErrorKind::kPeerClosed)
                 ? 0
                 : 2;
    }
    char byte;
    if (::read(go.get(), &byte, 1) != 1) return 4;
    absl::StatusOr<Delivery> back = HandOffMitContext(*ch, r->context, {});
    if (!back.ok()) return 3;
  }
}

Stats ThroughChannel(MitContext& ctx, bool pinned) {
  Pin(pinned);  // the worker inherits the affinity
  absl::StatusOr<std::pair<transport::UniqueFd, transport::UniqueFd>> ends =
      transport::MakeSocketPair();
  if (!ends.ok()) Die("socketpair", ends.status());
  int go_pipe[2];
  if (::pipe2(go_pipe, O_CLOEXEC) != 0) Die("pipe", absl::ErrnoToStatus(errno, "pipe2"));
  transport::UniqueFd go_r(go_pipe[0]), go_w(go_pipe[1]);
  pid_t pid = ::fork();
  if (pid < 0) Die("fork", absl::ErrnoToStatus(errno, "fork"));
  if (pid == 0) {
    ends->first.Reset();
    go_w.Reset();
    ::_exit(Worker(std::move(ends->second), std::move(go_r)));
  }
  ends->second.Reset();
  go_r.Reset();
  absl::StatusOr<transport::Channel> ch =
      transport::Channel::Open(std::move(ends->first));
  if (!ch.ok()) Die("channel", ch.status());
  const int warmup = absl::GetFlag(FLAGS_warmup);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  std::vector<double> us;
  us.reserve(rounds);
  for (int i = 0; i < warmup + rounds; ++i) {
    absl::Time t0 = absl::Now();
    absl::StatusOr<Delivery> d = HandOffMitContext(*ch, ctx, {});
    double t = absl::ToDoubleMicroseconds(absl::Now() - t0);
    if (!d.ok() || *d != Delivery::kAcknowledged) {
      Die("handoff", d.ok() ? absl::InternalError("not acknowledged") : d.status());
    }
    if (i >= warmup) us.push_back(t);
    if (::write(go_w.get(), "g", 1) != 1) Die("go", absl::ErrnoToStatus(errno, "write"));
    absl::StatusOr<ReceivedMitContext> back = ReceiveMitContext(*ch);
    if (!back.ok()) Die("hand back", back.status());
    ctx = std::move(back->context);
  }
  ch = absl::CancelledError("done");  // destroys the Channel: the worker exits
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Die("worker", absl::InternalError(absl::StrFormat("status %d", status)));
  }
  Pin(false);
  return Summarize(std::move(us));
}

std::string Enctype(const std::string& kdc_log) {
  size_t at = kdc_log.rfind("ses=");
  if (at == std::string::npos) return "?";
  size_t end = kdc_log.find_first_of(",}", at);
  return kdc_log.substr(at + 4, end - at - 4);
}

int Main() {
  absl::StatusOr<std::unique_ptr<testing::TestRealm>> realm =
      testing::TestRealm::Create();
  if (!realm.ok()) Die("test realm", realm.status());
  g_realm = std::move(*realm);
  absl::StatusOr<MitPair> pair = EstablishInProcess(g_realm->service());
  if (!pair.ok()) Die("establish", pair.status());
  CheckAlive(pair->initiator, pair->acceptor, "before");

  // Token sizes.
  absl::StatusOr<transport::SecretBuffer> accept_token =
      ExportMitContext(pair->acceptor);
  if (!accept_token.ok()) Die("export", accept_token.status());
  absl::StatusOr<transport::SealedToken> sealed =
      transport::SealEncryptedToken(accept_token->span());
  if (!sealed.ok()) Die("seal", sealed.status());
  const size_t accept_size = accept_token->size();
  const uint64_t memfd_size = sealed->expect.file_size;
  const size_t body_size =
      ::gssx::testing::HandoffMessageBody(sealed->expect, 0, sealed->key.span()).size();
  absl::StatusOr<MitContext> a = ImportMitContext(accept_token->span());
  if (!a.ok()) Die("import", a.status());
  pair->acceptor = std::move(*a);
  absl::StatusOr<transport::SecretBuffer> init_token =
      ExportMitContext(pair->initiator);
  if (!init_token.ok()) Die("export", init_token.status());
  const size_t init_size = init_token->size();
  absl::StatusOr<MitContext> i = ImportMitContext(init_token->span());
  if (!i.ok()) Die("import", i.status());
  pair->initiator = std::move(*i);

  Stats in_pinned = InProcess(pair->acceptor, true);
  Stats ch_pinned = ThroughChannel(pair->acceptor, true);
  Stats in_free = InProcess(pair->acceptor, false);
  Stats ch_free = ThroughChannel(pair->acceptor, false);
  CheckAlive(pair->initiator, pair->acceptor, "after");

  std::printf(
      "MIT Kerberos 5 context handoff: realm %s (real KDC, krb5kdc pid %d), "
      "session enctype %s\n",
      g_realm->realm().c_str(), static_cast<int>(g_realm->kdc_pid()),
      Enctype(g_realm->KdcLog()).c_str());
  std::printf("rounds %d per case and mode (after %d warm-up); microseconds\n\n",
              absl::GetFlag(FLAGS_rounds), absl::GetFlag(FLAGS_warmup));
  std::printf("%-58s %10s %10s %10s %10s\n", "", "pinned", "", "unpinned", "");
  std::printf("%-58s %10s %10s %10s %10s\n", "case", "median", "p99", "median",
              "p99");
  std::printf("%-58s %10.1f %10.1f %10.1f %10.1f\n",
              "in-process: MIT export + import",
              in_pinned.median, in_pinned.p99, in_free.median, in_free.p99);
  std::printf("%-58s %10.1f %10.1f %10.1f %10.1f\n",
              "channel: MIT export -> gssx channel -> import in worker",
              ch_pinned.median, ch_pinned.p99, ch_free.median, ch_free.p99);
  std::printf("\ntoken sizes: acceptor export token %zu bytes, initiator %zu "
              "bytes; in transit: memfd %llu bytes (ciphertext), message body "
              "%zu bytes\n",
              accept_size, init_size,
              static_cast<unsigned long long>(memfd_size), body_size);
  std::printf("unpinned channel/in-process: %.2f\n",
              ch_free.median / in_free.median);
  std::printf("krb5 channel-handoff/in-process export+import: %.2f\n",
              ch_pinned.median / in_pinned.median);
  return 0;
}

}  // namespace
}  // namespace gssx::krb5

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return gssx::krb5::Main();
}
