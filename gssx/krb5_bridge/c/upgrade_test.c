/* SPDX-License-Identifier: Apache-2.0 */
/* <gssx/handoff_upgrade.h> from C, with real Kerberos contexts from a
   real KDC (MIT's libgssapi_krb5) and a real new binary
   (testdata/upgrade_successor.c, started by gssx_handoff_upgrade_start).
   This process holds both halves of each session: the initiator as "the
   client" (over a socketpair), the acceptor as "the old server", which
   hands the acceptor and its socket over. */
#include <errno.h>
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssx/handoff.h>
#include <gssx/handoff_upgrade.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gssx/krb5_bridge/c/testing/check.h"

#define X(fn) void fn(void);
#include "gssx/krb5_bridge/c/upgrade_tests.inc"
#undef X

#define TAG "gssx-mit-upgrade"
#define N 3
#define ALL_FLAGS                                                   \
  (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |    \
   GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)

static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

struct session {
  gss_ctx_id_t init, acc;
  int client, server;
};

/* A context pair through MIT (mech: GSS_C_NO_OID for Kerberos, or
   &spnego_oid) with the realm's TGT and keytab. */
static int establish(gss_ctx_id_t *init, gss_ctx_id_t *acc, gss_OID mech) {
  OM_uint32 major = GSS_S_FAILURE, minor = 0, amajor;
  gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
  gss_name_t target = GSS_C_NO_NAME;
  int rounds, ok = 0;
  *init = *acc = GSS_C_NO_CONTEXT;
  if (hc_service() == NULL) return 0;
  name.value = (void *)hc_service();
  name.length = strlen(hc_service());
  if (gss_import_name(&minor, &name, GSS_KRB5_NT_PRINCIPAL_NAME, &target) !=
      GSS_S_COMPLETE) {
    return 0;
  }
  for (rounds = 0; rounds < 8; ++rounds) {
    major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, init, target,
                                 mech, ALL_FLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 rounds == 0 ? GSS_C_NO_BUFFER : &in, NULL,
                                 &out, NULL, NULL);
    gss_release_buffer(&minor, &in);
    if (GSS_ERROR(major)) break;
    if (out.length == 0) {
      ok = major == GSS_S_COMPLETE;
      break;
    }
    amajor = gss_accept_sec_context(&minor, acc, GSS_C_NO_CREDENTIAL, &out,
                                    GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL,
                                    &in, NULL, NULL, NULL);
    gss_release_buffer(&minor, &out);
    if (GSS_ERROR(amajor)) break;
    if (amajor == GSS_S_COMPLETE && major == GSS_S_COMPLETE) {
      ok = in.length == 0;
      break;
    }
  }
  gss_release_buffer(&minor, &in);
  gss_release_buffer(&minor, &out);
  gss_release_name(&minor, &target);
  if (!ok) {
    gss_delete_sec_context(&minor, init, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, acc, GSS_C_NO_BUFFER);
  }
  return ok;
}

/* Whether `to` unwraps what `from` wraps, with no supplementary bit. */
static int round_trip(gss_ctx_id_t from, gss_ctx_id_t to, const char *text) {
  OM_uint32 minor = 0;
  gss_buffer_desc msg, wrapped = GSS_C_EMPTY_BUFFER, plain = GSS_C_EMPTY_BUFFER;
  int conf = 0, ok;
  msg.value = (void *)text;
  msg.length = strlen(text);
  if (gss_wrap(&minor, from, 1, GSS_C_QOP_DEFAULT, &msg, &conf, &wrapped) !=
      GSS_S_COMPLETE) {
    return 0;
  }
  ok = gss_unwrap(&minor, to, &wrapped, &plain, &conf, NULL) ==
           GSS_S_COMPLETE &&
       plain.length == msg.length &&
       memcmp(plain.value, msg.value, msg.length) == 0;
  gss_release_buffer(&minor, &wrapped);
  gss_release_buffer(&minor, &plain);
  return ok;
}

