// SPDX-License-Identifier: Apache-2.0
// libgssx-handoff: the C face of the MIT Kerberos bridge (gssx/krb5_bridge/bridge.h)
// over gssx's transport. Every handoff goes through the bridge's own
// StartMitHandOff / ReceiveMitContext / raw fd forms; this file adds only C
// handles, the waits (interruptible by signals) and the status mapping.
#include <gssx/handoff.h>

#include "gssx/krb5_bridge/c/internal.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <new>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gssx/krb5_bridge/bridge.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/base/deadline.h"
#include "transport/base/errors.h"
#include "transport/peer.h"
#include "transport/base/unique_fd.h"

struct gssx_chan_s {
  explicit gssx_chan_s(gssx::transport::Channel c) : channel(std::move(c)) {}
  gssx::transport::Channel channel;
  size_t pending = 0;  // unfinished gssx_handoff_pending_t on this channel
};

struct gssx_handoff_pending_s {
  gssx_chan_s* chan = nullptr;
  // Where the context comes back to (the bridge's restore writes here).
  gssx::krb5::MitContext back;
  std::optional<gssx::transport::PendingDelivery> delivery;
  absl::Time deadline = absl::InfiniteFuture();
};

namespace {

using gssx::krb5::MitContext;
using gssx::transport::ErrorKind;

OM_uint32 Set(OM_uint32* minor, OM_uint32 major, OM_uint32 code) {
  *minor = code;
  return major;
}

OM_uint32 BadArgument(OM_uint32* minor) {
  return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_BAD_ARGUMENT);
}

// The GSSX_HANDOFF_E_* minor code of a transport kind (Fail handles
// kAlreadyConsumed, kOs and kNone itself).
OM_uint32 MinorOfKind(ErrorKind kind, bool open) {
  switch (kind) {
    case ErrorKind::kNotMemfd:
    case ErrorKind::kNotReadWrite:
    case ErrorKind::kNotSealed:
    case ErrorKind::kSizeMismatch:
    case ErrorKind::kMalformed:
    case ErrorKind::kAuthenticationFailed:
    case ErrorKind::kMessageTruncated:
      return GSSX_HANDOFF_E_BAD_TOKEN;
    case ErrorKind::kTooManyFds:
      return GSSX_HANDOFF_E_TOO_MANY_FDS;
    case ErrorKind::kControlTruncated:
      return GSSX_HANDOFF_E_OUT_OF_FDS;
    case ErrorKind::kPeerClosed:
      return GSSX_HANDOFF_E_PEER_CLOSED;
    case ErrorKind::kPeerNotAllowed:
      return GSSX_HANDOFF_E_PEER_NOT_ALLOWED;
    case ErrorKind::kRefusedByPeer:
      return GSSX_HANDOFF_E_REFUSED_BY_PEER;
    case ErrorKind::kRejectedByPeer:
      return GSSX_HANDOFF_E_REJECTED_BY_PEER;
    case ErrorKind::kTimeout:
      return GSSX_HANDOFF_E_TIMEOUT;
    case ErrorKind::kBadArgument:
      return open ? GSSX_HANDOFF_E_NOT_SEQPACKET : GSSX_HANDOFF_E_BAD_ARGUMENT;
    case ErrorKind::kUnsupported:
      return GSSX_HANDOFF_E_UNSUPPORTED;
    default:
      return GSSX_HANDOFF_E_INTERNAL;
  }
}

// The library's one place for status → (major, minor) — the bridge's
// convention (bridge.h "Errors") in C: MIT's own codes for an MIT
// failure, else GSS_S_FAILURE (GSS_S_NO_CONTEXT for an imported token)
// with a GSSX_HANDOFF_E_* minor. `open`: errors of a channel open, where a
// bad argument from the transport means a bad socket.
OM_uint32 Fail(OM_uint32* minor, const absl::Status& status,
               bool open = false) {
  if (std::optional<gssx::krb5::MitCodes> mit =
          gssx::krb5::MitCodesOf(status)) {
    *minor = mit->minor;
    return mit->major != GSS_S_COMPLETE ? mit->major : GSS_S_FAILURE;
  }
  const ErrorKind kind = gssx::transport::KindOf(status);
  const int err = gssx::transport::ErrnoOf(status);
  if (kind == ErrorKind::kAlreadyConsumed) {
    return Set(minor, GSS_S_NO_CONTEXT, GSSX_HANDOFF_E_ALREADY_IMPORTED);
  }
  if (kind == ErrorKind::kOs) {
    if (err == EINTR) {
      return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_INTERRUPTED);
    }
    errno = err;
    return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_OS);
  }
  if (kind == ErrorKind::kNone) {
    // The bridge's own refusal of a context (not established Kerberos 5,
    // required flags missing); our cancel.
    OM_uint32 code = GSSX_HANDOFF_E_INTERNAL;
    if (gssx::krb5::IsContextRefused(status)) {
      code = GSSX_HANDOFF_E_CONTEXT_REFUSED;
    } else if (status.code() == absl::StatusCode::kCancelled) {
      code = GSSX_HANDOFF_E_CANCELLED;
    }
    return Set(minor, GSS_S_FAILURE, code);
  }
  return Set(minor, GSS_S_FAILURE, MinorOfKind(kind, open));
}

