/* SPDX-License-Identifier: Apache-2.0 */
/* gssx.h: hand a live GSS-API security context to another process on the
 * same machine, exactly once (the gssx extensions to RFC 2744).
 *
 * Exporter (e.g. a pre-fork master that authenticated a client):
 *
 *     gssx_channel_t ch;
 *     if (gssx_channel_open(&minor, worker_socket, &ch) != GSS_S_COMPLETE)
 *       ...;
 *     int fds[1] = { client_socket };
 *     major = gssx_export_sec_context_to(&minor, &ctx, ch, fds, 1);
 *     if (major == GSS_S_COMPLETE) close(client_socket);  (ctx is now
 *                                                         GSS_C_NO_CONTEXT)
 *
 * Importer (a worker):
 *
 *     int fds[1]; size_t n = 1;
 *     major = gssx_import_sec_context_from(&minor, ch, &ctx, fds, &n);
 *     (ctx continues exactly where the exporter stopped; fds[0] is the
 *      client socket)
 *
 * How: the context's state is sealed into a memfd, encrypted under a
 * one-time key that travels in the socket message body, and sent with the
 * fds in one SCM_RIGHTS message on an AF_UNIX SOCK_SEQPACKET socket. The
 * importer verifies and decrypts it, then consumes it with a kernel latch
 * (F_SEAL_SEAL), so that exactly one process in the system imports it.
 *
 * Status codes (major; gss_display_status renders every minor code):
 *   GSS_S_NO_CONTEXT       the handle is GSS_C_NO_CONTEXT, deleted or
 *                          exported; or the token was already imported
 *                          elsewhere (its minor code says so)
 *   GSS_S_CONTEXT_EXPIRED  the context expired
 *   GSS_S_UNAVAILABLE      not transferable, not yet established, or the
 *                          kernel lacks sealed memfds
 *   GSS_S_DEFECTIVE_TOKEN  malformed, truncated, unsealed, wrong-size or
 *                          undecryptable token
 *   GSS_S_UNAUTHORIZED     the peer's credentials were refused by policy
 *                          (or ours by the peer's)
 *   GSS_S_FAILURE          an OS failure (minor: the errno), the peer
 *                          closed, refused the token or timed out
 *   GSS_S_CALL_INACCESSIBLE_READ / _WRITE   a required pointer is NULL
 *
 * Every fd gssx creates or receives is close-on-exec. Channels are
 * validated like the RFC 2744 handles: a closed or unknown channel answers
 * the calling error GSS_S_CALL_BAD_STRUCTURE, never undefined behaviour. A
 * channel is used by one thread at a time (other callers wait).
 */
#ifndef GSSX_GSSX_H_
#define GSSX_GSSX_H_

#include <stddef.h>

#include <gssapi/gssapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The gssx release this header belongs to. The ABI is versioned apart from
   it: the soname is libgssx.so.1 and the symbols carry the version node
   GSSX_1, whatever the release number (docs/stability.md). */
#define GSSX_VERSION_MAJOR 0
#define GSSX_VERSION_MINOR 1
#define GSSX_VERSION_PATCH 0
#define GSSX_VERSION_STRING "0.1.0"

/* The release of the library the program runs with ("0.1.0"), which can be
   newer than the header it was compiled with. A static string. */
const char *gssx_version(void);

typedef struct gssx_channel_struct *gssx_channel_t;

#define GSSX_NO_CHANNEL ((gssx_channel_t)0)

/* Takes ownership of a connected AF_UNIX SOCK_SEQPACKET socket; checks the
   peer's credentials against the default policy (same uid). The socket is
   gssx's in every case: on failure it is closed. Blocks until the peer
   opens its end too (at most 30 seconds). Errors: GSS_S_UNAUTHORIZED (the
   peer's uid differs, or the peer refused ours), GSS_S_FAILURE (not such a
   socket: minor "An argument is invalid."; an OS failure: minor errno; the
   peer closed or did not answer in time). */
OM_uint32 gssx_channel_open(OM_uint32 *minor_status, int socket_fd,
                            gssx_channel_t *channel);

/* Closes the channel and its socket; *channel becomes GSSX_NO_CHANNEL.
   GSS_S_CALL_BAD_STRUCTURE if *channel is not an open channel. */
OM_uint32 gssx_channel_close(OM_uint32 *minor_status, gssx_channel_t *channel);

/* Exports *context_handle into a sealed memfd and sends it, with copies of
   fds[0..fd_count) (the caller keeps its own), in one message. On success
   *context_handle becomes GSS_C_NO_CONTEXT. Then waits (at most 30 seconds)
   for the importer's acknowledgement: if it refuses the token, closes the
   channel or does not answer, the context is taken back through the kernel
   latch and stays usable under the same handle (GSS_S_FAILURE; minor says
   why). If the importer consumed the token but died before acknowledging,
   the context is gone with it: GSS_S_COMPLETE (it was exported). */
OM_uint32 gssx_export_sec_context_to(OM_uint32 *minor_status,
                                     gss_ctx_id_t *context_handle,
                                     gssx_channel_t channel, const int *fds,
                                     size_t fd_count);

/* Receives one exported context and the fds sent with it. *fd_count is the
   capacity of fds on entry and the number received on return; the caller
   owns them. More fds than capacity: all closed, error, nothing imported.
   fd_count may be NULL (no fds accepted). Blocks until a context arrives.
   A token that does not import (malformed, expired) is refused without
   being consumed, so its exporter takes it back. */
OM_uint32 gssx_import_sec_context_from(OM_uint32 *minor_status,
                                       gssx_channel_t channel,
                                       gss_ctx_id_t *context_handle, int *fds,
                                       size_t *fd_count);

/* Raw form: export to / import from a sealed memfd the caller transports
   (its own SCM_RIGHTS, systemd's fd store, inheritance across exec). The
   memfd holds the context in plaintext until imported: prefer the channel
   form.
   Export: on success *token_fd is a new close-on-exec fd the caller owns
   and *context_handle becomes GSS_C_NO_CONTEXT. */
OM_uint32 gssx_export_sec_context_fd(OM_uint32 *minor_status,
                                     gss_ctx_id_t *context_handle,
                                     int *token_fd);
/* Import: verifies, imports and consumes the token in token_fd (which the
   caller still owns and closes). A token already imported, by any
   process, answers GSS_S_NO_CONTEXT with the "already imported" minor. */
OM_uint32 gssx_import_sec_context_fd(OM_uint32 *minor_status, int token_fd,
                                     gss_ctx_id_t *context_handle);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSX_GSSX_H_ */
