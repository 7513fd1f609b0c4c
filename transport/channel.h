// SPDX-License-Identifier: Apache-2.0
// Channel: an AF_UNIX SOCK_SEQPACKET connection that hands secret tokens
// (plus any extra fds, e.g. a client socket) to a peer process exactly once.
//
// Exporter:
//   absl::StatusOr<Channel> ch = Channel::Open(std::move(socket_fd));
//   absl::StatusOr<Handoff> h = ch->Send(token.span(), {client_fd});
//   absl::Status acked = ch->AwaitAck(*h, absl::Seconds(5));
//   if (!acked.ok()) {
//     absl::StatusOr<SecretBuffer> back = h->Reclaim();
//     // back.ok(): the token is ours again. IsError(back.status(),
//     // ErrorKind::kAlreadyConsumed): the peer imported it (and died or
//     // closed before acknowledging).
//   }
// Importer:
//   absl::StatusOr<ReceivedToken> r = ch->Receive({.max_extra_fds = 1});
//   // or, for a value with a codec (codec.h), imported before the latch:
//   absl::StatusOr<Received<Context>> c = ch->Receive(ContextCodec(), {});
//
// Opening a channel exchanges a HELLO: each end reads its peer's
// credentials (SO_PEERCRED, and SO_PEERPIDFD where the kernel has it),
// applies its PeerPolicy, and tells the peer its verdict. A refusal is
// kPeerNotAllowed at the refusing end and kRefusedByPeer at the other.
// Note that for a socketpair the kernel records the credentials of the
// process that called socketpair(), not of a child that later changed uid.
//
// One handoff message: body = token id, size, nonce, tag, the one-time key
// K; SCM_RIGHTS = [sealed memfd holding only the ciphertext, extra fds...]. The body
// lives in unswappable kernel memory and is read into locked memory; the
// memfd holds only ciphertext. The importer verifies, decrypts, latches
// (memfd_token.h) and answers with an ACK; a rejected token is answered
// with a negative ACK without being latched, so the exporter can reclaim it.
// A token of at most kMaxInlineToken bytes (an exported GSS context) goes
// inline instead: body = token id, size, the token itself; SCM_RIGHTS =
// [an empty sealed memfd that is only the latch, extra fds...]. The token
// is then never in any file, so it needs no encryption; the exporter keeps
// a locked copy to reclaim, and exactly-once is the same latch either way.
//
// Thread safety: a Channel is used by one thread at a time. It is
// full-duplex: handoffs that arrive while AwaitAck waits are queued for the
// next Receive, acks that arrive during Receive are kept for AwaitAck, and
// acks for handoffs no longer waited for (reclaimed, destroyed) are dropped.
// Every fd is created close-on-exec; sends use MSG_NOSIGNAL.
#ifndef GSSX_TRANSPORT_CHANNEL_H_
#define GSSX_TRANSPORT_CHANNEL_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "transport/codec.h"
#include "transport/memfd_token.h"
#include "transport/peer.h"
#include "transport/base/secret_buffer.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {

// The most extra fds one handoff can carry (SCM_MAX_FD is 253, one of which
// is the token memfd).
inline constexpr size_t kMaxExtraFds = 252;

// Tokens up to this size travel in the message body (see above): every
// exported gssx context (~200-700 bytes), an MIT Kerberos context (~1.2
// KiB) and anything up to two pages less 64 bytes. 8 KiB of body is still
// one small SEQPACKET message (the socket buffer holds ~200 KiB); larger
// tokens go into the memfd as ciphertext. The 64 bytes keep a channel's
// locked receive + send buffer within one 16 KiB slot of the locked pool
// (at 8 KiB exactly it took a 32 KiB slot: half as many channels per
// RLIMIT_MEMLOCK). A peer built with a smaller limit refuses
// a larger inline token (kMalformed / kMessageTruncated, negative ack):
// the exporter reclaims it.
inline constexpr size_t kMaxInlineToken = 8 * 1024 - 64;

struct ChannelOptions {
  PeerPolicy policy = PeerPolicy::SameUid();
  // How long Open waits for the peer's HELLO.
  absl::Duration open_timeout = absl::Seconds(30);
  // How long a send may wait for room in the socket buffer.
  absl::Duration send_timeout = absl::Seconds(30);
};

