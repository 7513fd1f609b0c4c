/* SPDX-License-Identifier: Apache-2.0 */
/* libgssx-handoff from C, with real Kerberos contexts from a real KDC
   (MIT's libgssapi_krb5): every call and its error paths. */
#define _GNU_SOURCE /* dladdr, memfd_create */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssx/handoff.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "gssx/krb5_bridge/c/testing/check.h"

#define X(fn) void fn(void);
#include "gssx/krb5_bridge/c/handoff_tests.inc"
#undef X

#define ALL_FLAGS                                                   \
  (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |    \
   GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)

static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

/* Whether the initiator's first token of the last establish_mech was a
   SPNEGO NegTokenInit (RFC 2743 framing: 0x60, length, the SPNEGO OID). */
static int g_first_token_was_spnego = 0;

static int is_spnego_token(const gss_buffer_desc *t) {
  const unsigned char *b = (const unsigned char *)t->value;
  size_t at = 2;
  if (t->length < 12 || b[0] != 0x60) return 0;
  if (b[1] & 0x80) at += b[1] & 0x7f; /* long-form length */
  return t->length > at + 8 && b[at] == 0x06 && b[at + 1] == 6 &&
         memcmp(b + at + 2, spnego_oid.elements, 6) == 0;
}

/* ------------------------------------------------------------- helpers */

/* A Kerberos context pair through MIT (mech: GSS_C_NO_OID for Kerberos,
   or &spnego_oid), with the realm's TGT and keytab. */
static int establish_mech(gss_ctx_id_t *init, gss_ctx_id_t *acc,
                          gss_OID mech) {
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
    if (rounds == 0) g_first_token_was_spnego = is_spnego_token(&out);
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

static int establish(gss_ctx_id_t *init, gss_ctx_id_t *acc) {
  return establish_mech(init, acc, GSS_C_NO_OID);
}

static void delete_ctx(gss_ctx_id_t *ctx) {
  OM_uint32 minor = 0;
  if (*ctx != GSS_C_NO_CONTEXT) {
    gss_delete_sec_context(&minor, ctx, GSS_C_NO_BUFFER);
  }
}

/* Whether `to` unwraps what `from` wraps (`text`). */
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

/* Frames on a stream socket: 4-byte length, bytes. */
static int write_all(int fd, const void *p, size_t n) {
  const char *c = (const char *)p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 0;
    c += w;
    n -= (size_t)w;
  }
  return 1;
}

static int read_all(int fd, void *p, size_t n) {
  char *c = (char *)p;
  while (n > 0) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    c += r;
    n -= (size_t)r;
  }
  return 1;
}

static int send_wrapped(int fd, gss_ctx_id_t ctx, const char *text) {
  OM_uint32 minor = 0;
  gss_buffer_desc msg, wrapped = GSS_C_EMPTY_BUFFER;
  uint32_t len;
  int conf = 0, ok;
  msg.value = (void *)text;
  msg.length = strlen(text);
  if (gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &msg, &conf, &wrapped) !=
      GSS_S_COMPLETE) {
    return 0;
  }
  len = (uint32_t)wrapped.length;
  ok = write_all(fd, &len, sizeof len) &&
       write_all(fd, wrapped.value, wrapped.length);
  gss_release_buffer(&minor, &wrapped);
  return ok;
}

/* Reads one wrapped frame and unwraps it into out (NUL-terminated). */
static int recv_wrapped(int fd, gss_ctx_id_t ctx, char *out, size_t room) {
  OM_uint32 minor = 0;
  char buf[4096];
  uint32_t len;
  gss_buffer_desc wrapped, plain = GSS_C_EMPTY_BUFFER;
  int conf = 0, ok;
  if (!read_all(fd, &len, sizeof len) || len > sizeof buf ||
      !read_all(fd, buf, len)) {
    return 0;
  }
  wrapped.value = buf;
  wrapped.length = len;
  ok = gss_unwrap(&minor, ctx, &wrapped, &plain, &conf, NULL) ==
           GSS_S_COMPLETE &&
       plain.length < room;
  if (ok) {
    memcpy(out, plain.value, plain.length);
    out[plain.length] = '\0';
  }
  gss_release_buffer(&minor, &plain);
  return ok;
}

