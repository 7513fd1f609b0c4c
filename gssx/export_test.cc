// SPDX-License-Identifier: Apache-2.0
// Export and import of complete context state (Context::Export/Import).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gssx/clock.h"
#include "gssx/context.h"
#include "gssx/internal/export_format.h"
#include "gssx/internal/per_message.h"
#include "gssx/testing/test_peers.h"
#include "gssx/status.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "gssx/testing/gssx_matchers.h"
#include "testing/status_matchers.h"
#include "transport/base/secret_buffer.h"
#include "transport/base/unique_fd.h"

namespace gssx {
namespace {

using ::gssx::internal::ClientOptions;
using ::gssx::internal::ContextPair;
using ::gssx::internal::Establish;
using ::gssx::internal::MakePeers;
using ::gssx::internal::PeerOptions;
using ::gssx::internal::Peers;
using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasGssError;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;
using ::gssx::transport::SecretBuffer;
using ::gssx::transport::UniqueFd;
using Bytes = std::vector<uint8_t>;

Bytes B(absl::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes ToBytes(const SecretBuffer& b) {
  return Bytes(b.data(), b.data() + b.size());
}

// Exchanges a few messages both ways; returns a wrap token from the
// initiator that the acceptor has already processed.
Bytes Chat(ContextPair& pair) {
  Bytes delivered;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<WrapResult> w = pair.initiator.Wrap(B("to acceptor"), true);
    EXPECT_TRUE(w.ok());
    absl::StatusOr<UnwrapResult> u = pair.acceptor.Unwrap(w->token);
    EXPECT_TRUE(u.ok() && u->supplementary == 0);
    delivered = w->token;
    absl::StatusOr<Bytes> mic = pair.acceptor.GetMic(B("to initiator"));
    EXPECT_TRUE(mic.ok());
    EXPECT_THAT(pair.initiator.VerifyMic(B("to initiator"), *mic),
                IsOkAndHolds(0u));
  }
  return delivered;
}

TEST(ExportTest, ImportedContextContinuesInBothDirections) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  const Bytes captured = Chat(pair);
  ASSERT_OK_AND_ASSIGN(ContextInfo before, pair.acceptor.Inquire());

  ASSERT_OK_AND_ASSIGN(SecretBuffer token, std::move(pair.acceptor).Export());
  EXPECT_FALSE(pair.acceptor.valid());
  ASSERT_OK_AND_ASSIGN(Context imported, Context::Import(token.span()));
  token.Clear();

  ASSERT_OK_AND_ASSIGN(ContextInfo after, imported.Inquire());
  EXPECT_EQ(after.id, before.id);
  EXPECT_EQ(after.flags, before.flags);
  EXPECT_EQ(after.expiry, before.expiry);
  EXPECT_EQ(after.source.identity(), before.source.identity());
  EXPECT_EQ(after.target.identity(), before.target.identity());
  EXPECT_FALSE(after.locally_initiated);
  EXPECT_TRUE(after.established);

  // Initiator -> imported: the next sequence number, in order.
  ASSERT_OK_AND_ASSIGN(WrapResult w, pair.initiator.Wrap(B("next"), true));
  ASSERT_OK_AND_ASSIGN(UnwrapResult u, imported.Unwrap(w.token));
  EXPECT_EQ(u.message, B("next"));
  EXPECT_EQ(u.supplementary, 0u);
  // A token processed before the export, replayed: a duplicate.
  ASSERT_OK_AND_ASSIGN(UnwrapResult replay, imported.Unwrap(captured));
  EXPECT_EQ(replay.supplementary, kDuplicateToken);
  // Imported -> initiator: the initiator sees the sequence continue.
  ASSERT_OK_AND_ASSIGN(Bytes mic, imported.GetMic(B("still me")));
  EXPECT_THAT(pair.initiator.VerifyMic(B("still me"), mic), IsOkAndHolds(0u));
  ASSERT_OK_AND_ASSIGN(WrapResult back, imported.Wrap(B("reply"), false));
  ASSERT_OK_AND_ASSIGN(UnwrapResult ub, pair.initiator.Unwrap(back.token));
  EXPECT_EQ(ub.message, B("reply"));
  EXPECT_EQ(ub.supplementary, 0u);
}

TEST(ExportTest, BothSidesCanMoveAndMoveAgain) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  Chat(pair);
  for (int round = 0; round < 3; ++round) {
    ASSERT_OK_AND_ASSIGN(SecretBuffer ti, std::move(pair.initiator).Export());
    ASSERT_OK_AND_ASSIGN(SecretBuffer ta, std::move(pair.acceptor).Export());
    ASSERT_OK_AND_ASSIGN(pair.initiator, Context::Import(ti.span()));
    ASSERT_OK_AND_ASSIGN(pair.acceptor, Context::Import(ta.span()));
    Chat(pair);
  }
  ASSERT_OK_AND_ASSIGN(ContextInfo info, pair.initiator.Inquire());
  EXPECT_TRUE(info.locally_initiated);
}

