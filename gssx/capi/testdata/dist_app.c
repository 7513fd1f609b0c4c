/* SPDX-License-Identifier: Apache-2.0 */
/* An ordinary RFC 2744 program built outside Bazel against a gssx
   distribution, the way users build (tools/dist_test does):
       cc dist_app.c $(pkg-config --cflags --libs gssx)
   It needs $GSSX_KEYTAB / $GSSX_TRUST holding "alice" (first) and
   "echo@testhost". It establishes a context, protects messages, moves the
   acceptor's context through gss_export_sec_context /
   gss_import_sec_context, then hands the initiator's context with a pipe
   to a forked child over a gssx channel and checks that the child can use
   it. Prints "dist_app: OK" and exits 0, or says what failed and exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <gssx/gssx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures = 0;

static void report(const char *what, OM_uint32 major, OM_uint32 minor) {
  OM_uint32 m, context = 0;
  gss_buffer_desc text;
  fprintf(stderr, "dist_app: %s failed: major 0x%08x", what, major);
  do {
    if (gss_display_status(&m, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &context,
                           &text) != GSS_S_COMPLETE) {
      break;
    }
    fprintf(stderr, " [%.*s]", (int)text.length, (char *)text.value);
    gss_release_buffer(&m, &text);
  } while (context != 0);
  context = 0;
  if (gss_display_status(&m, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &context,
                         &text) == GSS_S_COMPLETE) {
    fprintf(stderr, " minor %u [%.*s]", minor, (int)text.length,
            (char *)text.value);
    gss_release_buffer(&m, &text);
  }
  fprintf(stderr, "\n");
  ++failures;
}

#define EXPECT(call, expected)                             \
  do {                                                     \
    OM_uint32 major_ = (call);                             \
    if (major_ != (OM_uint32)(expected)) {                 \
      report(#call, major_, minor);                        \
      return 1;                                            \
    }                                                      \
  } while (0)

static int wrap_to(gss_ctx_id_t from, const char *text, gss_buffer_t out) {
  OM_uint32 minor;
  gss_buffer_desc in;
  in.value = (void *)text;
  in.length = strlen(text);
  EXPECT(gss_wrap(&minor, from, 1, GSS_C_QOP_DEFAULT, &in, NULL, out),
         GSS_S_COMPLETE);
  return 0;
}

static int unwrap_is(gss_ctx_id_t to, gss_buffer_t token, const char *text) {
  OM_uint32 minor;
  gss_buffer_desc out;
  int conf = 0;
  EXPECT(gss_unwrap(&minor, to, token, &out, &conf, NULL), GSS_S_COMPLETE);
  if (out.length != strlen(text) || memcmp(out.value, text, out.length) != 0 ||
      conf != 1) {
    fprintf(stderr, "dist_app: unwrapped the wrong message\n");
    ++failures;
  }
  gss_release_buffer(&minor, &out);
  return 0;
}

/* The child: imports the context sent over the channel, proves it holds
   it by wrapping a message into the pipe it received with it. */
static int child(int sock) {
  OM_uint32 minor;
  gssx_channel_t ch;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  int fds[1];
  size_t n = 1;
  gss_buffer_desc token;
  alarm(30);
  EXPECT(gssx_channel_open(&minor, sock, &ch), GSS_S_COMPLETE);
  EXPECT(gssx_import_sec_context_from(&minor, ch, &ctx, fds, &n),
         GSS_S_COMPLETE);
  if (n != 1) return 1;
  if (wrap_to(ctx, "from the worker", &token) != 0) return 1;
  if (write(fds[0], token.value, token.length) != (ssize_t)token.length) {
    return 1;
  }
  close(fds[0]);
  gss_release_buffer(&minor, &token);
  gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
  gssx_channel_close(&minor, &ch);
  return failures == 0 ? 0 : 1;
}