static int seqpacket_pair(int sv[2]) {
  return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Opening both ends in one process: one end on a thread. */
struct opener {
  int fd;
  const gssx_chan_options *options;
  gssx_chan_t chan;
  OM_uint32 major, minor;
};

static void *open_thread(void *arg) {
  struct opener *o = (struct opener *)arg;
  o->major = gssx_chan_open(&o->minor, o->fd, o->options, &o->chan);
  return NULL;
}

/* Opens a connected pair with the given options (NULL: defaults). On
   failure of an end its fd is closed here. Returns 1 if both opened. */
static int open_pair_with(const gssx_chan_options *oa,
                          const gssx_chan_options *ob, struct opener *a,
                          struct opener *b) {
  int sv[2];
  pthread_t t;
  memset(a, 0, sizeof *a);
  memset(b, 0, sizeof *b);
  if (!seqpacket_pair(sv)) return 0;
  a->fd = sv[0];
  a->options = oa;
  b->fd = sv[1];
  b->options = ob;
  if (pthread_create(&t, NULL, open_thread, b) != 0) {
    close(sv[0]);
    close(sv[1]);
    return 0;
  }
  open_thread(a);
  pthread_join(t, NULL);
  if (a->major != GSS_S_COMPLETE) close(a->fd);
  if (b->major != GSS_S_COMPLETE) close(b->fd);
  return a->major == GSS_S_COMPLETE && b->major == GSS_S_COMPLETE;
}

static int open_pair(gssx_chan_t *a, gssx_chan_t *b) {
  struct opener oa, ob;
  int ok = open_pair_with(NULL, NULL, &oa, &ob);
  *a = oa.chan;
  *b = ob.chan;
  return ok;
}

static void close_chan(gssx_chan_t *chan) {
  OM_uint32 minor = 0;
  gssx_chan_close(&minor, chan);
}

static int fd_is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

static volatile sig_atomic_t g_alarms = 0;
static void on_alarm(int sig) {
  (void)sig;
  ++g_alarms;
}

/* SIGALRM in `ms` milliseconds, with a handler installed without
   SA_RESTART (so blocking calls see EINTR). */
static void alarm_in_ms(int ms) {
  struct sigaction sa;
  struct itimerval it;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  memset(&it, 0, sizeof it);
  it.it_value.tv_sec = ms / 1000;
  it.it_value.tv_usec = (ms % 1000) * 1000;
  setitimer(ITIMER_REAL, &it, NULL);
}

static void alarm_off(void) {
  struct itimerval it;
  memset(&it, 0, sizeof it);
  setitimer(ITIMER_REAL, &it, NULL);
  signal(SIGALRM, SIG_DFL);
}

/* A worker child: opens its end of the channel, then does `what`. */
enum worker_action {
  WORKER_ECHO,            /* receive, answer one wrapped request */
  WORKER_DIE_ON_ARRIVAL,  /* wait until the handoff is there, exit */
  WORKER_SLEEP,           /* open and sleep (killed by the test) */
  WORKER_IMPORT_FD        /* import the raw fd */
};

struct worker {
  int chan_fd;  /* the worker's end */
  int other_fd; /* the master's end, closed in the child */
  int token_fd;
  enum worker_action action;
};

static int worker_main(void *arg) {
  struct worker *w = (struct worker *)arg;
  OM_uint32 major, minor = 0;
  gssx_chan_t chan = NULL;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int fds[1];
  size_t nfds = 1;
  char text[256], reply[300];
  if (w->action == WORKER_IMPORT_FD) {
    major = gssx_handoff_import_fd(&minor, w->token_fd,
                                   GSSX_HANDOFF_REQUIRED_FLAGS, &ctx);
    if (major == GSS_S_COMPLETE) return 0;
    return minor == GSSX_HANDOFF_E_ALREADY_IMPORTED ? 10 : 11;
  }
  close(w->other_fd);
  if (gssx_chan_open(&minor, w->chan_fd, NULL, &chan) != GSS_S_COMPLETE) {
    return 20;
  }
  if (w->action == WORKER_DIE_ON_ARRIVAL) {
    struct pollfd p;
    p.fd = gssx_chan_fd(chan);
    p.events = POLLIN;
    return poll(&p, 1, 30000) == 1 ? 0 : 21;
  }
  if (w->action == WORKER_SLEEP) {
    for (;;) pause();
  }
  major = gssx_handoff_receive(&minor, chan, 30000,
                               GSSX_HANDOFF_REQUIRED_FLAGS, &ctx, fds, &nfds);
  if (major != GSS_S_COMPLETE) return 22;
  if (nfds != 1) return 23;
  if (!recv_wrapped(fds[0], ctx, text, sizeof text)) return 24;
  snprintf(reply, sizeof reply, "pong:%s", text);
  if (!send_wrapped(fds[0], ctx, reply)) return 25;
  close(fds[0]);
  delete_ctx(&ctx);
  close_chan(&chan);
  return 0;
}

/* Starts a worker child on a fresh socketpair and opens the master's end
   into *chan. Returns the child id, or -1. */
static int start_worker(enum worker_action action, gssx_chan_t *chan) {
  OM_uint32 minor = 0;
  int sv[2], id;
  struct worker w;
  *chan = NULL;
  if (!seqpacket_pair(sv)) return -1;
  memset(&w, 0, sizeof w);
  w.chan_fd = sv[1];
  w.other_fd = sv[0];
  w.action = action;
  id = c_check_start_child(worker_main, &w);
  close(sv[1]);
  if (id < 0) {
    close(sv[0]);
    return -1;
  }
  if (gssx_chan_open(&minor, sv[0], NULL, chan) != GSS_S_COMPLETE) {
    close(sv[0]);
    return -1;
  }
  return id;
}

/* Waits (up to 10 s) for the pending handoff's fd and finishes it. */
static OM_uint32 finish_blocking(OM_uint32 *minor,
                                 gssx_handoff_pending_t *pending,
                                 gss_ctx_id_t *ctx) {
  OM_uint32 major = GSS_S_CONTINUE_NEEDED;
  long long end = now_ms() + 10000;
  while (major == GSS_S_CONTINUE_NEEDED && now_ms() < end) {
    struct pollfd p;
    p.fd = gssx_handoff_pending_fd(*pending);
    p.events = POLLIN;
    poll(&p, 1, 100);
    major = gssx_handoff_finish(minor, pending, ctx);
  }
  return major;
}

/* --------------------------------------------------------------- tests */

/* Every gss_* name this program and libgssx-handoff call is MIT's. */
void gss_symbols_resolve_to_mits_library(void) {
  static const char *const names[] = {
      "gss_import_sec_context", "gss_export_sec_context",
      "gss_inquire_context",    "gss_delete_sec_context",
      "gss_release_buffer",     "gss_display_status",
      "gss_wrap",               "gss_unwrap",
      "gss_indicate_mechs",     "gss_init_sec_context",
      "gss_accept_sec_context"};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, names[i]);
    REQUIRE(sym != NULL);
    REQUIRE(dladdr(sym, &info) != 0);
    REQUIRE(info.dli_fname != NULL);
    CHECK(strstr(info.dli_fname, "libgssapi_krb5.so") != NULL);
  }
}

