/* SPDX-License-Identifier: Apache-2.0 */
/* <gssx/live_upgrade.h> from C, with a real new binary
   (testdata/upgrade_successor.c, started by gssx_upgrade_start) and real
   contexts: this process holds both halves of each session, the
   initiator as "the client" (over a socketpair) and the acceptor as "the
   old server", which hands the acceptor and its socket over. */
#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssx/gssx.h>
#include <gssx/live_upgrade.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gssx/capi/testing/c_check.h"
#include "gssx/capi/testing/gss_helpers.h"

#define X(fn) void fn(void);
#include "gssx/capi/upgrade_tests.inc"
#undef X

#define TAG "gssx-capi-upgrade"
#define N 4

struct session {
  gss_ctx_id_t init, acc;
  int client, server; /* the two ends of the client's connection */
};

static void successor_path(char *out, size_t size) {
  const char *srcdir = getenv("TEST_SRCDIR");
  const char *ws = getenv("TEST_WORKSPACE");
  snprintf(out, size, "%s/%s/gssx/capi/upgrade_successor",
           srcdir ? srcdir : ".", ws ? ws : "gssx");
}

/* Starts the successor in `mode` with a 10 s step timeout (or `timeout`). */
static OM_uint32 start(const char *mode, int timeout_ms, OM_uint32 *minor,
                       pid_t *pid, gssx_upgrade_t *up) {
  char path[4096];
  char *args[2];
  successor_path(path, sizeof path);
  args[0] = (char *)mode;
  args[1] = NULL;
  return gssx_upgrade_start(minor, path, args, TAG, 1, timeout_ms, pid, up);
}

/* The exit status of the successor (-1: killed or not waitable). */
static int reap(pid_t pid) {
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* An established pair whose sequence numbers have moved on (two
   messages each way), and the connection between them. */
static int open_session(struct session *s) {
  int sv[2];
  memset(s, 0, sizeof *s);
  s->client = s->server = -1;
  if (!gssx_c_establish(&s->init, &s->acc)) return 0;
  if (!gssx_c_round_trip(s->init, s->acc, "one") ||
      !gssx_c_round_trip(s->acc, s->init, "two") ||
      !gssx_c_round_trip(s->init, s->acc, "three") ||
      !gssx_c_round_trip(s->acc, s->init, "four")) {
    return 0;
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return 0;
  s->client = sv[0];
  s->server = sv[1];
  return 1;
}

static void close_session(struct session *s) {
  gssx_c_delete_both(&s->init, &s->acc);
  if (s->client >= 0) close(s->client);
  if (s->server >= 0) close(s->server);
  s->client = s->server = -1;
}

/* 1 if the handle answers GSS_S_NO_CONTEXT (parked, or gone). Asks its
   lifetime: unlike gss_wrap, that uses up no sequence number. */
static int is_dead(gss_ctx_id_t ctx) {
  OM_uint32 minor = 0, left = 0;
  return gss_context_time(&minor, ctx, &left) == GSS_S_NO_CONTEXT;
}

static int contains(const unsigned long *ids, size_t n, unsigned long id) {
  size_t i;
  for (i = 0; i < n; ++i) {
    if (ids[i] == id) return 1;
  }
  return 0;
}

/* Offers sessions [0, n) with ids 100 + i and states "st<i>". */
static void offer(gssx_upgrade_t up, struct session *s, int n,
                  OM_uint32 expected) {
  int i;
  for (i = 0; i < n; ++i) {
    OM_uint32 minor = 0;
    char st[16];
    gss_buffer_desc state;
    snprintf(st, sizeof st, "st%d", i);
    state = GSSX_C_BUF(st);
    CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 100ul + (unsigned)i,
                                         s[i].acc, s[i].server, &state),
              expected);
    CHECK(is_dead(s[i].acc)); /* parked */
  }
}

/* The client's request over the moved connection, answered by the new
   process with the moved context: "new:<state>:<request>". */
