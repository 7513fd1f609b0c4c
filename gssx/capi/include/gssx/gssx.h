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

/* Minor status codes of the gssx mechanism: what *minor_status holds after
   a call that failed (gss_display_status with GSS_C_MECH_CODE renders
   each one, with the detail of this thread's last error of that code).
   An operating-system failure (GSS_S_FAILURE) has the errno instead. */
#define GSSX_MINOR_BASE 0x67737800ul
#define GSSX_MINOR_NO_CONTEXT_HANDLE (GSSX_MINOR_BASE + 1)
#define GSSX_MINOR_CONTEXT_DELETED (GSSX_MINOR_BASE + 2)
#define GSSX_MINOR_CONTEXT_EXPORTED (GSSX_MINOR_BASE + 3)
#define GSSX_MINOR_CONTEXT_NOT_ESTABLISHED (GSSX_MINOR_BASE + 4)
#define GSSX_MINOR_CONTEXT_ALREADY_ESTABLISHED (GSSX_MINOR_BASE + 5)
#define GSSX_MINOR_HANDSHAKE_FAILED (GSSX_MINOR_BASE + 6)
#define GSSX_MINOR_CONTEXT_NOT_TRANSFERABLE (GSSX_MINOR_BASE + 7)
#define GSSX_MINOR_SEQUENCE_EXHAUSTED (GSSX_MINOR_BASE + 8)
#define GSSX_MINOR_LIFETIME_EXPIRED (GSSX_MINOR_BASE + 9)
#define GSSX_MINOR_TOKEN_MALFORMED (GSSX_MINOR_BASE + 20)
#define GSSX_MINOR_WRONG_MECHANISM (GSSX_MINOR_BASE + 21)
#define GSSX_MINOR_WRONG_TOKEN_TYPE (GSSX_MINOR_BASE + 22)
#define GSSX_MINOR_HANDSHAKE_DECRYPT_FAILED (GSSX_MINOR_BASE + 23)
#define GSSX_MINOR_PAYLOAD_MALFORMED (GSSX_MINOR_BASE + 24)
#define GSSX_MINOR_UNKNOWN_TARGET (GSSX_MINOR_BASE + 25)
#define GSSX_MINOR_UNTRUSTED_INITIATOR (GSSX_MINOR_BASE + 26)
#define GSSX_MINOR_TARGET_NAME_MISMATCH (GSSX_MINOR_BASE + 27)
#define GSSX_MINOR_CHANNEL_BINDINGS_MISMATCH (GSSX_MINOR_BASE + 28)
#define GSSX_MINOR_CREDENTIAL_USAGE (GSSX_MINOR_BASE + 29)
#define GSSX_MINOR_MESSAGE_AUTH_FAILED (GSSX_MINOR_BASE + 40)
#define GSSX_MINOR_WRONG_DIRECTION (GSSX_MINOR_BASE + 41)
#define GSSX_MINOR_UNSUPPORTED_QOP (GSSX_MINOR_BASE + 42)
#define GSSX_MINOR_MESSAGE_TOO_LARGE (GSSX_MINOR_BASE + 43)
#define GSSX_MINOR_NAME_MALFORMED (GSSX_MINOR_BASE + 60)
#define GSSX_MINOR_NAME_TYPE_UNSUPPORTED (GSSX_MINOR_BASE + 61)
#define GSSX_MINOR_NAME_NOT_MECHANISM_NAME (GSSX_MINOR_BASE + 62)
#define GSSX_MINOR_EXPORTED_NAME_MALFORMED (GSSX_MINOR_BASE + 63)
#define GSSX_MINOR_NAME_EMPTY (GSSX_MINOR_BASE + 64)
#define GSSX_MINOR_OID_MALFORMED (GSSX_MINOR_BASE + 65)
#define GSSX_MINOR_NO_KEYTAB (GSSX_MINOR_BASE + 80)
#define GSSX_MINOR_KEYTAB_UNREADABLE (GSSX_MINOR_BASE + 81)
#define GSSX_MINOR_KEYTAB_INSECURE (GSSX_MINOR_BASE + 82)
#define GSSX_MINOR_KEYTAB_MALFORMED (GSSX_MINOR_BASE + 83)
#define GSSX_MINOR_IDENTITY_NOT_FOUND (GSSX_MINOR_BASE + 84)
#define GSSX_MINOR_DUPLICATE_IDENTITY (GSSX_MINOR_BASE + 85)
#define GSSX_MINOR_TRUST_UNREADABLE (GSSX_MINOR_BASE + 86)
#define GSSX_MINOR_TRUST_INSECURE (GSSX_MINOR_BASE + 87)
#define GSSX_MINOR_TRUST_MALFORMED (GSSX_MINOR_BASE + 88)
#define GSSX_MINOR_NO_IDENTITY (GSSX_MINOR_BASE + 89)
#define GSSX_MINOR_EXPORT_TOKEN_MALFORMED (GSSX_MINOR_BASE + 100)
#define GSSX_MINOR_EXPORT_TOKEN_VERSION (GSSX_MINOR_BASE + 101)
#define GSSX_MINOR_EXPORT_TOKEN_CHECKSUM (GSSX_MINOR_BASE + 102)
#define GSSX_MINOR_INTERNAL (GSSX_MINOR_BASE + 121)
#define GSSX_MINOR_BAD_ARGUMENT (GSSX_MINOR_BASE + 122)
#define GSSX_MINOR_NOT_SUPPORTED (GSSX_MINOR_BASE + 123)
#define GSSX_MINOR_CRED_STORE_KEY_UNKNOWN (GSSX_MINOR_BASE + 124)
#define GSSX_MINOR_NO_LOCAL_ACCOUNT (GSSX_MINOR_BASE + 125)
/* Live upgrade (<gssx/live_upgrade.h>): the other binary refused it (the
   detail is its reason); no inherited upgrade channel (gssx_upgrade_accept
   in a process not started by gssx_upgrade_start); an earlier step of
   this upgrade failed (commit or abort it). */
