// SPDX-License-Identifier: Apache-2.0
// A consumer's test: authenticate in one process, hand the context and a
// connection (here a socketpair end) to a forked worker, which continues
// the session; the test's own process plays the client.
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gssx/context.h"
#include "gssx/handoff.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "gssx/testing/test_identity.h"
#include "transport/channel.h"

namespace {

using gssx::testing::ForkedChild;
using gssx::testing::IsOk;
using gssx::testing::IsOkAndHolds;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(ConsumerTest, WorkerContinuesTheSessionAfterHandoff) {
  ASSERT_OK_AND_ASSIGN(gssx::testing::TestIdentities ids,
                       gssx::testing::MakeTestIdentities());
  ASSERT_OK_AND_ASSIGN(gssx::testing::TestContexts ctx,
                       gssx::testing::EstablishTestContexts(ids));
  int conn[2];  // stands in for the client's TCP connection
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, conn), 0);
  gssx::transport::UniqueFd client_end(conn[0]), server_end(conn[1]);
  ASSERT_OK_AND_ASSIGN(auto channel_fds, gssx::transport::MakeSocketPair());

  ASSERT_OK_AND_ASSIGN(ForkedChild worker, ForkedChild::Start([&] {
    channel_fds.first.Reset();
    client_end.Reset();
    server_end.Reset();
    auto ch = gssx::transport::Channel::Open(std::move(channel_fds.second));
    if (!ch.ok()) return 10;
    gssx::ReceiveContextOptions opts;
    opts.max_extra_fds = 1;
    auto r = gssx::ReceiveContext(*ch, opts);
    if (!r.ok() || r->fds.size() != 1) return 11;
    uint8_t buf[4096];
    ssize_t n = recv(r->fds[0].get(), buf, sizeof buf, 0);
    if (n <= 0) return 12;
    auto req = r->context.Unwrap(absl::MakeConstSpan(buf, n));
    if (!req.ok() || req->supplementary != 0) return 13;
    auto reply = r->context.Wrap(Bytes("pong"), true);
    if (!reply.ok()) return 14;
    return send(r->fds[0].get(), reply->token.data(), reply->token.size(), 0) > 0 ? 0 : 15;
  }));
  channel_fds.second.Reset();
  ASSERT_OK_AND_ASSIGN(gssx::transport::Channel ch,
                       gssx::transport::Channel::Open(std::move(channel_fds.first)));
  ASSERT_OK_AND_ASSIGN(gssx::Delivery d,
                       gssx::HandOffContext(ch, ctx.server, {server_end.get()}));
  EXPECT_EQ(d, gssx::Delivery::kAcknowledged);
  EXPECT_FALSE(ctx.server.valid());  // exported: nothing left here
  server_end.Reset();

  ASSERT_OK_AND_ASSIGN(gssx::WrapResult ping, ctx.client.Wrap(Bytes("ping"), true));
  ASSERT_GT(send(client_end.get(), ping.token.data(), ping.token.size(), 0), 0);
  uint8_t buf[4096];
  ssize_t n = recv(client_end.get(), buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  ASSERT_OK_AND_ASSIGN(gssx::UnwrapResult pong,
                       ctx.client.Unwrap(absl::MakeConstSpan(buf, n)));
  EXPECT_EQ(std::string(pong.message.begin(), pong.message.end()), "pong");
  EXPECT_EQ(pong.supplementary, 0u);
  EXPECT_THAT(worker.Wait(absl::Seconds(30)), IsOkAndHolds(0));
}

}  // namespace
