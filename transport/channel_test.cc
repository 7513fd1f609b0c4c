// SPDX-License-Identifier: Apache-2.0
#include "transport/channel.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/fd_leak.h"
#include "transport/testing/raw_messages.h"
#include "testing/status_matchers.h"
#include "transport/base/deadline.h"
#include "transport/base/errors.h"
#include "transport/base/syscalls.h"
#include "transport/base/bytes.h"
#include "transport/wire_format.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::FdSnapshot;
using ::gssx::testing::ForkedChild;
using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

constexpr absl::Duration kWait = absl::Seconds(30);

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}
std::string Str(absl::Span<const uint8_t> b) {
  return std::string(b.begin(), b.end());
}

ReceiveOptions MaxFds(size_t n) {
  ReceiveOptions o;
  o.max_extra_fds = n;
  return o;
}
ReceiveOptions Timeout(absl::Duration t) {
  ReceiveOptions o;
  o.timeout = t;
  return o;
}

// Exit codes for children: 0 = as expected, otherwise which check failed.
int Check(bool ok, int code) { return ok ? 0 : code; }

bool SameFile(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// Sends one raw message, for playing a hostile or broken peer.
void SendRaw(int socket, absl::Span<const uint8_t> body,
             const std::vector<int>& fds) {
  ASSERT_EQ(::gssx::testing::SendRawMessage(socket, body, fds), 0);
}

std::vector<uint8_t> HandoffBody(const TokenExpectation& t, uint16_t extra,
                                 absl::Span<const uint8_t> key) {
  return ::gssx::testing::HandoffMessageBody(t, extra, key);
}

TEST(ChannelTest, PairHandsOffTokenAndFds) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  auto& [a, b] = pair;
  EXPECT_EQ(a.peer().uid, geteuid());
  EXPECT_EQ(a.peer().pid, getpid());
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd pr(p[0]), pw(p[1]);
  ASSERT_OK_AND_ASSIGN(Handoff h, a.Send(Bytes("the context"), {pr.get()}));
  EXPECT_FALSE(h.resolved());
  ASSERT_OK_AND_ASSIGN(ReceivedToken r, b.Receive(MaxFds(1)));
  EXPECT_EQ(Str(r.token.span()), "the context");
  EXPECT_EQ(r.id, h.id());
  ASSERT_EQ(r.fds.size(), 1u);
  EXPECT_TRUE(SameFile(r.fds[0].get(), pr.get()));
  EXPECT_TRUE(fcntl(r.fds[0].get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_THAT(a.AwaitAck(h, kWait), IsOk());
  EXPECT_TRUE(h.resolved());
  EXPECT_THAT(h.Reclaim(), HasErrorKind(ErrorKind::kBadArgument));
}

TEST(ChannelTest, TwoProcessesHandOffOverSocketPair) {
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd pr(p[0]), pw(p[1]);
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    fds.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(fds.second));
    if (!ch.ok()) return 10;
    absl::StatusOr<ReceivedToken> r = ch->Receive(MaxFds(1));
    if (!r.ok()) return 11;
    if (Str(r->token.span()) != "from parent") return 12;
    // Prove the fd works: write through the received pipe end.
    if (r->fds.size() != 1 || write(r->fds[0].get(), "!", 1) != 1) return 13;
    return 0;
  }));
  fds.second.Reset();
  pr.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  EXPECT_EQ(ch.peer().pid, getpid());  // socketpair: creator's credentials
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(Bytes("from parent"), {pw.get()}));
  EXPECT_THAT(ch.AwaitAck(h, kWait), IsOk());
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
}

TEST(ChannelTest, PeerDiesBeforeImportSenderReclaimsIntact) {
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    fds.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(fds.second));
    if (!ch.ok()) return 10;
    // Wait until the handoff has arrived, then die without importing.
    (void)WaitUntilReady(ch->fd(), POLLIN, DeadlineAfter(absl::Seconds(30)),
                         "receive the handoff");
    return 0;
  }));
  fds.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(Bytes("keep me")));
  EXPECT_THAT(ch.AwaitAck(h, kWait), HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
  ASSERT_OK_AND_ASSIGN(SecretBuffer back, h.Reclaim());
  EXPECT_EQ(Str(back.span()), "keep me");
  EXPECT_TRUE(h.resolved());
}