#define GSSX_MINOR_UPGRADE_REFUSED (GSSX_MINOR_BASE + 126)
#define GSSX_MINOR_NOT_UPGRADING (GSSX_MINOR_BASE + 127)
#define GSSX_MINOR_UPGRADE_FAILED (GSSX_MINOR_BASE + 128)
/* A failure of the context transfer (channel, memfd token). */
#define GSSX_MINOR_TRANSPORT_BASE 0x67737900ul
#define GSSX_MINOR_TRANSPORT_NOT_MEMFD (GSSX_MINOR_TRANSPORT_BASE + 1)
#define GSSX_MINOR_TRANSPORT_NOT_READ_WRITE (GSSX_MINOR_TRANSPORT_BASE + 2)
#define GSSX_MINOR_TRANSPORT_NOT_SEALED (GSSX_MINOR_TRANSPORT_BASE + 3)
#define GSSX_MINOR_TRANSPORT_SIZE_MISMATCH (GSSX_MINOR_TRANSPORT_BASE + 4)
#define GSSX_MINOR_TRANSPORT_MALFORMED (GSSX_MINOR_TRANSPORT_BASE + 5)
#define GSSX_MINOR_TRANSPORT_AUTHENTICATION_FAILED (GSSX_MINOR_TRANSPORT_BASE + 6)
#define GSSX_MINOR_TRANSPORT_ALREADY_CONSUMED (GSSX_MINOR_TRANSPORT_BASE + 7)
#define GSSX_MINOR_TRANSPORT_TOO_MANY_FDS (GSSX_MINOR_TRANSPORT_BASE + 8)
#define GSSX_MINOR_TRANSPORT_CONTROL_TRUNCATED (GSSX_MINOR_TRANSPORT_BASE + 9)
#define GSSX_MINOR_TRANSPORT_MESSAGE_TRUNCATED (GSSX_MINOR_TRANSPORT_BASE + 10)
#define GSSX_MINOR_TRANSPORT_PEER_CLOSED (GSSX_MINOR_TRANSPORT_BASE + 11)
#define GSSX_MINOR_TRANSPORT_PEER_NOT_ALLOWED (GSSX_MINOR_TRANSPORT_BASE + 12)
#define GSSX_MINOR_TRANSPORT_REFUSED_BY_PEER (GSSX_MINOR_TRANSPORT_BASE + 13)
#define GSSX_MINOR_TRANSPORT_REJECTED_BY_PEER (GSSX_MINOR_TRANSPORT_BASE + 14)
#define GSSX_MINOR_TRANSPORT_TIMEOUT (GSSX_MINOR_TRANSPORT_BASE + 15)
#define GSSX_MINOR_TRANSPORT_OS (GSSX_MINOR_TRANSPORT_BASE + 16)
#define GSSX_MINOR_TRANSPORT_BAD_ARGUMENT (GSSX_MINOR_TRANSPORT_BASE + 17)
#define GSSX_MINOR_TRANSPORT_UNSUPPORTED (GSSX_MINOR_TRANSPORT_BASE + 18)

/* Takes ownership of a connected AF_UNIX SOCK_SEQPACKET socket; checks the
   peer's credentials against the default policy (same uid). The socket is
   gssx's in every case: on failure it is closed. Blocks until the peer
   opens its end too (at most 30 seconds). Errors: GSS_S_UNAUTHORIZED (the
   peer's uid differs, or the peer refused ours), GSS_S_FAILURE (not such a
   socket: minor "An argument is invalid."; an OS failure: minor errno; the
   peer closed or did not answer in time). *channel is GSSX_NO_CHANNEL until
   success (set on entry). */
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
   owns them. Set on entry, as every output: *context_handle
   GSS_C_NO_CONTEXT, *fd_count 0 and fds[0..capacity) -1, so after an
   error nothing was received. More fds than capacity: all closed, error, nothing imported.
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
   and *context_handle becomes GSS_C_NO_CONTEXT; *token_fd is -1 until
   then (set on entry; never 0, which is stdin). */
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

/* Channels with a peer policy, timeouts and a pollable fd. */
#include <gssx/channel_ex.h>

#endif /* GSSX_GSSX_H_ */
