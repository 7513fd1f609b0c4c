// SPDX-License-Identifier: Apache-2.0
#include "transport/channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "transport/base/errors.h"
#include "transport/base/csprng.h"
#include "transport/base/deadline.h"
#include "transport/base/fd_passing.h"
#include "transport/base/syscalls.h"
#include "transport/wire_format.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5; Debian 12's headers predate it.
#endif

namespace gssx::transport {
namespace {

using internal::Sys;

// The message bodies: transport/wire_format.h.
using internal::kAckSize;
using internal::kHandoffSize;
using internal::kHelloSize;
using internal::kInlineHeaderSize;
using internal::kMaxInlineSize;
using internal::MessageType;
constexpr uint8_t kTypeHello = static_cast<uint8_t>(MessageType::kHello);
constexpr uint8_t kTypeHandoff = static_cast<uint8_t>(MessageType::kHandoff);
constexpr uint8_t kTypeAck = static_cast<uint8_t>(MessageType::kAck);
constexpr uint8_t kTypeHandoffInline =
    static_cast<uint8_t>(MessageType::kHandoffInline);
static_assert(1 + kMaxExtraFds == kMaxFdsPerMessage);
// Receive buffer: larger than any valid body, so MSG_TRUNC means garbage.
// Then the send buffer, for the largest body we send.
constexpr size_t kRecvSize = internal::kMaxMessageSize + 32;
constexpr size_t kSendSize = std::max(kHandoffSize, kMaxInlineSize);
constexpr size_t kScratchSize = kRecvSize + kSendSize;
// One 16 KiB slot of the locked pool per channel (kMaxInlineToken says why).
static_assert(kScratchSize <= 16 * 1024);

absl::StatusOr<sockaddr_un> ParseAddress(const std::string& address,
                                         socklen_t* len) {
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  const bool abstract = !address.empty() && address[0] == '@';
  if (address.size() < 2 && (abstract || address.empty())) {
    return MakeError(ErrorKind::kBadArgument, "empty socket address");
  }
  if (address.size() >= sizeof addr.sun_path) {
    return MakeError(ErrorKind::kBadArgument,
                     absl::StrCat("socket address of ", address.size(),
                                  " bytes does not fit sun_path (",
                                  sizeof addr.sun_path - 1, " max)"));
  }
  std::memcpy(addr.sun_path, address.data(), address.size());
  if (abstract) addr.sun_path[0] = '\0';
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                address.size() + (abstract ? 0 : 1));
  return addr;
}

absl::StatusOr<UniqueFd> NewSocket() {
  int fd = Sys().socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return OsError(errno, "socket(AF_UNIX, SOCK_SEQPACKET)");
  return UniqueFd(fd);
}

}  // namespace

struct Channel::Message {
  uint8_t type = 0;
  uint8_t verdict = 0;                 // HELLO
  TokenExpectation expect;             // HANDOFF
  uint16_t extra_fd_count = 0;         // HANDOFF
  // HANDOFF: the one-time key; HANDOFF_INLINE: the token. A view into
  // scratch_, or into key_copy once queued.
  absl::Span<const uint8_t> key;
  SecretBuffer key_copy;               // HANDOFF*, when queued
  // How much of scratch_ the body took: what to wipe once the key or
  // token view is done with (not the whole receive buffer, ~8 KiB).
  size_t received = 0;
  uint32_t result = 0;                 // ACK
  std::vector<UniqueFd> fds;
};

// ----------------------------------------------------------------- Handoff

Handoff& Handoff::operator=(Handoff&& other) {
  if (this != &other) {
    Resolve();
    ledger_ = std::move(other.ledger_);
    memfd_ = std::move(other.memfd_);
    key_ = std::move(other.key_);
    expect_ = other.expect_;
    inline_ = other.inline_;
  }
  return *this;
}

Handoff::~Handoff() { Resolve(); }

void Handoff::Resolve() {
  if (auto ledger = ledger_.lock()) ledger->answers.erase(expect_.id);
  ledger_.reset();
  memfd_.Reset();
  key_.Clear();
}

void Handoff::DetachFromChannel() {
  if (auto ledger = ledger_.lock()) ledger->answers.erase(expect_.id);
  ledger_.reset();
}