TEST(ExportTest, ExportedContextIsEmptyAndAnswersNoContext) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  Context& ctx = pair.initiator;
  ASSERT_OK_AND_ASSIGN(SecretBuffer token, std::move(ctx).Export());
  EXPECT_FALSE(token.empty());
  const auto gone = HasGssError(ErrorKind::kNoContext, Minor::kContextExported);
  EXPECT_THAT(ctx.GetMic(B("m")), gone);  // NOLINT(bugprone-use-after-move)
  EXPECT_THAT(ctx.VerifyMic(B("m"), B("t")), gone);
  EXPECT_THAT(ctx.Wrap(B("m"), true), gone);
  EXPECT_THAT(ctx.Unwrap(B("t")), gone);
  EXPECT_THAT(ctx.WrapSizeLimit(100, true), gone);
  EXPECT_THAT(ctx.Inquire(), gone);
  EXPECT_THAT(ctx.TimeRemaining(), gone);
  EXPECT_THAT(ctx.Continue(B("t")), gone);
  EXPECT_THAT(std::move(ctx).Export(), gone);
  EXPECT_THAT(ctx.Delete(), gone);
}

TEST(ExportTest, NonTransferableContextIsUnavailableAndStaysUsable) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  AcceptOptions ao;
  ao.transferable = false;
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, ClientOptions(), ao));
  EXPECT_THAT(std::move(pair.acceptor).Export(),
              HasGssError(ErrorKind::kUnavailable,
                          Minor::kContextNotTransferable));
  ASSERT_OK_AND_ASSIGN(Bytes mic, pair.acceptor.GetMic(B("m")));
  EXPECT_THAT(pair.initiator.VerifyMic(B("m"), mic), IsOkAndHolds(0u));
  // The other side chose for itself.
  EXPECT_THAT(std::move(pair.initiator).Export(), IsOk());
}

TEST(ExportTest, UnestablishedContextIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(HandshakeStep init,
                       Context::Initiate(*peers.client, ClientOptions()));
  EXPECT_THAT(std::move(init.context).Export(),
              HasGssError(ErrorKind::kUnavailable,
                          Minor::kContextNotEstablished));
  // Still there: the handshake can finish.
  ASSERT_OK_AND_ASSIGN(HandshakeStep acc,
                       Context::Accept(*peers.server, init.output_token));
  EXPECT_THAT(init.context.Continue(acc.output_token), IsOk());
}

TEST(ExportTest, ExpiryTravelsAndIsEnforced) {
  ManualClock clock;
  PeerOptions po;
  po.clock = &clock;
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers(po));
  InitOptions io = ClientOptions(&clock);
  io.lifetime = absl::Minutes(10);
  AcceptOptions ao;
  ao.clock = &clock;
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers, io, ao));

  clock.Advance(absl::Minutes(4));
  ASSERT_OK_AND_ASSIGN(SecretBuffer token, std::move(pair.acceptor).Export());
  ImportOptions imo;
  imo.clock = &clock;
  {
    ASSERT_OK_AND_ASSIGN(Context imported, Context::Import(token.span(), imo));
    EXPECT_THAT(imported.TimeRemaining(), IsOkAndHolds(absl::Minutes(6)));
  }
  clock.Advance(absl::Minutes(6));
  EXPECT_THAT(Context::Import(token.span(), imo),
              HasGssError(ErrorKind::kContextExpired));
  EXPECT_THAT(std::move(pair.initiator).Export(),
              HasGssError(ErrorKind::kContextExpired));
  EXPECT_TRUE(pair.initiator.valid());  // a failed export keeps the context
}

