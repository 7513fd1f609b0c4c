// SPDX-License-Identifier: Apache-2.0
#include "gssx/context.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gssx/clock.h"
#include "gssx/credentials.h"
#include "gssx/internal/export_format.h"
#include "gssx/internal/framing.h"
#include "gssx/internal/per_message.h"
#include "gssx/testing/test_peers.h"
#include "gssx/name.h"
#include "gssx/oid.h"
#include "gssx/status.h"
#include "gtest/gtest.h"
#include "gssx/testing/gssx_matchers.h"
#include "testing/status_matchers.h"

namespace gssx {
namespace {

using ::gssx::internal::ClientOptions;
using ::gssx::internal::ContextPair;
using ::gssx::internal::Establish;
using ::gssx::internal::kClientName;
using ::gssx::internal::kServerName;
using ::gssx::internal::MakePeers;
using ::gssx::internal::PeerOptions;
using ::gssx::internal::Peers;
using ::gssx::testing::HasGssError;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;
using Bytes = std::vector<uint8_t>;

Bytes B(absl::string_view s) { return Bytes(s.begin(), s.end()); }

// Where the mechanism OID sits in a framed context token: 0x60, the outer
// length (1 + length-of-length bytes when long), 0x06, the OID length, the
// OID.
struct OidSpan {
  size_t length_byte;  // the OID's length byte
  size_t begin;        // first OID content byte
  size_t end;          // one past the last
};

OidSpan FindOid(const Bytes& token) {
  size_t pos = 1;
  pos += token[1] < 0x80 ? 1 : 1 + (token[1] & 0x7f);
  // token[pos] is 0x06
  return OidSpan{pos + 1, pos + 2, pos + 2 + token[pos + 1]};
}

// ------------------------------------------------------------- handshake

TEST(HandshakeTest, EstablishesBothSides) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  EXPECT_TRUE(init.context.valid());
  EXPECT_FALSE(init.context.established());
  EXPECT_FALSE(init.output_token.empty());
  EXPECT_EQ(init.output_token[0], 0x60);

  ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                       Context::Accept(*peers.server, init.output_token));
  EXPECT_TRUE(acc.context.established());
  ASSERT_OK_AND_ASSIGN(Bytes none, init.context.Continue(acc.output_token));
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(init.context.established());

  ASSERT_OK_AND_ASSIGN(ContextInfo i, init.context.Inquire());
  ASSERT_OK_AND_ASSIGN(ContextInfo a, acc.context.Inquire());
  EXPECT_EQ(i.source.identity(), kClientName);
  EXPECT_EQ(i.target.identity(), kServerName);
  EXPECT_EQ(a.source.identity(), kClientName);
  EXPECT_EQ(a.target.identity(), kServerName);
  EXPECT_TRUE(i.source.is_mechanism_name());
  EXPECT_TRUE(i.locally_initiated);
  EXPECT_FALSE(a.locally_initiated);
  EXPECT_TRUE(i.established);
  EXPECT_TRUE(a.established);
  const ContextFlags expected = kMutualFlag | kReplayFlag | kSequenceFlag |
                                kConfFlag | kIntegFlag | kProtReadyFlag |
                                kTransFlag;
  EXPECT_EQ(i.flags, expected);
  EXPECT_EQ(a.flags, expected);
  EXPECT_EQ(i.expiry, absl::InfiniteFuture());
  EXPECT_THAT(init.context.TimeRemaining(),
              IsOkAndHolds(absl::InfiniteDuration()));
  EXPECT_NE(i.id, a.id);  // each side draws its own
}

TEST(HandshakeTest, TokensAreFramedWithTheMechanismOid) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                       Context::Accept(*peers.server, init.output_token));
  for (const Bytes* token : {&init.output_token, &acc.output_token}) {
    const OidSpan oid = FindOid(*token);
    EXPECT_EQ(Oid(absl::MakeConstSpan(*token).subspan(oid.begin,
                                                       oid.end - oid.begin)),
              MechanismOid());
  }
  EXPECT_EQ(*MechanismOid().ToString(), kMechanismOidString);
}

TEST(HandshakeTest, UnknownTargetFailsAtTheInitiator) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions options = ClientOptions();
  options.target = *Name::Import("ftp@web1", NameType::kHostBasedService);
  EXPECT_THAT(Context::Initiate(*peers.client, options),
              HasGssError(ErrorKind::kBadName, Minor::kUnknownTarget));
}

TEST(HandshakeTest, WrongTargetKeyFailsAtTheAcceptor) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  // The client believes http@web1 has another key.
  Keytab other;
  ASSERT_OK_AND_ASSIGN(PublicKey wrong, other.Generate(kServerName));
  peers.client_trust = std::make_shared<TrustStore>();
  ASSERT_OK(peers.client_trust->Add(kServerName, wrong));
  ASSERT_OK(peers.Refresh());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  EXPECT_THAT(
      Context::Accept(*peers.server, init.output_token),
      HasGssError(ErrorKind::kDefectiveToken, Minor::kHandshakeDecryptFailed));
}

TEST(HandshakeTest, UntrustedInitiatorIsUnauthorized) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  peers.server_trust = std::make_shared<TrustStore>();  // trusts nobody
  ASSERT_OK(peers.Refresh());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  EXPECT_THAT(
      Context::Accept(*peers.server, init.output_token),
      HasGssError(ErrorKind::kUnauthorized, Minor::kUntrustedInitiator));
}

