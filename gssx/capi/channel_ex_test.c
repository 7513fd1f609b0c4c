/* SPDX-License-Identifier: Apache-2.0 */
/* <gssx/channel_ex.h>: channels with a peer policy, timeouts and a
   pollable fd. From C. */
#include <errno.h>
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <gssx/gssx.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "gssx/capi/testing/c_check.h"

#define X(fn) void fn(void);
#include "gssx/capi/channel_ex_tests.inc"
#undef X

#define ALL_FLAGS                                                   \
  (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |    \
   GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)

/* The handshake with the default credentials (see handoff_test.c). */
static int establish(gss_ctx_id_t *init, gss_ctx_id_t *acc) {
  OM_uint32 minor = 0;
  gss_buffer_desc service = GSSX_C_BUF(GSSX_C_SERVICE);
  gss_name_t target = GSS_C_NO_NAME;
  gss_buffer_desc a = GSS_C_EMPTY_BUFFER, b = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc c = GSS_C_EMPTY_BUFFER;
  int ok;
  *init = *acc = GSS_C_NO_CONTEXT;
  if (gssx_c_use_test_identities() != 0) return 0;
  gss_import_name(&minor, &service, GSS_C_NT_HOSTBASED_SERVICE, &target);
  ok = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, init, target,
                            GSS_C_NO_OID, ALL_FLAGS, 0,
                            GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL,
                            &a, NULL, NULL) == GSS_S_CONTINUE_NEEDED &&
       gss_accept_sec_context(&minor, acc, GSS_C_NO_CREDENTIAL, &a,
                              GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &b, NULL,
                              NULL, NULL) == GSS_S_COMPLETE &&
       gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, init, target,
                            GSS_C_NO_OID, ALL_FLAGS, 0,
                            GSS_C_NO_CHANNEL_BINDINGS, &b, NULL, &c, NULL,
                            NULL) == GSS_S_COMPLETE;
  gss_release_buffer(&minor, &a);
  gss_release_buffer(&minor, &b);
  gss_release_buffer(&minor, &c);
  gss_release_name(&minor, &target);
  return ok;
}

static int round_trip(gss_ctx_id_t from, gss_ctx_id_t to, const char *text) {
  OM_uint32 minor = 0;
  gss_buffer_desc in = GSSX_C_BUF(text);
  gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
  int ok = gss_wrap(&minor, from, 1, 0, &in, NULL, &wrapped) ==
               GSS_S_COMPLETE &&
           gss_unwrap(&minor, to, &wrapped, &out, NULL, NULL) ==
               GSS_S_COMPLETE &&
           gssx_c_buffer_is(&out, text);
  gss_release_buffer(&minor, &wrapped);
  gss_release_buffer(&minor, &out);
  return ok;
}