void strerror_names_every_code(void) {
  OM_uint32 code;
  const char *unknown = gssx_handoff_strerror(12345);
  CHECK(strcmp(unknown, "not a gssx-handoff minor code") == 0);
  for (code = GSSX_HANDOFF_E_BAD_ARGUMENT;
       code <= GSSX_HANDOFF_E_UPGRADE_FAILED; ++code) {
    const char *text = gssx_handoff_strerror(code);
    CHECK(text != NULL && strcmp(text, unknown) != 0 && text[0] != '\0');
  }
  CHECK(strcmp(gssx_handoff_strerror(GSSX_HANDOFF_E_UPGRADE_FAILED + 1),
               unknown) == 0);
  CHECK(strcmp(gssx_handoff_strerror(GSSX_HANDOFF_E_ALREADY_IMPORTED),
               "handoff already imported") == 0);
}

static void hand_off_to_a_process(gss_OID mech) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  gssx_chan_t chan = NULL;
  int cs[2], id;
  char reply[300];
  REQUIRE(establish_mech(&init, &acc, mech));
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cs) == 0);
  id = start_worker(WORKER_ECHO, &chan);
  REQUIRE(id >= 0);
  CHECK_GSS(gssx_handoff_send(&minor, chan, &acc, &cs[1], 1, 10000),
            GSS_S_COMPLETE);
  CHECK(acc == GSS_C_NO_CONTEXT);
  close(cs[1]);
  /* The client talks to the worker, which continues the context. */
  CHECK(send_wrapped(cs[0], init, "ping"));
  CHECK(recv_wrapped(cs[0], init, reply, sizeof reply));
  CHECK(strcmp(reply, "pong:ping") == 0);
  CHECK_EQ_U64(c_check_wait_child(id, 30), 0);
  close(cs[0]);
  close_chan(&chan);
  delete_ctx(&init);
  delete_ctx(&acc);
}

void handoff_moves_context_and_socket_to_another_process(void) {
  hand_off_to_a_process(GSS_C_NO_OID);
}

