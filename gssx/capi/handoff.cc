// SPDX-License-Identifier: Apache-2.0
// The gssx extensions (<gssx/gssx.h>, <gssx/channel_ex.h>): channels, and
// handing a context to another process over a channel or as a raw sealed
// memfd, on top of gssx/handoff.h (the transport's generic handoff with
// gssx's context codec). Each plain call is its _ex form with the
// defaults (same uid, 30 s) — except the plain import, which blocks in the
// transport (a signal does not interrupt it) where the _ex import waits
// here, interruptibly.
#include <fcntl.h>
#include <gssx/channel_ex.h>
#include <gssx/gssx.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gssx/capi/internal/common.h"
#include "gssx/context.h"
#include "gssx/handoff.h"
#include "gssx/status.h"
#include "transport/base/deadline.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/peer.h"
#include "transport/base/unique_fd.h"

using gssx::Context;
using gssx::capi::internal::CallingError;
using gssx::capi::internal::ChannelEntry;
using gssx::capi::internal::Channels;
using gssx::capi::internal::ClearNewContext;
using gssx::capi::internal::ContextEntry;
using gssx::capi::internal::Contexts;
using gssx::capi::internal::Entry;
using gssx::capi::internal::FindContext;
using gssx::capi::internal::HandleOf;
using gssx::capi::internal::KeyOf;
using gssx::capi::internal::NewContextHandle;
using gssx::capi::internal::Translate;
using gssx::transport::Channel;
using gssx::transport::UniqueFd;