static int request_on_new(struct session *s, const char *req,
                          const char *expected) {
  OM_uint32 minor = 0, major;
  gss_buffer_desc in = GSSX_C_BUF(req), wrapped = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc token, out = GSS_C_EMPTY_BUFFER;
  char buf[4096];
  ssize_t n;
  int conf = 0, ok;
  if (gss_wrap(&minor, s->init, 1, GSS_C_QOP_DEFAULT, &in, NULL, &wrapped) !=
      GSS_S_COMPLETE) {
    return 0;
  }
  n = send(s->client, wrapped.value, wrapped.length, 0);
  gss_release_buffer(&minor, &wrapped);
  if (n <= 0) return 0;
  n = recv(s->client, buf, sizeof buf, 0);
  if (n <= 0) return 0;
  token.length = (size_t)n;
  token.value = buf;
  /* GSS_S_COMPLETE exactly: no gap, duplicate or old-token bit. */
  major = gss_unwrap(&minor, s->init, &token, &out, &conf, NULL);
  ok = major == GSS_S_COMPLETE && conf && gssx_c_buffer_is(&out, expected);
  gss_release_buffer(&minor, &out);
  return ok;
}

/* A listening socket at an abstract address (no path-length limit). */
static int listen_at(struct sockaddr_un *addr, socklen_t *len) {
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  int n;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  n = snprintf(addr->sun_path + 1, sizeof addr->sun_path - 1,
               "gssx-capi-upgrade-test.%d", (int)getpid());
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)addr, *len) != 0 || listen(fd, 8) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void upgrade_moves_sessions_and_a_listener(void) {
  struct session s[N];
  struct sockaddr_un addr;
  socklen_t addr_len = 0;
  gssx_upgrade_t up;
  gssx_upgrade_report rep;
  OM_uint32 minor = 0;
  pid_t pid;
  int i, lfd, c;
  const char *names[1] = {"main"};
  char buf[64];
  ssize_t n;
  REQUIRE(gssx_c_use_test_identities() == 0);
  for (i = 0; i < N; ++i) REQUIRE(open_session(&s[i]));
  lfd = listen_at(&addr, &addr_len);
  REQUIRE(lfd >= 0);
  REQUIRE_GSS(start("serve", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  CHECK(pid > 0);
  CHECK(up != GSSX_NO_UPGRADE);
  CHECK_GSS(gssx_upgrade_offer_listeners(&minor, up, names, &lfd, 1),
            GSS_S_COMPLETE);
  offer(up, s, N, GSS_S_COMPLETE);
  CHECK_GSS(gssx_upgrade_commit(&minor, &up, &rep), GSS_S_COMPLETE);
  CHECK(up == GSSX_NO_UPGRADE);
  CHECK(rep.outcome == GSSX_UPGRADE_COMMITTED);
  CHECK(rep.committed_count == N);
  CHECK(rep.returned_count == 0 && rep.lost_count == 0);
  CHECK(rep.listener_calls == 1);
  for (i = 0; i < N; ++i) {
    CHECK(contains(rep.committed, rep.committed_count, 100ul + (unsigned)i));
    /* Gone from this process for good. */
    CHECK(is_dead(s[i].acc));
    CHECK_GSS(gss_delete_sec_context(&minor, &s[i].acc, GSS_C_NO_BUFFER),
              GSS_S_NO_CONTEXT);
    s[i].acc = GSS_C_NO_CONTEXT;
    close(s[i].server); /* the old process closes its copies */
    s[i].server = -1;
  }
  close(lfd);
  CHECK_GSS(gssx_upgrade_release_report(&minor, &rep), GSS_S_COMPLETE);
  CHECK(rep.committed == NULL && rep.committed_count == 0);
  /* Each client goes on with its original context, served by the new
     process: sequence numbers continue in both directions. */
  for (i = 0; i < N; ++i) {
    char req[32], want[64];
    snprintf(req, sizeof req, "req%d", i);
    snprintf(want, sizeof want, "new:st%d:req%d", i, i);
    CHECK(request_on_new(&s[i], req, want));
  }
  /* A new connection reaches the new process on the moved listener. */
  c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  REQUIRE(c >= 0);
  CHECK(connect(c, (struct sockaddr *)&addr, addr_len) == 0);
  n = recv(c, buf, sizeof buf - 1, 0);
  CHECK(n == 4 && memcmp(buf, "main", 4) == 0);
  close(c);
  CHECK(reap(pid) == 0);
  for (i = 0; i < N; ++i) close_session(&s[i]);
}

/* The successor is SIGKILLed after taking two sessions: every session
   comes back, under its own handle, and goes on. */
void upgrade_successor_killed_midway_returns_every_session(void) {
  struct session s[N];
  gssx_upgrade_t up;
  gssx_upgrade_report rep;
  OM_uint32 minor = 0;
  pid_t pid;
  int i, status = 0;
  char st[] = "st";
  gss_buffer_desc state = GSSX_C_BUF(st);
  REQUIRE(gssx_c_use_test_identities() == 0);
  for (i = 0; i < N; ++i) REQUIRE(open_session(&s[i]));
  REQUIRE_GSS(start("serve", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  offer(up, s, 2, GSS_S_COMPLETE);
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
  /* The third offer finds it gone: parked with the others. */
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 102, s[2].acc, s[2].server,
                                       &state),
            GSS_S_FAILURE);
  CHECK(minor != GSSX_MINOR_UPGRADE_FAILED);
  CHECK(is_dead(s[2].acc));
  /* After a failure nothing more is offered (not parked). */
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 103, s[3].acc, s[3].server,
                                       &state),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_UPGRADE_FAILED);
  CHECK(gssx_c_minor_mentions(minor, "commit or abort"));
  CHECK(!is_dead(s[3].acc));
  CHECK_GSS(gssx_upgrade_commit(&minor, &up, &rep), GSS_S_FAILURE);
  CHECK(up == GSSX_NO_UPGRADE);
  CHECK(rep.outcome == GSSX_UPGRADE_RETURNED);
  CHECK(rep.committed_count == 0 && rep.lost_count == 0);
  CHECK(rep.returned_count == 3);
  for (i = 0; i < 3; ++i) {
    CHECK(contains(rep.returned, rep.returned_count, 100ul + (unsigned)i));
  }
  gssx_upgrade_release_report(&minor, &rep);
  /* Every context is whole again, exactly where it was. */
  for (i = 0; i < N; ++i) {
    CHECK(gssx_c_round_trip(s[i].init, s[i].acc, "after"));
    CHECK(gssx_c_round_trip(s[i].acc, s[i].init, "after, back"));
    CHECK(gssx_c_fd_is_open(s[i].server));
  }
  for (i = 0; i < N; ++i) close_session(&s[i]);
}