TEST(ChannelTest, PeerKilledBeforeImportSenderReclaims) {
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    fds.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(fds.second));
    if (!ch.ok()) return 10;
    pause();
    return 0;
  }));
  fds.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(Bytes("keep me")));
  EXPECT_THAT(child.Kill(), IsOkAndHolds(128 + SIGKILL));
  EXPECT_THAT(ch.AwaitAck(h, kWait), HasErrorKind(ErrorKind::kPeerClosed));
  ASSERT_OK_AND_ASSIGN(SecretBuffer back, h.Reclaim());
  EXPECT_EQ(Str(back.span()), "keep me");
}

TEST(ChannelTest, PeerImportsThenDiesBeforeAckReclaimSaysConsumed) {
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    fds.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(fds.second));
    if (!ch.ok()) return 10;
    // The ack is lost: every send after the import fails.
    internal::Syscalls table = internal::RealSyscalls();
    table.sendmsg = [](int, const msghdr*, int) -> ssize_t {
      errno = EPIPE;
      return -1;
    };
    internal::ScopedSyscalls no_send(table);
    absl::StatusOr<ReceivedToken> r = ch->Receive();
    return Check(r.ok() && Str(r->token.span()) == "mine now", 11);
  }));
  fds.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(Bytes("mine now")));
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
  EXPECT_THAT(ch.AwaitAck(h, kWait), HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_THAT(h.Reclaim(), HasErrorKind(ErrorKind::kAlreadyConsumed));
  EXPECT_TRUE(h.resolved());
}

TEST(ChannelTest, RefusedCredentialsFailOnBothEnds) {
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    fds.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(fds.second));
    return Check(IsError(ch.status(), ErrorKind::kRefusedByPeer), 10);
  }));
  fds.second.Reset();
  ChannelOptions strict;
  strict.policy = PeerPolicy::Nobody().AllowUid(geteuid() + 1);
  absl::StatusOr<Channel> ch = Channel::Open(std::move(fds.first), strict);
  EXPECT_THAT(ch, HasErrorKind(ErrorKind::kPeerNotAllowed));
  EXPECT_THAT(ch.status().message(), ::testing::HasSubstr("not allowed"));
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
}

TEST(ChannelTest, GidAllowListAdmitsPeer) {
  ChannelOptions by_gid;
  by_gid.policy = PeerPolicy::Nobody().AllowGid(getegid());
  EXPECT_THAT(Channel::Pair(by_gid), IsOk());
}

// Accepts one channel in the parent while a child connects and imports.
void ListenConnectRoundTrip(const std::string& address) {
  ASSERT_OK_AND_ASSIGN(Listener listener, Listener::Listen(address));
  absl::StatusOr<Listener> again = Listener::Listen(address);
  EXPECT_THAT(again, HasErrorKind(ErrorKind::kOs));
  EXPECT_EQ(ErrnoOf(again.status()), EADDRINUSE);
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    absl::StatusOr<Channel> ch = Channel::Connect(address);
    if (!ch.ok()) return 10;
    if (ch->peer().pid != getppid()) return 11;
    absl::StatusOr<ReceivedToken> r = ch->Receive();
    return Check(r.ok() && Str(r->token.span()) == address, 12);
  }));
  ASSERT_OK_AND_ASSIGN(Channel ch, listener.Accept(kWait));
  EXPECT_EQ(ch.peer().pid, child.pid());
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(Bytes(address)));
  EXPECT_THAT(ch.AwaitAck(h, kWait), IsOk());
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
}

TEST(ChannelTest, ListenConnectAbstract) {
  ListenConnectRoundTrip(absl::StrCat("@gssx-test-", getpid(), "-abstract"));
}

TEST(ChannelTest, ListenConnectFilesystem) {
  // Short path: Bazel's TEST_TMPDIR can overflow the 108-byte sun_path.
  char dir[] = "/tmp/gssx-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = absl::StrCat(dir, "/sock");
  ListenConnectRoundTrip(path);
  struct stat st;
  EXPECT_NE(stat(path.c_str(), &st), 0) << "listener left its socket file";
  rmdir(dir);
}

TEST(ChannelTest, TooLongPathIsRejected) {
  EXPECT_THAT(Listener::Listen(std::string(200, 'x')),
              HasErrorKind(ErrorKind::kBadArgument));
  EXPECT_THAT(Channel::Connect(""), HasErrorKind(ErrorKind::kBadArgument));
}