absl::Time DeadlineAfter(int timeout_ms) {
  if (timeout_ms < 0) return absl::InfiniteFuture();
  return absl::Now() + absl::Milliseconds(timeout_ms);
}

absl::Status Interrupted() {
  return gssx::transport::MakeError(ErrorKind::kOs, "interrupted by a signal",
                                    EINTR);
}

absl::Status TimedOut(const char* what) {
  return gssx::transport::MakeError(ErrorKind::kTimeout, what);
}

// Waits for `fd` to become readable until `deadline`. OK: readable.
// kTimeout, or kOs (EINTR: a signal; nothing else changed). Not
// transport::WaitUntilReady, which retries EINTR: the C API reports it.
absl::Status WaitReadable(int fd, absl::Time deadline, const char* what) {
  struct pollfd p = {fd, POLLIN, 0};
  const int n = ::poll(&p, 1, gssx::transport::PollTimeoutMs(deadline));
  if (n > 0) return absl::OkStatus();
  if (n == 0) return TimedOut(what);
  return gssx::transport::OsError(errno, "poll");
}

bool ValidFds(const int* fds, size_t nfds) {
  if (nfds > GSSX_HANDOFF_MAX_FDS) return false;
  if (nfds > 0 && fds == nullptr) return false;
  for (size_t i = 0; i < nfds; ++i) {
    if (fds[i] < 0) return false;
  }
  return true;
}

// The end of a handoff whose outcome is known: OK → COMPLETE; else the
// context back in *ctx and why.
OM_uint32 Conclude(OM_uint32* minor,
                   const absl::StatusOr<gssx::transport::Delivery>& d,
                   MitContext& back, gss_ctx_id_t* ctx) {
  if (d.ok()) return Set(minor, GSS_S_COMPLETE, 0);
  const bool lost = !back.valid();
  *ctx = back.release();
  if (lost && !gssx::krb5::MitCodesOf(d.status()).has_value() &&
      gssx::transport::KindOf(d.status()) == ErrorKind::kOs &&
      gssx::transport::ErrnoOf(d.status()) != EINTR) {
    errno = gssx::transport::ErrnoOf(d.status());
    return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_OUTCOME_UNKNOWN);
  }
  return Fail(minor, d.status());
}