TEST(HandshakeTest, InitiatorWithAnotherKeyIsUnauthorized) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  // The server trusts "alice" with some other key.
  Keytab other;
  ASSERT_OK_AND_ASSIGN(PublicKey impostor_key, other.Generate(kClientName));
  peers.server_trust = std::make_shared<TrustStore>();
  ASSERT_OK(peers.server_trust->Add(kClientName, impostor_key));
  ASSERT_OK(peers.Refresh());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  EXPECT_THAT(
      Context::Accept(*peers.server, init.output_token),
      HasGssError(ErrorKind::kUnauthorized, Minor::kUntrustedInitiator));
}

TEST(HandshakeTest, TrustFileMappingTheTargetToAnotherServiceIsRefused) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  // The client's trust file says db@web1 has http@web1's key.
  ASSERT_OK(peers.client_trust->Add("db@web1", peers.server_public));
  ASSERT_OK(peers.Refresh());
  InitOptions options = ClientOptions();
  options.target = *Name::Import("db@web1", NameType::kHostBasedService);
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, options));
  EXPECT_THAT(Context::Accept(*peers.server, init.output_token),
              HasGssError(ErrorKind::kBadName, Minor::kTargetNameMismatch));
}

TEST(HandshakeTest, AcceptorWithSeveralIdentitiesFindsTheRightOne) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(PublicKey ftp, peers.server_keytab.Generate("ftp@web1"));
  ASSERT_OK_AND_ASSIGN(PublicKey ssh, peers.server_keytab.Generate("ssh@web1"));
  ASSERT_OK(peers.client_trust->Add("ftp@web1", ftp));
  ASSERT_OK(peers.client_trust->Add("ssh@web1", ssh));
  ASSERT_OK(peers.Refresh());
  for (const char* service : {"http@web1", "ftp@web1", "ssh@web1"}) {
    InitOptions options = ClientOptions();
    options.target = *Name::Import(service, NameType::kHostBasedService);
    ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, options));
    ASSERT_OK_AND_ASSIGN(ContextInfo info, pair.acceptor.Inquire());
    EXPECT_EQ(info.target.identity(), service);
  }
}

TEST(HandshakeTest, EverySingleByteCorruptionOfTheInitTokenFails) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  const Bytes good = init.output_token;
  const OidSpan oid = FindOid(good);
  int cases = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      Bytes bad = good;
      bad[i] ^= mask;
      absl::StatusOr<HandshakeStep> r = Context::Accept(*peers.server, bad);
      ASSERT_FALSE(r.ok()) << "byte " << i << " mask " << int{mask};
      if (i >= oid.begin && i < oid.end) {
        EXPECT_THAT(r, HasGssError(ErrorKind::kBadMech,
                                   Minor::kWrongMechanism))
            << "byte " << i;
      } else if (i == oid.length_byte) {
        // A different OID length reads a different (wrong) OID, or runs
        // past the token.
        EXPECT_THAT(ErrorKindName(KindOf(r.status())),
                    ::testing::AnyOf("bad-mech", "defective-token"))
            << "byte " << i;
      } else {
        EXPECT_THAT(r, HasGssError(ErrorKind::kDefectiveToken))
            << "byte " << i << " mask " << int{mask};
      }
      ++cases;
    }
  }
  EXPECT_EQ(cases, 3 * static_cast<int>(good.size()));
  // The intact token still works: a failed attempt changed nothing.
  EXPECT_THAT(Context::Accept(*peers.server, good), IsOk());
}

TEST(HandshakeTest, EveryTruncationOfTheInitTokenFails) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  const Bytes& good = init.output_token;
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes cut(good.begin(), good.begin() + n);
    EXPECT_THAT(Context::Accept(*peers.server, cut),
                HasGssError(ErrorKind::kDefectiveToken, Minor::kTokenMalformed))
        << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_THAT(Context::Accept(*peers.server, longer),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kTokenMalformed));
}

TEST(HandshakeTest, EverySingleByteCorruptionOfTheAcceptTokenFails) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  // The reply is bound to the initiator's ephemeral key: one fresh
  // handshake per corrupted byte.
  size_t size = 0;
  int cases = 0;
  for (size_t i = 0; size == 0 || i < size; ++i) {
    ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                         Context::Initiate(*peers.client, ClientOptions()));
    ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                         Context::Accept(*peers.server, init.output_token));
    Bytes bad = acc.output_token;
    size = bad.size();
    const OidSpan oid = FindOid(bad);
    bad[i] ^= 0x01;
    absl::StatusOr<Bytes> r = init.context.Continue(bad);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    if (i >= oid.begin && i < oid.end) {
      EXPECT_THAT(r, HasGssError(ErrorKind::kBadMech)) << i;
    } else if (i == oid.length_byte) {
      EXPECT_THAT(ErrorKindName(KindOf(r.status())),
                  ::testing::AnyOf("bad-mech", "defective-token"));
    } else {
      EXPECT_THAT(r, HasGssError(ErrorKind::kDefectiveToken)) << i;
    }
    // A failed handshake leaves no context behind.
    EXPECT_FALSE(init.context.valid());
    EXPECT_THAT(init.context.GetMic(B("x")),
                HasGssError(ErrorKind::kNoContext, Minor::kHandshakeFailed));
    ++cases;
  }
  EXPECT_GT(cases, 60);
}

