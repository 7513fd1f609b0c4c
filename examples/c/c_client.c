/* SPDX-License-Identifier: Apache-2.0 */
/* c_client: the client of c_prefork_server, in plain C on MIT's GSS-API.
 *
 *   cc c_client.c $(pkg-config --cflags --libs krb5-gssapi)
 *   KRB5CCNAME=... ./c_client --connect=127.0.0.1:PORT \
 *       --service=echo/localhost@REALM [--requests=N] [--spnego]
 *
 * Authenticates with the default credentials (a ticket from kinit),
 * requesting mutual authentication, replay and sequence detection,
 * confidentiality and integrity (with --spnego: through the SPNEGO
 * mechanism, as HTTP Negotiate does), then sends N wrapped requests and
 * checks each wrapped answer. Prints one line per answer and, at the end,
 * "c_client: OK requests=N pid=P uid=U" (the worker that answered), exit
 * 0; or "c_client: FAILED: why", exit 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "c_frames.h"

#define FLAGS                                                       \
  (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |    \
   GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)

static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

static int fail(const char *what, OM_uint32 major, OM_uint32 minor) {
  OM_uint32 m = 0, ctx = 0;
  gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
  if (GSS_ERROR(major) &&
      gss_display_status(&m, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &b) ==
          GSS_S_COMPLETE) {
    printf("c_client: FAILED: %s: %.*s\n", what, (int)b.length,
           (char *)b.value);
    gss_release_buffer(&m, &b);
  } else {
    printf("c_client: FAILED: %s\n", what);
  }
  return 1;
}

int main(int argc, char **argv) {
  const char *connect_to = NULL, *service = NULL;
  int requests = 3, spnego = 0, fd, i, port;
  char host[64];
  struct sockaddr_in addr;
  OM_uint32 major, minor, ret_flags = 0;
  gss_name_t target = GSS_C_NO_NAME;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc name, in = GSS_C_EMPTY_BUFFER;
  long pid = -1, uid = -1;
  for (i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--connect=", 10) == 0) {
      connect_to = argv[i] + 10;
    } else if (strncmp(argv[i], "--service=", 10) == 0) {
      service = argv[i] + 10;
    } else if (strncmp(argv[i], "--requests=", 11) == 0) {
      requests = atoi(argv[i] + 11);
    } else if (strcmp(argv[i], "--spnego") == 0) {
      spnego = 1;
    } else {
      fprintf(stderr, "usage: %s --connect=HOST:PORT --service=PRINCIPAL "
                      "[--requests=N] [--spnego]\n", argv[0]);
      return 2;
    }
  }
  if (connect_to == NULL || service == NULL ||
      sscanf(connect_to, "%63[^:]:%d", host, &port) != 2) {
    return fail("--connect=HOST:PORT and --service= are required", 0, 0);
  }
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return fail("bad host", 0, 0);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    return fail("connect", 0, 0);
  }
  name.value = (void *)service;
  name.length = strlen(service);
  major = gss_import_name(&minor, &name, GSS_KRB5_NT_PRINCIPAL_NAME, &target);
  if (major != GSS_S_COMPLETE) return fail("gss_import_name", major, minor);
  for (;;) {
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, target,
                                 spnego ? &spnego_oid : GSS_C_NO_OID, FLAGS, 0,
                                 GSS_C_NO_CHANNEL_BINDINGS,
                                 in.length ? &in : GSS_C_NO_BUFFER, NULL, &out,
                                 &ret_flags, NULL);
    free(in.value);
    in.value = NULL;
    in.length = 0;
    if (GSS_ERROR(major)) return fail("gss_init_sec_context", major, minor);
    if (out.length > 0 && !send_frame(fd, out.value, out.length)) {
      return fail("send token", 0, 0);
    }
    gss_release_buffer(&minor, &out);
    if (major == GSS_S_COMPLETE) break;
    if (!recv_frame(fd, &in) || in.length == 0) {
      return fail("server closed during handshake", 0, 0);
    }
  }
  gss_release_name(&minor, &target);
  for (i = 0; i < requests; ++i) {
    char text[64];
    gss_buffer_desc msg, wrapped = GSS_C_EMPTY_BUFFER, reply;
    gss_buffer_desc plain = GSS_C_EMPTY_BUFFER;
    int conf = 0;
    const char *colon;
    snprintf(text, sizeof text, "request %d", i);
    msg.value = text;
    msg.length = strlen(text);
    major = gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &msg, &conf, &wrapped);
    if (major != GSS_S_COMPLETE) return fail("gss_wrap", major, minor);
    if (!send_frame(fd, wrapped.value, wrapped.length)) {
      return fail("send request", 0, 0);
    }
    gss_release_buffer(&minor, &wrapped);
    if (!recv_frame(fd, &reply) || reply.length == 0) return fail("no answer", 0, 0);
    major = gss_unwrap(&minor, ctx, &reply, &plain, &conf, NULL);
    free(reply.value);
    if (major != GSS_S_COMPLETE || !conf) return fail("gss_unwrap", major, minor);
    printf("c_client: answer: %.*s\n", (int)plain.length, (char *)plain.value);
    colon = memchr(plain.value, ':', plain.length);
    if (colon == NULL ||
        sscanf((const char *)plain.value, "pid=%ld uid=%ld:", &pid, &uid) != 2 ||
        (size_t)((const char *)plain.value + plain.length - colon) !=
            2 + strlen(text) ||
        memcmp(colon + 2, text, strlen(text)) != 0) {
      gss_release_buffer(&minor, &plain);
      return fail("wrong answer", 0, 0);
    }
    gss_release_buffer(&minor, &plain);
  }
  send_frame(fd, NULL, 0);
  close(fd);
  gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
  printf("c_client: OK requests=%d pid=%ld uid=%ld\n", requests, pid, uid);
  return 0;
}