static void successor_path(char *out, size_t size) {
  const char *srcdir = getenv("TEST_SRCDIR");
  const char *ws = getenv("TEST_WORKSPACE");
  snprintf(out, size, "%s/%s/gssx/krb5_bridge/c/upgrade_successor",
           srcdir ? srcdir : ".", ws ? ws : "gssx");
}

static OM_uint32 start(const char *mode, int timeout_ms, OM_uint32 *minor,
                       pid_t *pid, gssx_handoff_upgrade_t *up) {
  char path[4096];
  char *args[2];
  successor_path(path, sizeof path);
  args[0] = (char *)mode;
  args[1] = NULL;
  return gssx_handoff_upgrade_start(minor, path, args, TAG, 1, timeout_ms,
                                    pid, up);
}

static int reap(pid_t pid) {
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* An established pair (session 1 through SPNEGO) whose sequence numbers
   have moved on, and the connection between them. */
static int open_session(struct session *s, int index) {
  int sv[2];
  memset(s, 0, sizeof *s);
  s->client = s->server = -1;
  if (!establish(&s->init, &s->acc,
                 index == 1 ? &spnego_oid : GSS_C_NO_OID)) {
    return 0;
  }
  if (!round_trip(s->init, s->acc, "one") ||
      !round_trip(s->acc, s->init, "two") ||
      !round_trip(s->init, s->acc, "three")) {
    return 0;
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return 0;
  s->client = sv[0];
  s->server = sv[1];
  return 1;
}

static void close_session(struct session *s) {
  OM_uint32 minor = 0;
  if (s->init != GSS_C_NO_CONTEXT) {
    gss_delete_sec_context(&minor, &s->init, GSS_C_NO_BUFFER);
  }
  if (s->acc != GSS_C_NO_CONTEXT) {
    gss_delete_sec_context(&minor, &s->acc, GSS_C_NO_BUFFER);
  }
  if (s->client >= 0) close(s->client);
  if (s->server >= 0) close(s->server);
  s->client = s->server = -1;
}

static int contains(const unsigned long *ids, size_t n, unsigned long id) {
  size_t i;
  for (i = 0; i < n; ++i) {
    if (ids[i] == id) return 1;
  }
  return 0;
}

static int fd_is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

/* Offers sessions [0, n) with ids 100 + i and states "st<i>". */
static void offer(gssx_handoff_upgrade_t up, struct session *s, int n,
                  OM_uint32 expected) {
  int i;
  for (i = 0; i < n; ++i) {
    OM_uint32 minor = 0;
    char st[16];
    gss_buffer_desc state;
    snprintf(st, sizeof st, "st%d", i);
    state.value = st;
    state.length = strlen(st);
    CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up,
                                                 100ul + (unsigned)i,
                                                 &s[i].acc, s[i].server,
                                                 &state),
              expected);
    CHECK(s[i].acc == GSS_C_NO_CONTEXT); /* parked */
  }
}

/* The client's request over the moved connection, answered by the new
   process with the moved context: "new:<state>:<request>". */
static int request_on_new(struct session *s, const char *req,
                          const char *expected) {
  OM_uint32 minor = 0, major;
  gss_buffer_desc in, wrapped = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc token, out = GSS_C_EMPTY_BUFFER;
  char buf[4096];
  ssize_t n;
  int conf = 0, ok;
  in.value = (void *)req;
  in.length = strlen(req);
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
  major = gss_unwrap(&minor, s->init, &token, &out, &conf, NULL);
  ok = major == GSS_S_COMPLETE && conf && out.length == strlen(expected) &&
       memcmp(out.value, expected, out.length) == 0;
  gss_release_buffer(&minor, &out);
  return ok;
}

