// SPDX-License-Identifier: Apache-2.0
// Live upgrade: a running server (the "source") hands its listening sockets
// and its live sessions — context token, client socket, a caller-defined
// state blob — to a new binary (the "target") without dropping a session.
// Mechanism-agnostic: a context is an opaque token here (gssx's
// Context::Export, MIT's gss_export_sec_context).
//
// Old process (source):
//   absl::StatusOr<Successor> s = StartSuccessor("/proc/self/exe", {...});
//   absl::StatusOr<UpgradeSource> up =
//       UpgradeSource::Begin(std::move(s->channel), {.app_tag = "srv",
//                                                   .app_version = 3});
//   // !up.ok(): refused (wrong version...) or no answer: nothing moved.
//   up->OfferListeners({{"main", listen_fd}});
//   for (Session& s : sessions) {         // each once it is quiescent
//     s.gate.Hold(timeout);               // no request in progress
//     up->OfferSession({.id = s.id, .client_fd = s.fd,
//                       .context_token = std::move(*ctx).Export(),
//                       .state = s.Blob(), .restore = ...});
//   }
//   UpgradeReport r = up->Commit();
//   // r.outcome == kCommitted: the target serves everything offered; close
//   //   the listeners and the sessions' fds, exit when done.
//   // kReturned: every offered session was given back through its
//   //   `restore` (the context re-imported); keep serving, r.status says
//   //   why the upgrade failed.
// New process (target):
//   absl::StatusOr<Channel> ch = InheritedUpgradeChannel();
//   absl::StatusOr<UpgradeTarget> t = UpgradeTarget::Accept(*ch, {...});
//   absl::StatusOr<UpgradeBatch> b = t->ReceiveBatch();
//   // b->listeners, b->sessions: now this process's to serve.
//
// Design (docs/upgrade.md):
//  - The source fork+execs the new binary (StartSuccessor) with ONE
//    inherited fd of its own, a Channel socket, named in the environment
//    variable GSSX_UPGRADE_FD. Everything else goes through that channel
//    (every fd gssx creates is close-on-exec; fds the application left
//    inheritable, e.g. its own stats pipe, are inherited as by any exec).
//  - Every upgrade message is one Channel handoff (transport/channel.h):
//    a token in locked memory, exactly once through the memfd latch, fds
//    by SCM_RIGHTS, an ack per message. The token is:
//      0 magic "GXUP"  4 version (1)  5 type  6 reserved (u16, 0)
//      HELLO     8 app version (u32) 12 tag length n (u16, <= 64)
//                14 reserved (u16) 16 tag (n)                 src -> tgt
//      VERDICT   8 accept (u8) 9 reserved (u8) 10 reason length n (u16,
//                <= 256) 12 target's app version (u32) 16 reason (n)
//                                                             tgt -> src
//      LISTENERS 8 count n (u16, 1..kMaxUpgradeListeners) 10 reserved (u16)
//                12 n x (name length m (u16, <= 64), name (m)); fds: the n
//                listening sockets, in order                  src -> tgt
//      SESSION   8 session id (u64) 16 token length t (u32, 1..
//                kMaxUpgradeContextToken) 20 state length s (u32, <=
//                kMaxUpgradeState) 24 token (t) 24+t state (s); fds: the
//                client socket                                src -> tgt
//      COMMIT    8 sessions offered since the last commit (u32)
//                12 listener messages since the last commit (u32)
//                                                             src -> tgt
//    Any other length, type, count or version is kMalformed, rejected
//    unconsumed.
//  - States. Source: Begin (HELLO sent, VERDICT awaited) -> accepted ->
//    offering (LISTENERS, SESSIONs: each acked before the next) ->
//    Commit -> committed | returned. Target: Accept (HELLO received,
//    VERDICT sent) -> receiving -> COMMIT -> the batch is the target's.
//  - Ownership moves with the COMMIT message, not with each SESSION: the
//    source keeps every offered session (its token in locked memory, its
//    fd) parked — served by nobody — until the commit resolves, and the
//    target does not touch an offered session or listener before it has
//    consumed the COMMIT. The COMMIT token's latch decides, exactly once,
//    for the whole batch: the target's import (it owns the batch) or the
//    source's reclaim after a missing/negative ack (the source owns it;
//    the target can never consume that COMMIT, and it drops what it was
//    offered when the channel closes). So a target that crashes, refuses
//    a message or runs out of fds at any point before the COMMIT loses
//    nothing: every session returns to the source. Each SESSION message
//    is itself consumed at most once (its own latch), so no third process
//    can import it.
//  - If the COMMIT's reclaim itself fails (its latch stuck in the kernel or
//    ENOMEM: transport/deliver.h, ReclaimWithin), nobody knows who owns
//    the batch: the source drops the parked sessions (never serving a
//    session the target may serve) and says so (outcome kUnknown).
//  - Quiescence: a session is offered between requests. SessionGate is
//    the per-session switch: the worker brackets each request with
//    TryBeginRequest/EndRequest; the upgrade calls Hold, which waits for
//    the request in progress to end and then keeps new ones from starting
//    (unread request bytes stay in the socket and move with it).
//  - Listeners: the source stops accepting once Begin succeeds and starts
//    again if the commit does not go through; the target accepts only
//    after the COMMIT. Connections arriving meanwhile wait in the backlog.
//
// Thread safety: UpgradeSource and UpgradeTarget are used by one thread at
// a time (as Channel). SessionGate is thread-safe.
#ifndef GSSX_TRANSPORT_UPGRADE_H_
#define GSSX_TRANSPORT_UPGRADE_H_

