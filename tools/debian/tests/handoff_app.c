/* SPDX-License-Identifier: Apache-2.0 */
/* A C program built against the installed Debian packages the way users
   build it (tools/release_test does, with no PKG_CONFIG_PATH):
       cc handoff_app.c $(pkg-config --cflags --libs gssx-handoff krb5-gssapi)
   It uses libgssx-handoff without a KDC: the minor-code texts, a channel
   over a socketpair opened by a parent and a forked child with the default
   policy (same uid), the peer's credentials, a receive that times out, a
   send of no context, a socket that is not SOCK_SEQPACKET, the peer's
   close, the raw memfd form refusing a pipe; and checks that <gssapi/
   gssapi.h> and the gss_* calls are MIT's (gss_indicate_mechs lists
   Kerberos 5, and resolves into libgssapi_krb5). Prints "handoff_app: OK"
   and exits 0, or says what failed and exits 1. */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#include <dlfcn.h>
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssx/handoff.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "handoff_app: line %d: %s\n", __LINE__, #cond);  \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

/* The worker end, in the child: open, nothing queued yet (timeout 0),
   tell the parent (a byte on `ready`), then wait for the parent's close.
   Exit status: 0 when all held. */
static int child(int fd, int ready) {
  OM_uint32 major, minor = 0;
  gssx_chan_t chan = NULL;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  size_t nfds = 0;
  major = gssx_chan_open(&minor, fd, NULL, &chan);
  CHECK(major == GSS_S_COMPLETE);
  if (major != GSS_S_COMPLETE) return 1;
  major = gssx_handoff_receive(&minor, chan, 0, GSSX_HANDOFF_REQUIRED_FLAGS,
                               &ctx, NULL, &nfds);
  CHECK(major == GSS_S_FAILURE && minor == GSSX_HANDOFF_E_TIMEOUT);
  CHECK(write(ready, "r", 1) == 1);
  /* The parent closes its end after its checks and that byte. */
  major = gssx_handoff_receive(&minor, chan, 30000,
                               GSSX_HANDOFF_REQUIRED_FLAGS, &ctx, NULL,
                               &nfds);
  CHECK(major == GSS_S_FAILURE && minor == GSSX_HANDOFF_E_PEER_CLOSED);
  CHECK(ctx == GSS_C_NO_CONTEXT && nfds == 0);
  CHECK(gssx_chan_close(&minor, &chan) == GSS_S_COMPLETE && chan == NULL);
  return failures == 0 ? 0 : 1;
}

int main(void) {
  OM_uint32 major, minor = 0;
  gss_OID_set mechs = GSS_C_NO_OID_SET;
  int present = 0, sv[2], stream[2], p[2], ready[2], status = -1;
  char byte;
  gssx_chan_t chan = NULL;
  gssx_chan_options o;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  pid_t pid, peer_pid = 0;
  uid_t peer_uid = (uid_t)-1;
  Dl_info info;
  void *sym;

  /* The texts. */
  CHECK(strcmp(gssx_handoff_strerror(GSSX_HANDOFF_E_TIMEOUT), "timed out") ==
        0);
  CHECK(strcmp(gssx_handoff_strerror(12345), "not a gssx-handoff minor code") ==
        0);

  /* MIT's GSS-API, not libgssx's: Kerberos 5 is a mechanism, and the
     symbol comes from libgssapi_krb5. */
  major = gss_indicate_mechs(&minor, &mechs);
  CHECK(major == GSS_S_COMPLETE);
  if (major == GSS_S_COMPLETE) {
    gss_test_oid_set_member(&minor, (gss_OID)gss_mech_krb5, mechs, &present);
    CHECK(present);
    gss_release_oid_set(&minor, &mechs);
  }
  sym = dlsym(RTLD_DEFAULT, "gss_indicate_mechs");
  CHECK(sym != NULL && dladdr(sym, &info) != 0 && info.dli_fname != NULL &&
        strstr(info.dli_fname, "libgssapi_krb5.so") != NULL);
  sym = dlsym(RTLD_DEFAULT, "gssx_chan_open");
  CHECK(sym != NULL && dladdr(sym, &info) != 0 && info.dli_fname != NULL &&
        strstr(info.dli_fname, "libgssx-handoff.so.1") != NULL);

  /* Not SOCK_SEQPACKET: refused, the fd still ours. */
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) == 0);
  major = gssx_chan_open(&minor, stream[0], NULL, &chan);
  CHECK(major == GSS_S_FAILURE && minor == GSSX_HANDOFF_E_NOT_SEQPACKET);
  CHECK(chan == NULL && fcntl(stream[0], F_GETFD) >= 0);
  close(stream[0]);
  close(stream[1]);

  /* A policy that admits nobody. */
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  gssx_chan_options_init(&o);
  o.same_uid = 0;
  major = gssx_chan_open(&minor, sv[0], &o, &chan);
  CHECK(major == GSS_S_FAILURE && minor == GSSX_HANDOFF_E_BAD_ARGUMENT);

  /* A channel with a forked child: default policy, 10 s. */
  CHECK(pipe2(ready, O_CLOEXEC) == 0);
  fflush(stderr);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(sv[0]);
    close(ready[0]);
    _exit(child(sv[1], ready[1]));
  }
  close(sv[1]);
  close(ready[1]);
  gssx_chan_options_init(&o);
  o.timeout_ms = 10000;
  major = gssx_chan_open(&minor, sv[0], &o, &chan);
  CHECK(major == GSS_S_COMPLETE);
  if (major == GSS_S_COMPLETE) {
    CHECK(gssx_chan_fd(chan) >= 0);
    major = gssx_chan_peer(&minor, chan, &peer_pid, &peer_uid, NULL);
    /* socketpair() records the creator: this process. */
    CHECK(major == GSS_S_COMPLETE && peer_pid == getpid() &&
          peer_uid == geteuid());
    major = gssx_handoff_send(&minor, chan, &ctx, NULL, 0, 1000);
    CHECK(major == GSS_S_NO_CONTEXT);
    CHECK(read(ready[0], &byte, 1) == 1);
    CHECK(gssx_chan_close(&minor, &chan) == GSS_S_COMPLETE && chan == NULL);
  } else {
    fprintf(stderr, "handoff_app: gssx_chan_open: %s\n",
            gssx_handoff_strerror(minor));
    close(sv[0]);
  }
  close(ready[0]);
  if (pid > 0) {
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  /* The raw memfd form refuses what is not a sealed memfd. */
  CHECK(pipe2(p, O_CLOEXEC) == 0);
  major = gssx_handoff_import_fd(&minor, p[0], 0, &ctx);
  CHECK(major == GSS_S_FAILURE && minor == GSSX_HANDOFF_E_BAD_TOKEN);
  close(p[0]);
  close(p[1]);

  if (failures != 0) return 1;
  printf("handoff_app: OK\n");
  return 0;
}