/* Refused: by version (the default policy), by the callback (its reason
   reaches the old process). Nothing moves; the pid is given to reap. */
void upgrade_refused_moves_nothing(void) {
  struct session s;
  gssx_upgrade_t up = (gssx_upgrade_t)1;
  OM_uint32 minor = 0;
  pid_t pid = 1234;
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE(open_session(&s));
  CHECK_GSS(start("old", 10000, &minor, &pid, &up), GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_UPGRADE_REFUSED);
  CHECK(gssx_c_minor_mentions(minor, "refused the live upgrade"));
  CHECK(gssx_c_minor_mentions(minor, "version 2"));
  CHECK(up == GSSX_NO_UPGRADE);
  CHECK(pid > 0 && pid != 1234);
  CHECK(reap(pid) == 0); /* it saw its own refusal as such */
  CHECK_GSS(start("refuse", 10000, &minor, &pid, &up), GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_UPGRADE_REFUSED);
  CHECK(gssx_c_minor_mentions(minor, "no room for you"));
  CHECK(reap(pid) == 0);
  CHECK(gssx_c_round_trip(s.init, s.acc, "still mine"));
  close_session(&s);
}

/* The new process closes after accepting; then one that never answers
   (step timeout); then the old process aborts, one parked handle having
   been deleted meanwhile (reported lost). */