// docs/design.md "Locked memory and scale": a worker holds thousands of
// live contexts. Each keeps its two keys in slots of transport's locked
// pool, not in a sodium_malloc allocation of its own (3-4 locked pages
// each), so 10,000 fit easily.
TEST(ExportTest, TenThousandLiveImportedContexts) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  ASSERT_OK_AND_ASSIGN(SecretBuffer token, std::move(pair.acceptor).Export());
  std::vector<Context> live;
  live.reserve(10000);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_OK_AND_ASSIGN(Context c, Context::Import(token.span()));
    live.push_back(std::move(c));
  }
  ASSERT_OK_AND_ASSIGN(WrapResult w, pair.initiator.Wrap(B("to all"), true));
  for (Context& c : live) {
    ASSERT_OK_AND_ASSIGN(UnwrapResult u, c.Unwrap(w.token));
    ASSERT_EQ(u.supplementary, 0u);
  }
}

// --------------------------------------------------------- another process

absl::Status WriteFrame(int fd, absl::Span<const uint8_t> bytes) {
  uint8_t len[4];
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  std::memcpy(len, &n, 4);
  for (absl::Span<const uint8_t> part : {absl::MakeConstSpan(len, 4), bytes}) {
    while (!part.empty()) {
      const ssize_t w = ::write(fd, part.data(), part.size());
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return absl::ErrnoToStatus(errno, "write");
      part.remove_prefix(static_cast<size_t>(w));
    }
  }
  return absl::OkStatus();
}

bool ReadFull(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Reads one frame into locked memory (it may be a context token).
absl::StatusOr<SecretBuffer> ReadFrame(int fd) {
  uint32_t n = 0;
  if (!ReadFull(fd, reinterpret_cast<uint8_t*>(&n), 4) || n > (1u << 20)) {
    return absl::DataLossError("bad frame");
  }
  absl::StatusOr<SecretBuffer> buf = SecretBuffer::Create(n);
  if (!buf.ok()) return buf.status();
  if (n > 0 && !ReadFull(fd, buf->data(), n)) {
    return absl::DataLossError("short frame");
  }
  return buf;
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The child's side: import the context from the pipe and carry on. Exit
// codes name the first thing that went wrong.
int ChildImportsAndContinues(int in, int out) {
  absl::StatusOr<SecretBuffer> token = ReadFrame(in);
  absl::StatusOr<SecretBuffer> next = ReadFrame(in);
  absl::StatusOr<SecretBuffer> captured = ReadFrame(in);
  if (!token.ok() || !next.ok() || !captured.ok()) return 10;
  absl::StatusOr<Context> ctx = Context::Import(token->span());
  token->Clear();
  if (!ctx.ok()) return 11;
  absl::StatusOr<UnwrapResult> u = ctx->Unwrap(next->span());
  if (!u.ok() || u->supplementary != 0 || u->message != B("after export")) {
    return 12;
  }
  absl::StatusOr<UnwrapResult> replay = ctx->Unwrap(captured->span());
  if (!replay.ok() || replay->supplementary != kDuplicateToken) return 13;
  absl::StatusOr<WrapResult> w = ctx->Wrap(B("hello from the child"), true);
  if (!w.ok() || !WriteFrame(out, w->token).ok()) return 14;
  return 0;
}

TEST(ExportTest, ImportInAnotherProcessOverAPipe) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  const Bytes captured = Chat(pair);
  ASSERT_OK_AND_ASSIGN(Pipe to_child, MakePipe());
  ASSERT_OK_AND_ASSIGN(Pipe from_child, MakePipe());

  // The child starts before the export: it learns the context only from
  // the pipe.
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    return ChildImportsAndContinues(to_child.read.get(),
                                    from_child.write.get());
  }));
  to_child.read.Reset();
  from_child.write.Reset();

  ASSERT_OK_AND_ASSIGN(SecretBuffer token, std::move(pair.acceptor).Export());
  ASSERT_OK_AND_ASSIGN(WrapResult next,
                       pair.initiator.Wrap(B("after export"), true));
  ASSERT_OK(WriteFrame(to_child.write.get(), token.span()));
  token.Clear();
  ASSERT_OK(WriteFrame(to_child.write.get(), next.token));
  ASSERT_OK(WriteFrame(to_child.write.get(), captured));
  to_child.write.Reset();

  absl::StatusOr<SecretBuffer> reply = ReadFrame(from_child.read.get());
  EXPECT_THAT(child.Wait(absl::Seconds(60)), IsOkAndHolds(0));
  ASSERT_OK(reply.status());
  ASSERT_OK_AND_ASSIGN(UnwrapResult u, pair.initiator.Unwrap(reply->span()));
  EXPECT_EQ(u.message, B("hello from the child"));
  EXPECT_EQ(u.supplementary, 0u);  // the peer noticed nothing
}

