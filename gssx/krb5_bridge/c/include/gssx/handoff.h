/* SPDX-License-Identifier: Apache-2.0 */
/* <gssx/handoff.h>: hand live MIT Kerberos (and SPNEGO) security contexts,
 * together with client sockets, from one process to another — exactly
 * once — with the application's own GSS-API (MIT's libgssapi_krb5).
 *
 *     cc app.c $(pkg-config --cflags --libs gssx-handoff krb5-gssapi)
 *
 * libgssx-handoff defines no gss_* symbol: every gss_* call, the
 * application's and the library's own (gss_export_sec_context,
 * gss_import_sec_context, gss_inquire_context, gss_delete_sec_context),
 * goes to the GSS-API the application links. The contexts handed off are
 * that library's gss_ctx_id_t.
 *
 * Master (e.g. a pre-fork server's root process), after accept() and
 * gss_accept_sec_context:
 *
 *     gssx_chan_t chan;               // once per worker
 *     major = gssx_chan_open(&minor, sv[0], &opts, &chan);
 *     major = gssx_handoff_send(&minor, chan, &ctx, &client_fd, 1, 5000);
 *     if (major == GSS_S_COMPLETE) close(client_fd);  // ctx: NO_CONTEXT
 *     else if (ctx != GSS_C_NO_CONTEXT) { ... the context came back:
 *                                         hand it to another worker ... }
 *
 * Worker:
 *
 *     gss_ctx_id_t ctx;  int fds[1];  size_t nfds = 1;
 *     major = gssx_handoff_receive(&minor, chan, -1,
 *                                  GSSX_HANDOFF_REQUIRED_FLAGS, &ctx,
 *                                  fds, &nfds);
 *     // gss_unwrap / gss_wrap on ctx continue where the master stopped;
 *     // fds[0] is the client socket.
 *
 * WHAT IT ADDS TO gss_export_sec_context / gss_import_sec_context. MIT
 * imports one export token any number of times, in any number of
 * processes, each copy accepting the client's messages again (a replay
 * nothing detects). Here the token travels encrypted under a one-time key
 * in a sealed memfd over an AF_UNIX SOCK_SEQPACKET channel; importing sets
 * a kernel latch (F_SEAL_SEAL) that only one process can set, so exactly
 * one process ends up with the context; the master can take it back
 * (through the same latch) until the worker has it, so a worker that dies
 * or refuses never loses a client. Both ends check the peer's kernel
 * credentials (SO_PEERCRED) against a policy.
 *
 * STATUS. Every call returns a GSS-API major status and sets *minor:
 * - a failure of the application's GSS-API (export, import) is returned
 *   as that library gave it (major and minor as from MIT: display them
 *   with gss_display_status and GSS_C_MECH_CODE);
 * - every other failure is GSS_S_FAILURE (or GSS_S_NO_CONTEXT for
 *   GSSX_HANDOFF_E_ALREADY_IMPORTED, GSS_S_CALL_INACCESSIBLE_READ/WRITE
 *   for a NULL pointer argument) with a GSSX_HANDOFF_E_* minor below;
 *   gssx_handoff_strerror(minor) says what it means. For
 *   GSSX_HANDOFF_E_OS, errno holds the system's error.
 * `minor` may not be NULL (GSS_S_CALL_INACCESSIBLE_WRITE, nothing done).
 *
 * WAITING. Calls that wait take a timeout in milliseconds (-1: no limit).
 * A signal whose handler was installed without SA_RESTART interrupts
 * gssx_handoff_receive and gssx_handoff_send while they wait: they return
 * GSSX_HANDOFF_E_INTERRUPTED, losing nothing (receive: the handoff stays
 * queued for the next receive; send: the context is taken back, as after a
 * timeout). gssx_chan_open waits at most its timeout for the peer's
 * greeting and is not interrupted by signals (with timeout_ms -1, a live
 * peer that never opens its end blocks it for good: give it a timeout; a
 * peer that closes or dies ends it at once). Event loops use
 * gssx_chan_fd, gssx_handoff_start / gssx_handoff_finish and receive with
 * timeout 0: no call then waits.
 *
 * OWNERSHIP. gssx_chan_open takes the socket on success only (the channel
 * closes it); on failure the caller still owns it (and, after a failed
 * exchange, can only close it). A channel is freed by gssx_chan_close. A
 * context handed off successfully is gone from the caller (*ctx ==
 * GSS_C_NO_CONTEXT); the client fds passed are duplicated (the caller
 * closes its own). Received fds are the caller's, close-on-exec.
 *
 * THREAD SAFETY. A channel (and the pending handoffs started on it) is used
 * by one thread at a time; distinct channels are independent. Contexts
 * follow the rules of the application's GSS-API (MIT: one thread at a time
 * per context). gssx_handoff_strerror is safe from any thread.
 *
 * Fork: a channel belongs to one process; after fork, use it in one of the
 * two only (typically: the child closes the master's end).
 */
