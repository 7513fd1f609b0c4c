/* SPDX-License-Identifier: Apache-2.0 */
/* <gssx/handoff_upgrade.h>: live upgrade of a server holding MIT Kerberos
 * (and SPNEGO) contexts — it replaces its own binary and hands the new one
 * its listening sockets and every live session (context, client socket, a
 * state blob of its own), so that clients notice at most a pause
 * (docs/upgrade.md; the C form of gssx/krb5_bridge/upgrade.h). Part of
 * libgssx-handoff (symbols at version GSSX_HANDOFF_1.1); statuses and
 * minor codes as <gssx/handoff.h> (gssx_handoff_strerror).
 *
 * Old binary (e.g. on SIGHUP):
 *
 *     gssx_handoff_upgrade_t up;  pid_t pid;
 *     gssx_handoff_upgrade_report rep;
 *     major = gssx_handoff_upgrade_start(&minor, "/proc/self/exe",
 *                                        argv + 1, "my-server", 3, 10000,
 *                                        &pid, &up);
 *     (failure: refused or no answer; nothing moved, keep serving)
 *     major = gssx_handoff_upgrade_offer_listeners(&minor, up, names,
 *                                                  fds, 1);
 *     for each session, between two requests:
 *       major = gssx_handoff_upgrade_offer_session(&minor, up, id,
 *                                                  &sess->ctx, sess->fd,
 *                                                  &blob);
 *       (sess->ctx is GSS_C_NO_CONTEXT now: parked until the commit)
 *     major = gssx_handoff_upgrade_commit(&minor, &up, &rep);
 *     rep.outcome == GSSX_HANDOFF_UPGRADE_COMMITTED: the new binary serves
 *       every offered session and listener: close their fds, exit.
 *     GSSX_HANDOFF_UPGRADE_RETURNED: each parked sess->ctx holds its
 *       context again (re-imported); keep serving. minor says why.
 *     gssx_handoff_upgrade_release_report(&minor, &rep);
 *
 * New binary (started by gssx_handoff_upgrade_start):
 *
 *     gssx_handoff_upgrade_target_t t;  gssx_handoff_upgrade_batch b;
 *     major = gssx_handoff_upgrade_accept(&minor, "my-server", 3, NULL,
 *                                         NULL, GSSX_HANDOFF_REQUIRED_FLAGS,
 *                                         10000, &t);
 *     (GSSX_HANDOFF_E_NOT_UPGRADING: not started as a successor)
 *     major = gssx_handoff_upgrade_receive(&minor, &t, &b);
 *     b.sessions[i].context, .fd, .state: serve them (take what you keep
 *     by setting the field to GSS_C_NO_CONTEXT / -1); b.listeners[i].fd.
 *     gssx_handoff_upgrade_release_batch(&minor, &b);
 *
 * Who owns a session when: an offered session is parked in the old
 * process (its export token in locked memory, its fd kept) until the
 * commit; the COMMIT message's kernel latch decides for the whole batch,
 * exactly once. MIT imports an export token any number of times: the new
 * binary's imports count only once it consumed the COMMIT, and the old
 * one re-imports a returned session only after it took the COMMIT back.
 * A new binary that dies, refuses or runs out of fds before the COMMIT
 * loses nothing. If the COMMIT cannot be taken back (its latch stuck in
 * the kernel), the parked sessions are dropped
 * (GSSX_HANDOFF_UPGRADE_UNKNOWN) rather than served twice.
 *
 * Outputs are set on entry (*upgrade / *target NULL, *pid -1, reports and
 * batches emptied). A NULL handle is GSSX_HANDOFF_E_BAD_ARGUMENT. Thread
 * safety: one upgrade is used by one thread at a time.
 */
#ifndef GSSX_HANDOFF_UPGRADE_H_
#define GSSX_HANDOFF_UPGRADE_H_

#include <gssapi/gssapi.h>
#include <stddef.h>
#include <sys/types.h>

#include <gssx/handoff.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gssx_handoff_upgrade_s *gssx_handoff_upgrade_t;
typedef struct gssx_handoff_upgrade_target_s *gssx_handoff_upgrade_target_t;