// issue 17: the byte form of an exported context has no latch, so the
// same bytes can be imported twice — by two processes, or again after a
// crash. Both instances continue from the same send key and sequence
// number. With the nonce taken from the sequence number alone, the two
// wrap tokens shared a keystream: ct1 ^ ct2 ^ p2 gave p1 back. Each
// instance now draws its own nonce salt: the headers (nonces) differ, the
// XOR gives garbage, and the peer, which never changed, reads both.
struct WrappedInChild {
  Bytes wrap;
  Bytes mic;
};

// In a child: import `token`, wrap `plaintext`, MIC "same message", and
// send both tokens back over `out`.
int ChildImportsAndWraps(absl::Span<const uint8_t> token, const Bytes& plaintext,
                         int out) {
  absl::StatusOr<Context> ctx = Context::Import(token);
  if (!ctx.ok()) return 10;
  absl::StatusOr<WrapResult> w = ctx->Wrap(plaintext, /*confidential=*/true);
  if (!w.ok() || !w->confidential) return 11;
  absl::StatusOr<Bytes> mic = ctx->GetMic(B("same message"));
  if (!mic.ok()) return 12;
  if (!WriteFrame(out, w->token).ok() || !WriteFrame(out, *mic).ok()) {
    return 13;
  }
  return 0;
}

TEST(ExportTest, TwoImportsOfOneByteTokenNeverShareAKeystream) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  Chat(pair);
  ASSERT_OK_AND_ASSIGN(SecretBuffer token, std::move(pair.acceptor).Export());
  const Bytes p1 = B("attack at dawn, the password is swordfish");
  const Bytes p2 = B("nothing to see here, a harmless message..");
  ASSERT_EQ(p1.size(), p2.size());

  WrappedInChild got[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(Pipe from_child, MakePipe());
    const Bytes& plaintext = i == 0 ? p1 : p2;
    ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
      return ChildImportsAndWraps(token.span(), plaintext,
                                  from_child.write.get());
    }));
    from_child.write.Reset();
    absl::StatusOr<SecretBuffer> wrap = ReadFrame(from_child.read.get());
    absl::StatusOr<SecretBuffer> mic = ReadFrame(from_child.read.get());
    ASSERT_THAT(child.Wait(absl::Seconds(60)), IsOkAndHolds(0)) << i;
    ASSERT_OK(wrap.status());
    ASSERT_OK(mic.status());
    got[i].wrap = ToBytes(*wrap);
    got[i].mic = ToBytes(*mic);
  }
  const Bytes& t1 = got[0].wrap;
  const Bytes& t2 = got[1].wrap;
  ASSERT_EQ(t1.size(), t2.size());
  ASSERT_EQ(t1.size(), p1.size() + internal::kHeaderSize + internal::kTagSize);

  // The headers are the AEAD nonces: they must differ.
  const Bytes h1(t1.begin(), t1.begin() + internal::kHeaderSize);
  const Bytes h2(t2.begin(), t2.begin() + internal::kHeaderSize);
  EXPECT_NE(h1, h2) << "both imports used the same nonce under the same key";

  // The keystream-reuse attack: ct1 ^ ct2 ^ p2 == p1 if they share one.
  Bytes recovered(p1.size());
  for (size_t k = 0; k < p1.size(); ++k) {
    recovered[k] = t1[internal::kHeaderSize + k] ^
                   t2[internal::kHeaderSize + k] ^ p2[k];
  }
  EXPECT_NE(recovered, p1) << "the XOR of the ciphertexts gave p1 back";
  size_t same = 0;
  for (size_t k = 0; k < p1.size(); ++k) same += recovered[k] == p1[k];
  EXPECT_LT(same, p1.size() / 4) << "keystreams overlap";

  // Same message, same sequence number: equal MICs would mean one
  // Poly1305 key for both (forgeable).
  EXPECT_NE(got[0].mic, got[1].mic);

  // The live peer, which holds the old keys and never changed, reads both
  // instances' tokens; the second is the replay it is.
  ASSERT_OK_AND_ASSIGN(UnwrapResult u1, pair.initiator.Unwrap(t1));
  EXPECT_EQ(u1.message, p1);
  EXPECT_EQ(u1.supplementary, 0u);
  ASSERT_OK_AND_ASSIGN(UnwrapResult u2, pair.initiator.Unwrap(t2));
  EXPECT_EQ(u2.message, p2);
  EXPECT_EQ(u2.supplementary, kDuplicateToken);
  EXPECT_THAT(pair.initiator.VerifyMic(B("same message"), got[0].mic),
              IsOkAndHolds(0u));
  EXPECT_THAT(pair.initiator.VerifyMic(B("same message"), got[1].mic),
              IsOkAndHolds(kDuplicateToken));
}