/* A context negotiated through MIT's SPNEGO mechanism (what HTTP
   Negotiate uses) is handed off and continues in the worker. */
void spnego_context_moves_and_continues(void) {
  gss_ctx_id_t init, acc;
  /* The negotiation really is SPNEGO (and the check can tell). */
  REQUIRE(establish_mech(&init, &acc, GSS_C_NO_OID));
  CHECK(!g_first_token_was_spnego);
  delete_ctx(&init);
  delete_ctx(&acc);
  REQUIRE(establish_mech(&init, &acc, &spnego_oid));
  CHECK(g_first_token_was_spnego);
  delete_ctx(&init);
  delete_ctx(&acc);
  hand_off_to_a_process(&spnego_oid);
  CHECK(g_first_token_was_spnego);
}

void raw_fd_imports_exactly_once_across_processes(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, mine = GSS_C_NO_CONTEXT;
  struct worker w;
  int fd = -1, first, second;
  REQUIRE(establish(&init, &acc));
  REQUIRE_GSS(gssx_handoff_export_fd(&minor, &acc, &fd), GSS_S_COMPLETE);
  CHECK(acc == GSS_C_NO_CONTEXT);
  REQUIRE(fd >= 0);
  CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  memset(&w, 0, sizeof w);
  w.token_fd = fd;
  w.action = WORKER_IMPORT_FD;
  first = c_check_start_child(worker_main, &w);
  CHECK_EQ_U64(c_check_wait_child(first, 30), 0);
  second = c_check_start_child(worker_main, &w);
  CHECK_EQ_U64(c_check_wait_child(second, 30), 10); /* already imported */
  CHECK_GSS(gssx_handoff_import_fd(&minor, fd, GSSX_HANDOFF_REQUIRED_FLAGS,
                                   &mine),
            GSS_S_NO_CONTEXT);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_ALREADY_IMPORTED);
  CHECK(mine == GSS_C_NO_CONTEXT);
  close(fd);
  delete_ctx(&init);
}