TEST(ChannelTest, FromInheritedFdMarksCloexec) {
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    fds.first.Reset();
    int raw = fds.second.Release();
    fcntl(raw, F_SETFD, 0);  // as if inherited across exec
    absl::StatusOr<Channel> ch = Channel::FromInheritedFd(raw);
    if (!ch.ok()) return 10;
    if (!(fcntl(raw, F_GETFD) & FD_CLOEXEC)) return 11;
    absl::StatusOr<ReceivedToken> r = ch->Receive();
    return Check(r.ok(), 12);
  }));
  fds.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(Bytes("after exec")));
  EXPECT_THAT(ch.AwaitAck(h, kWait), IsOk());
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
}

// For real: fork + exec a separate binary that inherits only the channel.
TEST(ChannelTest, ExecedProgramImportsOverInheritedFd) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(srcdir, nullptr);
  std::string program = absl::StrCat(srcdir, "/", ws ? ws : "gssx",
                                     "/transport/exec_importer");
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd pr(p[0]), pw(p[1]);
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    // Keep exactly the child's end across exec.
    int keep = fds.second.get();
    if (fcntl(keep, F_SETFD, 0) != 0) return 100;
    std::string arg = std::to_string(keep);
    execl(program.c_str(), program.c_str(), arg.c_str(), nullptr);
    return 101;
  }));
  fds.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  EXPECT_EQ(ch.peer().pid, getpid());  // the socketpair's creator
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(Bytes("across exec"), {pw.get()}));
  EXPECT_THAT(ch.AwaitAck(h, kWait), IsOk());
  pw.Reset();
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
  char buf[64] = {};
  ASSERT_EQ(read(pr.get(), buf, sizeof buf), 11);
  EXPECT_EQ(std::string(buf), "across exec");
}

TEST(ChannelTest, PeerPidfdNamesThePeer) {
  ASSERT_OK_AND_ASSIGN(Listener listener,
                       Listener::Listen(absl::StrCat("@gssx-pidfd-", getpid())));
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    absl::StatusOr<Channel> ch = Channel::Connect(listener.address());
    if (!ch.ok()) return 10;
    absl::StatusOr<ReceivedToken> r = ch->Receive();
    return 0;
  }));
  ASSERT_OK_AND_ASSIGN(Channel ch, listener.Accept(kWait));
  if (!ch.peer().has_pidfd) {
    GTEST_SKIP() << "kernel without SO_PEERPIDFD (Linux < 6.5)";
  }
  // /proc/self/fdinfo/<pidfd> says which process it pins.
  std::string info_path = absl::StrCat("/proc/self/fdinfo/", ch.peer_pidfd());
  UniqueFd info(open(info_path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(info.valid());
  char buf[512] = {};
  ASSERT_GT(read(info.get(), buf, sizeof buf - 1), 0);
  EXPECT_THAT(std::string(buf),
              ::testing::HasSubstr(absl::StrCat("Pid:\t", child.pid())));
  { Channel closing = std::move(ch); }
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
}

TEST(ChannelTest, NotASeqpacketSocketIsRejected) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd other(sv[1]);
  EXPECT_THAT(Channel::Open(UniqueFd(sv[0])),
              HasErrorKind(ErrorKind::kBadArgument));
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd w(p[1]);
  EXPECT_THAT(Channel::Open(UniqueFd(p[0])),
              HasErrorKind(ErrorKind::kBadArgument));
  EXPECT_THAT(Channel::FromInheritedFd(1000), HasErrorKind(ErrorKind::kBadArgument));
}

// The peer side of a channel driven by hand: HELLO, then raw messages.
class RawPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fds = MakeSocketPair();
    ASSERT_THAT(fds, IsOk());
    raw_ = std::move(fds->second);
    SendRaw(raw_.get(), ::gssx::testing::HelloMessageBody(), {});
    auto ch = Channel::Open(std::move(fds->first));
    ASSERT_THAT(ch, IsOk());
    channel_ = std::make_unique<Channel>(std::move(*ch));
    char drop[64];
    ASSERT_EQ(recv(raw_.get(), drop, sizeof drop, 0), 12);  // its HELLO
  }
  // The channel's answer to a handoff: the ACK result, or -1.
  int64_t ReadAckResult() {
    uint8_t ack[64];
    ssize_t n = recv(raw_.get(), ack, sizeof ack, MSG_DONTWAIT);
    if (n != 28) return -1;
    return internal::GetLe(ack + 24, 4);
  }
  UniqueFd raw_;
  std::unique_ptr<Channel> channel_;
};

