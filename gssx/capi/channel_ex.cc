// SPDX-License-Identifier: Apache-2.0
// <gssx/channel_ex.h>: gssx channels with a peer policy, timeouts and a
// pollable fd — the options of gssx_channel_open,
// gssx_export_sec_context_to and gssx_import_sec_context_from, which keep
// their behaviour (handoff.cc).
#include <gssx/channel_ex.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gssx/capi/internal/common.h"
#include "gssx/handoff.h"
#include "gssx/status.h"
#include "transport/channel.h"
#include "transport/base/deadline.h"
#include "transport/base/errors.h"
#include "transport/peer.h"
#include "transport/base/unique_fd.h"

using gssx::capi_internal::CallingError;
using gssx::capi_internal::ChannelEntry;
using gssx::capi_internal::Channels;
using gssx::capi_internal::ContextEntry;
using gssx::capi_internal::Contexts;
using gssx::capi_internal::Entry;
using gssx::capi_internal::FindContext;
using gssx::capi_internal::HandleOf;
using gssx::capi_internal::KeyOf;
using gssx::capi_internal::NewContextHandle;
using gssx::capi_internal::Translate;
using gssx::transport::Channel;
using gssx::transport::UniqueFd;

namespace {

absl::Status BadArgument(absl::string_view what) {
  return gssx::MakeError(gssx::ErrorKind::kFailure, gssx::Minor::kBadArgument,
                         what);
}

absl::Duration TimeoutOf(int timeout_ms) {
  return timeout_ms < 0 ? absl::InfiniteDuration()
                        : absl::Milliseconds(timeout_ms);
}

}  // namespace

extern "C" {

OM_uint32 gssx_channel_options_init(OM_uint32* minor_status,
                                    gssx_channel_options* options) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (options == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    *options = gssx_channel_options{};
    options->version = GSSX_CHANNEL_OPTIONS_VERSION;
    options->same_uid = 1;
    options->timeout_ms = 30000;
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_channel_open_ex(OM_uint32* minor_status, int socket_fd,
                               const gssx_channel_options* options,
                               gssx_channel_t* channel) {
  // The socket is ours from here on, whatever happens (as
  // gssx_channel_open; an fd that is not open is not adopted).
  UniqueFd socket;
  if (socket_fd >= 0 && ::fcntl(socket_fd, F_GETFD) != -1) {
    socket.Reset(socket_fd);
  }
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (channel == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    gssx_channel_options defaults;
    OM_uint32 ignored;
    gssx_channel_options_init(&ignored, &defaults);
    const gssx_channel_options& o = options != nullptr ? *options : defaults;
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
      return Translate(gssx::OsError(EBADF, "gssx_channel_open_ex"),
                       minor_status);
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
  });
}

OM_uint32 gssx_channel_fd(OM_uint32* minor_status, gssx_channel_t channel,
                          int* fd) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (fd == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    *fd = -1;
    std::shared_ptr<ChannelEntry> chan = Channels().Find(KeyOf(channel));
    if (chan == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    // The socket never changes while the channel is open: no lock needed
    // to read its number.
    *fd = chan->channel.fd();
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_export_sec_context_to_ex(OM_uint32* minor_status,
                                        gss_ctx_id_t* context_handle,
                                        gssx_channel_t channel,
                                        const int* fds, size_t fd_count,
                                        int timeout_ms) {
  return Entry(minor_status, [&]() -> OM_uint32 {
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
    std::shared_ptr<ChannelEntry> chan = Channels().Find(KeyOf(channel));
    if (chan == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    const gss_ctx_id_t handle = *context_handle;
    absl::StatusOr<std::shared_ptr<ContextEntry>> entry = FindContext(handle);
    if (!entry.ok()) return Translate(entry.status(), minor_status);
    // Lock order: channel, then context (as handoff.cc).
    absl::MutexLock channel_lock(&chan->mu);
    absl::MutexLock context_lock(&(*entry)->mu);
    gssx::HandOffOptions options;
    options.ack_timeout = TimeoutOf(timeout_ms);
    absl::StatusOr<gssx::Delivery> delivered = gssx::HandOffContext(
        chan->channel, (*entry)->context, absl::MakeConstSpan(fds, fd_count),
        options);
    if (!delivered.ok()) return Translate(delivered.status(), minor_status);
    Contexts().Remove(KeyOf(handle));
    *context_handle = GSS_C_NO_CONTEXT;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_import_sec_context_from_ex(OM_uint32* minor_status,
                                          gssx_channel_t channel,
                                          int timeout_ms,
                                          gss_ctx_id_t* context_handle,
                                          int* fds, size_t* fd_count) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    const size_t capacity = fd_count != nullptr ? *fd_count : 0;
    if (capacity > 0 && fds == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (timeout_ms < -1) {
      return Translate(
          BadArgument("gssx_import_sec_context_from_ex: timeout"),
          minor_status);
    }
    std::shared_ptr<ChannelEntry> chan = Channels().Find(KeyOf(channel));
    if (chan == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    absl::MutexLock channel_lock(&chan->mu);
    const absl::Time deadline = timeout_ms < 0
                                    ? absl::InfiniteFuture()
                                    : absl::Now() + TimeoutOf(timeout_ms);
    gssx::ReceiveContextOptions options;
    options.max_extra_fds =
        std::min(capacity, gssx::transport::kMaxExtraFds);
    options.timeout = absl::ZeroDuration();  // the waiting is done here
    for (;;) {
      // Waits here rather than in the transport, which retries EINTR: a
      // signal handler can interrupt this wait.
      if (!chan->channel.HasQueuedHandoff()) {
        struct pollfd p = {chan->channel.fd(), POLLIN, 0};
        const int n = ::poll(&p, 1, gssx::transport::PollTimeoutMs(deadline));
        if (n < 0) return Translate(gssx::OsError(errno, "poll"), minor_status);
        if (n == 0) {
          return Translate(
              gssx::transport::MakeError(gssx::transport::ErrorKind::kTimeout,
                                         "no context arrived in time"),
              minor_status);
        }
      }
      absl::StatusOr<gssx::ReceivedContext> received =
          gssx::ReceiveContext(chan->channel, options);
      // What was readable was not a context (an ack for our own
      // exports): wait on.
      if (gssx::transport::IsError(received.status(),
                                   gssx::transport::ErrorKind::kTimeout)) {
        continue;
      }
      if (!received.ok()) return Translate(received.status(), minor_status);
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

}  // extern "C"