#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "transport/channel.h"
#include "transport/base/secret_buffer.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {

inline constexpr uint8_t kUpgradeProtocolVersion = 1;
inline constexpr size_t kMaxUpgradeListeners = 16;
inline constexpr size_t kMaxUpgradeNameSize = 64;
inline constexpr size_t kMaxUpgradeReasonSize = 256;
inline constexpr size_t kMaxUpgradeContextToken = 64 * 1024;
inline constexpr size_t kMaxUpgradeState = 64 * 1024;
// The environment variable that names the inherited channel fd.
inline constexpr char kUpgradeFdEnv[] = "GSSX_UPGRADE_FD";

// ------------------------------------------------------------ quiescence

// Whether a session is between requests. Thread-safe.
//   worker:  if (!gate.TryBeginRequest()) stop serving it (being moved);
//            ... read the request, answer it ...; gate.EndRequest();
//   upgrade: gate.Hold(timeout) -> offer it -> (commit failed) Release().
class SessionGate {
 public:
  // False while the session is held for an upgrade (do not read from its
  // socket) or a request is already in progress (one at a time). True: a
  // request is in progress until EndRequest.
  bool TryBeginRequest();
  void EndRequest();
  // Waits until no request is in progress (at most `timeout`), then holds
  // the session. kTimeout: a request is still in progress; not held.
  absl::Status Hold(absl::Duration timeout);
  // Lets requests start again (the session came back).
  void Release();
  bool held() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_;
  bool in_request_ = false;  // guarded by mu_
  bool held_ = false;        // guarded by mu_
};

// ---------------------------------------------------------------- source

// Starts `path` (argv[0] = path, then `args`) in a child process that
// inherits its end of a new channel, named in GSSX_UPGRADE_FD (and, as any
// exec, 0, 1, 2 and whatever the caller left without close-on-exec). The parent's end is returned unopened (no HELLO yet:
// UpgradeSource::Begin opens it). The child is not waited for here.
struct Successor {
  pid_t pid = -1;
  UniqueFd channel_socket;
};
absl::StatusOr<Successor> StartSuccessor(const std::string& path,
                                         const std::vector<std::string>& args);

struct UpgradeHello {
  // Identify the application and the format of its state blobs; the
  // target refuses what it cannot read.
  std::string app_tag;  // <= kMaxUpgradeNameSize bytes
  uint32_t app_version = 0;
};