void raw_fd_bad_inputs(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int p[2], fd = 7, mfd;
  CHECK_GSS(gssx_handoff_import_fd(&minor, -1, 0, &ctx), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  CHECK_GSS(gssx_handoff_import_fd(&minor, p[0], 0, &ctx), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_TOKEN);
  close(p[0]);
  close(p[1]);
  mfd = memfd_create("not-a-token", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  REQUIRE(mfd >= 0);
  CHECK(write(mfd, "garbage", 7) == 7);
  CHECK_GSS(gssx_handoff_import_fd(&minor, mfd, 0, &ctx), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_TOKEN);
  close(mfd);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  CHECK_GSS(gssx_handoff_export_fd(&minor, &ctx, &fd), GSS_S_NO_CONTEXT);
  CHECK(fd == -1);
  CHECK_GSS(gssx_handoff_export_fd(&minor, NULL, &fd),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_EQ_U64(gssx_handoff_export_fd(NULL, &ctx, &fd),
               GSS_S_CALL_INACCESSIBLE_WRITE);
}

void policy_refused_on_both_ends(void) {
  gssx_chan_options only_other;
  uid_t other = geteuid() + 4242;
  struct opener a, b;
  gssx_chan_options_init(&only_other);
  only_other.same_uid = 0;
  only_other.uids = &other;
  only_other.uid_count = 1;
  CHECK(!open_pair_with(&only_other, NULL, &a, &b));
  CHECK_EQ_U64(a.major, GSS_S_FAILURE);
  CHECK_EQ_U64(a.minor, GSSX_HANDOFF_E_PEER_NOT_ALLOWED);
  CHECK_EQ_U64(b.major, GSS_S_FAILURE);
  CHECK_EQ_U64(b.minor, GSSX_HANDOFF_E_REFUSED_BY_PEER);
  CHECK(a.chan == NULL && b.chan == NULL);
}

void policy_root_or_uid_and_gid_lists_admit(void) {
  OM_uint32 minor = 0;
  gssx_chan_options root_or_me, by_gid;
  uid_t me = geteuid(), uid = 0;
  gid_t group = getegid(), gid = 0;
  pid_t pid = 0;
  struct opener a, b;
  gssx_chan_options_init(&root_or_me);
  root_or_me.same_uid = 0;
  root_or_me.root = 1;
  root_or_me.uids = &me;
  root_or_me.uid_count = 1;
  gssx_chan_options_init(&by_gid);
  by_gid.same_uid = 0;
  by_gid.gids = &group;
  by_gid.gid_count = 1;
  REQUIRE(open_pair_with(&root_or_me, &by_gid, &a, &b));
  CHECK_GSS(gssx_chan_peer(&minor, a.chan, &pid, &uid, &gid), GSS_S_COMPLETE);
  CHECK_EQ_U64(pid, getpid());
  CHECK_EQ_U64(uid, me);
  CHECK_EQ_U64(gid, group);
  CHECK(!fd_is_open(a.fd) || gssx_chan_fd(a.chan) != a.fd);
  close_chan(&a.chan);
  close_chan(&b.chan);
  CHECK(a.chan == NULL);
}

void policy_admitting_nobody_is_a_bad_argument(void) {
  OM_uint32 minor = 0;
  gssx_chan_options nobody;
  gssx_chan_t chan = NULL;
  int sv[2];
  REQUIRE(seqpacket_pair(sv));
  gssx_chan_options_init(&nobody);
  nobody.same_uid = 0;
  CHECK_GSS(gssx_chan_open(&minor, sv[0], &nobody, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  nobody.same_uid = 1;
  nobody.version = 99;
  CHECK_GSS(gssx_chan_open(&minor, sv[0], &nobody, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  gssx_chan_options_init(&nobody);
  nobody.uid_count = 1; /* uids NULL */
  CHECK_GSS(gssx_chan_open(&minor, sv[0], &nobody, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK(chan == NULL);
  CHECK(fd_is_open(sv[0])); /* still the caller's */
  close(sv[0]);
  close(sv[1]);
}

void open_times_out_when_the_peer_never_answers(void) {
  OM_uint32 minor = 0;
  gssx_chan_options quick;
  gssx_chan_t chan = NULL;
  long long start;
  int sv[2];
  REQUIRE(seqpacket_pair(sv));
  gssx_chan_options_init(&quick);
  quick.timeout_ms = 100;
  start = now_ms();
  CHECK_GSS(gssx_chan_open(&minor, sv[0], &quick, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_TIMEOUT);
  CHECK(now_ms() - start >= 100);
  CHECK(fd_is_open(sv[0]));
  close(sv[0]);
  close(sv[1]);
}

void open_refuses_what_is_not_a_seqpacket_socket(void) {
  OM_uint32 minor = 0;
  gssx_chan_t chan = NULL;
  int st[2], p[2], dg[2], closed;
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st) == 0);
  CHECK_GSS(gssx_chan_open(&minor, st[0], NULL, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_NOT_SEQPACKET);
  CHECK(fd_is_open(st[0]));
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg) == 0);
  CHECK_GSS(gssx_chan_open(&minor, dg[0], NULL, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_NOT_SEQPACKET);
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  CHECK_GSS(gssx_chan_open(&minor, p[0], NULL, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_NOT_SEQPACKET);
  CHECK(fd_is_open(p[0]));
  closed = p[1];
  close(p[0]);
  close(p[1]);
  CHECK_GSS(gssx_chan_open(&minor, closed, NULL, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_NOT_SEQPACKET);
  CHECK_GSS(gssx_chan_open(&minor, -1, NULL, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK_GSS(gssx_chan_open(&minor, st[0], NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_EQ_U64(gssx_chan_open(NULL, st[0], NULL, &chan),
               GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(chan == NULL);
  CHECK_EQ_U64(gssx_chan_fd(NULL), (unsigned long long)-1);
  close(st[0]);
  close(st[1]);
  close(dg[0]);
  close(dg[1]);
}

void open_when_the_peer_closed(void) {
  OM_uint32 minor = 0;
  gssx_chan_t chan = NULL;
  int sv[2];
  REQUIRE(seqpacket_pair(sv));
  close(sv[1]);
  CHECK_GSS(gssx_chan_open(&minor, sv[0], NULL, &chan), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_PEER_CLOSED);
  close(sv[0]);
}

void receive_times_out(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  size_t nfds = 0;
  long long start;
  REQUIRE(open_pair(&a, &b));
  start = now_ms();
  CHECK_GSS(gssx_handoff_receive(&minor, b, 150, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &ctx, NULL, &nfds),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_TIMEOUT);
  CHECK(now_ms() - start >= 150);
  CHECK_GSS(gssx_handoff_receive(&minor, b, 0, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &ctx, NULL, &nfds),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_TIMEOUT);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  close_chan(&a);
  close_chan(&b);
}

void receive_interrupted_by_a_signal_loses_nothing(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT;
  gssx_handoff_pending_t pending = NULL;
  size_t nfds = 0;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  g_alarms = 0;
  alarm_in_ms(100);
  CHECK_GSS(gssx_handoff_receive(&minor, b, -1, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_INTERRUPTED);
  alarm_off();
  CHECK_EQ_U64(g_alarms, 1);
  /* The channel still works: a handoff goes through afterwards. */
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 10000, &pending),
              GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_receive(&minor, b, 10000, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_COMPLETE);
  CHECK_GSS(finish_blocking(&minor, &pending, &acc), GSS_S_COMPLETE);
  CHECK(round_trip(init, got, "after the signal"));
  delete_ctx(&got);
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
  close_chan(&b);
}

void send_interrupted_by_a_signal_gives_the_context_back(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT;
  size_t nfds = 0;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b)); /* b never receives in time */
  alarm_in_ms(100);
  CHECK_GSS(gssx_handoff_send(&minor, a, &acc, NULL, 0, -1), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_INTERRUPTED);
  alarm_off();
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "still mine"));
  /* What b would have received was taken back through the latch. */
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_NO_CONTEXT);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_ALREADY_IMPORTED);
  CHECK(got == GSS_C_NO_CONTEXT);
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
  close_chan(&b);
}

void send_times_out_and_gives_the_context_back(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT;
  size_t nfds = 0;
  long long start;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  start = now_ms();
  CHECK_GSS(gssx_handoff_send(&minor, a, &acc, NULL, 0, 100), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_TIMEOUT);
  CHECK(now_ms() - start >= 100);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "back after the timeout"));
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_NO_CONTEXT);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_ALREADY_IMPORTED);
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
  close_chan(&b);
}

void send_to_a_worker_that_died_gives_the_context_back(void) {
  OM_uint32 minor = 0;
  gssx_chan_t chan = NULL;
  gss_ctx_id_t init, acc;
  int id;
  REQUIRE(establish(&init, &acc));
  id = start_worker(WORKER_DIE_ON_ARRIVAL, &chan);
  REQUIRE(id >= 0);
  CHECK_GSS(gssx_handoff_send(&minor, chan, &acc, NULL, 0, 10000),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_PEER_CLOSED);
  CHECK_EQ_U64(c_check_wait_child(id, 30), 0);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "back from the dead"));
  /* And to a channel whose peer is gone, the send fails at once. */
  CHECK_GSS(gssx_handoff_send(&minor, chan, &acc, NULL, 0, 10000),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_PEER_CLOSED);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "still back"));
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&chan);
}