absl::StatusOr<SecretBuffer> Handoff::Reclaim() {
  if (resolved()) {
    return MakeError(ErrorKind::kBadArgument, "handoff already resolved");
  }
  absl::StatusOr<SecretBuffer> token;
  if (inline_) {
    // The token is our own locked copy; the latch decides whose it is.
    absl::Status latched = LatchToken(memfd_.get());
    if (latched.ok()) {
      token = std::move(key_);
    } else {
      token = latched;
    }
  } else {
    token = ConsumeEncryptedToken(memfd_.get(), expect_, key_.span(), nullptr);
  }
  // Transient failures (ENOMEM, EINTR...) leave the right to reclaim.
  if (token.ok() || IsError(token.status(), ErrorKind::kAlreadyConsumed)) {
    Resolve();
  }
  return token;
}

// ----------------------------------------------------------------- Channel

Channel::Channel(UniqueFd socket)
    : socket_(std::move(socket)),
      ledger_(std::make_shared<internal::AckLedger>()) {}
Channel::Channel(Channel&&) noexcept = default;
Channel& Channel::operator=(Channel&&) noexcept = default;
Channel::~Channel() = default;

absl::StatusOr<std::pair<UniqueFd, UniqueFd>> MakeSocketPair() {
  int sv[2];
  if (Sys().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return OsError(errno, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
  }
  return std::make_pair(UniqueFd(sv[0]), UniqueFd(sv[1]));
}

absl::Status Channel::Finish(const ChannelOptions& options) {
  options_ = options;
  int domain = 0, type = 0;
  socklen_t len = sizeof domain;
  if (Sys().getsockopt(socket_.get(), SOL_SOCKET, SO_DOMAIN, &domain, &len) !=
      0) {
    if (errno == ENOTSOCK || errno == EBADF) {
      return MakeError(ErrorKind::kBadArgument, "channel fd is not a socket",
                       errno);
    }
    return OsError(errno, "getsockopt(SO_DOMAIN)");
  }
  len = sizeof type;
  if (Sys().getsockopt(socket_.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    return OsError(errno, "getsockopt(SO_TYPE)");
  }
  if (domain != AF_UNIX || type != SOCK_SEQPACKET) {
    return MakeError(ErrorKind::kBadArgument,
                     "channel fd is not an AF_UNIX SOCK_SEQPACKET socket");
  }
  struct ucred cred;
  len = sizeof cred;
  if (Sys().getsockopt(socket_.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) !=
      0) {
    return OsError(errno, "getsockopt(SO_PEERCRED)");
  }
  peer_.pid = cred.pid;
  peer_.uid = cred.uid;
  peer_.gid = cred.gid;
  int pidfd = -1;
  len = sizeof pidfd;
  if (Sys().getsockopt(socket_.get(), SOL_SOCKET, SO_PEERPIDFD, &pidfd,
                       &len) == 0 &&
      pidfd >= 0) {
    peer_pidfd_.Reset(pidfd);
    peer_.has_pidfd = true;
  }
  absl::StatusOr<SecretBuffer> scratch = SecretBuffer::Create(kScratchSize);
  if (!scratch.ok()) return scratch.status();
  scratch_ = std::move(*scratch);
  const bool allowed = options_.policy.Allows(peer_);
  absl::Status sent = SendHello(allowed);
  if (!allowed) {
    return MakeError(ErrorKind::kPeerNotAllowed,
                     absl::StrCat("peer pid ", peer_.pid, " uid ", peer_.uid,
                                  " gid ", peer_.gid, " is not allowed by ",
                                  options_.policy.Describe()));
  }
  return sent;
}

absl::Status Channel::SendHello(bool accept) {
  uint8_t body[kHelloSize];
  const size_t n = internal::EncodeHello(accept, absl::MakeSpan(body));
  return SendBody(absl::MakeConstSpan(body, n), {});
}

absl::Status Channel::AwaitHello(absl::Time deadline) {
  absl::StatusOr<Message> m = ReadMessage(0, deadline);
  if (!m.ok()) return m.status();
  if (m->type != kTypeHello) {
    return MakeError(ErrorKind::kMalformed, "peer did not open with HELLO");
  }
  if (m->verdict != 0) {
    return MakeError(ErrorKind::kRefusedByPeer,
                     "the peer's policy refused our credentials");
  }
  return absl::OkStatus();
}

absl::StatusOr<Channel> Channel::Open(UniqueFd socket,
                                      const ChannelOptions& options) {
  if (!socket.valid()) {
    return MakeError(ErrorKind::kBadArgument, "invalid channel fd");
  }
  Channel channel(std::move(socket));
  absl::Status sent = channel.Finish(options);
  // A peer that refused us may have closed before our HELLO went out; its
  // verdict is still waiting in our receive queue, and says more.
  if (!sent.ok() && !IsError(sent, ErrorKind::kPeerClosed)) return sent;
  if (absl::Status s = channel.AwaitHello(DeadlineAfter(options.open_timeout));
      !s.ok()) {
    return s;
  }
  if (!sent.ok()) return sent;
  return channel;
}

absl::StatusOr<Channel> Channel::FromInheritedFd(
    int fd, const ChannelOptions& options) {
  if (fd < 0) return MakeError(ErrorKind::kBadArgument, "invalid channel fd");
  UniqueFd owned(fd);
  int flags = Sys().fcntl(fd, F_GETFD, 0);
  if (flags < 0) {
    (void)owned.Release();  // not ours to close: it does not exist
    return MakeError(ErrorKind::kBadArgument,
                     absl::StrCat("inherited channel fd ", fd, " is not open"),
                     errno);
  }
  if (Sys().fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
    return OsError(errno, "fcntl(F_SETFD, FD_CLOEXEC)");
  }
  return Open(std::move(owned), options);
}

absl::StatusOr<std::pair<Channel, Channel>> Channel::Pair(
    const ChannelOptions& options) {
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> fds = MakeSocketPair();
  if (!fds.ok()) return fds.status();
  Channel a(std::move(fds->first)), b(std::move(fds->second));
  if (absl::Status s = a.Finish(options); !s.ok()) return s;
  if (absl::Status s = b.Finish(options); !s.ok()) return s;
  absl::Time deadline = DeadlineAfter(options.open_timeout);
  if (absl::Status s = a.AwaitHello(deadline); !s.ok()) return s;
  if (absl::Status s = b.AwaitHello(deadline); !s.ok()) return s;
  return std::make_pair(std::move(a), std::move(b));
}

absl::StatusOr<Channel> Channel::Connect(const std::string& address,
                                         const ChannelOptions& options) {
  socklen_t len = 0;
  absl::StatusOr<sockaddr_un> addr = ParseAddress(address, &len);
  if (!addr.ok()) return addr.status();
  absl::StatusOr<UniqueFd> fd = NewSocket();
  if (!fd.ok()) return fd.status();
  int rc = Sys().connect(fd->get(), reinterpret_cast<sockaddr*>(&*addr), len);
  if (rc != 0 && errno == EINTR) {
    // The connection goes on in the background; wait for it to finish.
    absl::Status w = WaitUntilReady(fd->get(), POLLOUT,
                             DeadlineAfter(options.open_timeout), "connect");
    if (!w.ok()) return w;
    int err = 0;
    socklen_t elen = sizeof err;
    rc = Sys().getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &err, &elen);
    if (rc == 0 && err != 0) {
      rc = -1;
      errno = err;
    }
  }
  if (rc != 0) {
    return OsError(errno, absl::StrCat("connect(", address, ")"));
  }
  return Open(std::move(*fd), options);
}

absl::Status Channel::SendBody(absl::Span<const uint8_t> body,
                               absl::Span<const int> fds) {
  return SendWithFds(socket_.get(), body, fds, options_.send_timeout);
}

absl::Status Channel::SendAck(const TokenId& id, uint32_t result) {
  uint8_t body[kAckSize];
  const size_t n = internal::EncodeAck(id, result, absl::MakeSpan(body));
  return SendBody(absl::MakeConstSpan(body, n), {});
}

absl::StatusOr<Channel::Message> Channel::ReadMessage(size_t max_fds,
                                                      absl::Time deadline) {
  if (max_fds > kMaxExtraFds) {
    return MakeError(ErrorKind::kBadArgument, "max_fds above kMaxExtraFds");
  }
  uint8_t* body = scratch_.data();
  ReceiveWithFdsOptions receive;
  // Room for the token memfd and max_fds extra fds, nothing more (the
  // kernel sets MSG_CTRUNC for the rest and installs none of them).
  receive.max_fds = 1 + max_fds;
  receive.deadline = deadline;
  if (deadline != absl::InfiniteFuture() && deadline <= absl::Now()) {
    // A check that must not wait (e.g. PendingDelivery::Check): one
    // non-blocking recvmsg answers, whether or not a message is there —
    // no poll first.
    receive.deadline = absl::InfiniteFuture();
    receive.flags = MSG_DONTWAIT;
  }
  // Every fd is owned at once, whatever else is wrong with the message.
  absl::StatusOr<ReceivedMessage> in =
      ReceiveWithFds(socket_.get(), absl::MakeSpan(body, kRecvSize), receive);
  if (!in.ok()) return in.status();
  Message m;
  m.fds = std::move(in->fds);
  // Wipe what we received (it may hold a one-time key) when we leave,
  // unless the message keeps a view of it; the caller wipes then, as much
  // as m.received says.
  const size_t received = in->size;  // at most kRecvSize
  m.received = received;
  struct Wiper {
    uint8_t* p;
    size_t n;
    bool keep = false;
    ~Wiper() {
      if (!keep) sodium_memzero(p, n);
    }
  } wiper{body, received};

  if (in->body_truncated) {
    return in->Check();  // kMessageTruncated
  }
  absl::StatusOr<internal::WireMessage> parsed =
      internal::ParseMessage(absl::MakeConstSpan(body, received));
  if (!parsed.ok()) return parsed.status();
  m.type = static_cast<uint8_t>(parsed->type);
  m.verdict = parsed->verdict;
  m.expect = parsed->expect;
  m.extra_fd_count = parsed->extra_fd_count;
  m.key = parsed->key;
  m.result = parsed->result;
  const bool is_handoff = parsed->is_handoff();
  absl::Status error;
  if (in->control_truncated) {
    if (is_handoff && m.extra_fd_count > max_fds) {
      error = MakeError(ErrorKind::kTooManyFds,
                        absl::StrCat("handoff carries ", m.extra_fd_count,
                                     " extra fds, at most ", max_fds,
                                     " accepted"));
    } else {
      // The kernel could not install every fd: the receiver is at
      // RLIMIT_NOFILE (it does not say so otherwise). kControlTruncated.
      error = in->Check();
    }
  } else if (in->unexpected_control) {
    error = in->Check();  // kMalformed
  } else if (is_handoff ? m.fds.size() != 1u + m.extra_fd_count
                        : !m.fds.empty()) {
    error = MakeError(ErrorKind::kMalformed,
                      "message: fd count does not match its body");
  }
  if (!error.ok()) {
    // A handoff we cannot take: tell the exporter, so it reclaims at once.
    if (is_handoff) {
      (void)SendAck(m.expect.id, static_cast<uint32_t>(KindOf(error)));
    }
    return error;
  }
  wiper.keep = is_handoff;  // the key or token view lives in scratch_
  return m;
}

absl::StatusOr<Handoff> Channel::Send(absl::Span<const uint8_t> token,
                                      absl::Span<const int> extra_fds) {
  if (extra_fds.size() > kMaxExtraFds) {
    return MakeError(ErrorKind::kBadArgument,
                     absl::StrCat("at most ", kMaxExtraFds,
                                  " extra fds per handoff"));
  }
  for (int fd : extra_fds) {
    if (fd < 0) return MakeError(ErrorKind::kBadArgument, "negative extra fd");
  }
  if (token.size() <= kMaxInlineToken) return SendInline(token, extra_fds);
  absl::StatusOr<SealedToken> sealed = SealEncryptedToken(token);
  if (!sealed.ok()) return sealed.status();
  Handoff handoff;
  handoff.expect_ = sealed->expect;

  int fds[1 + kMaxExtraFds];
  fds[0] = sealed->fd.get();
  std::copy(extra_fds.begin(), extra_fds.end(), fds + 1);

  uint8_t* body = scratch_.data() + kRecvSize;  // locked: carries the key
  const size_t n = internal::EncodeHandoff(
      sealed->expect, static_cast<uint16_t>(extra_fds.size()),
      sealed->key.span(), absl::MakeSpan(body, kHandoffSize));
  absl::Status sent = SendBody(absl::MakeConstSpan(body, n),
                               absl::MakeConstSpan(fds, 1 + extra_fds.size()));
  sodium_memzero(body, kHandoffSize);
  if (!sent.ok()) return sent;  // nothing left the process
  // The kernel holds its own reference for the message: our fd is the
  // reclaim handle.
  handoff.memfd_ = std::move(sealed->fd);
  handoff.key_ = std::move(sealed->key);
  ledger_->answers[handoff.expect_.id] = -1;
  handoff.ledger_ = ledger_;
  return handoff;
}

absl::StatusOr<Handoff> Channel::SendInline(absl::Span<const uint8_t> token,
                                            absl::Span<const int> extra_fds) {
  // Our locked copy, to reclaim; made before anything leaves the process.
  absl::StatusOr<SecretBuffer> copy = SecretBuffer::CopyOf(token);
  if (!copy.ok()) return copy.status();
  absl::StatusOr<UniqueFd> latch = CreateLatchMemfd();
  if (!latch.ok()) return latch.status();
  Handoff handoff;
  internal::RandomBytes(absl::MakeSpan(handoff.expect_.id));
  handoff.expect_.file_size = token.size();

  int fds[1 + kMaxExtraFds];
  fds[0] = latch->get();
  std::copy(extra_fds.begin(), extra_fds.end(), fds + 1);

  uint8_t* body = scratch_.data() + kRecvSize;  // locked: carries the token
  const size_t size = kInlineHeaderSize + token.size();
  const size_t n = internal::EncodeInlineHandoff(
      handoff.expect_.id, token, static_cast<uint16_t>(extra_fds.size()),
      absl::MakeSpan(body, size));
  absl::Status sent = SendBody(absl::MakeConstSpan(body, n),
                               absl::MakeConstSpan(fds, 1 + extra_fds.size()));
  sodium_memzero(body, size);
  if (!sent.ok()) return sent;  // nothing left the process
  handoff.memfd_ = std::move(*latch);
  handoff.key_ = std::move(*copy);
  handoff.inline_ = true;
  ledger_->answers[handoff.expect_.id] = -1;
  handoff.ledger_ = ledger_;
  return handoff;
}

absl::Status Channel::AwaitAck(Handoff& handoff, absl::Duration timeout) {
  if (handoff.resolved()) {
    return MakeError(ErrorKind::kBadArgument, "handoff already resolved");
  }
  absl::Time deadline = DeadlineAfter(timeout);
  for (;;) {
    auto it = ledger_->answers.find(handoff.id());
    if (it == ledger_->answers.end()) {
      return MakeError(ErrorKind::kBadArgument,
                       "handoff was not sent on this channel");
    }
    if (it->second >= 0) {
      const int64_t result = it->second;
      if (result == 0) {
        handoff.Resolve();
        return absl::OkStatus();
      }
      // Stays unresolved (and in the ledger) until reclaimed.
      return MakeError(
          ErrorKind::kRejectedByPeer,
          absl::StrCat("peer rejected the token: ",
                       ErrorKindName(static_cast<ErrorKind>(result))));
    }
    absl::StatusOr<Message> m = ReadMessage(kMaxExtraFds, deadline);
    if (!m.ok()) return m.status();
    if (m->type == kTypeAck) {
      RecordAck(m->expect.id, m->result);
    } else if (m->type == kTypeHandoff || m->type == kTypeHandoffInline) {
      if (pending_handoffs_.size() >= kMaxQueuedHandoffs) {
        // The queue is full (a peer sending while it owes us an ack):
        // refuse this one now, so that its sender reclaims it, instead of
        // holding its fds and a locked key copy for as long as it likes.
        sodium_memzero(scratch_.data(), m->received);
        (void)SendAck(m->expect.id,
                      static_cast<uint32_t>(ErrorKind::kTooManyFds));
        continue;  // its fds close with m
      }
      // A handoff travelling the other way: keep it for Receive.
      absl::StatusOr<SecretBuffer> key = SecretBuffer::CopyOf(m->key);
      sodium_memzero(scratch_.data(), m->received);
      if (!key.ok()) {
        (void)SendAck(m->expect.id,
                      static_cast<uint32_t>(KindOf(key.status())));
        return key.status();
      }
      auto queued = std::make_unique<Message>(std::move(*m));
      queued->key_copy = std::move(*key);
      queued->key = queued->key_copy.span();
      pending_handoffs_.push_back(std::move(queued));
    } else {
      return MakeError(ErrorKind::kMalformed, "unexpected HELLO");
    }
  }
}

void Channel::RecordAck(const TokenId& id, uint32_t result) {
  // Answers for handoffs nobody waits for any more are dropped.
  auto it = ledger_->answers.find(id);
  if (it != ledger_->answers.end()) it->second = result;
}

absl::StatusOr<ReceivedToken> Channel::Receive(const ReceiveOptions& options) {
  return ReceiveToken(options, nullptr);
}

absl::StatusOr<ReceivedToken> Channel::ReceiveToken(
    const ReceiveOptions& options, const TokenValidator& import) {
  if (options.max_extra_fds > kMaxExtraFds) {
    return MakeError(ErrorKind::kBadArgument,
                     absl::StrCat("max_extra_fds above ", kMaxExtraFds));
  }
  absl::Time deadline = DeadlineAfter(options.timeout);
  for (;;) {
    if (!pending_handoffs_.empty()) {
      std::unique_ptr<Message> m = std::move(pending_handoffs_.front());
      pending_handoffs_.pop_front();
      return ImportHandoff(std::move(*m), options, import);
    }
    absl::StatusOr<Message> m = ReadMessage(options.max_extra_fds, deadline);
    if (!m.ok()) return m.status();
    if (m->type == kTypeHandoff || m->type == kTypeHandoffInline) {
      return ImportHandoff(std::move(*m), options, import);
    }
    if (m->type == kTypeAck) {
      RecordAck(m->expect.id, m->result);
      continue;
    }
    return MakeError(ErrorKind::kMalformed, "unexpected HELLO");
  }
}

absl::StatusOr<ReceivedToken> Channel::ImportHandoff(
    Message m, const ReceiveOptions& options, const TokenValidator& import) {
  absl::StatusOr<SecretBuffer> token;
  if (m.extra_fd_count > options.max_extra_fds) {
    token = MakeError(ErrorKind::kTooManyFds,
                      absl::StrCat("handoff carries ", m.extra_fd_count,
                                   " extra fds, at most ",
                                   options.max_extra_fds, " accepted"));
  } else if (m.type == kTypeHandoffInline) {
    token = ConsumeLatchedToken(m.fds[0].get(), m.key, import);
  } else {
    token = ConsumeEncryptedToken(m.fds[0].get(), m.expect, m.key, import);
  }
  // The key is no longer needed wherever it lives.
  if (m.key_copy.empty()) sodium_memzero(scratch_.data(), m.received);
  m.key_copy.Clear();
  if (!token.ok()) {
    ErrorKind kind = KindOf(token.status());
    (void)SendAck(m.expect.id, static_cast<uint32_t>(
                                   kind == ErrorKind::kNone ? ErrorKind::kMalformed
                                                            : kind));
    return token.status();  // m's fds close here
  }
  // The token is ours now; a lost ack only makes the exporter's reclaim
  // answer "already consumed".
  (void)SendAck(m.expect.id, 0);
  ReceivedToken out;
  out.id = m.expect.id;
  out.token = std::move(*token);
  out.fds.reserve(m.fds.size() - 1);
  for (size_t i = 1; i < m.fds.size(); ++i) out.fds.push_back(std::move(m.fds[i]));
  return out;
}

// ---------------------------------------------------------------- Listener

Listener::~Listener() {
  if (!unlink_path_.empty() && socket_.valid()) ::unlink(unlink_path_.c_str());
}

absl::StatusOr<Listener> Listener::Listen(const std::string& address,
                                          const ChannelOptions& options) {
  socklen_t len = 0;
  absl::StatusOr<sockaddr_un> addr = ParseAddress(address, &len);
  if (!addr.ok()) return addr.status();
  absl::StatusOr<UniqueFd> fd = NewSocket();
  if (!fd.ok()) return fd.status();
  if (Sys().bind(fd->get(), reinterpret_cast<sockaddr*>(&*addr), len) != 0) {
    return OsError(errno, absl::StrCat("bind(", address, ")"));
  }
  Listener listener;
  listener.socket_ = std::move(*fd);
  listener.address_ = address;
  if (address[0] != '@') listener.unlink_path_ = address;
  listener.options_ = options;
  if (Sys().listen(listener.socket_.get(), 128) != 0) {
    return OsError(errno, "listen");
  }
  return listener;
}

absl::StatusOr<Channel> Listener::Accept(absl::Duration timeout) {
  absl::Time deadline = DeadlineAfter(timeout);
  for (;;) {
    if (absl::Status w = WaitUntilReady(socket_.get(), POLLIN, deadline, "accept");
        !w.ok()) {
      return w;
    }
    int fd = Sys().accept4(socket_.get(), nullptr, nullptr,
                           SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      return OsError(errno, "accept4");
    }
    // Back to blocking mode: callers may use the socket directly.
    UniqueFd owned(fd);
    int fl = Sys().fcntl(fd, F_GETFL, 0);
    if (fl < 0 || Sys().fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
      return OsError(errno, "fcntl(F_SETFL)");
    }
    return Channel::Open(std::move(owned), options_);
  }
}

}  // namespace gssx::transport