struct UpgradeOptions {
  // How long to wait for each answer (verdict, each ack).
  absl::Duration step_timeout = absl::Seconds(10);
  // Bound on taking a token back (ReclaimWithin, deliver.h).
  absl::Duration reclaim_timeout = absl::Seconds(5);
  // Seam for fault drills: runs after each message is sent, before its ack
  // is awaited, with the message type's name ("SESSION", "COMMIT"...).
  std::function<void(const char* type)> after_send;
};

// Gets an offered session's context token back when the upgrade does not
// commit (as deliver.h's RestoreFn). OK: the session is whole again.
using SessionRestoreFn = std::function<absl::Status(SecretBuffer token)>;

struct OutgoingSession {
  uint64_t id = 0;  // the caller's; unique within one upgrade
  int client_fd = -1;  // borrowed: a duplicate is sent; close yours on commit
  SecretBuffer context_token;  // taken: kept (locked) until the commit
  absl::Span<const uint8_t> state;  // copied into locked memory
  SessionRestoreFn restore;  // required
};

struct UpgradeReport {
  enum class Outcome {
    kNothingMoved,  // Commit not reached; nothing was offered or returned
    kCommitted,     // the target owns every offered session and listener
    kReturned,      // every offered session came back (restored)
    kUnknown,       // the COMMIT's fate is unknown: parked sessions dropped
  };
  Outcome outcome = Outcome::kNothingMoved;
  std::vector<uint64_t> committed;  // session ids the target now owns
  std::vector<uint64_t> returned;   // restored into the source
  std::vector<uint64_t> lost;       // restore failed, or kUnknown
  size_t listener_messages = 0;     // committed LISTENERS messages
  // OK when committed; otherwise why the upgrade failed (kRefusedByPeer
  // with the target's reason, kPeerClosed, kRejectedByPeer, kTimeout...),
  // and for lost sessions the restore's error.
  absl::Status status;
};

class UpgradeSource {
 public:
  UpgradeSource(UpgradeSource&&) = default;
  UpgradeSource& operator=(UpgradeSource&&) = default;
  // Destroying one that has parked sessions returns them, as a failed
  // Commit would.
  ~UpgradeSource();

  // Opens `channel_socket` as a Channel (its HELLO and peer policy), sends
  // the upgrade HELLO and waits for the VERDICT. kRefusedByPeer: the
  // target refused (message: its reason), nothing moved. Other errors:
  // the channel's, kMalformed for a bad answer.
  static absl::StatusOr<UpgradeSource> Begin(
      UniqueFd channel_socket, const UpgradeHello& hello,
      const UpgradeOptions& options = {}, const ChannelOptions& channel = {});
  // The same on an open channel.
  static absl::StatusOr<UpgradeSource> Begin(
      Channel channel, const UpgradeHello& hello,
      const UpgradeOptions& options = {});

  // Offers listening sockets (names are the caller's labels, <= 64 bytes,
  // at most kMaxUpgradeListeners). The caller keeps its fds; it stops
  // accepting on them and closes them once committed. Error: the upgrade
  // has failed; call Commit() to get everything back (or destroy this).
  absl::Status OfferListeners(
      const std::vector<std::pair<std::string, int>>& listeners);

  // Offers one quiescent session and waits for its ack. From here until
  // Commit resolves, the session is parked: the caller must not serve it
  // (its context is in `session.context_token`, now held here).
  // Error: the upgrade has failed (this session is parked like the
  // others; Commit() gives them all back). kBadArgument for a bad
  // session (no token, no restore, fd < 0, too large, id reused): that
  // one is given back at once, and the upgrade is not failed.
  absl::Status OfferSession(OutgoingSession session);

  // Commits everything offered (or, after a failure, gives it back):
  // see UpgradeReport. Ends the upgrade; the channel closes.
  UpgradeReport Commit();

  bool failed() const { return !failure_.ok(); }
  uint32_t target_app_version() const { return target_version_; }