void worker_killed_mid_handoff_gives_the_context_back(void) {
  OM_uint32 minor = 0;
  gssx_chan_t chan = NULL;
  gss_ctx_id_t init, acc;
  gssx_handoff_pending_t pending = NULL;
  int id;
  REQUIRE(establish(&init, &acc));
  id = start_worker(WORKER_SLEEP, &chan);
  REQUIRE(id >= 0);
  REQUIRE_GSS(gssx_handoff_start(&minor, chan, &acc, NULL, 0, 10000,
                                 &pending),
              GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_finish(&minor, &pending, &acc), GSS_S_CONTINUE_NEEDED);
  CHECK_EQ_U64(c_check_kill_child(id), 128 + SIGKILL);
  CHECK_GSS(finish_blocking(&minor, &pending, &acc), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_PEER_CLOSED);
  CHECK(pending == NULL);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "reclaimed"));
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&chan);
}

void too_many_fds_refused_and_the_context_comes_back(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT;
  gssx_handoff_pending_t pending = NULL;
  int p[2], fds[1] = {-1}, before;
  size_t nfds = 0;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  before = c_check_count_open_fds();
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, p, 2, 10000, &pending),
              GSS_S_COMPLETE);
  nfds = 1;
  CHECK_GSS(gssx_handoff_receive(&minor, b, 10000, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, fds, &nfds),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_TOO_MANY_FDS);
  CHECK_EQ_U64(nfds, 0);
  CHECK(fds[0] == -1 && got == GSS_C_NO_CONTEXT);
  CHECK_GSS(finish_blocking(&minor, &pending, &acc), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_REJECTED_BY_PEER);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "came back"));
  /* Every fd that travelled was closed on the receiving side. */
  CHECK_EQ_U64(c_check_count_open_fds(), before);
  close(p[0]);
  close(p[1]);
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
  close_chan(&b);
}