TEST(HandshakeTest, EveryTruncationOfTheAcceptTokenFails) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init0,
                       Context::Initiate(*peers.client, ClientOptions()));
  ASSERT_OK_AND_ASSIGN(HandshakeStep acc0,
                       Context::Accept(*peers.server, init0.output_token));
  const size_t size = acc0.output_token.size();
  for (size_t n = 0; n < size; ++n) {
    ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                         Context::Initiate(*peers.client, ClientOptions()));
    ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                         Context::Accept(*peers.server, init.output_token));
    Bytes cut(acc.output_token.begin(), acc.output_token.begin() + n);
    EXPECT_THAT(init.context.Continue(cut),
                HasGssError(ErrorKind::kDefectiveToken, Minor::kTokenMalformed))
        << n;
  }
}

TEST(HandshakeTest, TokenOfAnotherMechanismIsBadMech) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  // Re-frame the inner token with the Kerberos OID 1.2.840.113554.1.2.2.
  const Bytes krb5 = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
  const OidSpan oid = FindOid(init.output_token);
  Bytes inner(init.output_token.begin() + oid.end, init.output_token.end());
  Bytes framed = {0x06, static_cast<uint8_t>(krb5.size())};
  framed.insert(framed.end(), krb5.begin(), krb5.end());
  framed.insert(framed.end(), inner.begin(), inner.end());
  Bytes token = {0x60, 0x81, static_cast<uint8_t>(framed.size())};
  ASSERT_GE(framed.size(), 0x80u);
  ASSERT_LT(framed.size(), 0x100u);
  token.insert(token.end(), framed.begin(), framed.end());
  EXPECT_THAT(Context::Accept(*peers.server, token),
              HasGssError(ErrorKind::kBadMech, Minor::kWrongMechanism));
}

TEST(HandshakeTest, TokensOfTheWrongStepAreRefused) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                       Context::Accept(*peers.server, init.output_token));
  EXPECT_THAT(Context::Accept(*peers.server, acc.output_token),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kWrongTokenType));
  Bytes own = init.output_token;
  EXPECT_THAT(init.context.Continue(own),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kWrongTokenType));
}

TEST(HandshakeTest, ContinueOnAnEstablishedContextFails) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                       Context::Accept(*peers.server, init.output_token));
  ASSERT_OK(init.context.Continue(acc.output_token));
  EXPECT_THAT(init.context.Continue(acc.output_token),
              HasGssError(ErrorKind::kFailure,
                          Minor::kContextAlreadyEstablished));
  EXPECT_THAT(acc.context.Continue(init.output_token),
              HasGssError(ErrorKind::kFailure,
                          Minor::kContextAlreadyEstablished));
  // Still usable.
  EXPECT_THAT(init.context.GetMic(B("x")), IsOk());
}

TEST(HandshakeTest, CredentialUsageIsEnforced) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  AcquireOptions accept_only;
  accept_only.usage = CredentialUsage::kAccept;
  ASSERT_OK_AND_ASSIGN(Credentials acceptor,
                       Credentials::FromKeytab(peers.client_keytab,
                                               peers.client_trust,
                                               accept_only));
  EXPECT_THAT(Context::Initiate(acceptor, ClientOptions()),
              HasGssError(ErrorKind::kNoCred, Minor::kCredentialUsage));
  AcquireOptions initiate_only;
  initiate_only.usage = CredentialUsage::kInitiate;
  ASSERT_OK_AND_ASSIGN(Credentials initiator,
                       Credentials::FromKeytab(peers.server_keytab,
                                               peers.server_trust,
                                               initiate_only));
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  EXPECT_THAT(Context::Accept(initiator, init.output_token),
              HasGssError(ErrorKind::kNoCred, Minor::kCredentialUsage));
}

TEST(HandshakeTest, EmptyTargetIsBadName) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions options;
  EXPECT_THAT(Context::Initiate(*peers.client, options),
              HasGssError(ErrorKind::kBadName, Minor::kNameEmpty));
}

// ------------------------------------------------------- lifetimes, expiry

TEST(LifetimeTest, ExpiredInitiatorCredentials) {
  ManualClock clock;
  PeerOptions po;
  po.clock = &clock;
  po.client_lifetime = absl::Minutes(5);
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers(po));
  clock.Advance(absl::Minutes(5));
  EXPECT_THAT(Context::Initiate(*peers.client, ClientOptions(&clock)),
              HasGssError(ErrorKind::kCredentialsExpired));
}

TEST(LifetimeTest, ExpiredAcceptorCredentials) {
  ManualClock clock;
  PeerOptions po;
  po.clock = &clock;
  po.server_lifetime = absl::Minutes(5);
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers(po));
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions(&clock)));
  clock.Advance(absl::Minutes(6));
  AcceptOptions ao;
  ao.clock = &clock;
  EXPECT_THAT(Context::Accept(*peers.server, init.output_token, ao),
              HasGssError(ErrorKind::kCredentialsExpired));
}