// The arguments of finish / cancel. GSS_S_COMPLETE: usable.
OM_uint32 CheckPendingArgs(OM_uint32* minor, gssx_handoff_pending_t* pending,
                           gss_ctx_id_t* ctx) {
  if (ctx == nullptr || pending == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  if (*pending == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  if (*ctx != GSS_C_NO_CONTEXT) return BadArgument(minor);
  return GSS_S_COMPLETE;
}

// Ends a pending handoff whose outcome is known: the context back in
// *ctx if it came back, the pending handle freed.
OM_uint32 Finish(OM_uint32* minor, gssx_handoff_pending_t* pending,
                 const absl::StatusOr<gssx::transport::Delivery>& outcome,
                 gss_ctx_id_t* ctx) {
  OM_uint32 major = Conclude(minor, outcome, (*pending)->back, ctx);
  --(*pending)->chan->pending;
  delete *pending;
  *pending = nullptr;
  return major;
}

// What has arrived for `p`, without waiting: its outcome, or nullopt.
std::optional<absl::StatusOr<gssx::transport::Delivery>> Poll(
    gssx_handoff_pending_s* p) {
  absl::StatusOr<std::optional<gssx::transport::Delivery>> checked =
      p->delivery->Check(p->chan->channel);
  if (!checked.ok()) return checked.status();
  if (!checked->has_value()) return std::nullopt;
  return **checked;
}

}  // namespace

namespace gssx::krb5::c_internal {
OM_uint32 FailStatus(OM_uint32* minor, const absl::Status& status) {
  return Fail(minor, status);
}
}  // namespace gssx::krb5::c_internal

extern "C" {

const char* gssx_handoff_strerror(OM_uint32 minor) {
  switch (minor) {
    case 0:
      return "no error";
    case GSSX_HANDOFF_E_BAD_ARGUMENT:
      return "bad argument";
    case GSSX_HANDOFF_E_NOT_SEQPACKET:
      return "not a connected AF_UNIX SOCK_SEQPACKET socket";
    case GSSX_HANDOFF_E_PEER_NOT_ALLOWED:
      return "peer not allowed by this channel's policy";
    case GSSX_HANDOFF_E_REFUSED_BY_PEER:
      return "refused by the peer's policy";
    case GSSX_HANDOFF_E_TIMEOUT:
      return "timed out";
    case GSSX_HANDOFF_E_INTERRUPTED:
      return "interrupted by a signal";
    case GSSX_HANDOFF_E_PEER_CLOSED:
      return "peer closed the channel";
    case GSSX_HANDOFF_E_REJECTED_BY_PEER:
      return "peer rejected the handoff (context taken back)";
    case GSSX_HANDOFF_E_ALREADY_IMPORTED:
      return "handoff already imported";
    case GSSX_HANDOFF_E_TOO_MANY_FDS:
      return "handoff carries more fds than the receiver accepts";
    case GSSX_HANDOFF_E_BAD_TOKEN:
      return "not a valid handoff token";
    case GSSX_HANDOFF_E_CONTEXT_REFUSED:
      return "context is not an established Kerberos 5 context with the "
             "required flags";
    case GSSX_HANDOFF_E_OS:
      return "system call failed (see errno)";
    case GSSX_HANDOFF_E_OUTCOME_UNKNOWN:
      return "handoff outcome unknown: the context could not be taken back";
    case GSSX_HANDOFF_E_BUSY:
      return "channel has unfinished handoffs";
    case GSSX_HANDOFF_E_OUT_OF_FDS:
      return "receiver out of file descriptors";
    case GSSX_HANDOFF_E_UNSUPPORTED:
      return "not supported by this kernel";
    case GSSX_HANDOFF_E_INTERNAL:
      return "internal error";
    case GSSX_HANDOFF_E_CANCELLED:
      return "handoff cancelled (context taken back)";
    case GSSX_HANDOFF_E_UPGRADE_REFUSED:
      return "the other binary refused the live upgrade";
    case GSSX_HANDOFF_E_NOT_UPGRADING:
      return "not started as a live upgrade's successor (no GSSX_UPGRADE_FD)";
    case GSSX_HANDOFF_E_UPGRADE_FAILED:
      return "an earlier step of this live upgrade failed: commit or abort it";
    default:
      return "not a gssx-handoff minor code";
  }
}

void gssx_chan_options_init(gssx_chan_options* options) {
  if (options == nullptr) return;
  *options = gssx_chan_options{};
  options->version = GSSX_CHAN_OPTIONS_VERSION;
  options->same_uid = 1;
  options->timeout_ms = 30000;
}

OM_uint32 gssx_chan_open(OM_uint32* minor, int fd,
                         const gssx_chan_options* options, gssx_chan_t* chan) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (chan == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  *chan = nullptr;
  gssx_chan_options defaults;
  gssx_chan_options_init(&defaults);
  const gssx_chan_options& o = options != nullptr ? *options : defaults;
  if (o.version != GSSX_CHAN_OPTIONS_VERSION || fd < 0 ||
      (o.uid_count > 0 && o.uids == nullptr) ||
      (o.gid_count > 0 && o.gids == nullptr) || o.timeout_ms < -1) {
    return BadArgument(minor);
  }
  gssx::transport::PeerPolicy policy = gssx::transport::PeerPolicy::Nobody();
  bool admits_someone = false;
  if (o.same_uid) {
    policy.AllowUid(::geteuid());
    admits_someone = true;
  }
  if (o.root) {
    policy.AllowUid(0);
    admits_someone = true;
  }
  for (size_t i = 0; i < o.uid_count; ++i) {
    policy.AllowUid(o.uids[i]);
    admits_someone = true;
  }
  for (size_t i = 0; i < o.gid_count; ++i) {
    policy.AllowGid(o.gids[i]);
    admits_someone = true;
  }
  if (!admits_someone) return BadArgument(minor);
  gssx::transport::ChannelOptions channel_options;
  channel_options.policy = policy;
  const absl::Duration timeout = o.timeout_ms < 0
                                     ? absl::InfiniteDuration()
                                     : absl::Milliseconds(o.timeout_ms);
  channel_options.open_timeout = timeout;
  channel_options.send_timeout = timeout;
  // The channel works on a duplicate, so that on failure the caller's fd
  // is untouched.
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    if (errno == EBADF) {
      return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_NOT_SEQPACKET);
    }
    return Fail(minor, gssx::transport::OsError(errno, "fcntl(F_DUPFD)"));
  }
  absl::StatusOr<gssx::transport::Channel> opened =
      gssx::transport::Channel::Open(gssx::transport::UniqueFd(dup),
                                     channel_options);
  if (!opened.ok()) return Fail(minor, opened.status(), /*open=*/true);
  gssx_chan_s* c = new (std::nothrow) gssx_chan_s(std::move(*opened));
  if (c == nullptr) {
    errno = ENOMEM;
    return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_OS);
  }
  ::close(fd);
  *chan = c;
  return GSS_S_COMPLETE;
}