// The same in one process: every Import() is a new instance with its own
// salt, including an import of the token after the first instance died.
TEST(ExportTest, EveryImportDrawsItsOwnNonceSalt) {
  ASSERT_OK_AND_ASSIGN(Peers peers, MakePeers());
  ASSERT_OK_AND_ASSIGN(ContextPair pair, Establish(peers));
  ASSERT_OK_AND_ASSIGN(SecretBuffer token, std::move(pair.acceptor).Export());
  std::vector<Bytes> headers;
  for (int i = 0; i < 8; ++i) {
    ASSERT_OK_AND_ASSIGN(Context c, Context::Import(token.span()));
    ASSERT_OK_AND_ASSIGN(WrapResult w, c.Wrap(B("x"), true));
    headers.emplace_back(w.token.begin(),
                         w.token.begin() + internal::kHeaderSize);
    ASSERT_OK_AND_ASSIGN(UnwrapResult u, pair.initiator.Unwrap(w.token));
    EXPECT_EQ(u.message, B("x"));
  }
  std::sort(headers.begin(), headers.end());
  EXPECT_EQ(std::unique(headers.begin(), headers.end()), headers.end());
}

// ------------------------------------------------------------ bad tokens

absl::StatusOr<Bytes> ExportedToken() {
  absl::StatusOr<Peers> peers = MakePeers();
  if (!peers.ok()) return peers.status();
  absl::StatusOr<ContextPair> pair = Establish(*peers);
  if (!pair.ok()) return pair.status();
  Chat(*pair);
  absl::StatusOr<SecretBuffer> token = std::move(pair->acceptor).Export();
  if (!token.ok()) return token.status();
  return ToBytes(*token);
}

TEST(ImportTest, EveryTruncationFails) {
  ASSERT_OK_AND_ASSIGN(Bytes good, ExportedToken());
  ASSERT_THAT(Context::Import(good), IsOk());
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes cut(good.begin(), good.begin() + n);
    EXPECT_THAT(Context::Import(cut), HasGssError(ErrorKind::kDefectiveToken))
        << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_THAT(Context::Import(longer),
              HasGssError(ErrorKind::kDefectiveToken,
                          Minor::kExportTokenMalformed));
}

TEST(ImportTest, EverySingleByteCorruptionFails) {
  ASSERT_OK_AND_ASSIGN(Bytes good, ExportedToken());
  int cases = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      Bytes bad = good;
      bad[i] ^= mask;
      EXPECT_THAT(Context::Import(bad), HasGssError(ErrorKind::kDefectiveToken))
          << "byte " << i << " mask " << int{mask};
      ++cases;
    }
  }
  EXPECT_EQ(cases, 3 * static_cast<int>(good.size()));
}