TEST(LifetimeTest, RequestedLifetimeIsGrantedAndExpires) {
  ManualClock clock;
  PeerOptions po;
  po.clock = &clock;
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers(po));
  InitOptions io = ClientOptions(&clock);
  io.lifetime = absl::Minutes(10);
  AcceptOptions ao;
  ao.clock = &clock;
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, io, ao));
  EXPECT_THAT(pair.initiator.TimeRemaining(), IsOkAndHolds(absl::Minutes(10)));
  EXPECT_THAT(pair.acceptor.TimeRemaining(), IsOkAndHolds(absl::Minutes(10)));
  ASSERT_OK_AND_ASSIGN(Bytes mic, pair.initiator.GetMic(B("m")));

  clock.Advance(absl::Minutes(10));
  EXPECT_THAT(pair.initiator.TimeRemaining(),
              HasGssError(ErrorKind::kContextExpired));
  EXPECT_THAT(pair.acceptor.VerifyMic(B("m"), mic),
              HasGssError(ErrorKind::kContextExpired));
  EXPECT_THAT(pair.initiator.GetMic(B("m")),
              HasGssError(ErrorKind::kContextExpired));
  EXPECT_THAT(pair.initiator.Wrap(B("m"), true),
              HasGssError(ErrorKind::kContextExpired));
  EXPECT_THAT(pair.acceptor.Unwrap(mic),
              HasGssError(ErrorKind::kContextExpired));
  EXPECT_THAT(pair.acceptor.WrapSizeLimit(100, true),
              HasGssError(ErrorKind::kContextExpired));
  // Inquiry still works on an expired context.
  ASSERT_OK_AND_ASSIGN(ContextInfo info, pair.acceptor.Inquire());
  EXPECT_EQ(info.expiry, clock.Now());
}

TEST(LifetimeTest, AcceptorCredentialBoundsTheGrant) {
  ManualClock clock;
  PeerOptions po;
  po.clock = &clock;
  po.server_lifetime = absl::Minutes(3);
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers(po));
  InitOptions io = ClientOptions(&clock);
  io.lifetime = absl::Hours(1);
  AcceptOptions ao;
  ao.clock = &clock;
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, io, ao));
  EXPECT_THAT(pair.initiator.TimeRemaining(), IsOkAndHolds(absl::Minutes(3)));
  EXPECT_THAT(pair.acceptor.TimeRemaining(), IsOkAndHolds(absl::Minutes(3)));
}

TEST(LifetimeTest, ContextExpiringDuringTheHandshake) {
  ManualClock clock;
  PeerOptions po;
  po.clock = &clock;
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers(po));
  InitOptions io = ClientOptions(&clock);
  io.lifetime = absl::Seconds(30);
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, io));
  AcceptOptions ao;
  ao.clock = &clock;
  ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                       Context::Accept(*peers.server, init.output_token, ao));
  clock.Advance(absl::Seconds(31));
  EXPECT_THAT(init.context.Continue(acc.output_token),
              HasGssError(ErrorKind::kContextExpired));
  EXPECT_FALSE(init.context.valid());
  // An init token whose requested lifetime is over by the time it arrives.
  ASSERT_OK_AND_ASSIGN(HandshakeStep late,
                       Context::Initiate(*peers.client, io));
  clock.Advance(absl::Seconds(31));
  EXPECT_THAT(Context::Accept(*peers.server, late.output_token, ao),
              HasGssError(ErrorKind::kContextExpired));
}

// ------------------------------------------------------ channel bindings

ChannelBindings Bindings(absl::string_view app) {
  ChannelBindings cb;
  cb.initiator_address_type = 2;
  cb.initiator_address = {127, 0, 0, 1};
  cb.acceptor_address_type = 2;
  cb.acceptor_address = {127, 0, 0, 2};
  cb.application_data = B(app);
  return cb;
}

TEST(ChannelBindingsTest, EqualBindingsSucceed) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions io = ClientOptions();
  io.bindings = Bindings("tls-unique:abc");
  AcceptOptions ao;
  ao.bindings = Bindings("tls-unique:abc");
  EXPECT_THAT(Establish(peers, io, ao), IsOk());
}

TEST(ChannelBindingsTest, MismatchedBindingsFail) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions io = ClientOptions();
  io.bindings = Bindings("tls-unique:abc");
  AcceptOptions ao;
  ao.bindings = Bindings("tls-unique:abd");
  EXPECT_THAT(Establish(peers, io, ao),
              HasGssError(ErrorKind::kBadBindings,
                          Minor::kChannelBindingsMismatch));
  // Same application data, another address.
  ChannelBindings other = Bindings("tls-unique:abc");
  other.acceptor_address = {127, 0, 0, 3};
  ao.bindings = other;
  EXPECT_THAT(Establish(peers, io, ao),
              HasGssError(ErrorKind::kBadBindings,
                          Minor::kChannelBindingsMismatch));
}

TEST(ChannelBindingsTest, AcceptorRequiringBindingsRefusesInitiatorWithout) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  AcceptOptions ao;
  ao.bindings = Bindings("x");
  EXPECT_THAT(Establish(peers, ClientOptions(), ao),
              HasGssError(ErrorKind::kBadBindings,
                          Minor::kChannelBindingsMismatch));
}

TEST(ChannelBindingsTest, AcceptorWithoutBindingsAcceptsAny) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions io = ClientOptions();
  io.bindings = Bindings("x");
  EXPECT_THAT(Establish(peers, io, AcceptOptions{}), IsOk());
}