 private:
  struct Parked {
    uint64_t id = 0;
    SecretBuffer token;
    SessionRestoreFn restore;
  };
  UpgradeSource(Channel channel, UpgradeOptions options)
      : channel_(std::move(channel)), options_(std::move(options)) {}
  Channel& channel() { return *channel_; }
  absl::Status SendAndAwait(const char* type, absl::Span<const uint8_t> token,
                            absl::Span<const int> fds);
  void GiveBack(UpgradeReport& report);

  std::optional<Channel> channel_;  // closed (reset) when the upgrade ends
  UpgradeOptions options_;
  uint32_t target_version_ = 0;
  std::vector<Parked> parked_;
  size_t listener_messages_ = 0;
  absl::Status failure_;
  bool finished_ = false;
};

// ---------------------------------------------------------------- target

// The channel a successor inherited (GSSX_UPGRADE_FD, then unset):
// opened (HELLO, peer policy). kBadArgument if the variable is missing.
absl::StatusOr<Channel> InheritedUpgradeChannel(
    const ChannelOptions& options = {});

struct UpgradeTargetOptions {
  // Decides on the source's HELLO: OK accepts; an error refuses, its
  // message sent as the reason. Default: the same app_tag and
  // app_version as `self`.
  std::function<absl::Status(const UpgradeHello& source)> accept;
  UpgradeHello self;
  // Runs on each offered context token before its SESSION is consumed; an
  // error rejects it unconsumed (and fails the upgrade: the source takes
  // everything back). E.g. a trial import.
  std::function<absl::Status(absl::Span<const uint8_t> token)>
      validate_context;
  // How long to wait for each message from the source.
  absl::Duration step_timeout = absl::Seconds(10);
  // Seams for fault drills (tests), with the message type's name ("HELLO",
  // "LISTENERS", "SESSION", "COMMIT"). before_consume: the message parsed
  // and passed every check; its latch is next. after_receive: consumed and
  // acknowledged, not yet acted on (for the COMMIT: before ReceiveBatch
  // returns). Between the latch and the ack there is no hook (the
  // channel's; the syscall seam reaches it).
  std::function<void(const char* type)> before_consume;
  std::function<void(const char* type)> after_receive;
};

struct IncomingListener {
  std::string name;
  UniqueFd fd;
};

struct IncomingSession {
  uint64_t id = 0;
  UniqueFd client;
  SecretBuffer context_token;  // locked
  SecretBuffer state;          // locked
};

// What one COMMIT made the target's.
struct UpgradeBatch {
  std::vector<IncomingListener> listeners;
  std::vector<IncomingSession> sessions;
};

class UpgradeTarget {
 public:
  UpgradeTarget(UpgradeTarget&&) = default;
  UpgradeTarget& operator=(UpgradeTarget&&) = default;

  // Takes the channel, receives the HELLO, decides, sends the VERDICT. A
  // refusal returns kPeerNotAllowed with the reason (the source got it
  // too); the target should then exit.
  static absl::StatusOr<UpgradeTarget> Accept(
      Channel channel, const UpgradeTargetOptions& options);

  // Receives messages up to and including the COMMIT and returns what it
  // committed. Until then nothing offered is the caller's. Any error (the
  // source gone, a malformed message, kControlTruncated when out of fds,
  // a token validate_context refused...) drops everything offered since
  // the last commit — the source keeps it — ends the upgrade and closes
  // the channel. After the COMMIT the channel is closed too.
  absl::StatusOr<UpgradeBatch> ReceiveBatch();

  const UpgradeHello& source() const { return source_; }

 private:
  UpgradeTarget(Channel channel, UpgradeTargetOptions options)
      : channel_(std::move(channel)), options_(std::move(options)) {}
  std::optional<Channel> channel_;  // reset when the upgrade ends
  UpgradeTargetOptions options_;
  UpgradeHello source_;
  bool finished_ = false;
};

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_UPGRADE_H_