namespace {

constexpr int kDefaultTimeoutMs = 30000;

// Owns `fd` if it is an open descriptor (an invalid number is not adopted:
// closing it would be closing someone else's fd, or EBADF).
UniqueFd Adopt(int fd) {
  if (fd < 0 || ::fcntl(fd, F_GETFD) == -1) return UniqueFd();
  return UniqueFd(fd);
}

std::shared_ptr<ChannelEntry> FindChannel(gssx_channel_t channel) {
  return Channels().Find(KeyOf(channel));
}

absl::Status BadArgument(absl::string_view what) {
  return gssx::MakeError(gssx::ErrorKind::kFailure, gssx::Minor::kBadArgument,
                         what);
}

absl::Duration TimeoutOf(int timeout_ms) {
  return timeout_ms < 0 ? absl::InfiniteDuration()
                        : absl::Milliseconds(timeout_ms);
}

gssx_channel_options DefaultOptions() {
  gssx_channel_options o{};
  o.version = GSSX_CHANNEL_OPTIONS_VERSION;
  o.same_uid = 1;
  o.timeout_ms = kDefaultTimeoutMs;
  return o;
}

// gssx_channel_open(_ex): `socket` is already ours.
OM_uint32 OpenChannel(OM_uint32* minor_status, UniqueFd socket,
                      const gssx_channel_options& o, gssx_channel_t* channel) {
  if (channel == nullptr) {
    return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
  }
  if (o.version != GSSX_CHANNEL_OPTIONS_VERSION ||
      (o.uid_count > 0 && o.uids == nullptr) ||
      (o.gid_count > 0 && o.gids == nullptr) || o.timeout_ms < -1) {
    return Translate(BadArgument("gssx_channel_open_ex: bad options"),
                     minor_status);
  }
  gssx::transport::PeerPolicy policy = gssx::transport::PeerPolicy::Nobody();
  if (o.same_uid) policy.AllowUid(::geteuid());
  if (o.root) policy.AllowUid(0);
  for (size_t i = 0; i < o.uid_count; ++i) policy.AllowUid(o.uids[i]);
  for (size_t i = 0; i < o.gid_count; ++i) policy.AllowGid(o.gids[i]);
  if (!o.same_uid && !o.root && o.uid_count == 0 && o.gid_count == 0) {
    return Translate(
        BadArgument("gssx_channel_open_ex: the policy admits nobody"),
        minor_status);
  }
  if (!socket.valid()) {
    return Translate(gssx::OsError(EBADF, "gssx_channel_open"), minor_status);
  }
  gssx::transport::ChannelOptions channel_options;
  channel_options.policy = policy;
  channel_options.open_timeout = TimeoutOf(o.timeout_ms);
  channel_options.send_timeout = TimeoutOf(o.timeout_ms);
  absl::StatusOr<Channel> opened =
      Channel::Open(std::move(socket), channel_options);
  if (!opened.ok()) return Translate(opened.status(), minor_status);
  *channel = HandleOf<gssx_channel_t>(Channels().Insert(
      std::make_shared<ChannelEntry>(*std::move(opened))));
  return GSS_S_COMPLETE;
}

// gssx_export_sec_context_to(_ex).
OM_uint32 ExportTo(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                   gssx_channel_t channel, const int* fds, size_t fd_count,
                   int timeout_ms) {
  if (context_handle == nullptr) {
    return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
  }
  if (fds == nullptr && fd_count > 0) {
    return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
  }
  if (timeout_ms < -1) {
    return Translate(BadArgument("gssx_export_sec_context_to_ex: timeout"),
                     minor_status);
  }
  std::shared_ptr<ChannelEntry> chan = FindChannel(channel);
  if (chan == nullptr) {
    return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
  }
  const gss_ctx_id_t handle = *context_handle;
  absl::StatusOr<std::shared_ptr<ContextEntry>> entry = FindContext(handle);
  if (!entry.ok()) return Translate(entry.status(), minor_status);
  // Lock order: channel, then context.
  absl::MutexLock channel_lock(&chan->mu);
  absl::MutexLock context_lock(&(*entry)->mu);
  gssx::HandOffOptions options;
  options.ack_timeout = TimeoutOf(timeout_ms);
  absl::StatusOr<gssx::Delivery> delivered =
      gssx::HandOffContext(chan->channel, (*entry)->context,
                           absl::MakeConstSpan(fds, fd_count), options);
  if (!delivered.ok()) return Translate(delivered.status(), minor_status);
  Contexts().Remove(KeyOf(handle));
  *context_handle = GSS_C_NO_CONTEXT;
  return GSS_S_COMPLETE;
}

// Waits here (interruptibly) until the channel is readable or `deadline`.
absl::Status WaitReadable(Channel& channel, absl::Time deadline) {
  if (channel.HasQueuedHandoff()) return absl::OkStatus();
  struct pollfd p = {channel.fd(), POLLIN, 0};
  const int n = ::poll(&p, 1, gssx::transport::PollTimeoutMs(deadline));
  if (n < 0) return gssx::OsError(errno, "poll");
  if (n == 0) {
    return gssx::ToGssxStatus(gssx::transport::MakeError(
        gssx::transport::ErrorKind::kTimeout, "no context arrived in time"));
  }
  return absl::OkStatus();
}

// gssx_import_sec_context_from(_ex). `wait_here`: wait here, interruptibly,
// at most timeout_ms (-1: no limit); else block in the transport.
OM_uint32 ImportFrom(OM_uint32* minor_status, gssx_channel_t channel,
                     int timeout_ms, bool wait_here,
                     gss_ctx_id_t* context_handle, int* fds,
                     size_t* fd_count) {
  // Outputs set on entry: no context, no fds (*fd_count 0, the slots -1),
  // so a caller that closes fds[0..*fd_count) after an error closes
  // nothing. *fd_count is the capacity on entry: read first.
  const size_t capacity = fd_count != nullptr ? *fd_count : 0;
  ClearNewContext(context_handle);
  if (fd_count != nullptr) *fd_count = 0;
  if (fds != nullptr) std::fill(fds, fds + capacity, -1);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (capacity > 0 && fds == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (timeout_ms < -1) {
      return Translate(
          BadArgument("gssx_import_sec_context_from_ex: timeout"),
          minor_status);
    }
    std::shared_ptr<ChannelEntry> chan = FindChannel(channel);
    if (chan == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    absl::MutexLock channel_lock(&chan->mu);
    const absl::Time deadline = timeout_ms < 0
                                    ? absl::InfiniteFuture()
                                    : absl::Now() + TimeoutOf(timeout_ms);
    gssx::ReceiveContextOptions options;
    options.max_extra_fds = std::min(capacity, gssx::transport::kMaxExtraFds);
    if (wait_here) options.timeout = absl::ZeroDuration();
    for (;;) {
      if (wait_here) {
        absl::Status ready = WaitReadable(chan->channel, deadline);
        if (!ready.ok()) return Translate(ready, minor_status);
      }
      absl::StatusOr<gssx::ReceivedContext> received =
          gssx::ReceiveContext(chan->channel, options);
      // What was readable was not a context (an ack for our own
      // exports): wait on.
      if (wait_here &&
          gssx::transport::IsError(received.status(),
                                   gssx::transport::ErrorKind::kTimeout)) {
        continue;
      }
      if (!received.ok()) return Translate(received.status(), minor_status);
      // Registering the handle cannot fail but for memory (an exception,
      // caught by Entry, with the fds still owned here and closed).
      const gss_ctx_id_t handle =
          NewContextHandle(std::move(received->context));
      const size_t n = received->fds.size();
      for (size_t i = 0; i < n; ++i) fds[i] = received->fds[i].Release();
      if (fd_count != nullptr) *fd_count = n;
      *context_handle = handle;
      return GSS_S_COMPLETE;
    }
  });
}

}  // namespace