#ifndef GSSX_HANDOFF_H_
#define GSSX_HANDOFF_H_

#include <gssapi/gssapi.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ minor codes */

/* Minor codes of libgssx-handoff, in a range of their own (MIT's Kerberos
   minor codes are com_err codes in other ranges). */
#define GSSX_HANDOFF_MINOR_BASE 0x47584800u /* "GXH\0" */
/* An argument breaks the contract (a negative fd, more fds than the
   channel allows, a policy that admits nobody, a finished handoff). */
#define GSSX_HANDOFF_E_BAD_ARGUMENT (GSSX_HANDOFF_MINOR_BASE + 1u)
/* The fd is not a connected AF_UNIX SOCK_SEQPACKET socket (or not open). */
#define GSSX_HANDOFF_E_NOT_SEQPACKET (GSSX_HANDOFF_MINOR_BASE + 2u)
/* This end's policy refused the peer's credentials. */
#define GSSX_HANDOFF_E_PEER_NOT_ALLOWED (GSSX_HANDOFF_MINOR_BASE + 3u)
/* The peer's policy refused this process's credentials. */
#define GSSX_HANDOFF_E_REFUSED_BY_PEER (GSSX_HANDOFF_MINOR_BASE + 4u)
/* No answer (greeting, handoff, acknowledgement) within the timeout. */
#define GSSX_HANDOFF_E_TIMEOUT (GSSX_HANDOFF_MINOR_BASE + 5u)
/* A signal interrupted the wait (EINTR). Nothing was lost: see WAITING. */
#define GSSX_HANDOFF_E_INTERRUPTED (GSSX_HANDOFF_MINOR_BASE + 6u)
/* The peer closed the channel or died. */
#define GSSX_HANDOFF_E_PEER_CLOSED (GSSX_HANDOFF_MINOR_BASE + 7u)
/* The worker refused the handoff without importing it (too many fds, a
   context it does not accept, out of fds...): the context came back. */
#define GSSX_HANDOFF_E_REJECTED_BY_PEER (GSSX_HANDOFF_MINOR_BASE + 8u)
/* Another process (or the master's reclaim) already imported this handoff.
   Major GSS_S_NO_CONTEXT. */
#define GSSX_HANDOFF_E_ALREADY_IMPORTED (GSSX_HANDOFF_MINOR_BASE + 9u)
/* The handoff carried more fds than the receiver accepts (all closed; the
   master gets its context back). */
#define GSSX_HANDOFF_E_TOO_MANY_FDS (GSSX_HANDOFF_MINOR_BASE + 10u)
/* What arrived is not a valid handoff (not a sealed memfd, altered bytes,
   malformed message, failed authentication). */
#define GSSX_HANDOFF_E_BAD_TOKEN (GSSX_HANDOFF_MINOR_BASE + 11u)
/* The context is not an established Kerberos 5 context with the required
   flags (rejected unconsumed: the master gets it back). */
