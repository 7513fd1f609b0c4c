/* SPDX-License-Identifier: Apache-2.0 */
/* <gssx/channel_ex.h> (included by <gssx/gssx.h>): gssx channels with a
 * peer policy, timeouts and a pollable fd. The calls of <gssx/gssx.h>
 * keep their behaviour (same uid, 30 s, blocking imports); these are the
 * same with options:
 *
 *     gssx_channel_options o;
 *     uid_t worker = 1001;
 *     gssx_channel_options_init(&minor, &o);
 *     o.same_uid = 0; o.root = 1; o.uids = &worker; o.uid_count = 1;
 *     major = gssx_channel_open_ex(&minor, sock, &o, &ch);  root or 1001
 *     major = gssx_channel_fd(&minor, ch, &fd);             for poll/epoll
 *     major = gssx_import_sec_context_from_ex(&minor, ch, 0, &ctx, fds, &n);
 *
 * Thread safety: as <gssx/gssx.h> (calls on one channel are serialized).
 */
#ifndef GSSX_CHANNEL_EX_H_
#define GSSX_CHANNEL_EX_H_

#include <stddef.h>
#include <sys/types.h>

#include <gssapi/gssapi.h>
#include <gssx/gssx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GSSX_CHANNEL_OPTIONS_VERSION 1

/* The peer is admitted when any of these holds: same_uid and its uid is
   this process's effective uid; root and its uid is 0; its uid is in
   uids; its gid is in gids. A policy that admits nobody is a bad argument
   (GSS_S_FAILURE, minor "An argument is invalid."). The arrays are copied
   by gssx_channel_open_ex. */
typedef struct gssx_channel_options {
  unsigned int version; /* GSSX_CHANNEL_OPTIONS_VERSION */
  int same_uid;         /* default 1 */
  int root;             /* default 0 */
  const uid_t *uids;    /* default NULL */
  size_t uid_count;     /* default 0 */
  const gid_t *gids;    /* default NULL */
  size_t gid_count;     /* default 0 */
  /* Milliseconds gssx_channel_open_ex waits for the peer to open its end,
     and a send for room in the socket buffer; -1: no limit. Default
     30000. */
  int timeout_ms;
} gssx_channel_options;

/* Fills *options with the defaults (same uid, 30 s). */
OM_uint32 gssx_channel_options_init(OM_uint32 *minor_status,
                                    gssx_channel_options *options);

/* gssx_channel_open with options (NULL: the defaults). Ownership of
   socket_fd as gssx_channel_open: gssx's in every case. Errors as
   gssx_channel_open's; a refusal by either policy is GSS_S_UNAUTHORIZED. */
OM_uint32 gssx_channel_open_ex(OM_uint32 *minor_status, int socket_fd,
                               const gssx_channel_options *options,
                               gssx_channel_t *channel);

/* The channel's socket, for poll/epoll (POLLIN: a context, an answer or
   the peer's close has arrived). Owned by the channel: do not read, write
   or close it. GSS_S_CALL_BAD_STRUCTURE if channel is not open. */
OM_uint32 gssx_channel_fd(OM_uint32 *minor_status, gssx_channel_t channel,
                          int *fd);

/* gssx_export_sec_context_to, waiting at most timeout_ms (-1: no limit)
   for the importer's acknowledgement instead of 30 s. */
OM_uint32 gssx_export_sec_context_to_ex(OM_uint32 *minor_status,
                                        gss_ctx_id_t *context_handle,
                                        gssx_channel_t channel,
                                        const int *fds, size_t fd_count,
                                        int timeout_ms);

/* gssx_import_sec_context_from, waiting at most timeout_ms (-1: no limit;
   0: only what has already arrived). A signal whose handler was installed
   without SA_RESTART interrupts the wait: GSS_S_FAILURE with minor EINTR,
   nothing consumed. No context in time: GSS_S_FAILURE with the transport's
   "timed out" minor (gss_display_status says so). */
OM_uint32 gssx_import_sec_context_from_ex(OM_uint32 *minor_status,
                                          gssx_channel_t channel,
                                          int timeout_ms,
                                          gss_ctx_id_t *context_handle,
                                          int *fds, size_t *fd_count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSX_CHANNEL_EX_H_ */