// With the checksum recomputed, corruptions reach the field checks. Some
// (keys, sequence numbers, the context id) still parse: the point is that
// every input gives a status, never a crash, and that structural damage is
// caught by the field checks themselves.
TEST(ImportTest, ResealedCorruptionsNeverCrash) {
  ASSERT_OK_AND_ASSIGN(Bytes good, ExportedToken());
  int accepted = 0, refused = 0;
  for (size_t i = 0; i + internal::kExportChecksumSize < good.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      Bytes bad = good;
      bad[i] ^= mask;
      internal::ResealForTesting(absl::MakeSpan(bad));
      absl::StatusOr<Context> r = Context::Import(bad);
      if (r.ok()) {
        ++accepted;
        EXPECT_THAT(r->Inquire(), IsOk());
      } else {
        ++refused;
        EXPECT_THAT(ErrorKindName(KindOf(r.status())),
                    ::testing::AnyOf("defective-token", "context-expired"))
            << "byte " << i << ": " << r.status();
      }
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused, 0);
}

TEST(ImportTest, SpecificDefects) {
  ASSERT_OK_AND_ASSIGN(Bytes good, ExportedToken());
  EXPECT_THAT(Context::Import(Bytes{}),
              HasGssError(ErrorKind::kDefectiveToken,
                          Minor::kExportTokenMalformed));
  EXPECT_THAT(Context::Import(B("not a context token at all, not at all")),
              HasGssError(ErrorKind::kDefectiveToken,
                          Minor::kExportTokenMalformed));
  {
    Bytes v3 = good;
    v3[4] = 3;
    internal::ResealForTesting(absl::MakeSpan(v3));
    EXPECT_THAT(Context::Import(v3),
                HasGssError(ErrorKind::kDefectiveToken,
                            Minor::kExportTokenVersion));
  }
  {
    // A version 1 token (before the per-instance nonce salt): refused,
    // saying why.
    ASSERT_EQ(good[4], 2);
    Bytes v1 = good;
    v1[4] = 1;
    internal::ResealForTesting(absl::MakeSpan(v1));
    absl::StatusOr<Context> old = Context::Import(v1);
    EXPECT_THAT(old, HasGssError(ErrorKind::kDefectiveToken,
                                 Minor::kExportTokenVersion));
    EXPECT_THAT(old.status().message(),
                ::testing::HasSubstr("version 1 contexts use per-message "
                                     "tokens without a per-instance nonce"));
  }
  {
    Bytes flipped = good;
    flipped[40] ^= 1;
    EXPECT_THAT(Context::Import(flipped),
                HasGssError(ErrorKind::kDefectiveToken,
                            Minor::kExportTokenChecksum));
  }
  {
    Bytes other_mech = good;
    other_mech[13] ^= 1;  // first OID byte
    internal::ResealForTesting(absl::MakeSpan(other_mech));
    EXPECT_THAT(Context::Import(other_mech),
                HasGssError(ErrorKind::kDefectiveToken,
                            Minor::kWrongMechanism));
  }
  {
    // A length field claiming 4 GiB.
    Bytes huge = good;
    huge[8] = huge[9] = huge[10] = huge[11] = 0xff;
    EXPECT_THAT(Context::Import(huge),
                HasGssError(ErrorKind::kDefectiveToken,
                            Minor::kExportTokenMalformed));
  }
  {
    // Role 2 (offset 12 + 1 + 20 + 16 = 49).
    Bytes role = good;
    role[49] = 2;
    internal::ResealForTesting(absl::MakeSpan(role));
    EXPECT_THAT(Context::Import(role),
                HasGssError(ErrorKind::kDefectiveToken,
                            Minor::kExportTokenMalformed));
  }
}

TEST(ImportTest, RandomGarbageNeverCrashes) {
  ASSERT_OK_AND_ASSIGN(Bytes good, ExportedToken());
  uint32_t x = 12345;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  for (int i = 0; i < 2000; ++i) {
    Bytes bad = good;
    const int edits = 1 + static_cast<int>(next() % 8);
    for (int e = 0; e < edits; ++e) {
      bad[next() % bad.size()] = static_cast<uint8_t>(next());
    }
    if (next() % 2 == 0) bad.resize(next() % (bad.size() + 16));
    internal::ResealForTesting(absl::MakeSpan(bad));
    absl::StatusOr<Context> r = Context::Import(bad);
    if (!r.ok()) {
      EXPECT_THAT(ErrorKindName(KindOf(r.status())),
                  ::testing::AnyOf("defective-token", "context-expired"));
    }
  }
}

}  // namespace
}  // namespace gssx
