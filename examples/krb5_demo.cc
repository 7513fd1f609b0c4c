// SPDX-License-Identifier: Apache-2.0
// The MIT Kerberos demo, self-contained:
//
//   bazel run //examples:krb5_demo
//
// 1. Starts a throwaway realm with a real KDC in a temporary directory
//    (testing/krb5) and gets the client a ticket with kinit.
// 2. Shows the gap gssx closes: MIT imports one exported context twice
//    (both copies accept the same client message), while the same token
//    through a gssx memfd imports once — the second attempt is refused by
//    the kernel latch.
// 3. Runs krb5_server (3 workers) and 30 Kerberos clients, 6 at a time,
//    5 wrapped requests each; every reply comes from a worker process that
//    imported the context the master accepted. Halfway, a worker is
//    SIGKILLed in the middle of a handoff (the server's SIGUSR1 drill): the
//    master reclaims the context and another worker serves that client.
// Exits 0 if every step did what it says.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "examples/cli.h"
#include "examples/krb5_client.h"
#include "examples/krb5_server.h"
#include "examples/server_util.h"
#include "gssx/krb5_bridge/bridge.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/mit_handshake.h"
#include "testing/krb5/test_kdc.h"
#include "transport/base/errors.h"

namespace gssx::examples {
namespace {

bool ShowTheGap(const std::string& service) {
  std::printf("\n== one export token, two imports ==\n");
  absl::StatusOr<krb5::MitPair> pair = krb5::EstablishInProcess(service);
  if (!pair.ok()) {
    std::printf("establish: %s\n", transport::StatusText(pair.status()).c_str());
    return false;
  }
  const std::vector<uint8_t> msg = {'p', 'a', 'y', ' ', '1', '0', '0'};
  absl::StatusOr<std::vector<uint8_t>> wrapped = pair->initiator.Wrap(msg);
  if (!wrapped.ok()) return false;
  // MIT alone.
  absl::StatusOr<transport::SecretBuffer> token = krb5::ExportMitContext(pair->acceptor);
  if (!token.ok()) return false;
  absl::StatusOr<krb5::MitContext> a = krb5::ImportMitContext(token->span());
  absl::StatusOr<krb5::MitContext> b = krb5::ImportMitContext(token->span());
  bool mit_twice = a.ok() && b.ok() && a->Unwrap(*wrapped).ok() && b->Unwrap(*wrapped).ok();
  std::printf("MIT gss_import_sec_context, same token twice: %s\n",
              mit_twice ? "both imports succeed, and both copies accept the "
                          "same client message (a replay nobody sees)"
                        : "refused (unexpected)");
  // Through gssx: a sealed memfd, imported in a child process, then here.
  if (!a.ok()) return false;
  pair->acceptor = std::move(*a);
  absl::StatusOr<transport::UniqueFd> fd = krb5::ExportMitContextToFd(pair->acceptor);
  if (!fd.ok()) return false;
  pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    absl::StatusOr<krb5::MitContext> ctx = krb5::ImportMitContextFromFd(fd->get());
    ::_exit(ctx.ok() ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  const bool child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  absl::StatusOr<krb5::MitContext> again = krb5::ImportMitContextFromFd(fd->get());
  const bool refused = transport::IsError(again.status(),
                                          transport::ErrorKind::kAlreadyConsumed);
  std::printf("gssx memfd: import in process %d %s; second import here: %s\n",
              static_cast<int>(child), child_ok ? "succeeded" : "FAILED",
              refused ? "refused, already-consumed (the kernel latch)"
                      : transport::StatusText(again.status()).c_str());
  return mit_twice && child_ok && refused;
}

int Main() {
  std::printf("== a throwaway Kerberos realm ==\n");
  absl::StatusOr<std::unique_ptr<testing::TestRealm>> realm =
      testing::TestRealm::Create();
  if (!realm.ok()) {
    std::printf("test realm: %s\n", transport::StatusText(realm.status()).c_str());
    return 1;
  }
  std::printf("realm %s: krb5kdc pid %d on 127.0.0.1:%d, directory %s\n",
              (*realm)->realm().c_str(), static_cast<int>((*realm)->kdc_pid()),
              (*realm)->port(), (*realm)->dir().c_str());
  std::printf("client %s has a ticket (kinit); service %s in the keytab\n",
              (*realm)->client().c_str(), (*realm)->service().c_str());

  bool ok = ShowTheGap((*realm)->service());

  std::printf("\n== krb5_server: master accepts, workers serve ==\n");
  std::fflush(stdout);
  int port_pipe[2], stats_pipe[2];
  if (::pipe(port_pipe) != 0 || ::pipe(stats_pipe) != 0) return 1;
  pid_t server = ::fork();
  if (server < 0) return 1;
  if (server == 0) {
    ::close(port_pipe[0]);
    ::close(stats_pipe[0]);
    Krb5ServerOptions o;
    o.workers = 3;
    o.port_fd = port_pipe[1];
    o.stats_fd = stats_pipe[1];
    ::_exit(RunKrb5Server(o));
  }
  ::close(port_pipe[1]);
  ::close(stats_pipe[1]);
  int port = 0;
  if (!absl::SimpleAtoi(ReadLine(port_pipe[0]), &port)) return 1;

  constexpr int kClients = 30, kParallel = 6, kRequests = 5;
  std::mutex mu;
  std::map<pid_t, int> by_worker;
  int clients_ok = 0, requests_ok = 0;
  std::vector<std::string> failures;
  for (int batch = 0; batch < kClients / kParallel; ++batch) {
    // Halfway, the fault drill: the next handoff's worker is killed
    // mid-way; the master reclaims the context and passes the client on.
    if (batch == kClients / kParallel / 2) ::kill(server, SIGUSR1);
    std::vector<std::thread> threads;
    for (int i = 0; i < kParallel; ++i) {
      threads.emplace_back([&] {
        Krb5ClientOptions c;
        c.connect = absl::StrCat("127.0.0.1:", port);
        c.service = (*realm)->service();
        c.requests = kRequests;
        absl::StatusOr<Krb5ClientResult> r = RunKrb5Client(c);
        std::lock_guard<std::mutex> l(mu);
        if (!r.ok()) {
          failures.push_back(transport::StatusText(r.status()));
          return;
        }
        ++clients_ok;
        requests_ok += r->requests_ok;
        for (pid_t p : r->worker_pids) ++by_worker[p];
      });
    }
    for (std::thread& t : threads) t.join();
  }
  ::kill(server, SIGTERM);
  std::string stats = ReadLine(stats_pipe[0]);
  int status = 0;
  ::waitpid(server, &status, 0);
  std::printf("clients: %d/%d ok, requests: %d/%d answered and verified\n",
              clients_ok, kClients, requests_ok, kClients * kRequests);
  for (const auto& [pid, n] : by_worker) {
    std::printf("  worker %d (child of server %d) served %d connection(s)\n",
                static_cast<int>(pid), static_cast<int>(server), n);
  }
  for (const std::string& f : failures) std::printf("  failure: %s\n", f.c_str());
  std::printf("server: %s\n", stats.c_str());
  const bool drill_seen = stats.find("reclaims=1 ") != std::string::npos &&
                          stats.find("worker_deaths=1") != std::string::npos;
  std::printf("fault drill (a worker SIGKILLed mid-handoff, context reclaimed "
              "and passed on): %s\n", drill_seen ? "seen" : "NOT SEEN");
  ok = ok && drill_seen && clients_ok == kClients &&
       requests_ok == kClients * kRequests && WIFEXITED(status) &&
       WEXITSTATUS(status) == 0;
  std::printf("\n%s\n", ok ? "krb5 demo: OK" : "krb5 demo: FAILED");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace gssx::examples

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "krb5_demo: the MIT Kerberos demo (a throwaway realm with a real KDC,\n"
      "MIT's double import vs gssx's latch, krb5_server with 30 clients).\n"
      "Usage: bazel run //examples:krb5_demo   (no arguments)");
  // --help prints this and exits here: no realm, no KDC, no server.
  std::vector<char*> args = gssx::examples::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    std::fprintf(stderr, "krb5_demo: takes no arguments (--help)\n");
    return 2;
  }
  return gssx::examples::Main();
}
