/* SPDX-License-Identifier: Apache-2.0 */
/* <gssx/live_upgrade.h>: a running server replaces its own binary and
 * hands the new one its listening sockets and every live session (gssx
 * context, client socket, a state blob of its own), so that clients
 * notice at most a pause (docs/upgrade.md; the C form of
 * transport/upgrade.h and gssx/upgrade.h). Symbols at version GSSX_1.1.
 *
 * Old binary (e.g. on SIGHUP):
 *
 *     gssx_upgrade_t up;  pid_t pid;  gssx_upgrade_report rep;
 *     major = gssx_upgrade_start(&minor, "/proc/self/exe", argv + 1,
 *                                "my-server", 3, 10000, &pid, &up);
 *     (failure: refused or no answer; nothing moved, keep serving)
 *     major = gssx_upgrade_offer_listeners(&minor, up, names, fds, 1);
 *     for each session, between two requests:
 *       major = gssx_upgrade_offer_session(&minor, up, id, ctx, fd, &blob);
 *       (the handle ctx is parked: GSS_S_NO_CONTEXT until the commit)
 *     major = gssx_upgrade_commit(&minor, &up, &rep);
 *     rep.outcome == GSSX_UPGRADE_COMMITTED: the new binary serves every
 *       offered session and listener: close their fds, exit when done.
 *     GSSX_UPGRADE_RETURNED: every parked handle is live again (the same
 *       gss_ctx_id_t values); keep serving. minor says why.
 *     gssx_upgrade_release_report(&minor, &rep);
 *
 * New binary (started by gssx_upgrade_start):
 *
 *     gssx_upgrade_target_t t;  gssx_upgrade_batch b;
 *     major = gssx_upgrade_accept(&minor, "my-server", 3, NULL, NULL,
 *                                 10000, &t);
 *     (GSS_S_UNAVAILABLE / GSSX_MINOR_NOT_UPGRADING: a fresh start)
 *     major = gssx_upgrade_receive(&minor, &t, &b);
 *     b.sessions[i].context, .fd, .state: serve them (take what you keep:
 *     set the field to GSS_C_NO_CONTEXT / -1); b.listeners[i].fd: accept.
 *     gssx_upgrade_release_batch(&minor, &b);  (closes / deletes the rest)
 *
 * Who owns a session when: an offered session is parked in the old
 * process (its context in locked memory, its fd kept) until the commit;
 * the COMMIT message's kernel latch decides for the whole batch, exactly
 * once. A new binary that dies, refuses or runs out of fds before it
 * consumed the COMMIT loses nothing: every session returns. If the old
 * process cannot take the COMMIT back (its latch stuck in the kernel),
 * nobody knows who won and the parked sessions are dropped
 * (GSSX_UPGRADE_UNKNOWN, their handles deleted) rather than served twice.
 *
 * Status: RFC 2744 style, as <gssx/gssx.h>: a major status, *minor_status
 * always written (gss_display_status with GSS_C_MECH_CODE renders it), a
 * NULL required pointer GSS_S_CALL_INACCESSIBLE_READ / _WRITE, a handle
 * that is not a live upgrade GSS_S_CALL_BAD_STRUCTURE. Outputs are set on
 * entry (handles to GSSX_NO_UPGRADE / GSSX_NO_UPGRADE_TARGET, *pid to -1,
 * reports and batches emptied), so every output may be released after any
 * error.
 *
 * Thread safety: one upgrade handle is used by one thread at a time
 * (other callers wait). Fork: an upgrade belongs to the process that
 * started it.
 */
#ifndef GSSX_LIVE_UPGRADE_H_
#define GSSX_LIVE_UPGRADE_H_

#include <stddef.h>
#include <sys/types.h>

#include <gssapi/gssapi.h>
#include <gssx/gssx.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gssx_upgrade_struct *gssx_upgrade_t;
typedef struct gssx_upgrade_target_struct *gssx_upgrade_target_t;
#define GSSX_NO_UPGRADE ((gssx_upgrade_t)0)
#define GSSX_NO_UPGRADE_TARGET ((gssx_upgrade_target_t)0)

/* Limits: listeners per gssx_upgrade_offer_listeners call, bytes of an
   app tag or listener name, bytes of a state blob. */
#define GSSX_UPGRADE_MAX_LISTENERS 16
#define GSSX_UPGRADE_MAX_NAME 64
#define GSSX_UPGRADE_MAX_STATE 65536

/* gssx_upgrade_report.outcome */
#define GSSX_UPGRADE_NOTHING_MOVED 0 /* nothing was offered */
#define GSSX_UPGRADE_COMMITTED 1     /* the new binary owns what was offered */
#define GSSX_UPGRADE_RETURNED 2      /* every offered session came back */
#define GSSX_UPGRADE_UNKNOWN 3       /* the COMMIT's fate is unknown */