#define GSSX_HANDOFF_E_CONTEXT_REFUSED (GSSX_HANDOFF_MINOR_BASE + 12u)
/* A system call failed; errno says why. */
#define GSSX_HANDOFF_E_OS (GSSX_HANDOFF_MINOR_BASE + 13u)
/* The context could not be taken back and nobody knows whether the worker
   will still import it (the reclaim itself kept failing). *ctx is
   GSS_C_NO_CONTEXT. */
#define GSSX_HANDOFF_E_OUTCOME_UNKNOWN (GSSX_HANDOFF_MINOR_BASE + 14u)
/* The channel still has unfinished handoffs (gssx_chan_close). */
#define GSSX_HANDOFF_E_BUSY (GSSX_HANDOFF_MINOR_BASE + 15u)
/* The receiver ran out of file descriptors (RLIMIT_NOFILE): the fds of
   the message were lost in transit; the master gets its context back. */
#define GSSX_HANDOFF_E_OUT_OF_FDS (GSSX_HANDOFF_MINOR_BASE + 16u)
/* The kernel lacks something required (memfd seals, ...). */
#define GSSX_HANDOFF_E_UNSUPPORTED (GSSX_HANDOFF_MINOR_BASE + 17u)
/* An internal error (a bug): please report it. */
#define GSSX_HANDOFF_E_INTERNAL (GSSX_HANDOFF_MINOR_BASE + 18u)
/* gssx_handoff_cancel took the context back. */
#define GSSX_HANDOFF_E_CANCELLED (GSSX_HANDOFF_MINOR_BASE + 19u)
/* Live upgrade (<gssx/handoff_upgrade.h>): the other binary refused it
   (its reason is not kept: see its log); no inherited upgrade channel
   (GSSX_UPGRADE_FD); an earlier step of this upgrade failed (commit or
   abort it to get every session back). */
#define GSSX_HANDOFF_E_UPGRADE_REFUSED (GSSX_HANDOFF_MINOR_BASE + 20u)
#define GSSX_HANDOFF_E_NOT_UPGRADING (GSSX_HANDOFF_MINOR_BASE + 21u)
#define GSSX_HANDOFF_E_UPGRADE_FAILED (GSSX_HANDOFF_MINOR_BASE + 22u)

/* A static English text for a GSSX_HANDOFF_E_* minor code; for any other
   value (e.g. an MIT minor code) "not a gssx-handoff minor code". Never
   NULL; safe from any thread. */
const char *gssx_handoff_strerror(OM_uint32 minor);

/* ------------------------------------------------------------- channels */

typedef struct gssx_chan_s *gssx_chan_t;

/* The flags a received context must have by default: replay and sequence
   detection, confidentiality, integrity. */
#define GSSX_HANDOFF_REQUIRED_FLAGS                                    \
  (GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG |       \
   GSS_C_INTEG_FLAG)

/* The most client fds one handoff carries. */
#define GSSX_HANDOFF_MAX_FDS 252

#define GSSX_CHAN_OPTIONS_VERSION 1

/* Options of gssx_chan_open. Fill with gssx_chan_options_init, then
   change fields. The peer is admitted when any of these holds: same_uid
   and its uid is this process's effective uid; root and its uid is 0; its
   uid is in uids; its gid is in gids. ("Root or X": same_uid = 0, root =
   1, uids = {X}.) A policy that admits nobody is
   GSSX_HANDOFF_E_BAD_ARGUMENT. The arrays are copied by gssx_chan_open. */
typedef struct gssx_chan_options {
  unsigned int version;   /* GSSX_CHAN_OPTIONS_VERSION */
  int same_uid;           /* default 1 */
  int root;               /* default 0 */
  const uid_t *uids;      /* default NULL */
  size_t uid_count;       /* default 0 */
  const gid_t *gids;      /* default NULL */
  size_t gid_count;       /* default 0 */
  /* Milliseconds the open waits for the peer's greeting, and a send for
     room in the socket buffer; -1: no limit. Default 30000. */
  int timeout_ms;
} gssx_chan_options;

/* The defaults: peers of the same effective uid, 30 s. */
void gssx_chan_options_init(gssx_chan_options *options);