#define GSSX_HANDOFF_UPGRADE_MAX_LISTENERS 16
#define GSSX_HANDOFF_UPGRADE_MAX_NAME 64
#define GSSX_HANDOFF_UPGRADE_MAX_STATE 65536

/* gssx_handoff_upgrade_report.outcome */
#define GSSX_HANDOFF_UPGRADE_NOTHING_MOVED 0
#define GSSX_HANDOFF_UPGRADE_COMMITTED 1
#define GSSX_HANDOFF_UPGRADE_RETURNED 2
#define GSSX_HANDOFF_UPGRADE_UNKNOWN 3

/* What an upgrade did with the sessions offered, by their ids (malloc()ed
   arrays, NULL when empty; gssx_handoff_upgrade_release_report frees). */
typedef struct gssx_handoff_upgrade_report {
  int outcome;               /* GSSX_HANDOFF_UPGRADE_* */
  unsigned long *committed;  /* the new binary serves these */
  size_t committed_count;
  unsigned long *returned;   /* their contexts are back in *ctx */
  size_t returned_count;
  unsigned long *lost;       /* dropped: _UNKNOWN, or MIT's re-import
                                failed (their *ctx stays GSS_C_NO_CONTEXT) */
  size_t lost_count;
  size_t listener_calls;     /* committed offer_listeners calls */
} gssx_handoff_upgrade_report;

/* ------------------------------------------------------------ old binary */

/* Starts `path` (argv[0] = path, then args[], NULL-terminated; args may
   be NULL) with one end of a new channel inherited (GSSX_UPGRADE_FD),
   opens the channel (same uid) and asks the child to take over as
   app_tag (at most 64 bytes) version app_version. timeout_ms (-1: no
   limit) bounds each wait for the child during the whole upgrade.
   *successor_pid: the child's pid whenever one was started (-1 if not),
   success or not: the caller reaps it (and may kill it after a failure).
   GSS_S_COMPLETE: *upgrade is the started upgrade. Errors: GSS_S_FAILURE
   with GSSX_HANDOFF_E_UPGRADE_REFUSED (the child refused), _PEER_CLOSED,
   _TIMEOUT, _PEER_NOT_ALLOWED, _OS (fork/exec: errno), _BAD_ARGUMENT.
   Nothing moved. */
OM_uint32 gssx_handoff_upgrade_start(OM_uint32 *minor, const char *path,
                                     char *const args[],
                                     const char *app_tag,
                                     OM_uint32 app_version, int timeout_ms,
                                     pid_t *successor_pid,
                                     gssx_handoff_upgrade_t *upgrade);

/* Offers `count` (1..16) listening sockets with names (at most 64 bytes
   each) in one message; the caller keeps its fds (closes them once
   committed). _BAD_ARGUMENT: the upgrade goes on; other errors fail it. */
OM_uint32 gssx_handoff_upgrade_offer_listeners(OM_uint32 *minor,
                                               gssx_handoff_upgrade_t upgrade,
                                               const char *const names[],
                                               const int fds[], size_t count);

/* Offers one quiescent session: *ctx (exported with MIT's
   gss_export_sec_context), client_fd (a duplicate is sent) and `state`
   (at most 64 KiB, copied into locked memory; GSS_C_NO_BUFFER: none).
   session_id is the caller's, unique within the upgrade.
   Parked (whatever the result, but for the cases below): *ctx becomes
   GSS_C_NO_CONTEXT; if the session comes back, its re-imported context is
   written to *ctx when the upgrade ends, so `ctx` must point to storage
   that stays valid until the commit or abort returns.
   Not parked: MIT's export error (*ctx as gss_export_sec_context left
   it); _BAD_ARGUMENT (fd < 0, state too large, id reused; the upgrade
   goes on); _UPGRADE_FAILED (an earlier step failed). Any other error
   (the child died, refused the session, timed out): the upgrade has
   failed and this session is parked with the others; commit or abort. */
OM_uint32 gssx_handoff_upgrade_offer_session(OM_uint32 *minor,
                                             gssx_handoff_upgrade_t upgrade,
                                             unsigned long session_id,
                                             gss_ctx_id_t *ctx,
                                             int client_fd,
                                             const gss_buffer_t state);