static int minor_mentions(OM_uint32 minor_code, const char *words) {
  OM_uint32 minor = 0, context = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  int found;
  if (gss_display_status(&minor, minor_code, GSS_C_MECH_CODE, GSS_C_NO_OID,
                         &context, &text) != GSS_S_COMPLETE) {
    return 0;
  }
  found = strstr((const char *)text.value, words) != NULL;
  gss_release_buffer(&minor, &text);
  return found;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int fd_is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

/* Both ends in one process: one opens on a thread. */
struct opener {
  int fd;
  const gssx_channel_options *options;
  gssx_channel_t chan;
  OM_uint32 major, minor;
};

static void *open_thread(void *arg) {
  struct opener *o = (struct opener *)arg;
  o->major = gssx_channel_open_ex(&o->minor, o->fd, o->options, &o->chan);
  return NULL;
}

static int open_pair(const gssx_channel_options *oa,
                     const gssx_channel_options *ob, struct opener *a,
                     struct opener *b) {
  int sv[2];
  pthread_t t;
  memset(a, 0, sizeof *a);
  memset(b, 0, sizeof *b);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return 0;
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
  return a->major == GSS_S_COMPLETE && b->major == GSS_S_COMPLETE;
}

static void close_both(struct opener *a, struct opener *b) {
  OM_uint32 minor = 0;
  if (a->chan != GSSX_NO_CHANNEL) gssx_channel_close(&minor, &a->chan);
  if (b->chan != GSSX_NO_CHANNEL) gssx_channel_close(&minor, &b->chan);
}

static volatile sig_atomic_t g_alarms = 0;
static void on_alarm(int sig) {
  (void)sig;
  ++g_alarms;
}

void ex_policy_refused_on_both_ends(void) {
  gssx_channel_options only_other;
  OM_uint32 minor = 0;
  uid_t other = geteuid() + 4242;
  struct opener a, b;
  CHECK_GSS(gssx_channel_options_init(&minor, &only_other), GSS_S_COMPLETE);
  only_other.same_uid = 0;
  only_other.uids = &other;
  only_other.uid_count = 1;
  CHECK(!open_pair(&only_other, NULL, &a, &b));
  CHECK_EQ_U64(a.major, GSS_S_UNAUTHORIZED);
  CHECK_EQ_U64(b.major, GSS_S_UNAUTHORIZED);
  CHECK(a.chan == GSSX_NO_CHANNEL && b.chan == GSSX_NO_CHANNEL);
  /* The sockets were gssx's and are closed. */
  CHECK(!fd_is_open(a.fd) && !fd_is_open(b.fd));
}

void ex_root_or_uid_and_gid_lists_admit(void) {
  gssx_channel_options root_or_me, by_gid;
  OM_uint32 minor = 0;
  uid_t me = geteuid();
  gid_t group = getegid();
  struct opener a, b;
  gssx_channel_options_init(&minor, &root_or_me);
  root_or_me.same_uid = 0;
  root_or_me.root = 1;
  root_or_me.uids = &me;
  root_or_me.uid_count = 1;
  gssx_channel_options_init(&minor, &by_gid);
  by_gid.same_uid = 0;
  by_gid.gids = &group;
  by_gid.gid_count = 1;
  by_gid.timeout_ms = 5000;
  CHECK(open_pair(&root_or_me, &by_gid, &a, &b));
  close_both(&a, &b);
}

void ex_policy_admitting_nobody_is_refused(void) {
  gssx_channel_options nobody;
  OM_uint32 minor = 0;
  gssx_channel_t chan = GSSX_NO_CHANNEL;
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  gssx_channel_options_init(&minor, &nobody);
  nobody.same_uid = 0;
  CHECK_GSS(gssx_channel_open_ex(&minor, sv[0], &nobody, &chan),
            GSS_S_FAILURE);
  CHECK(minor_mentions(minor, "invalid"));
  CHECK(chan == GSSX_NO_CHANNEL);
  CHECK(!fd_is_open(sv[0])); /* gssx's in every case, as gssx_channel_open */
  close(sv[1]);
}

static int polling_importer(void *arg) {
  int sock = *(int *)arg;
  OM_uint32 minor = 0;
  gssx_channel_t chan = GSSX_NO_CHANNEL;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  struct pollfd p;
  int fd = -1;
  if (gssx_channel_open_ex(&minor, sock, NULL, &chan) != GSS_S_COMPLETE) {
    return 1;
  }
  if (gssx_channel_fd(&minor, chan, &fd) != GSS_S_COMPLETE || fd < 0) return 2;
  /* Nothing yet: a zero timeout returns at once. */
  p.fd = fd;
  p.events = POLLIN;
  if (poll(&p, 1, 10000) != 1) return 3;
  if (gssx_import_sec_context_from_ex(&minor, chan, 0, &ctx, NULL, NULL) !=
      GSS_S_COMPLETE) {
    return 4;
  }
  gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
  gssx_channel_close(&minor, &chan);
  return 0;
}

void ex_channel_fd_polls_for_a_context(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc;
  gssx_channel_t chan = GSSX_NO_CHANNEL;
  int sv[2], child;
  REQUIRE(establish(&init, &acc));
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  child = c_check_start_child(polling_importer, &sv[1]);
  close(sv[1]);
  REQUIRE(child >= 0);
  REQUIRE_GSS(gssx_channel_open_ex(&minor, sv[0], NULL, &chan),
              GSS_S_COMPLETE);
  CHECK_GSS(gssx_export_sec_context_to_ex(&minor, &acc, chan, NULL, 0, 10000),
            GSS_S_COMPLETE);
  CHECK(acc == GSS_C_NO_CONTEXT);
  CHECK_EQ_U64(c_check_wait_child(child, 30), 0);
  gssx_channel_close(&minor, &chan);
  gss_delete_sec_context(&minor, &init, GSS_C_NO_BUFFER);
}

void ex_import_times_out(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  struct opener a, b;
  long long start;
  REQUIRE(open_pair(NULL, NULL, &a, &b));
  start = now_ms();
  CHECK_GSS(gssx_import_sec_context_from_ex(&minor, b.chan, 150, &ctx, NULL,
                                            NULL),
            GSS_S_FAILURE);
  CHECK(minor_mentions(minor, "time"));
  CHECK(now_ms() - start >= 150);
  CHECK_GSS(gssx_import_sec_context_from_ex(&minor, b.chan, 0, &ctx, NULL,
                                            NULL),
            GSS_S_FAILURE);
  CHECK(ctx == GSS_C_NO_CONTEXT);
  close_both(&a, &b);
}

void ex_import_interrupted_by_a_signal(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  struct opener a, b;
  struct sigaction sa;
  struct itimerval it;
  REQUIRE(open_pair(NULL, NULL, &a, &b));
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  memset(&it, 0, sizeof it);
  it.it_value.tv_usec = 100000;
  g_alarms = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  CHECK_GSS(gssx_import_sec_context_from_ex(&minor, b.chan, -1, &ctx, NULL,
                                            NULL),
            GSS_S_FAILURE);
  CHECK_EQ_U64(minor, EINTR);
  CHECK_EQ_U64(g_alarms, 1);
  signal(SIGALRM, SIG_DFL);
  close_both(&a, &b);
}

void ex_export_times_out_and_the_context_stays(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, got = GSS_C_NO_CONTEXT;
  struct opener a, b;
  long long start;
  REQUIRE(establish(&init, &acc));
  REQUIRE(open_pair(NULL, NULL, &a, &b));
  start = now_ms();
  CHECK_GSS(gssx_export_sec_context_to_ex(&minor, &acc, a.chan, NULL, 0, 100),
            GSS_S_FAILURE);
  CHECK(now_ms() - start >= 100);
  REQUIRE(acc != GSS_C_NO_CONTEXT);
  CHECK(round_trip(init, acc, "still here"));
  /* The importer's copy was taken back. */
  CHECK_GSS(gssx_import_sec_context_from_ex(&minor, b.chan, 1000, &got, NULL,
                                            NULL),
            GSS_S_NO_CONTEXT);
  close_both(&a, &b);
  gss_delete_sec_context(&minor, &init, GSS_C_NO_BUFFER);
  gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);
}