extern "C" {

OM_uint32 gssx_channel_options_init(OM_uint32* minor_status,
                                    gssx_channel_options* options) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (options == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    *options = DefaultOptions();
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_channel_open(OM_uint32* minor_status, int socket_fd,
                            gssx_channel_t* channel) {
  return gssx_channel_open_ex(minor_status, socket_fd, nullptr, channel);
}

OM_uint32 gssx_channel_open_ex(OM_uint32* minor_status, int socket_fd,
                               const gssx_channel_options* options,
                               gssx_channel_t* channel) {
  if (channel != nullptr) *channel = GSSX_NO_CHANNEL;  // output: set on entry
  // The socket is ours from here on, whatever happens.
  UniqueFd socket = Adopt(socket_fd);
  return Entry(minor_status, [&]() -> OM_uint32 {
    return OpenChannel(minor_status, std::move(socket),
                       options != nullptr ? *options : DefaultOptions(),
                       channel);
  });
}

OM_uint32 gssx_channel_close(OM_uint32* minor_status,
                             gssx_channel_t* channel) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (channel == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    std::shared_ptr<ChannelEntry> entry = Channels().Remove(KeyOf(*channel));
    if (entry == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    *channel = GSSX_NO_CHANNEL;
    // The socket closes when the last user (a call still running on
    // another thread) lets go of the entry.
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_channel_fd(OM_uint32* minor_status, gssx_channel_t channel,
                          int* fd) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (fd == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    *fd = -1;
    std::shared_ptr<ChannelEntry> chan = FindChannel(channel);
    if (chan == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    // The socket never changes while the channel is open: no lock needed
    // to read its number.
    *fd = chan->channel.fd();
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_export_sec_context_to(OM_uint32* minor_status,
                                     gss_ctx_id_t* context_handle,
                                     gssx_channel_t channel, const int* fds,
                                     size_t fd_count) {
  return gssx_export_sec_context_to_ex(minor_status, context_handle, channel,
                                       fds, fd_count, kDefaultTimeoutMs);
}

OM_uint32 gssx_export_sec_context_to_ex(OM_uint32* minor_status,
                                        gss_ctx_id_t* context_handle,
                                        gssx_channel_t channel,
                                        const int* fds, size_t fd_count,
                                        int timeout_ms) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    return ExportTo(minor_status, context_handle, channel, fds, fd_count,
                    timeout_ms);
  });
}

OM_uint32 gssx_import_sec_context_from(OM_uint32* minor_status,
                                       gssx_channel_t channel,
                                       gss_ctx_id_t* context_handle, int* fds,
                                       size_t* fd_count) {
  return ImportFrom(minor_status, channel, /*timeout_ms=*/-1,
                    /*wait_here=*/false, context_handle, fds, fd_count);
}

OM_uint32 gssx_import_sec_context_from_ex(OM_uint32* minor_status,
                                          gssx_channel_t channel,
                                          int timeout_ms,
                                          gss_ctx_id_t* context_handle,
                                          int* fds, size_t* fd_count) {
  return ImportFrom(minor_status, channel, timeout_ms, /*wait_here=*/true,
                    context_handle, fds, fd_count);
}

OM_uint32 gssx_export_sec_context_fd(OM_uint32* minor_status,
                                     gss_ctx_id_t* context_handle,
                                     int* token_fd) {
  // Set on entry to -1, never 0: closing it after an error closes nothing
  // (0 would be stdin). *context_handle is input/output: the caller's.
  if (token_fd != nullptr) *token_fd = -1;
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr || token_fd == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    const gss_ctx_id_t handle = *context_handle;
    absl::StatusOr<std::shared_ptr<ContextEntry>> entry = FindContext(handle);
    if (!entry.ok()) return Translate(entry.status(), minor_status);
    absl::MutexLock lock(&(*entry)->mu);
    absl::StatusOr<UniqueFd> fd = gssx::ExportContextToFd((*entry)->context);
    if (!fd.ok()) return Translate(fd.status(), minor_status);
    Contexts().Remove(KeyOf(handle));
    *context_handle = GSS_C_NO_CONTEXT;
    *token_fd = std::move(*fd).Release();
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_import_sec_context_fd(OM_uint32* minor_status, int token_fd,
                                     gss_ctx_id_t* context_handle) {
  ClearNewContext(context_handle);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    absl::StatusOr<Context> ctx = gssx::ImportContextFromFd(token_fd);
    if (!ctx.ok()) return Translate(ctx.status(), minor_status);
    *context_handle = NewContextHandle(*std::move(ctx));
    return GSS_S_COMPLETE;
  });
}

}  // extern "C"