void required_flags_refused_and_the_context_comes_back(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT;
  gssx_handoff_pending_t pending = NULL;
  size_t nfds = 0;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 10000, &pending),
              GSS_S_COMPLETE);
  /* Delegation was not asked for: a worker that requires it refuses. */
  CHECK_GSS(gssx_handoff_receive(&minor, b, 10000,
                                 GSSX_HANDOFF_REQUIRED_FLAGS |
                                     GSS_C_DELEG_FLAG,
                                 &got, NULL, &nfds),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_CONTEXT_REFUSED);
  CHECK(got == GSS_C_NO_CONTEXT);
  CHECK_GSS(finish_blocking(&minor, &pending, &acc), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_REJECTED_BY_PEER);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "refused, so mine"));
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
  close_chan(&b);
}

void send_bad_arguments(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, none = GSS_C_NO_CONTEXT, kept;
  gssx_handoff_pending_t pending = NULL;
  int fds[GSSX_HANDOFF_MAX_FDS + 1], bad = -1;
  size_t i;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  for (i = 0; i < GSSX_HANDOFF_MAX_FDS + 1; ++i) fds[i] = 0;
  kept = acc;
  CHECK_GSS(gssx_handoff_send(&minor, a, &acc, fds, GSSX_HANDOFF_MAX_FDS + 1,
                              1000),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK(acc == kept);
  CHECK_GSS(gssx_handoff_send(&minor, a, &acc, &bad, 1, 1000), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK_GSS(gssx_handoff_send(&minor, a, &acc, NULL, 1, 1000), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK_GSS(gssx_handoff_send(&minor, a, &acc, NULL, 0, -2), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK(acc == kept);
  /* A client fd that is not open: nothing sent, the context is back. */
  {
    int p[2], closed;
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    closed = p[1];
    close(p[0]);
    close(p[1]);
    errno = 0;
    CHECK_GSS(gssx_handoff_send(&minor, a, &acc, &closed, 1, 1000),
              GSS_S_FAILURE);
    CHECK_EQ_U64(minor, GSSX_HANDOFF_E_OS);
    CHECK_EQ_U64(errno, EBADF);
    REQUIRE(acc != GSS_C_NO_CONTEXT);
    kept = acc; /* re-imported: a new handle */
  }
  CHECK_GSS(gssx_handoff_send(&minor, NULL, &acc, NULL, 0, 1000),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_handoff_send(&minor, a, NULL, NULL, 0, 1000),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_handoff_send(&minor, a, &none, NULL, 0, 1000),
            GSS_S_NO_CONTEXT);
  CHECK_EQ_U64(gssx_handoff_send(NULL, a, &acc, NULL, 0, 1000),
               GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 1000, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_handoff_finish(&minor, &pending, &acc),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_handoff_cancel(&minor, &pending, &acc),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_EQ_U64(gssx_handoff_pending_fd(NULL), (unsigned long long)-1);
  /* Nothing went out: the context is still here and works. */
  CHECK(acc == kept);
  CHECK(round_trip(init, acc, "untouched"));
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
  close_chan(&b);
}

void receive_bad_arguments(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT, occupied;
  gssx_handoff_pending_t pending = NULL;
  int fds[1];
  size_t nfds;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 10000, &pending),
              GSS_S_COMPLETE);
  nfds = GSSX_HANDOFF_MAX_FDS + 1;
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, 0, &got, fds, &nfds),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK_EQ_U64(nfds, 0);
  nfds = 1;
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, 0, &got, NULL, &nfds),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  occupied = init;
  nfds = 0;
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, 0, &occupied, NULL, &nfds),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK(occupied == init);
  CHECK_GSS(gssx_handoff_receive(&minor, NULL, 1000, 0, &got, NULL, &nfds),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, 0, &got, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  /* None of that consumed the handoff. */
  nfds = 0;
  CHECK_GSS(gssx_handoff_receive(&minor, b, 10000, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_COMPLETE);
  CHECK_GSS(finish_blocking(&minor, &pending, &acc), GSS_S_COMPLETE);
  CHECK(round_trip(init, got, "received after all"));
  delete_ctx(&got);
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
  close_chan(&b);
}

void start_then_finish_when_acked(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT, occupied;
  gssx_handoff_pending_t pending = NULL;
  struct pollfd p;
  size_t nfds = 0;
  int left;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 10000, &pending),
              GSS_S_COMPLETE);
  CHECK(acc == GSS_C_NO_CONTEXT);
  REQUIRE(pending != NULL);
  CHECK(gssx_handoff_pending_fd(pending) == gssx_chan_fd(a));
  left = gssx_handoff_pending_timeout_ms(pending);
  CHECK(left > 0 && left <= 10000);
  CHECK_GSS(gssx_handoff_finish(&minor, &pending, &acc), GSS_S_CONTINUE_NEEDED);
  CHECK(pending != NULL);
  /* A context in the output slot is not overwritten. */
  occupied = init;
  CHECK_GSS(gssx_handoff_finish(&minor, &pending, &occupied), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BAD_ARGUMENT);
  CHECK(occupied == init && pending != NULL);
  /* The worker's end was readable for the handoff. */
  p.fd = gssx_chan_fd(b);
  p.events = POLLIN;
  CHECK(poll(&p, 1, 1000) == 1);
  CHECK_GSS(gssx_handoff_receive(&minor, b, 0, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_COMPLETE);
  p.fd = gssx_handoff_pending_fd(pending);
  CHECK(poll(&p, 1, 1000) == 1);
  CHECK_GSS(gssx_handoff_finish(&minor, &pending, &acc), GSS_S_COMPLETE);
  CHECK(pending == NULL && acc == GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, got, "via the event loop"));
  CHECK(round_trip(got, init, "and back"));
  delete_ctx(&got);
  delete_ctx(&init);
  close_chan(&a);
  close_chan(&b);
}