void ex_calling_errors(void) {
  OM_uint32 minor = 0;
  gssx_channel_options o;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int fd = 7;
  struct opener a, b;
  CHECK_GSS(gssx_channel_options_init(&minor, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_channel_fd(&minor, GSSX_NO_CHANNEL, &fd),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK(fd == -1);
  CHECK_GSS(gssx_channel_open_ex(&minor, -1, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  gssx_channel_options_init(&minor, &o);
  o.version = 99;
  REQUIRE(open_pair(NULL, NULL, &a, &b));
  CHECK_GSS(gssx_import_sec_context_from_ex(&minor, b.chan, -2, &ctx, NULL,
                                            NULL),
            GSS_S_FAILURE);
  CHECK(minor_mentions(minor, "invalid"));
  CHECK_GSS(gssx_import_sec_context_from_ex(&minor, GSSX_NO_CHANNEL, 0, &ctx,
                                            NULL, NULL),
            GSS_S_CALL_BAD_STRUCTURE);
  close_both(&a, &b);
  {
    int sv[2];
    gssx_channel_t chan = GSSX_NO_CHANNEL;
    REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK_GSS(gssx_channel_open_ex(&minor, sv[0], &o, &chan), GSS_S_FAILURE);
    CHECK(minor_mentions(minor, "invalid"));
    close(sv[1]);
  }
}