static int listen_at(struct sockaddr_un *addr, socklen_t *len) {
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  int n;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  n = snprintf(addr->sun_path + 1, sizeof addr->sun_path - 1,
               "gssx-mit-upgrade-test.%d", (int)getpid());
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)addr, *len) != 0 || listen(fd, 8) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void upgrade_moves_mit_sessions_and_a_listener(void) {
  struct session s[N];
  struct sockaddr_un addr;
  socklen_t addr_len = 0;
  gssx_handoff_upgrade_t up;
  gssx_handoff_upgrade_report rep;
  OM_uint32 minor = 0;
  pid_t pid;
  int i, lfd, c;
  const char *names[1] = {"main"};
  char buf[64];
  ssize_t n;
  for (i = 0; i < N; ++i) REQUIRE(open_session(&s[i], i));
  lfd = listen_at(&addr, &addr_len);
  REQUIRE(lfd >= 0);
  REQUIRE_GSS(start("serve", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  CHECK(pid > 0 && up != NULL);
  CHECK_GSS(gssx_handoff_upgrade_offer_listeners(&minor, up, names, &lfd, 1),
            GSS_S_COMPLETE);
  offer(up, s, N, GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_upgrade_commit(&minor, &up, &rep), GSS_S_COMPLETE);
  CHECK(up == NULL);
  CHECK(rep.outcome == GSSX_HANDOFF_UPGRADE_COMMITTED);
  CHECK(rep.committed_count == N && rep.returned_count == 0 &&
        rep.lost_count == 0 && rep.listener_calls == 1);
  for (i = 0; i < N; ++i) {
    CHECK(contains(rep.committed, rep.committed_count, 100ul + (unsigned)i));
    CHECK(s[i].acc == GSS_C_NO_CONTEXT);
    close(s[i].server);
    s[i].server = -1;
  }
  close(lfd);
  CHECK_GSS(gssx_handoff_upgrade_release_report(&minor, &rep),
            GSS_S_COMPLETE);
  /* Each client goes on with its original context, served by the new
     process: MIT's sequence numbers continue in both directions. */
  for (i = 0; i < N; ++i) {
    char req[32], want[64];
    snprintf(req, sizeof req, "req%d", i);
    snprintf(want, sizeof want, "new:st%d:req%d", i, i);
    CHECK(request_on_new(&s[i], req, want));
  }
  c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  REQUIRE(c >= 0);
  CHECK(connect(c, (struct sockaddr *)&addr, addr_len) == 0);
  n = recv(c, buf, sizeof buf - 1, 0);
  CHECK(n == 4 && memcmp(buf, "main", 4) == 0);
  close(c);
  CHECK(reap(pid) == 0);
  for (i = 0; i < N; ++i) close_session(&s[i]);
}

void upgrade_successor_killed_midway_returns_every_session(void) {
  struct session s[N];
  gssx_handoff_upgrade_t up;
  gssx_handoff_upgrade_report rep;
  OM_uint32 minor = 0;
  pid_t pid;
  int i, status = 0;
  gss_ctx_id_t before;
  for (i = 0; i < N; ++i) REQUIRE(open_session(&s[i], i));
  REQUIRE_GSS(start("serve", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  offer(up, s, 1, GSS_S_COMPLETE);
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 101, &s[1].acc,
                                               s[1].server, GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor != GSSX_HANDOFF_E_UPGRADE_FAILED);
  CHECK(s[1].acc == GSS_C_NO_CONTEXT); /* parked with the other */
  before = s[2].acc;
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 102, &s[2].acc,
                                               s[2].server, GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_UPGRADE_FAILED);
  CHECK(s[2].acc == before); /* not offered */
  CHECK_GSS(gssx_handoff_upgrade_commit(&minor, &up, &rep), GSS_S_FAILURE);
  CHECK(up == NULL);
  CHECK(rep.outcome == GSSX_HANDOFF_UPGRADE_RETURNED);
  CHECK(rep.returned_count == 2 && rep.committed_count == 0 &&
        rep.lost_count == 0);
  CHECK(contains(rep.returned, rep.returned_count, 100));
  CHECK(contains(rep.returned, rep.returned_count, 101));
  gssx_handoff_upgrade_release_report(&minor, &rep);
  for (i = 0; i < N; ++i) {
    CHECK(s[i].acc != GSS_C_NO_CONTEXT);
    CHECK(round_trip(s[i].init, s[i].acc, "after"));
    CHECK(round_trip(s[i].acc, s[i].init, "after, back"));
    CHECK(fd_is_open(s[i].server));
  }
  for (i = 0; i < N; ++i) close_session(&s[i]);
}

void upgrade_refused_moves_nothing(void) {
  struct session s;
  gssx_handoff_upgrade_t up = (gssx_handoff_upgrade_t)1;
  OM_uint32 minor = 0;
  pid_t pid = 1234;
  REQUIRE(open_session(&s, 0));
  CHECK_GSS(start("old", 10000, &minor, &pid, &up), GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_UPGRADE_REFUSED);
  CHECK(up == NULL);
  CHECK(pid > 0 && pid != 1234);
  CHECK(reap(pid) == 0);
  CHECK_GSS(start("refuse", 10000, &minor, &pid, &up), GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_UPGRADE_REFUSED);
  CHECK(reap(pid) == 0);
  CHECK(round_trip(s.init, s.acc, "still mine"));
  close_session(&s);
}

/* The new binary requires a flag the contexts lack: its trial import
   refuses the first session, and everything comes back. */
void upgrade_context_refused_by_the_new_binary_returns_it(void) {
  struct session s[2];
  gssx_handoff_upgrade_t up;
  gssx_handoff_upgrade_report rep;
  OM_uint32 minor = 0;
  pid_t pid;
  int i;
  for (i = 0; i < 2; ++i) REQUIRE(open_session(&s[i], 0));
  REQUIRE_GSS(start("picky", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 7, &s[0].acc,
                                               s[0].server, GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_REJECTED_BY_PEER ||
        minor == GSSX_HANDOFF_E_PEER_CLOSED);
  CHECK_GSS(gssx_handoff_upgrade_commit(&minor, &up, &rep), GSS_S_FAILURE);
  CHECK(rep.outcome == GSSX_HANDOFF_UPGRADE_RETURNED &&
        rep.returned_count == 1 && rep.returned[0] == 7);
  gssx_handoff_upgrade_release_report(&minor, &rep);
  CHECK(reap(pid) == 0); /* it saw _CONTEXT_REFUSED */
  for (i = 0; i < 2; ++i) {
    CHECK(round_trip(s[i].init, s[i].acc, "kept"));
    close_session(&s[i]);
  }
}

/* A new binary that closes after accepting; one that never answers (step
   timeout); an abort by the old binary: every session comes back. */
void upgrade_closed_timed_out_or_aborted_returns_every_session(void) {
  struct session s[N];
  gssx_handoff_upgrade_t up;
  gssx_handoff_upgrade_report rep;
  OM_uint32 minor = 0;
  pid_t pid;
  int i;
  long long t0;
  for (i = 0; i < N; ++i) REQUIRE(open_session(&s[i], 0));

  REQUIRE_GSS(start("close", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  CHECK(reap(pid) == 0);
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 1, &s[0].acc,
                                               s[0].server, GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK_GSS(gssx_handoff_upgrade_commit(&minor, &up, &rep), GSS_S_FAILURE);
  CHECK(rep.outcome == GSSX_HANDOFF_UPGRADE_RETURNED &&
        rep.returned_count == 1);
  gssx_handoff_upgrade_release_report(&minor, &rep);
  CHECK(round_trip(s[0].init, s[0].acc, "back 1"));

  /* The step timeout bounds every wait, the new binary's start included:
     long enough for a loaded machine under ASan. */
  REQUIRE_GSS(start("hang", 4000, &minor, &pid, &up), GSS_S_COMPLETE);
  t0 = now_ms();
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 1, &s[0].acc,
                                               s[0].server, GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_TIMEOUT);
  t0 = now_ms() - t0;
  CHECK(t0 >= 3900 && t0 < 30000); /* it waited for the ack, then gave up */
  CHECK_GSS(gssx_handoff_upgrade_commit(&minor, &up, &rep), GSS_S_FAILURE);
  CHECK(rep.outcome == GSSX_HANDOFF_UPGRADE_RETURNED &&
        rep.returned_count == 1);
  gssx_handoff_upgrade_release_report(&minor, &rep);
  kill(pid, SIGKILL);
  CHECK(reap(pid) == -1);
  CHECK(round_trip(s[0].init, s[0].acc, "back 2"));

  REQUIRE_GSS(start("serve", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  offer(up, s, N, GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_upgrade_abort(&minor, &up, &rep), GSS_S_COMPLETE);
  CHECK(up == NULL);
  CHECK(rep.outcome == GSSX_HANDOFF_UPGRADE_RETURNED &&
        rep.returned_count == N && rep.lost_count == 0);
  gssx_handoff_upgrade_release_report(&minor, &rep);
  for (i = 0; i < N; ++i) {
    CHECK(round_trip(s[i].init, s[i].acc, "aborted"));
    CHECK(round_trip(s[i].acc, s[i].init, "aborted, back"));
  }
  CHECK(reap(pid) == 3); /* its receive failed: the channel closed */
  for (i = 0; i < N; ++i) close_session(&s[i]);
}

void upgrade_not_upgrading(void) {
  gssx_handoff_upgrade_target_t t = (gssx_handoff_upgrade_target_t)7;
  OM_uint32 minor = 0;
  unsetenv("GSSX_UPGRADE_FD");
  CHECK_GSS(gssx_handoff_upgrade_accept(&minor, TAG, 1, NULL, NULL,
                                        GSSX_HANDOFF_REQUIRED_FLAGS, 1000, &t),
            GSS_S_UNAVAILABLE);
  CHECK(minor == GSSX_HANDOFF_E_NOT_UPGRADING);
  CHECK(t == NULL);
  CHECK(strstr(gssx_handoff_strerror(minor), "GSSX_UPGRADE_FD") != NULL);
}

void upgrade_misuse(void) {
  struct session s[2];
  gssx_handoff_upgrade_t up, none = NULL;
  gssx_handoff_upgrade_target_t tnone = NULL;
  gssx_handoff_upgrade_report rep;
  gssx_handoff_upgrade_batch batch;
  OM_uint32 minor = 0;
  pid_t pid = 77;
  int lfd = 5, fds17[17] = {0};
  const char *names17[17];
  static char big[GSSX_HANDOFF_UPGRADE_MAX_STATE + 1];
  gss_buffer_desc too_big;
  char long_tag[GSSX_HANDOFF_UPGRADE_MAX_NAME + 2];
  gss_ctx_id_t no_ctx = GSS_C_NO_CONTEXT, kept;
  int i;
  for (i = 0; i < 2; ++i) REQUIRE(open_session(&s[i], 0));
  CHECK_GSS(gssx_handoff_upgrade_start(NULL, "/x", NULL, TAG, 1, 1000, &pid,
                                       &up),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(pid == -1 && up == NULL);
  CHECK_GSS(gssx_handoff_upgrade_start(&minor, NULL, NULL, TAG, 1, 1000, &pid,
                                       &up),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_handoff_upgrade_start(&minor, "/x", NULL, TAG, 1, 1000, NULL,
                                       &up),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  memset(long_tag, 'a', sizeof long_tag - 1);
  long_tag[sizeof long_tag - 1] = '\0';
  CHECK_GSS(gssx_handoff_upgrade_start(&minor, "/x", NULL, long_tag, 1, 1000,
                                       &pid, &up),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_BAD_ARGUMENT && pid == -1);
  /* Not a program: the child fails to exec and the channel closes. */
  CHECK_GSS(gssx_handoff_upgrade_start(&minor, "/nonexistent/binary", NULL,
                                       TAG, 1, 5000, &pid, &up),
            GSS_S_FAILURE);
  CHECK(up == NULL);
  if (pid > 0) reap(pid);
  /* NULL handles: bad arguments; outputs emptied. */
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, NULL, 1, &s[0].acc,
                                               s[0].server, GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_BAD_ARGUMENT && s[0].acc != GSS_C_NO_CONTEXT);
  memset(&rep, 0x5a, sizeof rep);
  CHECK_GSS(gssx_handoff_upgrade_commit(&minor, &none, &rep), GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK(rep.outcome == 0 && rep.committed == NULL && rep.returned == NULL &&
        rep.lost == NULL);
  CHECK_GSS(gssx_handoff_upgrade_commit(&minor, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_handoff_upgrade_abort(&minor, &none, NULL), GSS_S_FAILURE);
  memset(&batch, 0x5a, sizeof batch);
  CHECK_GSS(gssx_handoff_upgrade_receive(&minor, &tnone, &batch),
            GSS_S_FAILURE);
  CHECK(batch.listeners == NULL && batch.sessions == NULL &&
        batch.internal == NULL && batch.session_count == 0);
  CHECK_GSS(gssx_handoff_upgrade_release_batch(&minor, &batch),
            GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_upgrade_target_close(&minor, &tnone), GSS_S_FAILURE);

  REQUIRE_GSS(start("serve", 10000, &minor, &pid, &up), GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_upgrade_offer_listeners(&minor, up, NULL, &lfd, 1),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_handoff_upgrade_offer_listeners(&minor, up, names17, fds17,
                                                 0),
            GSS_S_FAILURE);
  for (i = 0; i < 17; ++i) names17[i] = "l";
  CHECK_GSS(gssx_handoff_upgrade_offer_listeners(&minor, up, names17, fds17,
                                                 17),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_BAD_ARGUMENT);
  kept = s[0].acc;
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 1, &s[0].acc, -1,
                                               GSS_C_NO_BUFFER),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_BAD_ARGUMENT && s[0].acc == kept);
  too_big.length = sizeof big;
  too_big.value = big;
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 1, &s[0].acc,
                                               s[0].server, &too_big),
            GSS_S_FAILURE);
  CHECK(minor == GSSX_HANDOFF_E_BAD_ARGUMENT && s[0].acc == kept);
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 1, NULL,
                                               s[0].server, GSS_C_NO_BUFFER),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 1, &no_ctx,
                                               s[0].server, GSS_C_NO_BUFFER),
            GSS_S_NO_CONTEXT);
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 1, &s[0].acc,
                                               s[0].server, GSS_C_NO_BUFFER),
            GSS_S_COMPLETE);
  CHECK(s[0].acc == GSS_C_NO_CONTEXT);
  kept = s[1].acc;
  CHECK_GSS(gssx_handoff_upgrade_offer_session(&minor, up, 1, &s[1].acc,
                                               s[1].server, GSS_C_NO_BUFFER),
            GSS_S_FAILURE); /* id reused */
  CHECK(minor == GSSX_HANDOFF_E_BAD_ARGUMENT && s[1].acc == kept);
  CHECK_GSS(gssx_handoff_upgrade_commit(&minor, &up, NULL), GSS_S_COMPLETE);
  CHECK(up == NULL);
  CHECK(s[0].acc == GSS_C_NO_CONTEXT); /* committed: gone */
  CHECK(round_trip(s[1].init, s[1].acc, "not offered"));
  kill(pid, SIGKILL);
  reap(pid);
  for (i = 0; i < 2; ++i) close_session(&s[i]);
}