/* What an upgrade did with the sessions offered, by their ids. The arrays
   are malloc()ed (NULL when empty); gssx_upgrade_release_report frees
   them. */
typedef struct gssx_upgrade_report {
  int outcome;                   /* GSSX_UPGRADE_* */
  unsigned long *committed;      /* the new binary serves these */
  size_t committed_count;
  unsigned long *returned;       /* live again under their handles */
  size_t returned_count;
  unsigned long *lost;           /* dropped: GSSX_UPGRADE_UNKNOWN, or a
                                    context that could not be restored */
  size_t lost_count;
  size_t listener_calls;         /* committed gssx_upgrade_offer_listeners */
} gssx_upgrade_report;

/* ------------------------------------------------------------ old binary */

/* Starts `path` in a child process (argv[0] = path, then args[], a
   NULL-terminated list; args may be NULL) that inherits one end of a new
   channel (named in its environment as GSSX_UPGRADE_FD), opens the
   channel, and asks the child to take over: app_tag (at most
   GSSX_UPGRADE_MAX_NAME bytes, NUL-terminated) and app_version name the
   format of this binary's state blobs. Waits at most timeout_ms (-1: no
   limit) for each answer of the child during the whole upgrade.
   *successor_pid is the child's pid whenever one was started (-1 if not),
   success or not: the caller waits for it (waitpid), and after a failure
   may kill it.
   GSS_S_COMPLETE: *upgrade is the started upgrade (stop accepting on the
   listeners you will offer). Errors: GSS_S_FAILURE with
   GSSX_MINOR_UPGRADE_REFUSED (the child refused: gss_display_status gives
   its reason), a transport minor (the child exited, timed out...) or an
   errno (fork/exec); GSS_S_UNAUTHORIZED (the child's credentials were
   refused by the channel's policy, same uid). Nothing moved. */
OM_uint32 gssx_upgrade_start(OM_uint32 *minor_status, const char *path,
                             char *const args[], const char *app_tag,
                             OM_uint32 app_version, int timeout_ms,
                             pid_t *successor_pid, gssx_upgrade_t *upgrade);

/* Offers `count` (1..GSSX_UPGRADE_MAX_LISTENERS) listening sockets with
   names (the application's labels, each at most GSSX_UPGRADE_MAX_NAME
   bytes) in one message. The caller keeps its fds; it closes them once
   committed and accepts on them again otherwise. GSS_S_FAILURE with
   GSSX_MINOR_BAD_ARGUMENT for bad arguments (the upgrade goes on); any
   other error fails the upgrade (commit or abort it). */
OM_uint32 gssx_upgrade_offer_listeners(OM_uint32 *minor_status,
                                       gssx_upgrade_t upgrade,
                                       const char *const names[],
                                       const int fds[], size_t count);

/* Offers one quiescent session (between two requests): the established
   context `context_handle`, the client socket `client_fd` (a duplicate is
   sent; the caller keeps its own) and `state` (at most
   GSSX_UPGRADE_MAX_STATE bytes, copied into locked memory;
   GSS_C_NO_BUFFER: none). session_id is the caller's, unique within the
   upgrade; reports name sessions by it.
   Whatever the result but a bad argument or a context that cannot be
   exported, the handle is parked from here on: it answers
   GSS_S_NO_CONTEXT until the upgrade ends, then is deleted (committed,
   unknown) or live again with the same value (returned). Do not delete it
   meanwhile (if you do, the returned context is dropped and listed as
   lost). Errors: the export's (GSS_S_NO_CONTEXT, GSS_S_UNAVAILABLE: not
   established, GSS_S_CONTEXT_EXPIRED), not parked; GSS_S_FAILURE with
   GSSX_MINOR_BAD_ARGUMENT (fd < 0, state too large, id reused), not
   parked, the upgrade goes on; any other error (the child died, refused
   the session, timed out; GSSX_MINOR_UPGRADE_FAILED after an earlier
   failure): the upgrade has failed, the session is parked with the
   others, commit or abort to get them all back. */
OM_uint32 gssx_upgrade_offer_session(OM_uint32 *minor_status,
                                     gssx_upgrade_t upgrade,
                                     unsigned long session_id,
                                     gss_ctx_id_t context_handle,
                                     int client_fd,
                                     const gss_buffer_t state);