OM_uint32 gssx_chan_close(OM_uint32* minor, gssx_chan_t* chan) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (chan == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  if (*chan == nullptr) return GSS_S_COMPLETE;
  if ((*chan)->pending > 0) {
    return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_BUSY);
  }
  delete *chan;
  *chan = nullptr;
  return GSS_S_COMPLETE;
}

int gssx_chan_fd(gssx_chan_t chan) {
  return chan == nullptr ? -1 : chan->channel.fd();
}

OM_uint32 gssx_chan_peer(OM_uint32* minor, gssx_chan_t chan, pid_t* pid,
                         uid_t* uid, gid_t* gid) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (chan == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  const gssx::transport::PeerCredentials& p = chan->channel.peer();
  if (pid != nullptr) *pid = p.pid;
  if (uid != nullptr) *uid = p.uid;
  if (gid != nullptr) *gid = p.gid;
  return GSS_S_COMPLETE;
}

OM_uint32 gssx_handoff_start(OM_uint32* minor, gssx_chan_t chan,
                             gss_ctx_id_t* ctx, const int* fds, size_t nfds,
                             int timeout_ms, gssx_handoff_pending_t* pending) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (pending == nullptr || ctx == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  *pending = nullptr;
  if (chan == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  if (*ctx == GSS_C_NO_CONTEXT) return Set(minor, GSS_S_NO_CONTEXT, 0);
  if (!ValidFds(fds, nfds) || timeout_ms < -1) return BadArgument(minor);
  gssx_handoff_pending_s* p = new (std::nothrow) gssx_handoff_pending_s;
  if (p == nullptr) {
    errno = ENOMEM;
    return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_OS);
  }
  p->chan = chan;
  p->deadline = DeadlineAfter(timeout_ms);
  p->back = MitContext(*ctx);
  *ctx = GSS_C_NO_CONTEXT;
  absl::StatusOr<gssx::transport::PendingDelivery> started =
      gssx::krb5::StartMitHandOff(
          chan->channel, p->back,
          absl::MakeConstSpan(fds, nfds));
  if (!started.ok()) {
    // Nothing sent: the context is back (or as the export left it).
    *ctx = p->back.release();
    delete p;
    return Fail(minor, started.status());
  }
  p->delivery.emplace(std::move(*started));
  ++chan->pending;
  *pending = p;
  return GSS_S_COMPLETE;
}

int gssx_handoff_pending_fd(gssx_handoff_pending_t pending) {
  return pending == nullptr ? -1 : pending->chan->channel.fd();
}

int gssx_handoff_pending_timeout_ms(gssx_handoff_pending_t pending) {
  return pending == nullptr
             ? -1
             : gssx::transport::PollTimeoutMs(pending->deadline);
}

OM_uint32 gssx_handoff_finish(OM_uint32* minor,
                              gssx_handoff_pending_t* pending,
                              gss_ctx_id_t* ctx) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (OM_uint32 bad = CheckPendingArgs(minor, pending, ctx);
      bad != GSS_S_COMPLETE) {
    return bad;
  }
  gssx_handoff_pending_s* p = *pending;
  std::optional<absl::StatusOr<gssx::transport::Delivery>> outcome = Poll(p);
  if (!outcome.has_value()) {
    if (absl::Now() < p->deadline) return Set(minor, GSS_S_CONTINUE_NEEDED, 0);
    outcome = p->delivery->Abandon(TimedOut("timed out waiting for the ack"));
  }
  return Finish(minor, pending, *outcome, ctx);
}