TEST_F(RawPeerTest, GarbageBodyIsMalformedAndClosesFds) {
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(Bytes("x")));
  FdSnapshot before = FdSnapshot::Take();
  SendRaw(raw_.get(), Bytes("this is not a gssx message at all"), {t.fd.get()});
  EXPECT_THAT(channel_->Receive(MaxFds(4)),
              HasErrorKind(ErrorKind::kMalformed));
  EXPECT_EQ(before.LeakedSince(), "");
}

TEST_F(RawPeerTest, OversizedBodyIsTruncatedError) {
  SendRaw(raw_.get(),
          std::vector<uint8_t>(internal::kMaxMessageSize + 4000, 'G'), {});
  EXPECT_THAT(channel_->Receive(), HasErrorKind(ErrorKind::kMessageTruncated));
}

TEST_F(RawPeerTest, WrongKeyIsRejectedUnconsumedAndNacked) {
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(Bytes("secret")));
  std::vector<uint8_t> wrong(kTokenKeySize, 7);
  SendRaw(raw_.get(), HandoffBody(t.expect, 0, wrong), {t.fd.get()});
  EXPECT_THAT(channel_->Receive(),
              HasErrorKind(ErrorKind::kAuthenticationFailed));
  EXPECT_EQ(ReadAckResult(),
            static_cast<int64_t>(ErrorKind::kAuthenticationFailed));
  // Not latched: the sender can still take it back.
  EXPECT_THAT(ConsumeEncryptedToken(t.fd.get(), t.expect, t.key.span(), nullptr),
              IsOk());
}

TEST_F(RawPeerTest, HandoffWithoutFdIsMalformed) {
  ASSERT_OK_AND_ASSIGN(SealedToken t, SealEncryptedToken(Bytes("secret")));
  SendRaw(raw_.get(), HandoffBody(t.expect, 0, t.key.span()), {});
  EXPECT_THAT(channel_->Receive(), HasErrorKind(ErrorKind::kMalformed));
  EXPECT_EQ(ReadAckResult(), static_cast<int64_t>(ErrorKind::kMalformed));
}

TEST_F(RawPeerTest, PipeInsteadOfMemfdIsRejected) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd pr(p[0]), pw(p[1]);
  TokenExpectation t;
  t.file_size = 100;
  std::vector<uint8_t> key(kTokenKeySize, 1);
  FdSnapshot before = FdSnapshot::Take();
  SendRaw(raw_.get(), HandoffBody(t, 0, key), {pr.get()});
  EXPECT_THAT(channel_->Receive(), HasErrorKind(ErrorKind::kNotMemfd));
  EXPECT_EQ(before.LeakedSince(), "");
}

TEST_F(RawPeerTest, SilentPeerTimesOut) {
  EXPECT_THAT(channel_->Receive(Timeout(absl::Milliseconds(20))),
              HasErrorKind(ErrorKind::kTimeout));
}

// HANDOFF_INLINE body (transport/wire_format.h) carrying `token`: the
// encoder's header of an empty token, the token appended and its size
// patched in (offset 24) — also for bodies no honest sender writes (a
// token above kMaxInlineToken, a `claimed_size` or `reserved` (offset 30)
// that does not match).
std::vector<uint8_t> InlineBody(absl::Span<const uint8_t> token,
                                uint16_t extra, uint16_t reserved = 0,
                                uint32_t claimed_size = UINT32_MAX) {
  TokenId id;
  for (int i = 0; i < 16; ++i) id[i] = static_cast<uint8_t>(i + 1);
  std::vector<uint8_t> b(internal::kInlineHeaderSize);
  EXPECT_EQ(internal::EncodeInlineHandoff(id, {}, extra, absl::MakeSpan(b)),
            b.size());
  b.insert(b.end(), token.begin(), token.end());
  internal::PutLe(b.data() + 24,
                  claimed_size == UINT32_MAX ? token.size() : claimed_size, 4);
  internal::PutLe(b.data() + 30, reserved, 2);
  return b;
}