void upgrade_closed_timed_out_or_aborted_returns_every_session(void) {
  struct session s[N];
  gssx_upgrade_t up;
  gssx_upgrade_report rep;
  OM_uint32 minor = 0;
  pid_t pid;
  int i;
  long long t0;
  REQUIRE(gssx_c_use_test_identities() == 0);
  for (i = 0; i < N; ++i) REQUIRE(open_session(&s[i]));

  REQUIRE_GSS(start("close", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  CHECK(reap(pid) == 0);
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 1, s[0].acc, s[0].server,
                                       GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK_GSS(gssx_upgrade_commit(&minor, &up, &rep), GSS_S_FAILURE);
  CHECK(rep.outcome == GSSX_UPGRADE_RETURNED && rep.returned_count == 1);
  gssx_upgrade_release_report(&minor, &rep);
  CHECK(gssx_c_round_trip(s[0].init, s[0].acc, "back 1"));

  /* The step timeout bounds every wait, the new binary's start included:
     long enough for a loaded machine under ASan. */
  REQUIRE_GSS(start("hang", 4000, &minor, &pid, &up), GSS_S_COMPLETE);
  t0 = gssx_c_now_ms();
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 1, s[0].acc, s[0].server,
                                       GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_TRANSPORT_TIMEOUT);
  t0 = gssx_c_now_ms() - t0;
  CHECK(t0 >= 3900 && t0 < 30000); /* it waited for the ack, then gave up */
  CHECK_GSS(gssx_upgrade_commit(&minor, &up, &rep), GSS_S_FAILURE);
  CHECK(rep.outcome == GSSX_UPGRADE_RETURNED && rep.returned_count == 1);
  gssx_upgrade_release_report(&minor, &rep);
  kill(pid, SIGKILL);
  CHECK(reap(pid) == -1);
  CHECK(gssx_c_round_trip(s[0].init, s[0].acc, "back 2"));

  REQUIRE_GSS(start("serve", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  offer(up, s, N, GSS_S_COMPLETE);
  CHECK_GSS(gss_delete_sec_context(&minor, &s[3].acc, GSS_C_NO_BUFFER),
            GSS_S_COMPLETE);
  CHECK_GSS(gssx_upgrade_abort(&minor, &up, &rep), GSS_S_COMPLETE);
  CHECK(up == GSSX_NO_UPGRADE);
  CHECK(rep.outcome == GSSX_UPGRADE_RETURNED);
  CHECK(rep.returned_count == N - 1 && rep.lost_count == 1);
  CHECK(rep.lost_count == 1 && rep.lost[0] == 103);
  gssx_upgrade_release_report(&minor, &rep);
  for (i = 0; i < N - 1; ++i) {
    CHECK(gssx_c_round_trip(s[i].init, s[i].acc, "aborted"));
  }
  CHECK(reap(pid) == 3); /* its receive failed: the channel closed */
  for (i = 0; i < N; ++i) close_session(&s[i]);
}

void upgrade_not_upgrading(void) {
  gssx_upgrade_target_t t = (gssx_upgrade_target_t)7;
  OM_uint32 minor = 0;
  unsetenv("GSSX_UPGRADE_FD");
  CHECK_GSS(gssx_upgrade_accept(&minor, TAG, 1, NULL, NULL, 1000, &t),
            GSS_S_UNAVAILABLE);
  CHECK(minor == GSSX_MINOR_NOT_UPGRADING);
  CHECK(gssx_c_minor_mentions(minor, "GSSX_UPGRADE_FD"));
  CHECK(t == GSSX_NO_UPGRADE_TARGET);
}

/* Calling errors, bad arguments, made-up and finished handles, outputs set
   on entry. */
void upgrade_misuse(void) {
  struct session s[2];
  gssx_upgrade_t up, fake = (gssx_upgrade_t)12345, done;
  gssx_upgrade_target_t tfake = (gssx_upgrade_target_t)54321;
  gssx_upgrade_report rep;
  gssx_upgrade_batch batch;
  OM_uint32 minor = 0;
  pid_t pid = 77;
  int lfd = 5, fds17[17] = {0};
  const char *names17[17];
  static char big[GSSX_UPGRADE_MAX_STATE + 1];
  gss_buffer_desc too_big;
  char long_tag[GSSX_UPGRADE_MAX_NAME + 2];
  int i;
  REQUIRE(gssx_c_use_test_identities() == 0);
  for (i = 0; i < 2; ++i) REQUIRE(open_session(&s[i]));
  /* NULL minor / outputs / inputs. */
  CHECK_GSS(gssx_upgrade_start(NULL, "/x", NULL, TAG, 1, 1000, &pid, &up),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(pid == -1 && up == GSSX_NO_UPGRADE);
  CHECK_GSS(gssx_upgrade_start(&minor, NULL, NULL, TAG, 1, 1000, &pid, &up),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_upgrade_start(&minor, "/x", NULL, NULL, 1, 1000, &pid, &up),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_upgrade_start(&minor, "/x", NULL, TAG, 1, 1000, NULL, &up),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_upgrade_commit(&minor, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_upgrade_receive(&minor, NULL, &batch),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_upgrade_release_report(&minor, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  /* Bad arguments before anything starts: no process. */
  memset(long_tag, 'a', sizeof long_tag - 1);
  long_tag[sizeof long_tag - 1] = '\0';
  CHECK_GSS(gssx_upgrade_start(&minor, "/x", NULL, long_tag, 1, 1000, &pid,
                               &up),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_BAD_ARGUMENT && pid == -1);
  CHECK_GSS(gssx_upgrade_start(&minor, "/x", NULL, TAG, 1, -2, &pid, &up),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_BAD_ARGUMENT);
  /* Made-up handles. */
  CHECK_GSS(gssx_upgrade_offer_listeners(&minor, fake, NULL, NULL, 0),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK_GSS(gssx_upgrade_offer_session(&minor, fake, 1, s[0].acc, s[0].server,
                                       GSS_C_NO_BUFFER),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK(!is_dead(s[0].acc));
  memset(&rep, 0x5a, sizeof rep);
  CHECK_GSS(gssx_upgrade_commit(&minor, &fake, &rep),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK(rep.outcome == 0 && rep.committed == NULL && rep.lost == NULL &&
        rep.returned == NULL);
  CHECK_GSS(gssx_upgrade_abort(&minor, &fake, NULL), GSS_S_CALL_BAD_STRUCTURE);
  memset(&batch, 0x5a, sizeof batch);
  CHECK_GSS(gssx_upgrade_receive(&minor, &tfake, &batch),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK(batch.listeners == NULL && batch.sessions == NULL &&
        batch.listener_count == 0 && batch.session_count == 0);
  CHECK_GSS(gssx_upgrade_release_batch(&minor, &batch), GSS_S_COMPLETE);
  CHECK_GSS(gssx_upgrade_target_close(&minor, &tfake),
            GSS_S_CALL_BAD_STRUCTURE);

  /* A live upgrade: bad arguments leave it going and the context live. */
  REQUIRE_GSS(start("serve", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  CHECK_GSS(gssx_upgrade_offer_listeners(&minor, up, NULL, &lfd, 1),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_upgrade_offer_listeners(&minor, up, names17, fds17, 0),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_BAD_ARGUMENT);
  for (i = 0; i < 17; ++i) names17[i] = "l";
  CHECK_GSS(gssx_upgrade_offer_listeners(&minor, up, names17, fds17, 17),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_BAD_ARGUMENT);
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 1, s[0].acc, -1,
                                       GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_BAD_ARGUMENT);
  too_big.length = sizeof big;
  too_big.value = big;
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 1, s[0].acc, s[0].server,
                                       &too_big),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_BAD_ARGUMENT);
  CHECK(!is_dead(s[0].acc));
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 1, GSS_C_NO_CONTEXT,
                                       s[0].server, GSS_C_NO_BUFFER),
            GSS_S_NO_CONTEXT);
  /* Parked: the same handle cannot be offered twice; an id is used once. */
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 1, s[0].acc, s[0].server,
                                       GSS_C_NO_BUFFER),
            GSS_S_COMPLETE);
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 2, s[0].acc, s[0].server,
                                       GSS_C_NO_BUFFER),
            GSS_S_NO_CONTEXT);
  CHECK_GSS(gssx_upgrade_offer_session(&minor, up, 1, s[1].acc, s[1].server,
                                       GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_MINOR_BAD_ARGUMENT);
  CHECK(!is_dead(s[1].acc));
  /* Finished: the handle is dead. */
  done = up;
  CHECK_GSS(gssx_upgrade_commit(&minor, &up, NULL), GSS_S_COMPLETE);
  CHECK_GSS(gssx_upgrade_commit(&minor, &done, NULL),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK_GSS(gssx_upgrade_offer_session(&minor, done, 3, s[1].acc, s[1].server,
                                       GSS_C_NO_BUFFER),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK(is_dead(s[0].acc)); /* committed */
  CHECK(!is_dead(s[1].acc));
  /* The successor got one session and waits for its request: end it. */
  kill(pid, SIGKILL);
  reap(pid);
  for (i = 0; i < 2; ++i) close_session(&s[i]);
}