/* Opens a channel over `fd`, a connected AF_UNIX SOCK_SEQPACKET socket
   (one end of socketpair(), an accept()ed or connect()ed socket, or one
   inherited across exec): exchanges a greeting in which each end checks
   the other's credentials. Both ends must call it. `options` NULL: the
   defaults. Errors: GSSX_HANDOFF_E_NOT_SEQPACKET, _PEER_NOT_ALLOWED (our
   policy refused the peer), _REFUSED_BY_PEER (its policy refused us),
   _TIMEOUT, _PEER_CLOSED, _BAD_ARGUMENT, _OS. On success the channel owns
   the socket (through a close-on-exec duplicate: `fd` itself is closed);
   on failure `fd` is untouched and still the caller's. */
OM_uint32 gssx_chan_open(OM_uint32 *minor, int fd,
                         const gssx_chan_options *options, gssx_chan_t *chan);

/* Closes the channel and sets *chan to NULL. A NULL *chan is a no-op.
   Refused (GSSX_HANDOFF_E_BUSY, nothing closed) while handoffs started on
   it are unfinished. */
OM_uint32 gssx_chan_close(OM_uint32 *minor, gssx_chan_t *chan);

/* The channel's socket, for poll/epoll (POLLIN: a handoff, an answer or
   the peer's close has arrived). Owned by the channel: do not read, write
   or close it. -1 for a NULL channel. */
int gssx_chan_fd(gssx_chan_t chan);

/* The peer's credentials as the kernel recorded them at connect() or
   socketpair() time. Any output pointer may be NULL. */
OM_uint32 gssx_chan_peer(OM_uint32 *minor, gssx_chan_t chan, pid_t *pid,
                         uid_t *uid, gid_t *gid);

/* ------------------------------------------------------- master: send */

/* Exports *ctx with gss_export_sec_context, sends it with duplicates of
   fds[0..nfds) in one message, and waits up to timeout_ms (-1: no limit)
   for the worker's acknowledgement.
   GSS_S_COMPLETE: the worker imported it; *ctx == GSS_C_NO_CONTEXT. (Also
   when the worker imported it and died before acknowledging: the context
   lives, or died, with it.)
   Failure: not delivered. *ctx is a valid context again — taken back
   through the latch and re-imported — and the minor says why: _PEER_CLOSED
   (worker died), _REJECTED_BY_PEER, _TIMEOUT, _INTERRUPTED, ... Except:
   *ctx == GSS_C_NO_CONTEXT after a failure means the context is lost
   (re-importing failed: MIT's status) or its fate is unknown
   (_OUTCOME_UNKNOWN); if the export itself failed, *ctx is as
   gss_export_sec_context left it. */
OM_uint32 gssx_handoff_send(OM_uint32 *minor, gssx_chan_t chan,
                            gss_ctx_id_t *ctx, const int *fds, size_t nfds,
                            int timeout_ms);

/* The non-blocking form, for event loops. */
typedef struct gssx_handoff_pending_s *gssx_handoff_pending_t;

/* Exports and sends as gssx_handoff_send, without waiting. GSS_S_COMPLETE:
   sent; *ctx == GSS_C_NO_CONTEXT and *pending holds the handoff until it
   is finished. Failure: nothing was sent; *ctx is the context again (as
   gssx_handoff_send's failures). `timeout_ms` (-1: none) is the deadline
   gssx_handoff_finish enforces. */
OM_uint32 gssx_handoff_start(OM_uint32 *minor, gssx_chan_t chan,
                             gss_ctx_id_t *ctx, const int *fds, size_t nfds,
                             int timeout_ms, gssx_handoff_pending_t *pending);

/* The fd to poll for POLLIN (the channel's): readable when an answer, or
   the peer's close, has arrived. Note: finishing one handoff may read the
   answers of others on the same channel; when the fd is readable, call
   gssx_handoff_finish on every pending handoff of that channel. */
int gssx_handoff_pending_fd(gssx_handoff_pending_t pending);

/* Milliseconds left until the handoff's deadline (0 once passed), or -1
   if it has none: a poll timeout. */