TEST_F(RawPeerTest, InlineHandoffIsImportedAndAcked) {
  ASSERT_OK_AND_ASSIGN(UniqueFd latch, CreateLatchMemfd());
  SendRaw(raw_.get(), InlineBody(Bytes("inline secret"), 0), {latch.get()});
  ASSERT_OK_AND_ASSIGN(ReceivedToken r, channel_->Receive());
  EXPECT_EQ(Str(r.token.span()), "inline secret");
  EXPECT_EQ(ReadAckResult(), 0);
  // Latched: nobody else can have it.
  EXPECT_THAT(LatchToken(latch.get()), HasErrorKind(ErrorKind::kAlreadyConsumed));
}

TEST_F(RawPeerTest, InlineHandoffOfLatchedMemfdIsAlreadyConsumed) {
  ASSERT_OK_AND_ASSIGN(UniqueFd latch, CreateLatchMemfd());
  ASSERT_THAT(LatchToken(latch.get()), IsOk());  // the exporter reclaimed
  SendRaw(raw_.get(), InlineBody(Bytes("too late"), 0), {latch.get()});
  EXPECT_THAT(channel_->Receive(), HasErrorKind(ErrorKind::kAlreadyConsumed));
  EXPECT_EQ(ReadAckResult(), static_cast<int64_t>(ErrorKind::kAlreadyConsumed));
}

TEST_F(RawPeerTest, InlineHandoffWithPipeIsRejectedAndNacked) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd pr(p[0]), pw(p[1]);
  FdSnapshot before = FdSnapshot::Take();
  SendRaw(raw_.get(), InlineBody(Bytes("x"), 0), {pr.get()});
  EXPECT_THAT(channel_->Receive(), HasErrorKind(ErrorKind::kNotMemfd));
  EXPECT_EQ(ReadAckResult(), static_cast<int64_t>(ErrorKind::kNotMemfd));
  EXPECT_EQ(before.LeakedSince(), "");
}

TEST_F(RawPeerTest, UnsealedLatchIsRejectedUnlatched) {
  UniqueFd fd(memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_TRUE(fd.valid());
  SendRaw(raw_.get(), InlineBody(Bytes("x"), 0), {fd.get()});
  EXPECT_THAT(channel_->Receive(), HasErrorKind(ErrorKind::kNotSealed));
  EXPECT_EQ(ReadAckResult(), static_cast<int64_t>(ErrorKind::kNotSealed));
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS) & F_SEAL_SEAL, 0);
}

TEST_F(RawPeerTest, MalformedInlineHandoffsAreRejected) {
  ASSERT_OK_AND_ASSIGN(UniqueFd latch, CreateLatchMemfd());
  const std::vector<uint8_t> big(kMaxInlineToken + 1, 'b');
  struct Case {
    const char* what;
    std::vector<uint8_t> body;
    std::vector<int> fds;
  } cases[] = {
      {"above the inline limit", InlineBody(big, 0), {latch.get()}},
      {"reserved bits", InlineBody(Bytes("x"), 0, 1), {latch.get()}},
      {"size longer than the body", InlineBody(Bytes("xy"), 0, 0, 3),
       {latch.get()}},
      {"size shorter than the body", InlineBody(Bytes("xy"), 0, 0, 1),
       {latch.get()}},
      {"no latch fd", InlineBody(Bytes("x"), 0), {}},
      {"fd count not the body's", InlineBody(Bytes("x"), 1), {latch.get()}},
  };
  for (const Case& c : cases) {
    SendRaw(raw_.get(), c.body, c.fds);
    EXPECT_THAT(channel_->Receive(MaxFds(4)),
                HasErrorKind(ErrorKind::kMalformed))
        << c.what;
    ReadAckResult();  // a nack, where the body could be read
  }
  // None of them latched the memfd.
  EXPECT_THAT(LatchToken(latch.get()), IsOk());
}