/* Commits everything offered (after a failure: gives it back) and ends
   the upgrade; *upgrade becomes NULL; report (may be NULL) says what
   happened to each session. GSS_S_COMPLETE: committed. Otherwise why not,
   with report->outcome _RETURNED (the contexts back in their *ctx, but
   those in report->lost), _UNKNOWN (dropped) or _NOTHING_MOVED. */
OM_uint32 gssx_handoff_upgrade_commit(OM_uint32 *minor,
                                      gssx_handoff_upgrade_t *upgrade,
                                      gssx_handoff_upgrade_report *report);

/* Gives up: every parked session comes back into its *ctx; the child
   sees the channel close. *upgrade becomes NULL. */
OM_uint32 gssx_handoff_upgrade_abort(OM_uint32 *minor,
                                     gssx_handoff_upgrade_t *upgrade,
                                     gssx_handoff_upgrade_report *report);

OM_uint32 gssx_handoff_upgrade_release_report(
    OM_uint32 *minor, gssx_handoff_upgrade_report *report);

/* ------------------------------------------------------------ new binary */

/* NULL accepts; a string refuses, sent as the reason. */
typedef const char *(*gssx_handoff_upgrade_accept_fn)(void *arg,
                                                      const char *source_tag,
                                                      OM_uint32 source_version);

typedef struct gssx_handoff_upgrade_listener {
  char *name;
  int fd;
} gssx_handoff_upgrade_listener;

typedef struct gssx_handoff_upgrade_session {
  unsigned long id;
  gss_ctx_id_t context;  /* MIT's; GSS_C_NO_CONTEXT if it did not import */
  int fd;                /* close-on-exec */
  gss_buffer_desc state; /* the library's locked memory: read it, do not
                            release it (release_batch wipes it) */
} gssx_handoff_upgrade_session;

typedef struct gssx_handoff_upgrade_batch {
  gssx_handoff_upgrade_listener *listeners;
  size_t listener_count;
  gssx_handoff_upgrade_session *sessions;
  size_t session_count;
  void *internal; /* the library's */
} gssx_handoff_upgrade_batch;

/* Opens the inherited channel, receives the old binary's tag and version
   and answers (accept NULL: exactly app_tag and app_version). Each context
   offered later must be an established Kerberos 5 context with at least
   required_flags (GSSX_HANDOFF_REQUIRED_FLAGS is the usual choice).
   GSS_S_COMPLETE: *target is accepted; receive next. Errors:
   GSS_S_UNAVAILABLE with GSSX_HANDOFF_E_NOT_UPGRADING (no inherited
   channel: start normally); GSS_S_FAILURE with _UPGRADE_REFUSED (refused:
   exit), _PEER_CLOSED, _TIMEOUT, ... */
OM_uint32 gssx_handoff_upgrade_accept(OM_uint32 *minor, const char *app_tag,
                                      OM_uint32 app_version,
                                      gssx_handoff_upgrade_accept_fn accept,
                                      void *arg, OM_uint32 required_flags,
                                      int timeout_ms,
                                      gssx_handoff_upgrade_target_t *target);

/* Receives everything up to the COMMIT and ends the upgrade (*target
   NULL in every case). Each context is trial-imported before its message
   is consumed (with accept's required_flags): one that does not import
   fails the upgrade (_CONTEXT_REFUSED or MIT's status) and the old binary
   keeps every session.
   GSS_S_COMPLETE: *batch is this process's. Errors: nothing received,
   *batch empty. */
OM_uint32 gssx_handoff_upgrade_receive(OM_uint32 *minor,
                                       gssx_handoff_upgrade_target_t *target,
                                       gssx_handoff_upgrade_batch *batch);

/* Ends an accepted upgrade without receiving; *target becomes NULL. */
OM_uint32 gssx_handoff_upgrade_target_close(
    OM_uint32 *minor, gssx_handoff_upgrade_target_t *target);

/* Closes the fds still >= 0, deletes the contexts not GSS_C_NO_CONTEXT
   (gss_delete_sec_context), wipes the states, frees the rest. */
OM_uint32 gssx_handoff_upgrade_release_batch(
    OM_uint32 *minor, gssx_handoff_upgrade_batch *batch);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSX_HANDOFF_UPGRADE_H_ */