OM_uint32 gssx_handoff_cancel(OM_uint32* minor,
                              gssx_handoff_pending_t* pending,
                              gss_ctx_id_t* ctx) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (OM_uint32 bad = CheckPendingArgs(minor, pending, ctx);
      bad != GSS_S_COMPLETE) {
    return bad;
  }
  return Finish(minor, pending,
                (*pending)->delivery->Abandon(absl::CancelledError("cancelled")),
                ctx);
}

OM_uint32 gssx_handoff_send(OM_uint32* minor, gssx_chan_t chan,
                            gss_ctx_id_t* ctx, const int* fds, size_t nfds,
                            int timeout_ms) {
  gssx_handoff_pending_t p = nullptr;
  OM_uint32 major =
      gssx_handoff_start(minor, chan, ctx, fds, nfds, timeout_ms, &p);
  if (major != GSS_S_COMPLETE) return major;
  std::optional<absl::StatusOr<gssx::transport::Delivery>> outcome;
  while (!(outcome = Poll(p)).has_value()) {
    absl::Status waited =
        WaitReadable(chan->channel.fd(), p->deadline, "wait for the ack");
    if (waited.ok()) continue;
    if (gssx::transport::ErrnoOf(waited) == EINTR) waited = Interrupted();
    outcome = p->delivery->Abandon(waited);
    break;
  }
  return Finish(minor, &p, *outcome, ctx);
}

OM_uint32 gssx_handoff_receive(OM_uint32* minor, gssx_chan_t chan,
                               int timeout_ms, OM_uint32 required_flags,
                               gss_ctx_id_t* ctx, int* fds, size_t* nfds) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (ctx == nullptr || nfds == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  const size_t room = *nfds;
  *nfds = 0;
  if (chan == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  if (*ctx != GSS_C_NO_CONTEXT || room > GSSX_HANDOFF_MAX_FDS ||
      (room > 0 && fds == nullptr) || timeout_ms < -1) {
    return BadArgument(minor);
  }
  const absl::Time deadline = DeadlineAfter(timeout_ms);
  gssx::krb5::ReceiveMitContextOptions options;
  options.max_extra_fds = room;
  options.timeout = absl::ZeroDuration();  // the waiting is done here
  options.require_established_krb5 = true;
  options.required_services = required_flags;
  for (;;) {
    if (!chan->channel.HasQueuedHandoff()) {
      absl::Status waited =
          WaitReadable(chan->channel.fd(), deadline, "wait for a handoff");
      if (!waited.ok()) return Fail(minor, waited);
    }
    absl::StatusOr<gssx::krb5::ReceivedMitContext> r =
        gssx::krb5::ReceiveMitContext(chan->channel, options);
    if (r.ok()) {
      for (size_t i = 0; i < r->fds.size(); ++i) {
        fds[i] = std::move(r->fds[i]).Release();
      }
      *nfds = r->fds.size();
      *ctx = r->context.release();
      return GSS_S_COMPLETE;
    }
    // What was readable was not a handoff (an ack for our own sends):
    // wait on.
    if (gssx::transport::IsError(r.status(), ErrorKind::kTimeout)) continue;
    return Fail(minor, r.status());
  }
}

OM_uint32 gssx_handoff_export_fd(OM_uint32* minor, gss_ctx_id_t* ctx,
                                 int* fd) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (ctx == nullptr || fd == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  *fd = -1;
  if (*ctx == GSS_C_NO_CONTEXT) return Set(minor, GSS_S_NO_CONTEXT, 0);
  MitContext held(*ctx);
  *ctx = GSS_C_NO_CONTEXT;
  absl::StatusOr<gssx::transport::UniqueFd> sealed =
      gssx::krb5::ExportMitContextToFd(held);
  if (!sealed.ok()) {
    *ctx = held.release();
    return Fail(minor, sealed.status());
  }
  *fd = std::move(*sealed).Release();
  return GSS_S_COMPLETE;
}

OM_uint32 gssx_handoff_import_fd(OM_uint32* minor, int fd,
                                 OM_uint32 required_flags, gss_ctx_id_t* ctx) {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  if (ctx == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  if (*ctx != GSS_C_NO_CONTEXT || fd < 0) return BadArgument(minor);
  absl::StatusOr<MitContext> imported = gssx::krb5::ImportMitContextFromFd(
      fd, /*require_established_krb5=*/true, required_flags);
  if (!imported.ok()) return Fail(minor, imported.status());
  *ctx = imported->release();
  return GSS_S_COMPLETE;
}

}  // extern "C"