int main(void) {
  OM_uint32 minor, flags = 0;
  gss_buffer_desc service_text = {13, "echo@testhost"};
  gss_name_t service = GSS_C_NO_NAME, src = GSS_C_NO_NAME;
  gss_ctx_id_t init = GSS_C_NO_CONTEXT, acc = GSS_C_NO_CONTEXT, again;
  gss_buffer_desc t1, t2, t3, oid_text, name_text, wrapped, exported;
  gss_OID mech = GSS_C_NO_OID;
  int sv[2], pipe_fds[2], status;
  unsigned char proof[4096];
  ssize_t got;
  pid_t pid;

  EXPECT(gss_oid_to_str(&minor, GSS_GSSX_MECHANISM, &oid_text),
         GSS_S_COMPLETE);
  printf("dist_app: mechanism %s\n", (char *)oid_text.value);
  gss_release_buffer(&minor, &oid_text);

  /* Establish. */
  EXPECT(gss_import_name(&minor, &service_text, GSS_C_NT_HOSTBASED_SERVICE,
                         &service),
         GSS_S_COMPLETE);
  EXPECT(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &init, service,
                              GSS_C_NO_OID,
                              GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG |
                                  GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG,
                              0, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
                              &mech, &t1, NULL, NULL),
         GSS_S_CONTINUE_NEEDED);
  EXPECT(gss_accept_sec_context(&minor, &acc, GSS_C_NO_CREDENTIAL, &t1,
                                GSS_C_NO_CHANNEL_BINDINGS, &src, NULL, &t2,
                                &flags, NULL, NULL),
         GSS_S_COMPLETE);
  EXPECT(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &init, service,
                              GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                              &t2, NULL, &t3, NULL, NULL),
         GSS_S_COMPLETE);
  EXPECT(gss_display_name(&minor, src, &name_text, NULL), GSS_S_COMPLETE);
  printf("dist_app: %.*s authenticated (flags 0x%x)\n", (int)name_text.length,
         (char *)name_text.value, flags);
  gss_release_buffer(&minor, &name_text);
  gss_release_buffer(&minor, &t1);
  gss_release_buffer(&minor, &t2);
  gss_release_buffer(&minor, &t3);

  /* Protect a message. */
  if (wrap_to(init, "hello", &wrapped) != 0) return 1;
  if (unwrap_is(acc, &wrapped, "hello") != 0) return 1;
  gss_release_buffer(&minor, &wrapped);

  /* Move the acceptor's context through the byte form. */
  EXPECT(gss_export_sec_context(&minor, &acc, &exported), GSS_S_COMPLETE);
  EXPECT(gss_import_sec_context(&minor, &exported, &acc), GSS_S_COMPLETE);
  /* Not into `acc`: the output is set on entry (as MIT's), so the live
     handle would be lost. */
  EXPECT(gss_import_sec_context(&minor, &exported, &again), GSS_S_NO_CONTEXT);
  if (again != GSS_C_NO_CONTEXT) {
    fprintf(stderr, "dist_app: a failed import left a handle\n");
    return 1;
  }
  gss_release_buffer(&minor, &exported);

  /* Hand the initiator's context and a pipe to a child. */
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 ||
      pipe2(pipe_fds, O_CLOEXEC) != 0) {
    perror("dist_app: socketpair/pipe2");
    return 1;
  }
  pid = fork();
  if (pid < 0) {
    perror("dist_app: fork");
    return 1;
  }
  if (pid == 0) {
    close(sv[0]);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    _exit(child(sv[1]));
  }
  close(sv[1]);
  {
    gssx_channel_t ch;
    EXPECT(gssx_channel_open(&minor, sv[0], &ch), GSS_S_COMPLETE);
    EXPECT(gssx_export_sec_context_to(&minor, &init, ch, &pipe_fds[1], 1),
           GSS_S_COMPLETE);
    if (init != GSS_C_NO_CONTEXT) {
      fprintf(stderr, "dist_app: exported handle not cleared\n");
      return 1;
    }
    gssx_channel_close(&minor, &ch);
  }
  close(pipe_fds[1]);
  got = read(pipe_fds[0], proof, sizeof proof);
  close(pipe_fds[0]);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    fprintf(stderr, "dist_app: the child failed\n");
    return 1;
  }
  if (got <= 0) {
    fprintf(stderr, "dist_app: no proof from the child\n");
    return 1;
  }
  wrapped.value = proof;
  wrapped.length = (size_t)got;
  if (unwrap_is(acc, &wrapped, "from the worker") != 0) return 1;

  gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);
  gss_release_name(&minor, &src);
  gss_release_name(&minor, &service);
  if (failures != 0) return 1;
  printf("dist_app: OK\n");
  return 0;
}