namespace internal {
// The handoffs a channel still expects answers for (shared with each
// Handoff, so that a resolved or destroyed one stops being waited for and
// late acks for it are dropped instead of piling up). Value: -1 while no
// answer has arrived, else the answer (0 imported, else an ErrorKind).
struct AckLedger {
  absl::flat_hash_map<TokenId, int64_t> answers;
};
}  // namespace internal

// The exporter's right to take a sent token back until the peer acks.
// Holds a duplicate of the token memfd and the one-time key (locked), or
// for an inline token the latch memfd and a locked copy of the token. Move-
// only; use it on the thread that uses its Channel. Destroying an
// unresolved Handoff gives up the right to reclaim. Reclaim works after the
// Channel is gone too.
class Handoff {
 public:
  Handoff() = default;
  Handoff(Handoff&&) = default;
  Handoff& operator=(Handoff&&);
  ~Handoff();

  const TokenId& id() const { return expect_.id; }
  // True once acked or reclaimed: nothing left to do.
  bool resolved() const { return !memfd_.valid(); }

  // Runs the consume latch on the kept duplicate. On success the token is
  // the exporter's again (and the peer's copy is dead). kAlreadyConsumed:
  // the peer imported it. Either answer resolves the Handoff; a transient
  // failure (kOs: ENOMEM, EINTR...) leaves it unresolved, to try again.
  absl::StatusOr<SecretBuffer> Reclaim();

  // Forgets the Channel (drops its pending-ack entry, on this thread); the
  // right to reclaim stays. After this the Handoff may be moved to, and
  // reclaimed on, another thread (ReclaimWithin, deliver.h).
  void DetachFromChannel();

 private:
  friend class Channel;
  void Resolve();
  std::weak_ptr<internal::AckLedger> ledger_;
  UniqueFd memfd_;
  SecretBuffer key_;
  TokenExpectation expect_;
  bool inline_ = false;  // memfd_ is a latch; key_ holds the token itself
};

struct ReceiveOptions {
  // Extra fds accepted with the token; a message with more is rejected
  // (all its fds closed, kTooManyFds) and the exporter can reclaim.
  size_t max_extra_fds = 0;
  absl::Duration timeout = absl::InfiniteDuration();
};

struct ReceivedToken {
  TokenId id{};
  SecretBuffer token;
  std::vector<UniqueFd> fds;  // the extra fds, in the order sent
};

class Channel {
 public:
  Channel(Channel&&) noexcept;
  Channel& operator=(Channel&&) noexcept;
  ~Channel();

  // Takes ownership of a connected AF_UNIX SOCK_SEQPACKET socket and runs
  // the HELLO exchange. kBadArgument if the fd is not such a socket.
  static absl::StatusOr<Channel> Open(UniqueFd socket,
                                      const ChannelOptions& options = {});
  // The same for a socket inherited across exec: marks it close-on-exec
  // first, so it goes no further.
  static absl::StatusOr<Channel> FromInheritedFd(
      int fd, const ChannelOptions& options = {});
  // Both ends in this process (threads, tests).
  static absl::StatusOr<std::pair<Channel, Channel>> Pair(
      const ChannelOptions& options = {});
  // Connects to a Listener's address: "@name" (abstract) or a path.
  static absl::StatusOr<Channel> Connect(const std::string& address,
                                         const ChannelOptions& options = {});

  const PeerCredentials& peer() const { return peer_; }
  // A pidfd for the peer process (SO_PEERPIDFD, Linux 6.5+), or -1. Owned
  // by the channel; poll it for POLLIN to learn that the peer exited.
  int peer_pidfd() const { return peer_pidfd_.get(); }
  int fd() const { return socket_.get(); }

  // Seals `token` into a fresh memfd under a one-time key (or, up to
  // kMaxInlineToken bytes, puts it in the message body with a fresh latch
  // memfd) and sends it with duplicates of `extra_fds` (the caller keeps
  // its own) in one message. On error nothing was sent. The caller still
  // owns `token`.
  absl::StatusOr<Handoff> Send(absl::Span<const uint8_t> token,
                               absl::Span<const int> extra_fds = {});

  // Waits for the peer's answer to `handoff`. OK: imported; the handoff is
  // resolved. Otherwise (kRejectedByPeer, kPeerClosed, kTimeout, kOs...)
  // the handoff is unresolved: Reclaim() it, or keep waiting.
  absl::Status AwaitAck(Handoff& handoff,
                        absl::Duration timeout = absl::InfiniteDuration());