// ----------------------------------------------------------------- flags

TEST(FlagsTest, OnlyRequestedReplayAndSequenceAreGranted) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions io = ClientOptions();
  io.flags = kDelegFlag | kAnonFlag;  // neither is supported
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, io));
  ASSERT_OK_AND_ASSIGN(ContextInfo i, pair.initiator.Inquire());
  ASSERT_OK_AND_ASSIGN(ContextInfo a, pair.acceptor.Inquire());
  const ContextFlags expected =
      kMutualFlag | kConfFlag | kIntegFlag | kProtReadyFlag | kTransFlag;
  EXPECT_EQ(i.flags, expected);
  EXPECT_EQ(a.flags, expected);

  // Without REPLAY/SEQUENCE, replays are not reported.
  ASSERT_OK_AND_ASSIGN(Bytes mic, pair.initiator.GetMic(B("m")));
  EXPECT_THAT(pair.acceptor.VerifyMic(B("m"), mic), IsOkAndHolds(0u));
  EXPECT_THAT(pair.acceptor.VerifyMic(B("m"), mic), IsOkAndHolds(0u));
}

TEST(FlagsTest, ReplayWithoutSequenceReportsOnlyReplays) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions io = ClientOptions();
  io.flags = kMutualFlag | kReplayFlag;
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, io));
  std::vector<Bytes> mics;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(Bytes mic, pair.initiator.GetMic(B("m")));
    mics.push_back(mic);
  }
  EXPECT_THAT(pair.acceptor.VerifyMic(B("m"), mics[2]), IsOkAndHolds(0u));
  EXPECT_THAT(pair.acceptor.VerifyMic(B("m"), mics[0]), IsOkAndHolds(0u));
  EXPECT_THAT(pair.acceptor.VerifyMic(B("m"), mics[0]),
              IsOkAndHolds(kDuplicateToken));
}

// issue 17 item 5: with req_flags = MUTUAL only the context has no replay
// detection (the same token unwraps as new every time). An acceptor that
// relies on it says so, and such an initiator is refused.
TEST(FlagsTest, AcceptorRequiringReplayRefusesAMutualOnlyInitiator) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions init = ClientOptions();
  init.flags = kMutualFlag;
  ASSERT_OK_AND_ASSIGN(HandshakeStep step,
                       Context::Initiate(*peers.client, init));
  AcceptOptions strict;
  strict.required_flags = kDefaultRequiredFlags;
  absl::StatusOr<HandshakeStep> refused =
      Context::Accept(*peers.server, step.output_token, strict);
  EXPECT_THAT(refused, HasGssError(ErrorKind::kUnauthorized,
                                   Minor::kRequiredServicesMissing));
  EXPECT_THAT(refused.status().message(),
              ::testing::HasSubstr("lacks required services"));
  // Without the requirement (RFC 2743's default) it is accepted.
  EXPECT_THAT(Context::Accept(*peers.server, step.output_token), IsOk());
  // An initiator asking for the default flags meets the requirement.
  ASSERT_OK_AND_ASSIGN(ContextPair pair,
                       Establish(peers, ClientOptions(), strict));
  ASSERT_OK_AND_ASSIGN(ContextInfo info, pair.acceptor.Inquire());
  EXPECT_EQ(info.flags & kDefaultRequiredFlags, kDefaultRequiredFlags);
}

TEST(FlagsTest, ImportRequiringReplayRefusesAMutualOnlyContext) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions init = ClientOptions();
  init.flags = kMutualFlag;
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, init));
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer token,
                       std::move(pair.acceptor).Export());
  ImportOptions strict;
  strict.required_flags = kReplayFlag;
  EXPECT_THAT(Context::Import(token.span(), strict),
              HasGssError(ErrorKind::kUnauthorized,
                          Minor::kRequiredServicesMissing));
  // gss_import_sec_context's default requires nothing.
  EXPECT_THAT(Context::Import(token.span()), IsOk());
}

TEST(FlagsTest, NonTransferableContextsLackTrans) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  InitOptions io = ClientOptions();
  io.transferable = false;
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, io));
  ASSERT_OK_AND_ASSIGN(ContextInfo i, pair.initiator.Inquire());
  ASSERT_OK_AND_ASSIGN(ContextInfo a, pair.acceptor.Inquire());
  EXPECT_EQ(i.flags & kTransFlag, 0u);
  EXPECT_EQ(a.flags & kTransFlag, kTransFlag);  // each side decides
}

// ------------------------------------------------------ per-message calls