// Tokens up to kMaxInlineToken travel in the message body with an empty,
// mode-0, sealed latch memfd; larger ones as ciphertext in the memfd.
TEST(ChannelTest, SmallTokensGoInlineLargeOnesAsCiphertext) {
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  SendRaw(fds.second.get(), ::gssx::testing::HelloMessageBody(), {});
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  char drop[64];
  ASSERT_EQ(recv(fds.second.get(), drop, sizeof drop, 0), 12);
  for (size_t size : {size_t{0}, size_t{200}, kMaxInlineToken,
                      kMaxInlineToken + 1, size_t{4096},
                      size_t{64 * 1024}}) {
    const std::vector<uint8_t> token(size, 'q');
    ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(token));
    ASSERT_OK_AND_ASSIGN(::gssx::testing::RawMessage message,
                         ::gssx::testing::ReceiveRawMessage(fds.second.get(), 1));
    const std::vector<uint8_t>& body = message.body;
    const size_t n = body.size();
    ASSERT_GT(n, 8u) << size;
    ASSERT_EQ(message.fds.size(), 1u) << size;
    UniqueFd memfd = std::move(message.fds[0]);
    struct stat st;
    ASSERT_EQ(fstat(memfd.get(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0u) << size;
    const int seals = fcntl(memfd.get(), F_GET_SEALS);
    EXPECT_EQ(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SEAL),
              F_SEAL_WRITE | F_SEAL_GROW)
        << size;
    if (size <= kMaxInlineToken) {
      EXPECT_EQ(body[5], 4) << size;  // HANDOFF_INLINE
      EXPECT_EQ(n, 32 + size);
      EXPECT_EQ(st.st_size, 0) << size;
      EXPECT_EQ(std::vector<uint8_t>(body.begin() + 32, body.begin() + n),
                token);
    } else {
      EXPECT_EQ(body[5], 2) << size;  // HANDOFF: ciphertext in the file
      EXPECT_EQ(n, 112u);
      EXPECT_EQ(static_cast<size_t>(st.st_size), size);
    }
    // Never imported: the exporter takes it back intact.
    ASSERT_OK_AND_ASSIGN(SecretBuffer back, h.Reclaim());
    EXPECT_EQ(std::vector<uint8_t>(back.span().begin(), back.span().end()),
              token);
    EXPECT_THAT(LatchToken(memfd.get()),
                HasErrorKind(ErrorKind::kAlreadyConsumed));
  }
}

// Exactly once on both paths: an import after a reclaim fails, a reclaim
// after an import fails.
TEST(ChannelTest, InlineAndMemfdTokensAreConsumedOnce) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  auto& [a, b] = pair;
  for (size_t size : {size_t{16}, size_t{5000}}) {
    const std::vector<uint8_t> token(size, 'z');
    ASSERT_OK_AND_ASSIGN(Handoff first, a.Send(token));
    ASSERT_OK_AND_ASSIGN(ReceivedToken r, b.Receive());
    EXPECT_EQ(r.token.size(), size);
    EXPECT_THAT(first.Reclaim(), HasErrorKind(ErrorKind::kAlreadyConsumed));

    ASSERT_OK_AND_ASSIGN(Handoff second, a.Send(token));
    ASSERT_OK_AND_ASSIGN(SecretBuffer back, second.Reclaim());
    EXPECT_EQ(back.size(), size);
    EXPECT_THAT(b.Receive(), HasErrorKind(ErrorKind::kAlreadyConsumed));
  }
}

TEST(ChannelTest, QueuedInlineAndMemfdHandoffsSurvive) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  auto& [a, b] = pair;
  const std::vector<uint8_t> large(3000, 'L');
  ASSERT_OK_AND_ASSIGN(Handoff h1, a.Send(Bytes("a to b")));
  ASSERT_OK_AND_ASSIGN(Handoff h2, b.Send(Bytes("small b to a")));
  ASSERT_OK_AND_ASSIGN(Handoff h3, b.Send(large));
  ASSERT_OK_AND_ASSIGN(ReceivedToken r1, b.Receive());
  EXPECT_EQ(Str(r1.token.span()), "a to b");
  // Both of b's handoffs are read (and queued) while a waits for its ack.
  EXPECT_THAT(a.AwaitAck(h1, kWait), IsOk());
  EXPECT_TRUE(a.HasQueuedHandoff());
  ASSERT_OK_AND_ASSIGN(ReceivedToken r2, a.Receive());
  EXPECT_EQ(Str(r2.token.span()), "small b to a");
  ASSERT_OK_AND_ASSIGN(ReceivedToken r3, a.Receive());
  EXPECT_EQ(std::vector<uint8_t>(r3.token.span().begin(), r3.token.span().end()),
            large);
  EXPECT_THAT(b.AwaitAck(h2, kWait), IsOk());
  EXPECT_THAT(b.AwaitAck(h3, kWait), IsOk());
}