void start_then_peer_gone(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc;
  gssx_handoff_pending_t pending = NULL;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, -1, &pending),
              GSS_S_COMPLETE);
  CHECK_EQ_U64(gssx_handoff_pending_timeout_ms(pending),
               (unsigned long long)-1);
  close_chan(&b);
  CHECK_GSS(finish_blocking(&minor, &pending, &acc), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_PEER_CLOSED);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "peer gone"));
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
}

void start_then_deadline_passes(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT;
  gssx_handoff_pending_t pending = NULL;
  struct pollfd p;
  size_t nfds = 0;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 50, &pending),
              GSS_S_COMPLETE);
  p.fd = gssx_handoff_pending_fd(pending);
  p.events = POLLIN;
  CHECK(poll(&p, 1, gssx_handoff_pending_timeout_ms(pending)) == 0);
  CHECK_EQ_U64(gssx_handoff_pending_timeout_ms(pending), 0);
  CHECK_GSS(gssx_handoff_finish(&minor, &pending, &acc), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_TIMEOUT);
  CHECK(pending == NULL);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "deadline"));
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_NO_CONTEXT);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_ALREADY_IMPORTED);
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&a);
  close_chan(&b);
}

void cancel_takes_the_context_back_unless_imported(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT;
  gssx_handoff_pending_t pending = NULL;
  size_t nfds = 0;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 10000, &pending),
              GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_cancel(&minor, &pending, &acc), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_CANCELLED);
  CHECK(pending == NULL);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "cancelled"));
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_NO_CONTEXT);
  /* Once the worker has it, cancelling is too late: delivered. */
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 10000, &pending),
              GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_receive(&minor, b, 1000, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &got, NULL, &nfds),
            GSS_S_COMPLETE);
  CHECK_GSS(gssx_handoff_cancel(&minor, &pending, &acc), GSS_S_COMPLETE);
  CHECK(acc == GSS_C_NO_CONTEXT && pending == NULL);
  CHECK(round_trip(init, got, "the worker's"));
  delete_ctx(&got);
  delete_ctx(&init);
  close_chan(&a);
  close_chan(&b);
}

void close_refused_while_handoffs_are_pending(void) {
  OM_uint32 minor = 0;
  gssx_chan_t a, b, none = NULL;
  gss_ctx_id_t init, acc;
  gssx_handoff_pending_t pending = NULL;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(&a, &b));
  REQUIRE_GSS(gssx_handoff_start(&minor, a, &acc, NULL, 0, 10000, &pending),
              GSS_S_COMPLETE);
  CHECK_GSS(gssx_chan_close(&minor, &a), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, GSSX_HANDOFF_E_BUSY);
  CHECK(a != NULL);
  CHECK_GSS(gssx_handoff_cancel(&minor, &pending, &acc), GSS_S_FAILURE);
  CHECK_GSS(gssx_chan_close(&minor, &a), GSS_S_COMPLETE);
  CHECK(a == NULL);
  CHECK_GSS(gssx_chan_close(&minor, &none), GSS_S_COMPLETE);
  CHECK_GSS(gssx_chan_close(&minor, NULL), GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(round_trip(init, acc, "closed"));
  delete_ctx(&init);
  delete_ctx(&acc);
  close_chan(&b);
}