TEST(MessageTest, WrapAndMicBothWays) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  for (bool conf : {true, false}) {
    for (const Bytes& msg : {Bytes{}, B("hello"), Bytes(70000, 0xab)}) {
      ASSERT_OK_AND_ASSIGN(WrapResult w, pair.initiator.Wrap(msg, conf));
      EXPECT_EQ(w.confidential, conf);
      EXPECT_EQ(w.token.size(), msg.size() + internal::kOverhead);
      ASSERT_OK_AND_ASSIGN(UnwrapResult u, pair.acceptor.Unwrap(w.token));
      EXPECT_EQ(u.message, msg);
      EXPECT_EQ(u.confidential, conf);
      EXPECT_EQ(u.supplementary, 0u);
      if (conf && msg.size() > 16) {
        // Encrypted: the plaintext does not appear in the token.
        EXPECT_EQ(std::search(w.token.begin(), w.token.end(), msg.begin(),
                              msg.begin() + 16),
                  w.token.end());
      }

      ASSERT_OK_AND_ASSIGN(WrapResult back, pair.acceptor.Wrap(msg, conf));
      ASSERT_OK_AND_ASSIGN(UnwrapResult ub, pair.initiator.Unwrap(back.token));
      EXPECT_EQ(ub.message, msg);

      ASSERT_OK_AND_ASSIGN(Bytes mic, pair.initiator.GetMic(msg));
      EXPECT_EQ(mic.size(), internal::kOverhead);
      EXPECT_THAT(pair.acceptor.VerifyMic(msg, mic), IsOkAndHolds(0u));
      ASSERT_OK_AND_ASSIGN(Bytes mic2, pair.acceptor.GetMic(msg));
      EXPECT_THAT(pair.initiator.VerifyMic(msg, mic2), IsOkAndHolds(0u));
    }
  }
}

TEST(MessageTest, MicOverAnotherMessageIsBadMic) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  ASSERT_OK_AND_ASSIGN(Bytes mic, pair.initiator.GetMic(B("pay 10")));
  EXPECT_THAT(pair.acceptor.VerifyMic(B("pay 99"), mic),
              HasGssError(ErrorKind::kBadMic, Minor::kMessageAuthFailed));
  // A failed verification changed nothing: the real message is in order.
  EXPECT_THAT(pair.acceptor.VerifyMic(B("pay 10"), mic), IsOkAndHolds(0u));
}

TEST(MessageTest, MicAndWrapTokensAreNotInterchangeable) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  ASSERT_OK_AND_ASSIGN(Bytes mic, pair.initiator.GetMic(B("m")));
  ASSERT_OK_AND_ASSIGN(WrapResult w, pair.initiator.Wrap(B("m"), false));
  EXPECT_THAT(pair.acceptor.Unwrap(mic),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kWrongTokenType));
  EXPECT_THAT(pair.acceptor.VerifyMic(B("m"), w.token),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kWrongTokenType));
  // Relabel the MIC as an integrity-only wrap of "m": the nonce differs.
  Bytes forged = mic;
  forged[0] = 'W';
  forged.insert(forged.begin() + internal::kHeaderSize, 'm');
  EXPECT_THAT(pair.acceptor.Unwrap(forged),
              HasGssError(ErrorKind::kBadMic, Minor::kMessageAuthFailed));
}

TEST(MessageTest, ReflectedTokensAreRefused) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  ASSERT_OK_AND_ASSIGN(Bytes mic, pair.initiator.GetMic(B("m")));
  EXPECT_THAT(pair.initiator.VerifyMic(B("m"), mic),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kWrongDirection));
  ASSERT_OK_AND_ASSIGN(WrapResult w, pair.acceptor.Wrap(B("m"), true));
  EXPECT_THAT(pair.acceptor.Unwrap(w.token),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kWrongDirection));
  // Flip the direction bit: the header is the nonce, so it fails to verify.
  w.token[2] ^= 0x01;
  EXPECT_THAT(pair.initiator.Unwrap(w.token),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kWrongDirection));
  EXPECT_THAT(pair.acceptor.Unwrap(w.token),
              HasGssError(ErrorKind::kBadMic, Minor::kMessageAuthFailed));
}

TEST(MessageTest, EverySingleByteCorruptionOfPerMessageTokensFails) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  const Bytes msg = B("attack at dawn");
  ASSERT_OK_AND_ASSIGN(Bytes mic, pair.initiator.GetMic(msg));
  ASSERT_OK_AND_ASSIGN(WrapResult sealed, pair.initiator.Wrap(msg, true));
  ASSERT_OK_AND_ASSIGN(WrapResult signed_only, pair.initiator.Wrap(msg, false));

  auto expect_fails = [](const absl::Status& s, size_t i, uint8_t mask,
                         bool conf_bit_flip_is_bad_mic) {
    ASSERT_FALSE(s.ok()) << "byte " << i << " mask " << int{mask};
    if (i >= 4) {
      EXPECT_THAT(s, HasGssError(ErrorKind::kBadMic)) << i;
    } else if (i == 2 && mask == 0x02 && conf_bit_flip_is_bad_mic) {
      EXPECT_THAT(s, HasGssError(ErrorKind::kBadMic)) << i;
    } else {
      EXPECT_THAT(s, HasGssError(ErrorKind::kDefectiveToken)) << i;
    }
  };
  for (uint8_t mask : {0x01, 0x02, 0x80}) {
    for (size_t i = 0; i < mic.size(); ++i) {
      Bytes bad = mic;
      bad[i] ^= mask;
      expect_fails(pair.acceptor.VerifyMic(msg, bad).status(), i, mask, false);
    }
    for (const WrapResult* w : {&sealed, &signed_only}) {
      for (size_t i = 0; i < w->token.size(); ++i) {
        Bytes bad = w->token;
        bad[i] ^= mask;
        expect_fails(pair.acceptor.Unwrap(bad).status(), i, mask, true);
      }
    }
  }
  // Every truncation.
  for (size_t n = 0; n < sealed.token.size(); ++n) {
    Bytes cut(sealed.token.begin(), sealed.token.begin() + n);
    EXPECT_FALSE(pair.acceptor.Unwrap(cut).ok()) << n;
  }
  for (size_t n = 0; n < mic.size(); ++n) {
    Bytes cut(mic.begin(), mic.begin() + n);
    EXPECT_THAT(pair.acceptor.VerifyMic(msg, cut),
                HasGssError(ErrorKind::kDefectiveToken,
                            Minor::kTokenMalformed));
  }
  // None of that disturbed the window: all three arrive in order.
  EXPECT_THAT(pair.acceptor.VerifyMic(msg, mic), IsOkAndHolds(0u));
  ASSERT_OK_AND_ASSIGN(UnwrapResult u1, pair.acceptor.Unwrap(sealed.token));
  EXPECT_EQ(u1.supplementary, 0u);
  ASSERT_OK_AND_ASSIGN(UnwrapResult u2, pair.acceptor.Unwrap(signed_only.token));
  EXPECT_EQ(u2.supplementary, 0u);
}