/* Commits everything offered, or after a failure gives it back, and ends
   the upgrade: *upgrade becomes GSSX_NO_UPGRADE, the channel closes.
   *report says what happened to each session (report may be NULL).
   GSS_S_COMPLETE: committed (also with nothing offered). Otherwise the
   major and minor say why it did not commit (the child died, refused,
   timed out; an earlier failure) and report->outcome is
   GSSX_UPGRADE_RETURNED (every parked handle live again, but those in
   report->lost), GSSX_UPGRADE_UNKNOWN (every parked handle deleted) or
   GSSX_UPGRADE_NOTHING_MOVED. */
OM_uint32 gssx_upgrade_commit(OM_uint32 *minor_status,
                              gssx_upgrade_t *upgrade,
                              gssx_upgrade_report *report);

/* Gives up: every parked session comes back (as a commit that failed),
   the child sees the channel close and drops what it was offered;
   *upgrade becomes GSSX_NO_UPGRADE. report may be NULL. */
OM_uint32 gssx_upgrade_abort(OM_uint32 *minor_status,
                             gssx_upgrade_t *upgrade,
                             gssx_upgrade_report *report);

/* Frees the arrays of a report and empties it. */
OM_uint32 gssx_upgrade_release_report(OM_uint32 *minor_status,
                                      gssx_upgrade_report *report);

/* ------------------------------------------------------------ new binary */

/* Decides on the old binary's tag and version: NULL accepts; a string
   (static, or valid until gssx_upgrade_accept returns) refuses, sent as
   the reason. */
typedef const char *(*gssx_upgrade_accept_fn)(void *arg,
                                              const char *source_tag,
                                              OM_uint32 source_version);

/* One listener / session a commit made this process's. Fields the caller
   takes are set by it to -1 / GSS_C_NO_CONTEXT / an empty buffer;
   gssx_upgrade_release_batch closes, deletes and wipes the rest. */
typedef struct gssx_upgrade_listener {
  char *name; /* NUL-terminated */
  int fd;
} gssx_upgrade_listener;

typedef struct gssx_upgrade_session {
  unsigned long id;
  gss_ctx_id_t context; /* GSS_C_NO_CONTEXT if it did not import */
  int fd;               /* the client socket, close-on-exec */
  gss_buffer_desc state; /* locked memory; gss_release_buffer wipes it */
} gssx_upgrade_session;

typedef struct gssx_upgrade_batch {
  gssx_upgrade_listener *listeners;
  size_t listener_count;
  gssx_upgrade_session *sessions;
  size_t session_count;
} gssx_upgrade_batch;

/* Opens the channel this process inherited from gssx_upgrade_start
   (GSSX_UPGRADE_FD, then removed from the environment), receives the old
   binary's tag and version and answers: accept(arg, tag, version) decides
   (NULL: accept exactly app_tag and app_version). app_version is sent
   back either way. timeout_ms (-1: no limit) bounds each wait for the
   old binary during the whole upgrade.
   GSS_S_COMPLETE: *target is the accepted upgrade; call
   gssx_upgrade_receive next. Errors: GSS_S_UNAVAILABLE with
   GSSX_MINOR_NOT_UPGRADING (no inherited channel: start normally);
   GSS_S_FAILURE with GSSX_MINOR_UPGRADE_REFUSED (refused: the old binary
   keeps everything; exit); a transport minor or errno. */
OM_uint32 gssx_upgrade_accept(OM_uint32 *minor_status, const char *app_tag,
                              OM_uint32 app_version,
                              gssx_upgrade_accept_fn accept, void *arg,
                              int timeout_ms,
                              gssx_upgrade_target_t *target);

/* Receives everything offered up to and including the COMMIT and ends the
   upgrade (*target becomes GSSX_NO_UPGRADE_TARGET in every case). Each
   context is trial-imported before its message is consumed, so a context
   this binary cannot import (or one without replay, sequence,
   confidentiality and integrity) fails the upgrade and the old binary
   keeps every session. GSS_S_COMPLETE: *batch is this process's to serve.
   Any error (the old binary gone, a malformed message, out of fds, a
   refused context): nothing is this process's, *batch is empty. */
OM_uint32 gssx_upgrade_receive(OM_uint32 *minor_status,
                               gssx_upgrade_target_t *target,
                               gssx_upgrade_batch *batch);

/* Ends an accepted upgrade without receiving (the old binary gets every
   session back); *target becomes GSSX_NO_UPGRADE_TARGET. */
OM_uint32 gssx_upgrade_target_close(OM_uint32 *minor_status,
                                    gssx_upgrade_target_t *target);

/* Closes the fds still >= 0, deletes the contexts not GSS_C_NO_CONTEXT,
   wipes the state buffers, frees the arrays and names, empties *batch. */
OM_uint32 gssx_upgrade_release_batch(OM_uint32 *minor_status,
                                     gssx_upgrade_batch *batch);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSX_LIVE_UPGRADE_H_ */