TEST(ChannelTest, MoreFdsThanAcceptedAreClosedAndSenderReclaims) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  auto& [a, b] = pair;
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd pr(p[0]), pw(p[1]);
  FdSnapshot before = FdSnapshot::Take();
  ASSERT_OK_AND_ASSIGN(Handoff h,
                       a.Send(Bytes("three fds"), {pr.get(), pw.get(), pr.get()}));
  EXPECT_THAT(b.Receive(MaxFds(1)),
              HasErrorKind(ErrorKind::kTooManyFds));
  EXPECT_THAT(a.AwaitAck(h, kWait), HasErrorKind(ErrorKind::kRejectedByPeer));
  ASSERT_OK_AND_ASSIGN(SecretBuffer back, h.Reclaim());
  EXPECT_EQ(Str(back.span()), "three fds");
  EXPECT_EQ(before.LeakedSince(), "");
}

TEST(ChannelTest, ReceiverAtFdLimitRejectsAndSenderReclaims) {
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
    fds.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(fds.second));
    if (!ch.ok()) return 10;
    // Use up every descriptor below a small limit.
    struct rlimit lim = {64, 64};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return 11;
    std::vector<UniqueFd> filler;
    for (;;) {
      int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) break;
      filler.emplace_back(fd);
    }
    if (errno != EMFILE) return 12;
    absl::StatusOr<ReceivedToken> r = ch->Receive(MaxFds(1));
    if (!IsError(r.status(), ErrorKind::kControlTruncated)) return 13;
    if (ErrnoOf(r.status()) != EMFILE) return 14;
    return 0;
  }));
  fds.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(Bytes("no room"), {0}));
  absl::Status acked = ch.AwaitAck(h, kWait);
  EXPECT_FALSE(acked.ok());
  EXPECT_THAT(child.Wait(kWait), IsOkAndHolds(0));
  ASSERT_OK_AND_ASSIGN(SecretBuffer back, h.Reclaim());
  EXPECT_EQ(Str(back.span()), "no room");
}

TEST(ChannelTest, HandoffsBothWaysAreQueuedNotLost) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  auto& [a, b] = pair;
  ASSERT_OK_AND_ASSIGN(Handoff h1, a.Send(Bytes("a to b")));
  ASSERT_OK_AND_ASSIGN(Handoff h2, b.Send(Bytes("b to a")));
  ASSERT_OK_AND_ASSIGN(ReceivedToken r1, b.Receive());
  EXPECT_EQ(Str(r1.token.span()), "a to b");
  // a's inbox: [handoff "b to a", ack h1]. Waiting for the ack queues the
  // handoff for the next Receive.
  EXPECT_THAT(a.AwaitAck(h1, kWait), IsOk());
  ASSERT_OK_AND_ASSIGN(ReceivedToken r2, a.Receive());
  EXPECT_EQ(Str(r2.token.span()), "b to a");
  EXPECT_THAT(b.AwaitAck(h2, kWait), IsOk());
}

TEST(ChannelTest, ManyHandoffsInFlight) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  auto& [a, b] = pair;
  std::vector<Handoff> sent;
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(Handoff h, a.Send(Bytes(absl::StrCat("token ", i))));
    sent.push_back(std::move(h));
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(ReceivedToken r, b.Receive());
    EXPECT_EQ(Str(r.token.span()), absl::StrCat("token ", i));
  }
  // Acks awaited in reverse order: the others are kept until asked for.
  for (int i = 19; i >= 0; --i) EXPECT_THAT(a.AwaitAck(sent[i], kWait), IsOk());
}

TEST(ChannelTest, SendToClosedPeerFailsAndLeavesNothingBehind) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  { Channel gone = std::move(pair.second); }
  FdSnapshot before = FdSnapshot::Take();
  EXPECT_THAT(pair.first.Send(Bytes("x")), HasErrorKind(ErrorKind::kPeerClosed));
  EXPECT_EQ(before.LeakedSince(), "");
}

TEST(ChannelTest, ValidatorRejectionLetsSenderReclaim) {
  ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
  auto& [a, b] = pair;
  ASSERT_OK_AND_ASSIGN(Handoff h, a.Send(Bytes("not for you")));
  struct Refusing : BytesCodec {
    absl::Status Check(const SecretBuffer&) const {
      return MakeError(ErrorKind::kMalformed, "unknown context format");
    }
  };
  EXPECT_THAT(b.Receive(Refusing{}), HasErrorKind(ErrorKind::kMalformed));
  EXPECT_THAT(a.AwaitAck(h, kWait), HasErrorKind(ErrorKind::kRejectedByPeer));
  EXPECT_THAT(h.Reclaim(), IsOk());
}

}  // namespace
}  // namespace gssx::transport
