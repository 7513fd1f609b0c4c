/* SPDX-License-Identifier: Apache-2.0 */
/* The "new binary" of //gssx/capi:upgrade_test, in C on <gssx/live_upgrade.h>,
   started by gssx_upgrade_start. argv[1] is what it does:
     serve      accept (tag "gssx-capi-upgrade", version 1); receive; then
                per session: read one request (one SOCK_SEQPACKET message,
                a gss_wrap token), unwrap it (any supplementary bit, such as
                a gap or duplicate, is a failure), answer
                gss_wrap("new:<state>:<request>"); per listener: accept one
                connection and send the listener's name. Exit 0 if all
                went well.
     old        accept as version 2: the default policy refuses version 1.
                Exit 0 if gssx_upgrade_accept said GSSX_MINOR_UPGRADE_REFUSED.
     refuse     accept with a callback that refuses ("no room for you").
     close      accept, then gssx_upgrade_target_close: nothing received.
     hang       accept, then sleep until killed (the test kills it midway).
   Exit codes: 0 ok, 3 a call failed (its status on stderr). */
#include <gssapi/gssapi.h>
#include <gssx/gssx.h>
#include <gssx/live_upgrade.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAG "gssx-capi-upgrade"

static int failed(const char *what, OM_uint32 major, OM_uint32 minor) {
  fprintf(stderr, "upgrade_successor: %s: major 0x%x minor 0x%x\n", what,
          (unsigned)major, (unsigned)minor);
  return 3;
}

static const char *refuse_all(void *arg, const char *tag,
                              OM_uint32 version) {
  (void)arg;
  (void)tag;
  (void)version;
  return "no room for you";
}

static int serve_session(gssx_upgrade_session *s) {
  char in[4096];
  char text[4096 + 256];
  gss_buffer_desc token, plain, reply_text, reply;
  OM_uint32 major, minor = 0;
  int conf = 0;
  gss_qop_t qop = 0;
  ssize_t n = recv(s->fd, in, sizeof in, 0);
  if (n <= 0) return failed("recv", 0, 0);
  token.length = (size_t)n;
  token.value = in;
  major = gss_unwrap(&minor, s->context, &token, &plain, &conf, &qop);
  if (major != GSS_S_COMPLETE || !conf) return failed("gss_unwrap", major, minor);
  snprintf(text, sizeof text, "new:%.*s:%.*s", (int)s->state.length,
           (const char *)s->state.value, (int)plain.length,
           (const char *)plain.value);
  gss_release_buffer(&minor, &plain);
  reply_text.length = strlen(text);
  reply_text.value = text;
  major = gss_wrap(&minor, s->context, 1, GSS_C_QOP_DEFAULT, &reply_text,
                   &conf, &reply);
  if (major != GSS_S_COMPLETE) return failed("gss_wrap", major, minor);
  n = send(s->fd, reply.value, reply.length, 0);
  gss_release_buffer(&minor, &reply);
  return n > 0 ? 0 : failed("send", 0, 0);
}

int main(int argc, char **argv) {
  OM_uint32 major, minor = 0;
  gssx_upgrade_target_t target;
  gssx_upgrade_batch batch;
  const char *mode = argc > 1 ? argv[1] : "serve";
  size_t i;
  int rc = 0;
  if (strcmp(mode, "old") == 0) {
    major = gssx_upgrade_accept(&minor, TAG, 2, NULL, NULL, 10000, &target);
    return major == GSS_S_FAILURE && minor == GSSX_MINOR_UPGRADE_REFUSED &&
                   target == GSSX_NO_UPGRADE_TARGET
               ? 0
               : failed("accept (old)", major, minor);
  }
  if (strcmp(mode, "refuse") == 0) {
    major = gssx_upgrade_accept(&minor, TAG, 1, refuse_all, NULL, 10000,
                                &target);
    return major == GSS_S_FAILURE && minor == GSSX_MINOR_UPGRADE_REFUSED
               ? 0
               : failed("accept (refuse)", major, minor);
  }
  major = gssx_upgrade_accept(&minor, TAG, 1, NULL, NULL, 10000, &target);
  if (major != GSS_S_COMPLETE) return failed("gssx_upgrade_accept", major, minor);
  if (strcmp(mode, "close") == 0) {
    major = gssx_upgrade_target_close(&minor, &target);
    return major == GSS_S_COMPLETE ? 0 : failed("target_close", major, minor);
  }
  if (strcmp(mode, "hang") == 0) {
    for (;;) pause();
  }
  major = gssx_upgrade_receive(&minor, &target, &batch);
  if (major != GSS_S_COMPLETE) return failed("gssx_upgrade_receive", major, minor);
  for (i = 0; i < batch.session_count && rc == 0; ++i) {
    if (batch.sessions[i].context == GSS_C_NO_CONTEXT) {
      rc = failed("a session without its context", 0, 0);
    } else {
      rc = serve_session(&batch.sessions[i]);
    }
  }
  for (i = 0; i < batch.listener_count && rc == 0; ++i) {
    int c = accept(batch.listeners[i].fd, NULL, NULL);
    if (c < 0) {
      rc = failed("accept on a moved listener", 0, 0);
    } else {
      if (send(c, batch.listeners[i].name, strlen(batch.listeners[i].name),
               0) < 0) {
        rc = failed("send on the listener's connection", 0, 0);
      }
      close(c);
    }
  }
  major = gssx_upgrade_release_batch(&minor, &batch);
  if (major != GSS_S_COMPLETE) return failed("release_batch", major, minor);
  return rc;
}
