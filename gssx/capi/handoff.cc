// SPDX-License-Identifier: Apache-2.0
// The gssx extensions (<gssx/gssx.h>): channels, and handing a context to
// another process over a channel or as a raw sealed memfd, on top of
// gssx/handoff.h and transport/channel.h.
#include <fcntl.h>
#include <gssx/gssx.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "gssx/capi/internal/common.h"
#include "gssx/context.h"
#include "gssx/handoff.h"
#include "gssx/status.h"
#include "transport/channel.h"
#include "transport/base/unique_fd.h"

using gssx::Context;
using gssx::capi_internal::CallingError;
using gssx::capi_internal::ChannelEntry;
using gssx::capi_internal::Channels;
using gssx::capi_internal::ClearNewContext;
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

// Owns `fd` if it is an open descriptor (an invalid number is not adopted:
// closing it would be closing someone else's fd, or EBADF).
UniqueFd Adopt(int fd) {
  if (fd < 0 || ::fcntl(fd, F_GETFD) == -1) return UniqueFd();
  return UniqueFd(fd);
}

std::shared_ptr<ChannelEntry> FindChannel(gssx_channel_t channel) {
  return Channels().Find(KeyOf(channel));
}

}  // namespace

extern "C" {

OM_uint32 gssx_channel_open(OM_uint32* minor_status, int socket_fd,
                            gssx_channel_t* channel) {
  if (channel != nullptr) *channel = GSSX_NO_CHANNEL;  // output: set on entry
  // The socket is ours from here on, whatever happens.
  UniqueFd socket = Adopt(socket_fd);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (channel == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (!socket.valid()) {
      return Translate(gssx::OsError(EBADF, "gssx_channel_open"),
                       minor_status);
    }
    absl::StatusOr<Channel> opened = Channel::Open(std::move(socket));
    if (!opened.ok()) return Translate(opened.status(), minor_status);
    *channel = HandleOf<gssx_channel_t>(Channels().Insert(
        std::make_shared<ChannelEntry>(*std::move(opened))));
    return GSS_S_COMPLETE;
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

OM_uint32 gssx_export_sec_context_to(OM_uint32* minor_status,
                                     gss_ctx_id_t* context_handle,
                                     gssx_channel_t channel, const int* fds,
                                     size_t fd_count) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (context_handle == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (fds == nullptr && fd_count > 0) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
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
    absl::StatusOr<gssx::Delivery> delivered = gssx::HandOffContext(
        chan->channel, (*entry)->context,
        absl::MakeConstSpan(fds, fd_count));
    if (!delivered.ok()) return Translate(delivered.status(), minor_status);
    Contexts().Remove(KeyOf(handle));
    *context_handle = GSS_C_NO_CONTEXT;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_import_sec_context_from(OM_uint32* minor_status,
                                       gssx_channel_t channel,
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
    std::shared_ptr<ChannelEntry> chan = FindChannel(channel);
    if (chan == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    absl::MutexLock channel_lock(&chan->mu);
    gssx::ReceiveContextOptions options;
    options.max_extra_fds =
        std::min(capacity, gssx::transport::kMaxExtraFds);
    absl::StatusOr<gssx::ReceivedContext> received =
        gssx::ReceiveContext(chan->channel, options);
    if (!received.ok()) return Translate(received.status(), minor_status);
    // Registering the handle cannot fail but for memory (an exception,
    // caught by Entry, with the fds still owned here and closed).
    const gss_ctx_id_t handle = NewContextHandle(std::move(received->context));
    const size_t n = received->fds.size();
    for (size_t i = 0; i < n; ++i) fds[i] = received->fds[i].Release();
    if (fd_count != nullptr) *fd_count = n;
    *context_handle = handle;
    return GSS_S_COMPLETE;
  });
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