TEST(MessageTest, OnlyDefaultQop) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  EXPECT_THAT(pair.initiator.GetMic(B("m"), 1),
              HasGssError(ErrorKind::kBadQop, Minor::kUnsupportedQop));
  EXPECT_THAT(pair.initiator.Wrap(B("m"), true, 7),
              HasGssError(ErrorKind::kBadQop));
  EXPECT_THAT(pair.initiator.WrapSizeLimit(100, true, 1),
              HasGssError(ErrorKind::kBadQop));
}

TEST(MessageTest, WrapSizeLimit) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  for (bool conf : {true, false}) {
    EXPECT_THAT(pair.initiator.WrapSizeLimit(0, conf), IsOkAndHolds(0u));
    // 40 bytes of overhead: a 24-byte header (the nonce) and a 16-byte tag.
    ASSERT_EQ(internal::kOverhead, 40u);
    EXPECT_THAT(pair.initiator.WrapSizeLimit(40, conf), IsOkAndHolds(0u));
    EXPECT_THAT(pair.initiator.WrapSizeLimit(41, conf), IsOkAndHolds(1u));
    ASSERT_OK_AND_ASSIGN(size_t limit, pair.initiator.WrapSizeLimit(1000, conf));
    ASSERT_OK_AND_ASSIGN(WrapResult w,
                         pair.initiator.Wrap(Bytes(limit, 1), conf));
    EXPECT_EQ(w.token.size(), 1000u);
  }
}

// -------------------------------------------- replay and sequence detection

TEST(ReplayTest, DuplicateOutOfOrderGapAndOld) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  // 200 wrap tokens 0..199 from the initiator.
  std::vector<Bytes> t;
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK_AND_ASSIGN(WrapResult w, pair.initiator.Wrap(B("m"), true));
    t.push_back(w.token);
  }
  auto bits = [&](int i) -> SupplementaryBits {
    absl::StatusOr<UnwrapResult> u = pair.acceptor.Unwrap(t[i]);
    EXPECT_TRUE(u.ok()) << i << ": " << u.status();
    return u.ok() ? u->supplementary : ~0u;
  };
  EXPECT_EQ(bits(0), 0u);                // in order
  EXPECT_EQ(bits(1), 0u);
  EXPECT_EQ(bits(1), kDuplicateToken);   // replay
  EXPECT_EQ(bits(3), kGapToken);         // 2 skipped
  EXPECT_EQ(bits(2), kUnseqToken);       // late, first time
  EXPECT_EQ(bits(2), kDuplicateToken);   // late, again
  EXPECT_EQ(bits(4), 0u);
  EXPECT_EQ(bits(150), kGapToken);
  EXPECT_EQ(bits(5), kOldToken);         // 145 behind: outside the window
  EXPECT_EQ(bits(4), kOldToken);
  EXPECT_EQ(bits(23), kUnseqToken);      // 127 behind: the window's edge
  EXPECT_EQ(bits(23), kDuplicateToken);
  EXPECT_EQ(bits(22), kOldToken);        // 128 behind
  EXPECT_EQ(bits(149), kUnseqToken);
  EXPECT_EQ(bits(151), 0u);
  EXPECT_EQ(bits(150), kDuplicateToken);
  EXPECT_EQ(bits(199), kGapToken);
  EXPECT_EQ(bits(199), kDuplicateToken);
  // The message is still delivered with a supplementary bit; the caller
  // decides.
  ASSERT_OK_AND_ASSIGN(UnwrapResult again, pair.acceptor.Unwrap(t[199]));
  EXPECT_EQ(again.message, B("m"));
}

TEST(ReplayTest, MicsShareTheSequenceWithWraps) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  ASSERT_OK_AND_ASSIGN(Bytes m0, pair.acceptor.GetMic(B("a")));
  ASSERT_OK_AND_ASSIGN(WrapResult w1, pair.acceptor.Wrap(B("b"), true));
  ASSERT_OK_AND_ASSIGN(Bytes m2, pair.acceptor.GetMic(B("c")));
  EXPECT_THAT(pair.initiator.VerifyMic(B("c"), m2), IsOkAndHolds(kGapToken));
  ASSERT_OK_AND_ASSIGN(UnwrapResult u, pair.initiator.Unwrap(w1.token));
  EXPECT_EQ(u.supplementary, kUnseqToken);
  EXPECT_THAT(pair.initiator.VerifyMic(B("a"), m0), IsOkAndHolds(kUnseqToken));
  EXPECT_THAT(pair.initiator.VerifyMic(B("a"), m0),
              IsOkAndHolds(kDuplicateToken));
}

