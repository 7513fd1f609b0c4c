// SPDX-License-Identifier: Apache-2.0
// Handoff receive (ReceiveContext, ImportContextFromFd) and the services
// it requires of the context it takes (issue 17 item 5).
#include "gssx/handoff.h"

#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gssx/context.h"
#include "gssx/testing/test_peers.h"
#include "gssx/status.h"
#include "gtest/gtest.h"
#include "gssx/testing/gssx_matchers.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/unique_fd.h"

namespace gssx {
namespace {

using ::gssx::internal::ClientOptions;
using ::gssx::internal::ContextPair;
using ::gssx::internal::Establish;
using ::gssx::internal::MakePeers;
using ::gssx::internal::Peers;
using ::gssx::testing::HasGssError;
using ::gssx::testing::IsOk;
using Bytes = std::vector<uint8_t>;

Bytes B(absl::string_view s) { return Bytes(s.begin(), s.end()); }

// A context pair where the initiator asked for `flags` only.
absl::StatusOr<ContextPair> EstablishWith(const Peers& peers,
                                          ContextFlags flags) {
  InitOptions init = ClientOptions();
  init.flags = flags;
  return Establish(peers, init);
}

// The reproducer: with req_flags = MUTUAL only, the context has no
// replay detection, so the same token unwraps three times as if new. The
// handoff receive now refuses such a context (unconsumed: the exporter
// takes it back) unless the receiver says it does not need those services.
TEST(RequiredServicesTest, RawHandoffReceiveRefusesAContextWithoutReplay) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, EstablishWith(peers, kMutualFlag));
  ASSERT_OK_AND_ASSIGN(WrapResult w, pair.initiator.Wrap(B("pay 100"), true));
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(UnwrapResult u, pair.acceptor.Unwrap(w.token));
    EXPECT_EQ(u.supplementary, 0u) << "no replay detection was granted";
  }
  ASSERT_OK_AND_ASSIGN(transport::UniqueFd fd,
                       ExportContextToFd(pair.acceptor));
  absl::StatusOr<Context> imported = ImportContextFromFd(fd.get());
  EXPECT_THAT(imported, HasGssError(ErrorKind::kUnauthorized));
  EXPECT_THAT(imported.status().message(),
              ::testing::HasSubstr("lacks required services"));
}

TEST(RequiredServicesTest, ChannelReceiveRefusesAndTheExporterReclaims) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, EstablishWith(peers, kMutualFlag));
  ASSERT_OK_AND_ASSIGN(auto channels, transport::Channel::Pair());
  absl::StatusOr<Delivery> delivered;
  std::thread exporter([&] {
    delivered = HandOffContext(channels.first, pair.acceptor, {});
  });
  absl::StatusOr<ReceivedContext> r = ReceiveContext(channels.second);
  exporter.join();
  EXPECT_THAT(r, HasGssError(ErrorKind::kUnauthorized));
  EXPECT_FALSE(delivered.ok());
  // Not lost: the exporter holds it again and it still works.
  ASSERT_TRUE(pair.acceptor.established());
  ASSERT_OK_AND_ASSIGN(WrapResult w, pair.acceptor.Wrap(B("still here"), true));
  ASSERT_OK_AND_ASSIGN(UnwrapResult u, pair.initiator.Unwrap(w.token));
  EXPECT_EQ(u.message, B("still here"));
}

TEST(RequiredServicesTest, DefaultContextsAreReceived) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  ASSERT_OK_AND_ASSIGN(transport::UniqueFd fd,
                       ExportContextToFd(pair.acceptor));
  ASSERT_OK_AND_ASSIGN(Context imported, ImportContextFromFd(fd.get()));
  ASSERT_OK_AND_ASSIGN(WrapResult w, pair.initiator.Wrap(B("m"), true));
  ASSERT_OK_AND_ASSIGN(UnwrapResult u, imported.Unwrap(w.token));
  EXPECT_EQ(u.supplementary, 0u);
  ASSERT_OK_AND_ASSIGN(u, imported.Unwrap(w.token));
  EXPECT_EQ(u.supplementary, kDuplicateToken);
}

TEST(RequiredServicesTest, ReceiversCanOptOut) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, EstablishWith(peers, kMutualFlag));
  ASSERT_OK_AND_ASSIGN(transport::UniqueFd fd,
                       ExportContextToFd(pair.acceptor));
  // Refused unconsumed: the same fd still imports with required_flags 0.
  EXPECT_THAT(ImportContextFromFd(fd.get()),
              HasGssError(ErrorKind::kUnauthorized,
                          Minor::kRequiredServicesMissing));
  ImportOptions any;
  any.required_flags = 0;
  ASSERT_OK_AND_ASSIGN(Context imported, ImportContextFromFd(fd.get(), any));
  EXPECT_TRUE(imported.established());

  ASSERT_OK_AND_ASSIGN(auto channels, transport::Channel::Pair());
  absl::StatusOr<Delivery> delivered;
  std::thread exporter([&] {
    delivered = HandOffContext(channels.first, imported, {});
  });
  ReceiveContextOptions options;
  options.import.required_flags = 0;
  absl::StatusOr<ReceivedContext> r = ReceiveContext(channels.second, options);
  exporter.join();
  ASSERT_OK(r.status());
  EXPECT_OK(delivered.status());
}

TEST(RequiredServicesTest, ExplicitRequirementsAreChecked) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  // Replay asked for, sequence not: a receiver requiring sequence refuses.
  ASSERT_OK_AND_ASSIGN(ContextPair pair,
                       EstablishWith(peers, kMutualFlag | kReplayFlag));
  ASSERT_OK_AND_ASSIGN(transport::UniqueFd fd,
                       ExportContextToFd(pair.acceptor));
  ImportOptions replay_only;
  replay_only.required_flags = kReplayFlag | kConfFlag | kIntegFlag;
  ImportOptions sequence;
  sequence.required_flags = kSequenceFlag;
  EXPECT_THAT(ImportContextFromFd(fd.get(), sequence),
              HasGssError(ErrorKind::kUnauthorized,
                          Minor::kRequiredServicesMissing));
  EXPECT_THAT(ImportContextFromFd(fd.get(), replay_only), IsOk());
}

}  // namespace
}  // namespace gssx
