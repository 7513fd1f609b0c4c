// SPDX-License-Identifier: Apache-2.0
// minimal_handoff: the whole idea of gssx in one short program.
//
//   bazel run //examples:minimal_handoff     # ends "minimal_handoff: OK"
//
// 1. A client ("alice") and a server ("demo@localhost") identity, made in
//    memory, each trusting the other, establish a context pair.
// 2. fork(): the child plays the worker, connected to the parent by a
//    transport::Channel (an AF_UNIX SOCK_SEQPACKET pair).
// 3. The parent hands the server's context and the server end of the
//    client's connection to the child in one message (gssx::HandOffContext:
//    exactly once; had the child died first, the parent would hold the
//    context again). The parent keeps no usable copy.
// 4. The client sends one wrapped message; the child, which imported the
//    context (gssx::ReceiveContext), unwraps it.
// The real servers (examples/servers/) do the same with a worker pool.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "gssx/handoff.h"
#include "gssx/name.h"
#include "gssx/status.h"
#include "transport/channel.h"
#include "transport/base/unique_fd.h"

namespace {

using gssx::transport::UniqueFd;

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, gssx::StatusText(v.status()).c_str());
    std::exit(1);
  }
  return std::move(*v);
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// The worker: import the context (and the client's socket), unwrap one
// message from the client. Exit code 0 if it says what the client sent.
int Worker(gssx::transport::Channel channel) {
  gssx::ReceiveContextOptions options;
  options.max_extra_fds = 1;  // the client's socket comes with the context
  gssx::ReceivedContext r = Must(gssx::ReceiveContext(channel, options), "import");
  std::vector<uint8_t> wrapped(4096);
  ssize_t n = ::recv(r.fds[0].get(), wrapped.data(), wrapped.size(), 0);
  if (n <= 0) return 1;
  wrapped.resize(n);
  gssx::UnwrapResult u = Must(r.context.Unwrap(wrapped), "unwrap");
  const std::string text(u.message.begin(), u.message.end());
  std::printf("worker %d: imported the context, unwrapped \"%s\"\n", ::getpid(),
              text.c_str());
  return text == "hello from alice" ? 0 : 1;
}

}  // namespace

int main() {
  // 1. Two identities in memory, each trusting the other.
  gssx::Keytab server_keys, client_keys;
  gssx::PublicKey server_pub = Must(server_keys.Generate("demo@localhost"), "keygen");
  gssx::PublicKey client_pub = Must(client_keys.Generate("alice"), "keygen");
  auto server_trust = std::make_shared<gssx::TrustStore>();
  auto client_trust = std::make_shared<gssx::TrustStore>();
  if (!server_trust->Add("alice", client_pub).ok() ||
      !client_trust->Add("demo@localhost", server_pub).ok()) {
    return 1;
  }
  gssx::Credentials server = Must(
      gssx::Credentials::FromKeytab(server_keys, server_trust, {}), "server cred");
  gssx::Credentials client = Must(
      gssx::Credentials::FromKeytab(client_keys, client_trust, {}), "client cred");
  gssx::InitOptions init;
  init.target = Must(gssx::Name::Import("demo@localhost",
                                        gssx::NameType::kHostBasedService),
                     "name");
  gssx::HandshakeStep c = Must(gssx::Context::Initiate(client, init), "initiate");
  gssx::HandshakeStep s = Must(gssx::Context::Accept(server, c.output_token), "accept");
  Must(c.context.Continue(s.output_token), "continue");

  // The client's connection (one message per send) and the worker channel.
  auto conn = Must(gssx::transport::MakeSocketPair(), "socketpair");
  auto link = Must(gssx::transport::MakeSocketPair(), "socketpair");

  // 2. The worker.
  const pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    link.first.Reset();
    conn.first.Reset();  // the client's end is not the worker's
    return Worker(Must(gssx::transport::Channel::Open(std::move(link.second)),
                       "worker channel"));
  }
  link.second.Reset();
  gssx::transport::Channel channel =
      Must(gssx::transport::Channel::Open(std::move(link.first)), "channel");

  // 3. Context + socket to the worker; the parent closes its copy.
  Must(gssx::HandOffContext(channel, s.context, {conn.second.get()}), "handoff");
  conn.second.Reset();
  std::printf("parent %d: handed the context off (it holds none now: %s)\n",
              ::getpid(), s.context.valid() ? "no!" : "yes");

  // 4. The client speaks; the worker answers for the server.
  gssx::WrapResult w = Must(
      c.context.Wrap(Bytes("hello from alice"), /*confidential=*/true), "wrap");
  if (::send(conn.first.get(), w.token.data(), w.token.size(), 0) !=
      static_cast<ssize_t>(w.token.size())) {
    return 1;
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !s.context.valid();
  std::printf("minimal_handoff: %s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
