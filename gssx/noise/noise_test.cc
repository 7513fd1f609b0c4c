// SPDX-License-Identifier: Apache-2.0
#include "gssx/noise/noise.h"

#include <sodium.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gssx/noise/testing/test_json.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace gssx::noise {
namespace {

using ::gssx::testing::IsOk;
using ::gssx::testing::StatusIs;
using ::testing::ElementsAreArray;
using Bytes = std::vector<uint8_t>;

constexpr char kIk[] = "Noise_IK_25519_ChaChaPoly_SHA256";
constexpr char kNn[] = "Noise_NN_25519_ChaChaPoly_SHA256";
constexpr char kXx[] = "Noise_XX_25519_ChaChaPoly_SHA256";

Bytes B(absl::string_view s) { return Bytes(s.begin(), s.end()); }

// An IK initiator/responder pair with fresh keys.
struct IkPeers {
  KeyPair initiator_static;
  KeyPair responder_static;
  HandshakeState initiator;
  HandshakeState responder;
};

// `believed_responder_key` is the responder key the initiator trusts; empty
// means the real one.
absl::StatusOr<IkPeers> MakeIk(absl::Span<const uint8_t> believed = {}) {
  absl::StatusOr<KeyPair> is = KeyPair::Generate();
  absl::StatusOr<KeyPair> rs = KeyPair::Generate();
  if (!is.ok()) return is.status();
  if (!rs.ok()) return rs.status();
  const Bytes prologue = B("gssx test");
  HandshakeConfig ic;
  ic.protocol_name = kIk;
  ic.role = Role::kInitiator;
  ic.prologue = prologue;
  ic.local_static_private_key = is->private_key();
  ic.remote_static_public_key = believed.empty() ? rs->public_key() : believed;
  HandshakeConfig rc;
  rc.protocol_name = kIk;
  rc.role = Role::kResponder;
  rc.prologue = prologue;
  rc.local_static_private_key = rs->private_key();
  absl::StatusOr<HandshakeState> i = HandshakeState::Create(ic);
  if (!i.ok()) return i.status();
  absl::StatusOr<HandshakeState> r = HandshakeState::Create(rc);
  if (!r.ok()) return r.status();
  return IkPeers{*std::move(is), *std::move(rs), *std::move(i), *std::move(r)};
}

HandshakeConfig NnConfig(Role role) {
  HandshakeConfig config;
  config.protocol_name = kNn;
  config.role = role;
  return config;
}

struct Session {
  TransportCiphers initiator;
  TransportCiphers responder;
};

absl::StatusOr<Session> CompleteNn() {
  absl::StatusOr<HandshakeState> i =
      HandshakeState::Create(NnConfig(Role::kInitiator));
  absl::StatusOr<HandshakeState> r =
      HandshakeState::Create(NnConfig(Role::kResponder));
  if (!i.ok()) return i.status();
  if (!r.ok()) return r.status();
  absl::StatusOr<Bytes> m1 = i->WriteMessage({});
  if (!m1.ok()) return m1.status();
  if (absl::Status s = r->ReadMessage(*m1).status(); !s.ok()) return s;
  absl::StatusOr<Bytes> m2 = r->WriteMessage({});
  if (!m2.ok()) return m2.status();
  if (absl::Status s = i->ReadMessage(*m2).status(); !s.ok()) return s;
  absl::StatusOr<TransportCiphers> ic = i->Split();
  absl::StatusOr<TransportCiphers> rc = r->Split();
  if (!ic.ok()) return ic.status();
  if (!rc.ok()) return rc.status();
  return Session{*std::move(ic), *std::move(rc)};
}

TEST(HandshakeStateTest, IkRoundTrip) {
  ASSERT_OK_AND_ASSIGN(IkPeers p, MakeIk());
  EXPECT_TRUE(p.initiator.IsMyTurnToWrite());
  EXPECT_FALSE(p.responder.IsMyTurnToWrite());
  // The responder does not know the initiator yet.
  EXPECT_TRUE(p.responder.GetRemoteStaticPublicKey().empty());

  ASSERT_OK_AND_ASSIGN(Bytes m1, p.initiator.WriteMessage(B("hello")));
  // e (32) + encrypted s (48) + encrypted payload (5 + 16).
  EXPECT_EQ(m1.size(), 32u + 48u + 5u + 16u);
  ASSERT_OK_AND_ASSIGN(Bytes p1, p.responder.ReadMessage(m1));
  EXPECT_EQ(p1, B("hello"));
  EXPECT_EQ(p.responder.GetRemoteStaticPublicKey(),
            p.initiator_static.public_key());

  ASSERT_OK_AND_ASSIGN(Bytes m2, p.responder.WriteMessage(B("welcome")));
  ASSERT_OK_AND_ASSIGN(Bytes p2, p.initiator.ReadMessage(m2));
  EXPECT_EQ(p2, B("welcome"));
  EXPECT_TRUE(p.initiator.IsComplete());
  EXPECT_TRUE(p.responder.IsComplete());
  EXPECT_EQ(p.initiator.GetHandshakeHash(), p.responder.GetHandshakeHash());

  ASSERT_OK_AND_ASSIGN(TransportCiphers ic, p.initiator.Split());
  ASSERT_OK_AND_ASSIGN(TransportCiphers rc, p.responder.Split());
  ASSERT_OK_AND_ASSIGN(Bytes c1, ic.send.EncryptWithAd(B("ad"), B("ping")));
  EXPECT_THAT(rc.receive.DecryptWithAd(B("ad"), c1),
              ::gssx::testing::IsOkAndHolds(B("ping")));
  ASSERT_OK_AND_ASSIGN(Bytes c2, rc.send.EncryptWithAd({}, B("pong")));
  EXPECT_THAT(ic.receive.DecryptWithAd({}, c2),
              ::gssx::testing::IsOkAndHolds(B("pong")));
  // The hash and the peer key survive Split(); the secrets do not.
  EXPECT_EQ(p.initiator.GetHandshakeHash().size(), kHashLen);
  EXPECT_EQ(p.initiator.GetRemoteStaticPublicKey(),
            p.responder_static.public_key());
  EXPECT_THAT(p.initiator.Split(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(HandshakeStateTest, IkWrongRemoteStaticFails) {
  ASSERT_OK_AND_ASSIGN(KeyPair impostor, KeyPair::Generate());
  ASSERT_OK_AND_ASSIGN(IkPeers p, MakeIk(impostor.public_key()));
  ASSERT_OK_AND_ASSIGN(Bytes m1, p.initiator.WriteMessage(B("hello")));
  // es differs, so the encrypted static key does not decrypt.
  EXPECT_THAT(p.responder.ReadMessage(m1),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(p.responder.GetRemoteStaticPublicKey().empty());
  // The failed handshake stays failed.
  EXPECT_THAT(p.responder.ReadMessage(m1),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(p.responder.WriteMessage({}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(p.responder.IsComplete());
}

TEST(HandshakeStateTest, IkWrongPrologueFails) {
  ASSERT_OK_AND_ASSIGN(KeyPair rs, KeyPair::Generate());
  ASSERT_OK_AND_ASSIGN(KeyPair is, KeyPair::Generate());
  const Bytes a = B("a");
  const Bytes b = B("b");
  HandshakeConfig ic;
  ic.protocol_name = kIk;
  ic.prologue = a;
  ic.local_static_private_key = is.private_key();
  ic.remote_static_public_key = rs.public_key();
  HandshakeConfig rc;
  rc.protocol_name = kIk;
  rc.role = Role::kResponder;
  rc.prologue = b;
  rc.local_static_private_key = rs.private_key();
  ASSERT_OK_AND_ASSIGN(HandshakeState i, HandshakeState::Create(ic));
  ASSERT_OK_AND_ASSIGN(HandshakeState r, HandshakeState::Create(rc));
  ASSERT_OK_AND_ASSIGN(Bytes m1, i.WriteMessage({}));
  EXPECT_THAT(r.ReadMessage(m1), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(HandshakeStateTest, CorruptedHandshakeByteFails) {
  ASSERT_OK_AND_ASSIGN(IkPeers p, MakeIk());
  ASSERT_OK_AND_ASSIGN(Bytes m1, p.initiator.WriteMessage(B("hello")));
  for (size_t index : {size_t{0}, size_t{40}, m1.size() - 1}) {
    ASSERT_OK_AND_ASSIGN(IkPeers fresh, MakeIk());
    ASSERT_OK_AND_ASSIGN(Bytes m, fresh.initiator.WriteMessage(B("hello")));
    m[index] ^= 0x01;
    EXPECT_THAT(fresh.responder.ReadMessage(m),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << "byte " << index;
  }
}

TEST(HandshakeStateTest, TruncatedHandshakeMessageFails) {
  // Shorter than the pattern's fixed part (e, s, tag): kDataLoss.
  for (size_t keep : {size_t{0}, size_t{31}, size_t{79}, size_t{95}}) {
    ASSERT_OK_AND_ASSIGN(IkPeers p, MakeIk());
    ASSERT_OK_AND_ASSIGN(Bytes m1, p.initiator.WriteMessage(B("hello")));
    m1.resize(keep);
    EXPECT_THAT(p.responder.ReadMessage(m1),
                StatusIs(absl::StatusCode::kDataLoss))
        << "kept " << keep;
    EXPECT_THAT(p.responder.ReadMessage(m1),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  // Long enough for the fields but missing payload bytes: the tag fails.
  ASSERT_OK_AND_ASSIGN(IkPeers p, MakeIk());
  ASSERT_OK_AND_ASSIGN(Bytes m1, p.initiator.WriteMessage(B("hello")));
  m1.pop_back();
  EXPECT_THAT(p.responder.ReadMessage(m1),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(HandshakeStateTest, OversizedMessageIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(HandshakeState r,
                       HandshakeState::Create(NnConfig(Role::kResponder)));
  EXPECT_THAT(r.ReadMessage(Bytes(kMaxMessageLen + 1)),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(HandshakeStateTest, PayloadTooLargeChangesNothing) {
  ASSERT_OK_AND_ASSIGN(HandshakeState i,
                       HandshakeState::Create(NnConfig(Role::kInitiator)));
  ASSERT_OK_AND_ASSIGN(HandshakeState r,
                       HandshakeState::Create(NnConfig(Role::kResponder)));
  // NN message 1 is e (32) + plaintext payload.
  EXPECT_THAT(i.WriteMessage(Bytes(kMaxMessageLen - 31)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Bytes m1, i.WriteMessage(Bytes(kMaxMessageLen - 32)));
  EXPECT_EQ(m1.size(), kMaxMessageLen);
  EXPECT_THAT(r.ReadMessage(m1), IsOk());
}

TEST(HandshakeStateTest, OutOfTurnCallsAreRejected) {
  ASSERT_OK_AND_ASSIGN(HandshakeState i,
                       HandshakeState::Create(NnConfig(Role::kInitiator)));
  ASSERT_OK_AND_ASSIGN(HandshakeState r,
                       HandshakeState::Create(NnConfig(Role::kResponder)));
  EXPECT_THAT(r.WriteMessage({}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(i.ReadMessage(Bytes(48)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(i.Split(), StatusIs(absl::StatusCode::kFailedPrecondition));
  // None of that broke anything.
  ASSERT_OK_AND_ASSIGN(Bytes m1, i.WriteMessage({}));
  ASSERT_OK_AND_ASSIGN(Bytes p1, r.ReadMessage(m1));
  ASSERT_OK_AND_ASSIGN(Bytes m2, r.WriteMessage({}));
  ASSERT_OK_AND_ASSIGN(Bytes p2, i.ReadMessage(m2));
  EXPECT_THAT(i.WriteMessage({}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(i.Split(), IsOk());
}

TEST(HandshakeStateTest, LowOrderEphemeralIsRejected) {
  ASSERT_OK_AND_ASSIGN(HandshakeState r,
                       HandshakeState::Create(NnConfig(Role::kResponder)));
  // An all-zero "e": ee is then all zero.
  ASSERT_THAT(r.ReadMessage(Bytes(32)), IsOk());
  EXPECT_THAT(r.WriteMessage({}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r.WriteMessage({}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(HandshakeStateTest, XxLearnsBothStaticKeys) {
  ASSERT_OK_AND_ASSIGN(KeyPair is, KeyPair::Generate());
  ASSERT_OK_AND_ASSIGN(KeyPair rs, KeyPair::Generate());
  HandshakeConfig ic;
  ic.protocol_name = kXx;
  ic.local_static_private_key = is.private_key();
  HandshakeConfig rc = ic;
  rc.role = Role::kResponder;
  rc.local_static_private_key = rs.private_key();
  ASSERT_OK_AND_ASSIGN(HandshakeState i, HandshakeState::Create(ic));
  ASSERT_OK_AND_ASSIGN(HandshakeState r, HandshakeState::Create(rc));
  HandshakeState* order[] = {&i, &r, &i};
  for (int n = 0; n < 3; ++n) {
    HandshakeState* writer = order[n];
    HandshakeState* reader = writer == &i ? &r : &i;
    ASSERT_OK_AND_ASSIGN(Bytes m, writer->WriteMessage(B("x")));
    ASSERT_OK_AND_ASSIGN(Bytes p, reader->ReadMessage(m));
    EXPECT_EQ(p, B("x"));
  }
  EXPECT_TRUE(i.IsComplete());
  EXPECT_EQ(i.GetRemoteStaticPublicKey(), rs.public_key());
  EXPECT_EQ(r.GetRemoteStaticPublicKey(), is.public_key());
}

TEST(HandshakeStateTest, PskMismatchFails) {
  const Bytes psk_a(32, 0xa1);
  const Bytes psk_b(32, 0xb2);
  HandshakeConfig ic;
  ic.protocol_name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256";
  ic.psks = {psk_a};
  HandshakeConfig rc = ic;
  rc.role = Role::kResponder;
  rc.psks = {psk_b};
  ASSERT_OK_AND_ASSIGN(HandshakeState i, HandshakeState::Create(ic));
  ASSERT_OK_AND_ASSIGN(HandshakeState r, HandshakeState::Create(rc));
  ASSERT_OK_AND_ASSIGN(Bytes m1, i.WriteMessage(B("x")));
  EXPECT_THAT(r.ReadMessage(m1), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(HandshakeStateTest, UnsupportedNamesAreUnimplemented) {
  for (const char* name : {
           "Noise_IK_448_ChaChaPoly_SHA256",
           "Noise_IK_25519_AESGCM_SHA256",
           "Noise_IK_25519_ChaChaPoly_BLAKE2s",
           "Noise_XXfallback_25519_ChaChaPoly_SHA256",
           "Noise_XXfallback+psk0_25519_ChaChaPoly_SHA256",
           "Noise_ZZ_25519_ChaChaPoly_SHA256",
           "Noise_NNhfs_25519+Kyber1024_ChaChaPoly_SHA256",
           "Noise_NNPSK0_25519_ChaChaPoly_SHA256",
           "Noise_NNpsk_25519_ChaChaPoly_SHA256",
       }) {
    HandshakeConfig config;
    config.protocol_name = name;
    EXPECT_THAT(HandshakeState::Create(config),
                StatusIs(absl::StatusCode::kUnimplemented))
        << name;
  }
}

TEST(HandshakeStateTest, MalformedNamesAreInvalid) {
  for (const char* name : {
           "",
           "Noise",
           "Noise_IK",
           "Noise_IK_25519_ChaChaPoly",
           "Noise_IK_25519_ChaChaPoly_SHA256_extra",
           "NoiseX_IK_25519_ChaChaPoly_SHA256",
           "Noise__25519_ChaChaPoly_SHA256",
           "Noise_NNpsk3_25519_ChaChaPoly_SHA256",       // no message 3
           "Noise_NNpsk0+psk0_25519_ChaChaPoly_SHA256",  // repeated
           "Noise_NNpsk0+_25519_ChaChaPoly_SHA256",
           "Noise_NN+psk0_25519_ChaChaPoly_SHA256",
       }) {
    HandshakeConfig config;
    config.protocol_name = name;
    EXPECT_THAT(HandshakeState::Create(config),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << name;
  }
  HandshakeConfig config;
  config.protocol_name = std::string(300, 'N');
  EXPECT_THAT(HandshakeState::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HandshakeStateTest, ConfigMustFitThePattern) {
  ASSERT_OK_AND_ASSIGN(KeyPair key, KeyPair::Generate());
  const Bytes short_key(31, 1);
  const Bytes psk(32, 7);
  struct Case {
    const char* name;
    Role role;
    bool local_static;
    bool remote_static;
    int psks;
  } cases[] = {
      {kIk, Role::kInitiator, true, false, 0},   // rs missing
      {kIk, Role::kInitiator, false, true, 0},   // s missing
      {kIk, Role::kResponder, true, true, 0},    // rs is learned, not given
      {kNn, Role::kInitiator, true, false, 0},   // NN has no static
      {kNn, Role::kInitiator, false, false, 1},  // NN has no psk
      {"Noise_NNpsk2_25519_ChaChaPoly_SHA256", Role::kResponder, false, false,
       0},  // psk missing
  };
  for (const Case& c : cases) {
    HandshakeConfig config;
    config.protocol_name = c.name;
    config.role = c.role;
    if (c.local_static) config.local_static_private_key = key.private_key();
    if (c.remote_static) config.remote_static_public_key = key.public_key();
    for (int n = 0; n < c.psks; ++n) config.psks.push_back(psk);
    EXPECT_THAT(HandshakeState::Create(config),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << c.name;
  }
  HandshakeConfig config;
  config.protocol_name = kIk;
  config.local_static_private_key = key.private_key();
  config.remote_static_public_key = short_key;
  EXPECT_THAT(HandshakeState::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.remote_static_public_key = key.public_key();
  config.local_static_private_key = short_key;
  EXPECT_THAT(HandshakeState::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.local_static_private_key = key.private_key();
  config.fixed_ephemeral_private_key = short_key;
  EXPECT_THAT(HandshakeState::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The one-way N responder sends no ephemeral.
  HandshakeConfig n;
  n.protocol_name = "Noise_N_25519_ChaChaPoly_SHA256";
  n.role = Role::kResponder;
  n.local_static_private_key = key.private_key();
  EXPECT_THAT(HandshakeState::Create(n), IsOk());
  n.fixed_ephemeral_private_key = key.private_key();
  EXPECT_THAT(HandshakeState::Create(n),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A static key given as a KeyPair (its public key not recomputed) runs
// the same handshake, byte for byte, as the same key given as a private key.
TEST(HandshakeStateTest, StaticKeyPairEqualsPrivateKey) {
  ASSERT_OK_AND_ASSIGN(KeyPair is, KeyPair::Generate());
  ASSERT_OK_AND_ASSIGN(KeyPair rs, KeyPair::Generate());
  ASSERT_OK_AND_ASSIGN(KeyPair ie, KeyPair::Generate());
  ASSERT_OK_AND_ASSIGN(KeyPair re, KeyPair::Generate());
  const Bytes prologue = B("gssx test");
  struct Run {
    Bytes m1, m2, hash;
  };
  auto run = [&](bool as_pairs) -> absl::StatusOr<Run> {
    HandshakeConfig ic;
    ic.protocol_name = kIk;
    ic.role = Role::kInitiator;
    ic.prologue = prologue;
    if (as_pairs) {
      ic.local_static_key_pair = &is;
    } else {
      ic.local_static_private_key = is.private_key();
    }
    ic.remote_static_public_key = rs.public_key();
    ic.fixed_ephemeral_private_key = ie.private_key();
    HandshakeConfig rc;
    rc.protocol_name = kIk;
    rc.role = Role::kResponder;
    rc.prologue = prologue;
    if (as_pairs) {
      rc.local_static_key_pair = &rs;
    } else {
      rc.local_static_private_key = rs.private_key();
    }
    rc.fixed_ephemeral_private_key = re.private_key();
    absl::StatusOr<HandshakeState> i = HandshakeState::Create(ic);
    if (!i.ok()) return i.status();
    absl::StatusOr<HandshakeState> r = HandshakeState::Create(rc);
    if (!r.ok()) return r.status();
    Run out;
    absl::StatusOr<Bytes> m1 = i->WriteMessage(B("one"));
    if (!m1.ok()) return m1.status();
    if (absl::Status st = r->ReadMessage(*m1).status(); !st.ok()) return st;
    absl::StatusOr<Bytes> m2 = r->WriteMessage(B("two"));
    if (!m2.ok()) return m2.status();
    if (absl::Status st = i->ReadMessage(*m2).status(); !st.ok()) return st;
    if (r->GetRemoteStaticPublicKey() != is.public_key()) {
      return absl::InternalError("wrong initiator key");
    }
    out.m1 = *m1;
    out.m2 = *m2;
    out.hash.assign(i->GetHandshakeHash().begin(), i->GetHandshakeHash().end());
    return out;
  };
  ASSERT_OK_AND_ASSIGN(Run by_key, run(false));
  ASSERT_OK_AND_ASSIGN(Run by_pair, run(true));
  EXPECT_EQ(by_key.m1, by_pair.m1);
  EXPECT_EQ(by_key.m2, by_pair.m2);
  EXPECT_EQ(by_key.hash, by_pair.hash);
  // The caller's pairs are untouched (copied, not moved from).
  EXPECT_FALSE(is.empty());
  EXPECT_FALSE(rs.empty());
}

TEST(HandshakeStateTest, StaticKeyPairConfigErrors) {
  ASSERT_OK_AND_ASSIGN(KeyPair key, KeyPair::Generate());
  HandshakeConfig config;
  config.protocol_name = kIk;
  config.role = Role::kResponder;
  config.local_static_key_pair = &key;
  EXPECT_THAT(HandshakeState::Create(config), IsOk());
  // Both forms at once.
  config.local_static_private_key = key.private_key();
  EXPECT_THAT(HandshakeState::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // An empty pair.
  config.local_static_private_key = {};
  KeyPair empty;
  config.local_static_key_pair = &empty;
  EXPECT_THAT(HandshakeState::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A pattern without a local static key for this role.
  HandshakeConfig nn = NnConfig(Role::kInitiator);
  nn.local_static_key_pair = &key;
  EXPECT_THAT(HandshakeState::Create(nn),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyPairTest, CopyKeepsBothHalves) {
  ASSERT_OK_AND_ASSIGN(KeyPair key, KeyPair::Generate());
  ASSERT_OK_AND_ASSIGN(KeyPair copy, key.Copy());
  EXPECT_EQ(copy.private_key(), key.private_key());
  EXPECT_EQ(copy.public_key(), key.public_key());
  EXPECT_NE(copy.private_key().data(), key.private_key().data());
  ASSERT_OK_AND_ASSIGN(KeyPair empty_copy, KeyPair().Copy());
  EXPECT_TRUE(empty_copy.empty());
}

TEST(CipherStateTest, CorruptedTransportByteFails) {
  ASSERT_OK_AND_ASSIGN(Session s, CompleteNn());
  ASSERT_OK_AND_ASSIGN(Bytes c, s.initiator.send.EncryptWithAd({}, B("data")));
  for (size_t index = 0; index < c.size(); ++index) {
    Bytes bad = c;
    bad[index] ^= 0x80;
    EXPECT_THAT(s.responder.receive.DecryptWithAd({}, bad),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << "byte " << index;
  }
  // Wrong associated data fails too.
  EXPECT_THAT(s.responder.receive.DecryptWithAd(B("x"), c),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Failures did not advance the nonce: the genuine message still opens.
  EXPECT_EQ(s.responder.receive.nonce(), 0u);
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, c),
              ::gssx::testing::IsOkAndHolds(B("data")));
  EXPECT_EQ(s.responder.receive.nonce(), 1u);
}

TEST(CipherStateTest, TruncatedTransportMessageFails) {
  ASSERT_OK_AND_ASSIGN(Session s, CompleteNn());
  ASSERT_OK_AND_ASSIGN(Bytes c, s.initiator.send.EncryptWithAd({}, B("data")));
  Bytes shorter(c.begin(), c.end() - 1);
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, shorter),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Bytes tag_only(c.begin(), c.begin() + 15);
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, tag_only),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, Bytes()),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(CipherStateTest, SpanFormsCheckSizes) {
  ASSERT_OK_AND_ASSIGN(Session s, CompleteNn());
  const Bytes plaintext = B("abc");
  Bytes out(plaintext.size() + kTagLen - 1);
  EXPECT_THAT(
      s.initiator.send.EncryptWithAd({}, plaintext, absl::MakeSpan(out)),
      StatusIs(absl::StatusCode::kInvalidArgument));
  out.resize(plaintext.size() + kTagLen);
  ASSERT_THAT(
      s.initiator.send.EncryptWithAd({}, plaintext, absl::MakeSpan(out)),
      IsOk());
  Bytes opened(plaintext.size());
  ASSERT_THAT(
      s.responder.receive.DecryptWithAd({}, out, absl::MakeSpan(opened)),
      IsOk());
  EXPECT_EQ(opened, plaintext);
}

TEST(CipherStateTest, ExplicitNoncesAllowOutOfOrderDelivery) {
  ASSERT_OK_AND_ASSIGN(Session s, CompleteNn());
  ASSERT_OK_AND_ASSIGN(Bytes c0, s.initiator.send.EncryptWithAd({}, B("0")));
  ASSERT_OK_AND_ASSIGN(Bytes c1, s.initiator.send.EncryptWithAd({}, B("1")));
  s.responder.receive.SetNonce(1);
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, c1),
              ::gssx::testing::IsOkAndHolds(B("1")));
  // Under the wrong nonce, a message does not open.
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, c0),
              StatusIs(absl::StatusCode::kUnauthenticated));
  s.responder.receive.SetNonce(0);
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, c0),
              ::gssx::testing::IsOkAndHolds(B("0")));
}

TEST(CipherStateTest, ExportAndLoadKey) {
  ASSERT_OK_AND_ASSIGN(Session s, CompleteNn());
  ASSERT_OK_AND_ASSIGN(Bytes c0, s.initiator.send.EncryptWithAd({}, B("0")));
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer key,
                       s.responder.receive.ExportKey());
  EXPECT_EQ(key.size(), kKeyLen);
  ASSERT_OK_AND_ASSIGN(CipherState copy, CipherState::FromKey(key.span(), 0));
  EXPECT_THAT(copy.DecryptWithAd({}, c0),
              ::gssx::testing::IsOkAndHolds(B("0")));
  EXPECT_EQ(copy.nonce(), 1u);

  CipherState empty;
  EXPECT_FALSE(empty.HasKey());
  EXPECT_THAT(empty.ExportKey(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CipherState::FromKey(Bytes(31), 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CipherStateTest, KeylessStatePassesPlaintextThrough) {
  CipherState empty;
  EXPECT_THAT(empty.EncryptWithAd({}, B("clear")),
              ::gssx::testing::IsOkAndHolds(B("clear")));
  EXPECT_EQ(empty.nonce(), 0u);
}

TEST(CipherStateTest, NonceExhaustion) {
  ASSERT_OK_AND_ASSIGN(CipherState c, CipherState::FromKey(Bytes(32, 9), 0));
  c.SetNonce(std::numeric_limits<uint64_t>::max() - 1);
  EXPECT_THAT(c.EncryptWithAd({}, B("last")), IsOk());
  EXPECT_THAT(c.EncryptWithAd({}, B("too far")),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(c.DecryptWithAd({}, Bytes(20)),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(CipherStateTest, RekeyKeepsBothSidesInStep) {
  ASSERT_OK_AND_ASSIGN(Session s, CompleteNn());
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer before,
                       s.initiator.send.ExportKey());
  ASSERT_THAT(s.initiator.send.Rekey(), IsOk());
  ASSERT_OK_AND_ASSIGN(transport::SecretBuffer after,
                       s.initiator.send.ExportKey());
  EXPECT_FALSE(before.Equals(after.span()));
  ASSERT_OK_AND_ASSIGN(Bytes c, s.initiator.send.EncryptWithAd({}, B("r")));
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, c),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_THAT(s.responder.receive.Rekey(), IsOk());
  EXPECT_THAT(s.responder.receive.DecryptWithAd({}, c),
              ::gssx::testing::IsOkAndHolds(B("r")));
  CipherState empty;
  EXPECT_THAT(empty.Rekey(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(DhTest, RejectsLowOrderPointsAndBadSizes) {
  ASSERT_OK_AND_ASSIGN(KeyPair a, KeyPair::Generate());
  ASSERT_OK_AND_ASSIGN(KeyPair b, KeyPair::Generate());
  uint8_t ab[kDhLen];
  uint8_t ba[kDhLen];
  ASSERT_THAT(Dh(a.private_key(), b.public_key(), ab), IsOk());
  ASSERT_THAT(Dh(b.private_key(), a.public_key(), ba), IsOk());
  EXPECT_THAT(ab, ElementsAreArray(ba));
  const Bytes zero(kDhLen, 0);
  Bytes one(kDhLen, 0);
  one[0] = 1;
  for (const Bytes& low : {zero, one}) {
    uint8_t out[kDhLen];
    EXPECT_THAT(Dh(a.private_key(), low, out),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(Dh(a.private_key(), Bytes(31), ab),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyPair::FromPrivateKey(Bytes(33)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SymmetricStateTest, LongNamesAreHashed) {
  ASSERT_OK_AND_ASSIGN(
      SymmetricState short_name,
      SymmetricState::Create("Noise_NN_25519_ChaChaPoly_SHA256"));
  // 32 bytes exactly: used as is.
  EXPECT_EQ(short_name.GetHandshakeHash(),
            absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(
                                    "Noise_NN_25519_ChaChaPoly_SHA256"),
                                32));
  ASSERT_OK_AND_ASSIGN(
      SymmetricState long_name,
      SymmetricState::Create("Noise_NNpsk0_25519_ChaChaPoly_SHA256"));
  uint8_t expected[crypto_hash_sha256_BYTES];
  const std::string name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256";
  crypto_hash_sha256(expected, reinterpret_cast<const uint8_t*>(name.data()),
                     name.size());
  EXPECT_EQ(long_name.GetHandshakeHash(), absl::MakeConstSpan(expected));
  // After Split nothing but the hash works.
  ASSERT_THAT(long_name.Split(), IsOk());
  Bytes out(4);
  EXPECT_THAT(long_name.EncryptAndHash(B("abcd"), absl::MakeSpan(out)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(long_name.MixKey(B("k")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(long_name.Split(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(TestJsonTest, ParsesAndRejects) {
  using test_internal::ParseJson;
  absl::StatusOr<test_internal::JsonValue> v = ParseJson(
      R"( {"a": [1, -2.5e3, "x\"y\u0041"], "b": {"c": true, "d": null}} )");
  ASSERT_THAT(v, IsOk());
  ASSERT_NE(v->Find("a"), nullptr);
  ASSERT_EQ(v->Find("a")->array.size(), 3u);
  EXPECT_EQ(v->Find("a")->array[2].text, "x\"yA");
  EXPECT_EQ(v->Find("a")->array[1].text, "-2.5e3");
  EXPECT_TRUE(v->Find("b")->Find("c")->boolean);
  EXPECT_EQ(v->Find("missing"), nullptr);
  const std::string deep(100, '[');
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "[1] 2",
                          "{\"a\":\"\\q\"}", "tru", deep.c_str()}) {
    EXPECT_THAT(ParseJson(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace gssx::noise