int gssx_handoff_pending_timeout_ms(gssx_handoff_pending_t pending);

/* Finishes the handoff if its outcome is known, without waiting:
   GSS_S_CONTINUE_NEEDED: no answer yet and the deadline has not passed;
   nothing changed (poll again). Otherwise the handoff is over, *pending
   is freed and set to NULL, and the result is gssx_handoff_send's:
   GSS_S_COMPLETE (delivered; *ctx untouched) or a failure with the
   context back in *ctx (which must be GSS_C_NO_CONTEXT on entry: a
   context there is not overwritten, _BAD_ARGUMENT). The deadline
   passed: _TIMEOUT with the context back. */
OM_uint32 gssx_handoff_finish(OM_uint32 *minor,
                              gssx_handoff_pending_t *pending,
                              gss_ctx_id_t *ctx);

/* Gives up now (shutdown, the worker is being stopped) and frees
   *pending (set to NULL). The context is taken back into *ctx (which must
   be GSS_C_NO_CONTEXT on entry) and the status is GSS_S_FAILURE with
   GSSX_HANDOFF_E_CANCELLED — or GSS_S_COMPLETE if the worker had already
   imported it. Does not read the channel, so it works after the peer is
   gone (but the channel must still be open: gssx_chan_close refuses while
   handoffs are pending). */
OM_uint32 gssx_handoff_cancel(OM_uint32 *minor,
                              gssx_handoff_pending_t *pending,
                              gss_ctx_id_t *ctx);

/* ------------------------------------------------------ worker: receive */

/* Waits up to timeout_ms (-1: no limit; 0: only what has arrived) for a
   handoff, imports the context with gss_import_sec_context, checks that it
   is an established Kerberos 5 context with at least `required_flags`
   (GSS_C_*_FLAG; GSSX_HANDOFF_REQUIRED_FLAGS is the usual choice), sets
   the latch and acknowledges. *nfds: on entry the room in fds (at most
   GSSX_HANDOFF_MAX_FDS; a handoff with more is refused, _TOO_MANY_FDS, and
   the master gets it back), on return the number received (fds then the
   caller's, close-on-exec). `fds` may be NULL when *nfds is 0.
   GSS_S_COMPLETE: *ctx is the context (it was GSS_C_NO_CONTEXT on entry,
   else _BAD_ARGUMENT). Errors: _TIMEOUT, _INTERRUPTED (nothing consumed),
   _PEER_CLOSED, _ALREADY_IMPORTED (another importer or the master's
   reclaim won; major GSS_S_NO_CONTEXT), _TOO_MANY_FDS, _CONTEXT_REFUSED,
   _BAD_TOKEN, MIT's import error; on every error *nfds is 0 and nothing
   is left open. */
OM_uint32 gssx_handoff_receive(OM_uint32 *minor, gssx_chan_t chan,
                               int timeout_ms, OM_uint32 required_flags,
                               gss_ctx_id_t *ctx, int *fds, size_t *nfds);

/* ------------------------------------------------ raw fds (fork + exec) */

/* Exports *ctx into a sealed memfd (close-on-exec; clear FD_CLOEXEC to
   pass it to an exec'd child). GSS_S_COMPLETE: *ctx ==
   GSS_C_NO_CONTEXT, *fd the caller's. The memfd holds the token as
   plaintext until imported: prefer a channel. On failure *ctx is the
   context again and *fd is -1. */
OM_uint32 gssx_handoff_export_fd(OM_uint32 *minor, gss_ctx_id_t *ctx,
                                 int *fd);

/* Imports such a memfd exactly once, system-wide: a second import, in any
   process, is GSS_S_NO_CONTEXT / _ALREADY_IMPORTED. The caller still
   closes `fd`. Errors as gssx_handoff_receive's. */
OM_uint32 gssx_handoff_import_fd(OM_uint32 *minor, int fd,
                                 OM_uint32 required_flags, gss_ctx_id_t *ctx);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSX_HANDOFF_H_ */