// Only a key holder can make a token with sequence number 2^64 - 1 (no
// honest sender does: kMaxSequence is 2^64 - 2). Before it was refused,
// it reached the replay window, whose next-expected number wrapped to 0:
// every later replay then read as a gap, never as a duplicate.
TEST(ReplayTest, SequenceAboveTheMaximumIsRefusedBeforeTheWindow) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  std::vector<Bytes> t;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(WrapResult w, pair.initiator.Wrap(B("m"), true));
    ASSERT_OK_AND_ASSIGN(UnwrapResult u, pair.acceptor.Unwrap(w.token));
    ASSERT_EQ(u.supplementary, 0u);
    t.push_back(w.token);
  }
  // The initiator's send key, as a compromised key holder would have it.
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer exported,
                       std::move(pair.initiator).Export());
  ASSERT_OK_AND_ASSIGN(internal::ContextState state,
                       internal::ParseContext(exported.span()));
  const uint64_t top = ~uint64_t{0};
  const internal::SendSalt salt = internal::NewSendSalt();
  const Bytes forged_wrap = internal::MakeWrap(
      state.send_key.span(), salt, /*from_acceptor=*/false, top,
      /*confidential=*/true, B("evil"));
  const Bytes forged_mic = internal::MakeMic(
      state.send_key.span(), salt, /*from_acceptor=*/false, top, B("evil"));
  EXPECT_THAT(pair.acceptor.Unwrap(forged_wrap),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kTokenMalformed));
  EXPECT_THAT(pair.acceptor.VerifyMic(B("evil"), forged_mic),
              HasGssError(ErrorKind::kDefectiveToken, Minor::kTokenMalformed));
  // The window is intact: a replay is still a duplicate.
  ASSERT_OK_AND_ASSIGN(UnwrapResult replay, pair.acceptor.Unwrap(t[1]));
  EXPECT_EQ(replay.supplementary, kDuplicateToken);
  // The largest legal number still goes through.
  const Bytes last = internal::MakeWrap(state.send_key.span(), salt, false,
                                        internal::kMaxSequence, true, B("m"));
  ASSERT_OK_AND_ASSIGN(UnwrapResult u, pair.acceptor.Unwrap(last));
  EXPECT_EQ(u.supplementary, kGapToken);
  ASSERT_OK_AND_ASSIGN(replay, pair.acceptor.Unwrap(last));
  EXPECT_EQ(replay.supplementary, kDuplicateToken);
}

// ----------------------------------------------------------- empty handles

TEST(EmptyContextTest, EveryCallAnswersNoContext) {
  Context empty;
  EXPECT_FALSE(empty.valid());
  const auto no = HasGssError(ErrorKind::kNoContext, Minor::kNoContextHandle);
  EXPECT_THAT(empty.GetMic(B("m")), no);
  EXPECT_THAT(empty.VerifyMic(B("m"), B("t")), no);
  EXPECT_THAT(empty.Wrap(B("m"), true), no);
  EXPECT_THAT(empty.Unwrap(B("t")), no);
  EXPECT_THAT(empty.WrapSizeLimit(10, true), no);
  EXPECT_THAT(empty.Inquire(), no);
  EXPECT_THAT(empty.TimeRemaining(), no);
  EXPECT_THAT(empty.Continue(B("t")), no);
  EXPECT_THAT(empty.Delete(), no);
  EXPECT_THAT(std::move(empty).Export(), no);
}

TEST(EmptyContextTest, DeletedAndMovedFromContexts) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  Context moved = std::move(pair.initiator);
  EXPECT_THAT(pair.initiator.GetMic(B("m")),  // NOLINT(bugprone-use-after-move)
              HasGssError(ErrorKind::kNoContext, Minor::kNoContextHandle));
  EXPECT_THAT(moved.GetMic(B("m")), IsOk());
  ASSERT_OK(moved.Delete());
  EXPECT_THAT(moved.GetMic(B("m")),
              HasGssError(ErrorKind::kNoContext, Minor::kContextDeleted));
  EXPECT_THAT(moved.Delete(),
              HasGssError(ErrorKind::kNoContext, Minor::kContextDeleted));
}

TEST(EmptyContextTest, UnestablishedContextHasNoMessageServices) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  EXPECT_THAT(init.context.GetMic(B("m")),
              HasGssError(ErrorKind::kNoContext,
                          Minor::kContextNotEstablished));
  EXPECT_THAT(init.context.Wrap(B("m"), true),
              HasGssError(ErrorKind::kNoContext,
                          Minor::kContextNotEstablished));
  ASSERT_OK_AND_ASSIGN(ContextInfo info, init.context.Inquire());
  EXPECT_FALSE(info.established);
  EXPECT_EQ(info.target.identity(), kServerName);
  EXPECT_EQ(info.flags & kProtReadyFlag, 0u);
}

}  // namespace
}  // namespace gssx
