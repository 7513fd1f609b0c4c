/* SPDX-License-Identifier: Apache-2.0 */
/* The gssx extensions (<gssx/gssx.h>) between real processes: a forked
   child imports what the parent exports, over a channel or as a raw
   sealed memfd. From C. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <gssx/gssx.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gssx/capi/testing/c_check.h"

#define X(fn) void fn(void);
#include "gssx/capi/handoff_tests.inc"
#undef X

#define ALL_FLAGS                                                   \
  (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |    \
   GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)

static const char kChildMessage[] = "hello from the importer";

/* The handshake with the default credentials (see contexts_test.c). */
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

static void delete_both(gss_ctx_id_t *a, gss_ctx_id_t *b) {
  OM_uint32 minor = 0;
  gss_delete_sec_context(&minor, a, GSS_C_NO_BUFFER);
  gss_delete_sec_context(&minor, b, GSS_C_NO_BUFFER);
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

/* The child's proof that it holds the context: kChildMessage wrapped with
   it, written to fd. Returns 0 on success. */
static int send_proof(gss_ctx_id_t ctx, int fd) {
  OM_uint32 minor = 0;
  gss_buffer_desc in = GSSX_C_BUF(kChildMessage);
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  ssize_t n;
  if (gss_wrap(&minor, ctx, 1, 0, &in, NULL, &token) != GSS_S_COMPLETE) {
    return 1;
  }
  n = write(fd, token.value, token.length);
  gss_release_buffer(&minor, &token);
  return n > 0 ? 0 : 2;
}

/* Reads the child's proof from fd (until EOF) and checks that `peer`
   unwraps it to kChildMessage. */
static int check_proof(gss_ctx_id_t peer, int fd) {
  OM_uint32 minor = 0;
  unsigned char bytes[4096];
  size_t have = 0;
  gss_buffer_desc token, out = GSS_C_EMPTY_BUFFER;
  int ok;
  for (;;) {
    ssize_t n = read(fd, bytes + have, sizeof bytes - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += (size_t)n;
  }
  token.length = have;
  token.value = bytes;
  ok = gss_unwrap(&minor, peer, &token, &out, NULL, NULL) == GSS_S_COMPLETE &&
       gssx_c_buffer_is(&out, kChildMessage);
  gss_release_buffer(&minor, &out);
  return ok;
}

/* ------------------------------------------------------------ channel */

struct importer_args {
  int socket;       /* the child's end */
  int close_fds[3]; /* the parent's fds the child closes first (-1: none) */
  size_t capacity;  /* fds the child accepts */
};

static void close_inherited(const struct importer_args *a) {
  int i;
  for (i = 0; i < 3; ++i) {
    if (a->close_fds[i] >= 0) close(a->close_fds[i]);
  }
}

/* Imports one context and sends the proof through the first fd. */
static int importer(void *arg) {
  const struct importer_args *a = (const struct importer_args *)arg;
  OM_uint32 minor = 0;
  gssx_channel_t ch = GSSX_NO_CHANNEL;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int fds[4] = {-1, -1, -1, -1};
  size_t n = a->capacity;
  int rc;
  close_inherited(a);
  if (gssx_channel_open(&minor, a->socket, &ch) != GSS_S_COMPLETE) return 10;
  if (gssx_import_sec_context_from(&minor, ch, &ctx, fds, &n) !=
      GSS_S_COMPLETE) {
    return 11;
  }
  if (n != 1) return 12;
  rc = send_proof(ctx, fds[0]);
  close(fds[0]);
  gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
  gssx_channel_close(&minor, &ch);
  return rc;
}

/* Expects the import to fail for too many fds, with nothing received. */
static int refusing_importer(void *arg) {
  const struct importer_args *a = (const struct importer_args *)arg;
  OM_uint32 minor = 0;
  gssx_channel_t ch = GSSX_NO_CHANNEL;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int fds[1] = {-1};
  size_t n = a->capacity;
  int before, after;
  OM_uint32 major;
  close_inherited(a);
  if (gssx_channel_open(&minor, a->socket, &ch) != GSS_S_COMPLETE) return 10;
  before = c_check_count_open_fds();
  major = gssx_import_sec_context_from(&minor, ch, &ctx, fds, &n);
  after = c_check_count_open_fds();
  gssx_channel_close(&minor, &ch);
  if (major != GSS_S_FAILURE) return 11;
  /* Nothing received: *fd_count 0, the slots -1. */
  if (ctx != GSS_C_NO_CONTEXT || fds[0] != -1 || n != 0) return 12;
  if (after != before) return 13; /* every received fd closed */
  return 0;
}

/* Opens the channel, then closes it without importing anything. */
static int quitter(void *arg) {
  const struct importer_args *a = (const struct importer_args *)arg;
  OM_uint32 minor = 0;
  gssx_channel_t ch = GSSX_NO_CHANNEL;
  close_inherited(a);
  if (gssx_channel_open(&minor, a->socket, &ch) != GSS_S_COMPLETE) return 10;
  gssx_channel_close(&minor, &ch);
  return 0;
}

void channel_handoff_moves_context_and_fd(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, copy, half = GSS_C_NO_CONTEXT;
  int sv[2], pipe_fds[2];
  struct importer_args args;
  gssx_channel_t ch = GSSX_NO_CHANNEL;
  int child;
  REQUIRE(establish(&init, &acc));
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  REQUIRE(pipe2(pipe_fds, O_CLOEXEC) == 0);
  args.socket = sv[1];
  args.close_fds[0] = sv[0];
  args.close_fds[1] = pipe_fds[0];
  args.close_fds[2] = pipe_fds[1];
  args.capacity = 4;
  child = c_check_start_child(importer, &args);
  close(sv[1]);
  REQUIRE(child >= 0);
  REQUIRE_GSS(gssx_channel_open(&minor, sv[0], &ch), GSS_S_COMPLETE);

  /* A context still being established cannot go. */
  {
    gss_buffer_desc service = GSSX_C_BUF(GSSX_C_SERVICE);
    gss_name_t target = GSS_C_NO_NAME;
    gss_buffer_desc first = GSS_C_EMPTY_BUFFER;
    gss_import_name(&minor, &service, GSS_C_NT_HOSTBASED_SERVICE, &target);
    gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &half, target,
                         GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                         GSS_C_NO_BUFFER, NULL, &first, NULL, NULL);
    CHECK_GSS(gssx_export_sec_context_to(&minor, &half, ch, NULL, 0),
              GSS_S_UNAVAILABLE);
    CHECK(half != GSS_C_NO_CONTEXT);
    gss_delete_sec_context(&minor, &half, GSS_C_NO_BUFFER);
    gss_release_buffer(&minor, &first);
    gss_release_name(&minor, &target);
  }

  copy = init;
  CHECK_GSS(gssx_export_sec_context_to(&minor, &init, ch, &pipe_fds[1], 1),
            GSS_S_COMPLETE);
  CHECK(init == GSS_C_NO_CONTEXT);
  close(pipe_fds[1]); /* the child has its own copy */
  CHECK(check_proof(acc, pipe_fds[0]));
  CHECK_EQ_U64(c_check_wait_child(child, 30), 0);
  /* The exporter's stale copy of the handle. */
  {
    gss_buffer_desc in = GSSX_C_BUF("m"), out = GSS_C_EMPTY_BUFFER;
    CHECK_GSS(gss_wrap(&minor, copy, 1, 0, &in, NULL, &out), GSS_S_NO_CONTEXT);
    CHECK_GSS(gssx_export_sec_context_to(&minor, &copy, ch, NULL, 0),
              GSS_S_NO_CONTEXT);
  }
  CHECK_GSS(gssx_channel_close(&minor, &ch), GSS_S_COMPLETE);
  CHECK(ch == GSSX_NO_CHANNEL);
  close(pipe_fds[0]);
  delete_both(&init, &acc);
}

void too_many_fds_are_refused_and_the_context_stays(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, before;
  int sv[2], pipe_fds[2];
  struct importer_args args;
  gssx_channel_t ch = GSSX_NO_CHANNEL;
  int child;
  REQUIRE(establish(&init, &acc));
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  REQUIRE(pipe2(pipe_fds, O_CLOEXEC) == 0);
  args.socket = sv[1];
  args.close_fds[0] = sv[0];
  args.close_fds[1] = pipe_fds[0];
  args.close_fds[2] = pipe_fds[1];
  args.capacity = 1;
  child = c_check_start_child(refusing_importer, &args);
  close(sv[1]);
  REQUIRE(child >= 0);
  REQUIRE_GSS(gssx_channel_open(&minor, sv[0], &ch), GSS_S_COMPLETE);
  before = init;
  CHECK_GSS(gssx_export_sec_context_to(&minor, &init, ch, pipe_fds, 2),
            GSS_S_FAILURE);
  CHECK(init == before); /* reclaimed, same handle */
  CHECK(round_trip(init, acc, "still mine"));
  CHECK(round_trip(acc, init, "and usable"));
  CHECK_EQ_U64(c_check_wait_child(child, 30), 0);
  gssx_channel_close(&minor, &ch);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  delete_both(&init, &acc);
}

void peer_that_closes_gives_the_context_back(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, before;
  int sv[2];
  struct importer_args args;
  gssx_channel_t ch = GSSX_NO_CHANNEL;
  int child;
  REQUIRE(establish(&init, &acc));
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  args.socket = sv[1];
  args.close_fds[0] = sv[0];
  args.close_fds[1] = args.close_fds[2] = -1;
  args.capacity = 0;
  child = c_check_start_child(quitter, &args);
  close(sv[1]);
  REQUIRE(child >= 0);
  REQUIRE_GSS(gssx_channel_open(&minor, sv[0], &ch), GSS_S_COMPLETE);
  CHECK_EQ_U64(c_check_wait_child(child, 30), 0); /* the peer is gone */
  before = acc;
  CHECK_GSS(gssx_export_sec_context_to(&minor, &acc, ch, NULL, 0),
            GSS_S_FAILURE);
  CHECK(acc == before);
  CHECK(round_trip(init, acc, "came back"));
  gssx_channel_close(&minor, &ch);
  delete_both(&init, &acc);
}

/* ------------------------------------------------------------ raw fd */

void raw_fd_export_import_in_one_process(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, copy, back = GSS_C_NO_CONTEXT;
  gss_ctx_id_t twice = GSS_C_NO_CONTEXT;
  int fd = -1;
  REQUIRE(establish(&init, &acc));
  copy = acc;
  REQUIRE_GSS(gssx_export_sec_context_fd(&minor, &acc, &fd), GSS_S_COMPLETE);
  CHECK(acc == GSS_C_NO_CONTEXT);
  REQUIRE(fd >= 0);
  CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  {
    int stale_fd = -1;
    CHECK_GSS(gssx_export_sec_context_fd(&minor, &copy, &stale_fd),
              GSS_S_NO_CONTEXT);
    CHECK(stale_fd == -1);
  }
  REQUIRE_GSS(gssx_import_sec_context_fd(&minor, fd, &back), GSS_S_COMPLETE);
  CHECK(round_trip(init, back, "via a memfd"));
  CHECK_GSS(gssx_import_sec_context_fd(&minor, fd, &twice), GSS_S_NO_CONTEXT);
  CHECK(minor_mentions(minor, "already imported"));
  CHECK(twice == GSS_C_NO_CONTEXT);
  close(fd);
  delete_both(&init, &back);
}

struct fd_importer_args {
  int token_fd;
  int proof_fd;
  int close_fd;
};

static int fd_importer(void *arg) {
  const struct fd_importer_args *a = (const struct fd_importer_args *)arg;
  OM_uint32 minor = 0;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int rc;
  close(a->close_fd);
  if (gssx_import_sec_context_fd(&minor, a->token_fd, &ctx) !=
      GSS_S_COMPLETE) {
    return 10;
  }
  rc = send_proof(ctx, a->proof_fd);
  close(a->proof_fd);
  return rc;
}

void raw_fd_across_fork_imports_exactly_once(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t init, acc, late = GSS_C_NO_CONTEXT;
  int fd = -1, pipe_fds[2];
  struct fd_importer_args args;
  int child;
  REQUIRE(establish(&init, &acc));
  REQUIRE_GSS(gssx_export_sec_context_fd(&minor, &init, &fd), GSS_S_COMPLETE);
  REQUIRE(pipe2(pipe_fds, O_CLOEXEC) == 0);
  args.token_fd = fd; /* inherited by the child */
  args.proof_fd = pipe_fds[1];
  args.close_fd = pipe_fds[0];
  child = c_check_start_child(fd_importer, &args);
  REQUIRE(child >= 0);
  close(pipe_fds[1]);
  CHECK(check_proof(acc, pipe_fds[0]));
  CHECK_EQ_U64(c_check_wait_child(child, 30), 0);
  /* The same memfd in this process: the kernel latch says it is taken. */
  CHECK_GSS(gssx_import_sec_context_fd(&minor, fd, &late), GSS_S_NO_CONTEXT);
  CHECK(minor_mentions(minor, "already imported"));
  CHECK(late == GSS_C_NO_CONTEXT);
  close(fd);
  close(pipe_fds[0]);
  delete_both(&init, &acc);
}

/* Four forked children inherit the same token fd and race to import it
   once released together: exactly one wins each round, the other three are
   told "already imported" (GSS_S_NO_CONTEXT). 1,000 rounds. */
struct racer_args {
  int token_fd;
  int start_fd; /* one byte each: go */
};

static int racer(void *arg) {
  const struct racer_args *a = (const struct racer_args *)arg;
  OM_uint32 minor = 0;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  OM_uint32 major;
  char go;
  if (read(a->start_fd, &go, 1) != 1) return 3;
  major = gssx_import_sec_context_fd(&minor, a->token_fd, &ctx);
  if (major == GSS_S_COMPLETE) {
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    return 0;
  }
  if (major == GSS_S_NO_CONTEXT && minor_mentions(minor, "already imported")) {
    return 1;
  }
  return 2;
}

void four_children_race_one_fd_exactly_one_imports(void) {
  enum { kRacers = 4, kRounds = 1000 };
  int round, i, bad_rounds = 0, wins = 0, losses = 0, others = 0;
  for (round = 0; round < kRounds; ++round) {
    OM_uint32 minor = 0;
    gss_ctx_id_t init, acc;
    int fd = -1, start[2], children[kRacers], won = 0;
    struct racer_args args;
    REQUIRE(establish(&init, &acc));
    REQUIRE_GSS(gssx_export_sec_context_fd(&minor, &init, &fd), GSS_S_COMPLETE);
    REQUIRE(pipe2(start, O_CLOEXEC) == 0);
    args.token_fd = fd;
    args.start_fd = start[0];
    for (i = 0; i < kRacers; ++i) {
      children[i] = c_check_start_child(racer, &args);
      REQUIRE(children[i] >= 0);
    }
    REQUIRE(write(start[1], "gggg", kRacers) == kRacers);
    for (i = 0; i < kRacers; ++i) {
      int code = c_check_wait_child(children[i], 30);
      if (code == 0) {
        ++won;
        ++wins;
      } else if (code == 1) {
        ++losses;
      } else {
        ++others;
      }
    }
    if (won != 1) ++bad_rounds;
    close(start[0]);
    close(start[1]);
    close(fd);
    delete_both(&init, &acc);
  }
  printf("fd race: %d rounds x %d children: %d imports, %d already-imported, "
         "%d other\n", kRounds, kRacers, wins, losses, others);
  CHECK_EQ_U64((uint64_t)bad_rounds, 0);
  CHECK_EQ_U64((uint64_t)wins, kRounds);
  CHECK_EQ_U64((uint64_t)losses, (uint64_t)kRounds * (kRacers - 1));
}

void raw_fd_import_refuses_what_is_not_a_token(void) {
  OM_uint32 minor = 0;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int pipe_fds[2];
  int memfd;
  REQUIRE(pipe2(pipe_fds, O_CLOEXEC) == 0);
  CHECK_GSS(gssx_import_sec_context_fd(&minor, pipe_fds[0], &ctx),
            GSS_S_DEFECTIVE_TOKEN);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  /* A memfd nobody sealed: its contents could still change. */
  memfd = memfd_create("not-a-token", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  REQUIRE(memfd >= 0);
  CHECK(write(memfd, "GXTK", 4) == 4);
  CHECK_GSS(gssx_import_sec_context_fd(&minor, memfd, &ctx),
            GSS_S_DEFECTIVE_TOKEN);
  /* Sealed, but garbage inside. */
  CHECK(fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW) == 0);
  CHECK_GSS(gssx_import_sec_context_fd(&minor, memfd, &ctx),
            GSS_S_DEFECTIVE_TOKEN);
  close(memfd);
  CHECK(GSS_ERROR(gssx_import_sec_context_fd(&minor, -1, &ctx)));
  CHECK(ctx == GSS_C_NO_CONTEXT);
  CHECK_GSS(gssx_import_sec_context_fd(&minor, 0, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
}

void channel_calling_errors(void) {
  OM_uint32 minor = 0;
  gssx_channel_t ch = GSSX_NO_CHANNEL;
  gssx_channel_t made_up = (gssx_channel_t)(uintptr_t)0x31337;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int stream[2];
  int fds[1];
  size_t n = 1;
  int dead;
  CHECK_GSS(gssx_channel_open(&minor, -1, &ch), GSS_S_FAILURE);
  CHECK_EQ_U64(minor, EBADF);
  /* A socket that is not SOCK_SEQPACKET: refused, and closed. */
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) == 0);
  CHECK_GSS(gssx_channel_open(&minor, stream[0], &ch), GSS_S_FAILURE);
  CHECK(fcntl(stream[0], F_GETFD) == -1 && errno == EBADF);
  /* The socket is taken even when the call is refused. */
  CHECK_GSS(gssx_channel_open(&minor, stream[1], NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(fcntl(stream[1], F_GETFD) == -1 && errno == EBADF);
  CHECK(ch == GSSX_NO_CHANNEL);
  dead = stream[1];
  (void)dead;
  CHECK_GSS(gssx_channel_close(&minor, &made_up), GSS_S_CALL_BAD_STRUCTURE);
  CHECK_GSS(gssx_channel_close(&minor, NULL), GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_export_sec_context_to(&minor, &ctx, made_up, NULL, 0),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK_GSS(gssx_export_sec_context_to(&minor, &ctx, made_up, NULL, 2),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gssx_export_sec_context_to(&minor, NULL, made_up, NULL, 0),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_import_sec_context_from(&minor, made_up, &ctx, fds, &n),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK(n == 0); /* nothing received */
  n = 1;
  CHECK_GSS(gssx_import_sec_context_from(&minor, made_up, &ctx, NULL, &n),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gssx_export_sec_context_fd(&minor, &ctx, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(ctx == GSS_C_NO_CONTEXT);
}