  // True if a handoff already read from the socket (while AwaitAck waited)
  // is queued for Receive: poll() on fd() will not show it.
  bool HasQueuedHandoff() const { return !pending_handoffs_.empty(); }

  // At most this many handoffs read while AwaitAck waits are kept for
  // Receive (each holds its memfd, extra fds and a locked copy of its key).
  // A further one is refused at once — a negative ack (kTooManyFds: the
  // receiver holds all it will hold), its fds closed — so its sender
  // reclaims it, and a peer flooding us while we wait cannot park fds and
  // locked memory here.
  static constexpr size_t kMaxQueuedHandoffs = 2;

  // Receives, verifies, consumes and acknowledges one token.
  absl::StatusOr<ReceivedToken> Receive(const ReceiveOptions& options = {});

  // The same for a value with a codec (codec.h): the decrypted token is
  // imported (and checked) by `codec` BEFORE it is consumed; a token the
  // codec refuses is rejected unconsumed — the codec's status is returned
  // as is, the exporter gets a negative ack and can reclaim the token.
  template <typename Codec>
  absl::StatusOr<Received<typename Codec::Value>> Receive(
      const Codec& codec, const ReceiveOptions& options = {}) {
    internal::Importer<Codec> importer(codec);
    absl::StatusOr<ReceivedToken> r = ReceiveToken(
        options,
        [&importer](absl::Span<const uint8_t> bytes) { return importer(bytes); });
    if (!r.ok()) return r.status();
    r->token.Clear();  // the value holds what it needs
    return Received<typename Codec::Value>{r->id, importer.Take(),
                                           std::move(r->fds)};
  }

 private:
  struct Message;
  explicit Channel(UniqueFd socket);
  absl::Status SendHello(bool accept);
  absl::Status AwaitHello(absl::Time deadline);
  absl::Status Finish(const ChannelOptions& options);
  absl::StatusOr<Message> ReadMessage(size_t max_fds, absl::Time deadline);
  absl::Status SendBody(absl::Span<const uint8_t> body,
                        absl::Span<const int> fds);
  absl::Status SendAck(const TokenId& id, uint32_t result);
  absl::StatusOr<Handoff> SendInline(absl::Span<const uint8_t> token,
                                     absl::Span<const int> extra_fds);
  void RecordAck(const TokenId& id, uint32_t result);
  absl::StatusOr<ReceivedToken> ReceiveToken(const ReceiveOptions& options,
                                             const TokenValidator& import);
  absl::StatusOr<ReceivedToken> ImportHandoff(Message message,
                                              const ReceiveOptions& options,
                                              const TokenValidator& import);

  UniqueFd socket_;
  UniqueFd peer_pidfd_;
  PeerCredentials peer_;
  ChannelOptions options_;
  SecretBuffer scratch_;  // locked: message bodies carry keys or tokens
  std::deque<std::unique_ptr<Message>> pending_handoffs_;
  std::shared_ptr<internal::AckLedger> ledger_;
};

// A listening AF_UNIX SOCK_SEQPACKET socket. A filesystem path is created
// (never replaced: EADDRINUSE if it exists) and unlinked when the Listener
// dies; "@name" is the abstract namespace.
class Listener {
 public:
  Listener(Listener&&) = default;
  Listener& operator=(Listener&&) = default;
  ~Listener();

  static absl::StatusOr<Listener> Listen(const std::string& address,
                                         const ChannelOptions& options = {});
  // Accepts one connection and opens a Channel on it (HELLO, policy). A
  // refused peer is kPeerNotAllowed; the listener stays usable.
  absl::StatusOr<Channel> Accept(
      absl::Duration timeout = absl::InfiniteDuration());
  int fd() const { return socket_.get(); }
  const std::string& address() const { return address_; }

 private:
  Listener() = default;
  UniqueFd socket_;
  std::string address_;
  std::string unlink_path_;
  ChannelOptions options_;
};

// A connected SOCK_SEQPACKET socketpair, both ends close-on-exec: the
// raw material for fork (each side then calls Channel::Open).
absl::StatusOr<std::pair<UniqueFd, UniqueFd>> MakeSocketPair();

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_CHANNEL_H_
