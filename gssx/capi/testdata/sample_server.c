/* SPDX-License-Identifier: Apache-2.0 */
/* A GSS-API server and client written the way the classic C sample
   servers were (gss-server / gss-client of the MIT and Heimdal
   distributions), built outside Bazel against a gssx distribution:
       cc sample_server.c $(pkg-config --cflags --libs gssx)
   (tools/dist_test builds and runs it). The habits it keeps on purpose:
   - <gssapi/gssapi_generic.h> and the legacy gss_nt_service_name;
   - names passed with length strlen(name) + 1 (the NUL counted);
   - outputs left uninitialised before a call and released after it
     whatever the call returned (gss_localname of a service, and an
     inquiry of a context handle that was exported);
   - one server process serving several connections in a loop, each
     context exported with gss_export_sec_context after the handshake and
     imported back (as a worker would) before the request is served.
   The client is a forked child connecting over an AF_UNIX stream socket
   with length-prefixed tokens (4 bytes, network order), as the samples do.
   It needs $GSSX_KEYTAB / $GSSX_TRUST holding "alice" (first) and
   "echo@testhost". Prints "sample_server: OK" and exits 0, or says what
   failed and exits 1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_generic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERVICE "echo@testhost"
#define CONNECTIONS 3

static void display_status_1(const char *m, OM_uint32 code, int type) {
  OM_uint32 min_stat, msg_ctx = 0;
  gss_buffer_desc msg;
  do {
    /* msg is not initialised: gss_display_status sets it. */
    if (gss_display_status(&min_stat, code, type, GSS_C_NULL_OID, &msg_ctx,
                           &msg) != GSS_S_COMPLETE) {
      gss_release_buffer(&min_stat, &msg); /* released after an error */
      break;
    }
    fprintf(stderr, "GSS-API error %s: %s\n", m, (char *)msg.value);
    (void)gss_release_buffer(&min_stat, &msg);
  } while (msg_ctx != 0);
}

static void display_status(const char *msg, OM_uint32 maj, OM_uint32 min) {
  display_status_1(msg, maj, GSS_C_GSS_CODE);
  display_status_1(msg, min, GSS_C_MECH_CODE);
}

/* ------------------------------------------------- token transport */

static int write_all(int s, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(s, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int s, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(s, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static int send_token(int s, gss_buffer_t tok) {
  unsigned char len[4];
  uint32_t n = htonl((uint32_t)tok->length);
  memcpy(len, &n, 4);
  if (write_all(s, len, 4) < 0) return -1;
  if (tok->length > 0 && write_all(s, tok->value, tok->length) < 0) return -1;
  return 0;
}

/* tok->value is malloc()ed by the receiver; free() it. */
static int recv_token(int s, gss_buffer_t tok) {
  unsigned char len[4];
  uint32_t n;
  if (read_all(s, len, 4) < 0) return -1;
  memcpy(&n, len, 4);
  tok->length = ntohl(n);
  if (tok->length > (1u << 20)) return -1;
  tok->value = malloc(tok->length ? tok->length : 1);
  if (tok->value == NULL) return -1;
  if (read_all(s, tok->value, tok->length) < 0) {
    free(tok->value);
    tok->value = NULL;
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------- server */

static int server_acquire_creds(const char *service_name,
                                gss_cred_id_t *server_creds) {
  gss_buffer_desc name_buf;
  gss_name_t server_name;
  OM_uint32 maj_stat, min_stat;

  name_buf.value = (void *)service_name;
  name_buf.length = strlen(name_buf.value) + 1; /* the NUL counted */
  maj_stat = gss_import_name(&min_stat, &name_buf, gss_nt_service_name,
                             &server_name);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("importing name", maj_stat, min_stat);
    return -1;
  }
  maj_stat = gss_acquire_cred(&min_stat, server_name, 0, GSS_C_NULL_OID_SET,
                              GSS_C_ACCEPT, server_creds, NULL, NULL);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("acquiring credentials", maj_stat, min_stat);
    return -1;
  }
  (void)gss_release_name(&min_stat, &server_name);
  return 0;
}

static int server_establish_context(int s, gss_cred_id_t server_creds,
                                    gss_ctx_id_t *context,
                                    gss_buffer_t client_name) {
  gss_buffer_desc send_tok, recv_tok;
  gss_name_t client;
  gss_OID doid;
  OM_uint32 maj_stat, min_stat, acc_sec_min_stat, ret_flags;
  gss_buffer_desc local;

  *context = GSS_C_NO_CONTEXT;
  do {
    if (recv_token(s, &recv_tok) < 0) return -1;
    maj_stat = gss_accept_sec_context(&acc_sec_min_stat, context,
                                      server_creds, &recv_tok,
                                      GSS_C_NO_CHANNEL_BINDINGS, &client,
                                      &doid, &send_tok, &ret_flags,
                                      NULL,  /* time_rec */
                                      NULL); /* del_cred_handle */
    free(recv_tok.value);
    if (send_tok.length != 0) {
      if (send_token(s, &send_tok) < 0) return -1;
    }
    (void)gss_release_buffer(&min_stat, &send_tok);
    if (maj_stat != GSS_S_COMPLETE && maj_stat != GSS_S_CONTINUE_NEEDED) {
      display_status("accepting context", maj_stat, acc_sec_min_stat);
      if (*context != GSS_C_NO_CONTEXT) {
        gss_delete_sec_context(&min_stat, context, GSS_C_NO_BUFFER);
      }
      return -1;
    }
  } while (maj_stat == GSS_S_CONTINUE_NEEDED);

  maj_stat = gss_display_name(&min_stat, client, client_name, &doid);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("displaying name", maj_stat, min_stat);
    return -1;
  }
  /* A local account for the client? "alice" is none here: the error is
     reported and the (never filled) buffer released all the same. */
  maj_stat = gss_localname(&min_stat, client, GSS_C_NO_OID, &local);
  if (maj_stat != GSS_S_COMPLETE && maj_stat != GSS_S_UNAVAILABLE) {
    display_status("mapping to a local account", maj_stat, min_stat);
  }
  (void)gss_release_buffer(&min_stat, &local);
  maj_stat = gss_release_name(&min_stat, &client);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("releasing name", maj_stat, min_stat);
    return -1;
  }
  return 0;
}

/* What a pre-fork master does before handing the connection to a worker:
   export the context, then (here, in the same process) import it. The
   stale handle is then inquired, as careless code does, and its outputs
   released after the error. */
static int server_move_context(gss_ctx_id_t *context) {
  gss_buffer_desc token;
  gss_ctx_id_t stale = *context;
  gss_name_t src, targ;
  OM_uint32 maj_stat, min_stat, lifetime, flags;
  gss_OID mech;
  int local, open;

  maj_stat = gss_export_sec_context(&min_stat, context, &token);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("exporting context", maj_stat, min_stat);
    return -1;
  }
  maj_stat = gss_inquire_context(&min_stat, stale, &src, &targ, &lifetime,
                                 &mech, &flags, &local, &open);
  if (maj_stat != GSS_S_NO_CONTEXT) {
    fprintf(stderr, "sample_server: an exported handle still answers\n");
    return -1;
  }
  (void)gss_release_name(&min_stat, &src);
  (void)gss_release_name(&min_stat, &targ);
  maj_stat = gss_import_sec_context(&min_stat, &token, context);
  (void)gss_release_buffer(&min_stat, &token);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("importing context", maj_stat, min_stat);
    return -1;
  }
  return 0;
}

/* One request: the client sends a wrapped message; the server unwraps it,
   signs it and sends the MIC back (the sample servers' protocol). */
static int sign_server(int s, gss_cred_id_t server_creds) {
  gss_buffer_desc client_name, xmit_buf, msg_buf;
  gss_ctx_id_t context;
  OM_uint32 maj_stat, min_stat;
  int conf_state, ret = -1;

  if (server_establish_context(s, server_creds, &context, &client_name) < 0)
    return -1;
  if (strcmp((char *)client_name.value, "alice") != 0) {
    fprintf(stderr, "sample_server: client is \"%s\"\n",
            (char *)client_name.value);
    goto out;
  }
  if (server_move_context(&context) < 0) goto out;
  if (recv_token(s, &xmit_buf) < 0) goto out;
  maj_stat = gss_unwrap(&min_stat, context, &xmit_buf, &msg_buf, &conf_state,
                        (gss_qop_t *)NULL);
  free(xmit_buf.value);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("unsealing message", maj_stat, min_stat);
    gss_release_buffer(&min_stat, &msg_buf); /* released after an error */
    goto out;
  }
  if (!conf_state) fprintf(stderr, "Warning!  Message not encrypted.\n");
  maj_stat = gss_get_mic(&min_stat, context, GSS_C_QOP_DEFAULT, &msg_buf,
                         &xmit_buf);
  (void)gss_release_buffer(&min_stat, &msg_buf);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("signing message", maj_stat, min_stat);
    gss_release_buffer(&min_stat, &xmit_buf);
    goto out;
  }
  if (send_token(s, &xmit_buf) < 0) {
    gss_release_buffer(&min_stat, &xmit_buf);
    goto out;
  }
  (void)gss_release_buffer(&min_stat, &xmit_buf);
  ret = 0;
out:
  (void)gss_release_buffer(&min_stat, &client_name);
  if (context != GSS_C_NO_CONTEXT) {
    maj_stat = gss_delete_sec_context(&min_stat, &context, NULL);
    if (maj_stat != GSS_S_COMPLETE) {
      display_status("deleting context", maj_stat, min_stat);
      ret = -1;
    }
  }
  return ret;
}

/* ------------------------------------------------------- client */

static int call_server(const char *path, const char *service_name,
                       const char *msg) {
  struct sockaddr_un addr;
  gss_buffer_desc send_tok, recv_tok, in_buf, out_buf, *token_ptr;
  gss_name_t target_name;
  gss_ctx_id_t gss_context = GSS_C_NO_CONTEXT;
  OM_uint32 maj_stat, min_stat, init_sec_min_stat, ret_flags;
  gss_qop_t qop_state;
  int s, state, ret = -1;

  s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) goto close;

  send_tok.value = (void *)service_name;
  send_tok.length = strlen(service_name) + 1;
  maj_stat = gss_import_name(&min_stat, &send_tok, gss_nt_service_name,
                             &target_name);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("parsing name", maj_stat, min_stat);
    goto close;
  }
  token_ptr = GSS_C_NO_BUFFER;
  do {
    maj_stat = gss_init_sec_context(
        &init_sec_min_stat, GSS_C_NO_CREDENTIAL, &gss_context, target_name,
        GSS_C_NULL_OID, GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG, 0,
        NULL, /* no channel bindings */
        token_ptr, NULL, /* ignore mech type */
        &send_tok, &ret_flags, NULL); /* ignore time_rec */
    if (token_ptr != GSS_C_NO_BUFFER) free(recv_tok.value);
    if (send_tok.length != 0 && send_token(s, &send_tok) < 0) {
      gss_release_buffer(&min_stat, &send_tok);
      goto release_name;
    }
    (void)gss_release_buffer(&min_stat, &send_tok);
    if (maj_stat != GSS_S_COMPLETE && maj_stat != GSS_S_CONTINUE_NEEDED) {
      display_status("initializing context", maj_stat, init_sec_min_stat);
      goto delete_context;
    }
    if (maj_stat == GSS_S_CONTINUE_NEEDED) {
      if (recv_token(s, &recv_tok) < 0) goto delete_context;
      token_ptr = &recv_tok;
    }
  } while (maj_stat == GSS_S_CONTINUE_NEEDED);

  in_buf.value = (void *)msg;
  in_buf.length = strlen(msg);
  maj_stat = gss_wrap(&min_stat, gss_context, 1, GSS_C_QOP_DEFAULT, &in_buf,
                      &state, &out_buf);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("sealing message", maj_stat, min_stat);
    goto delete_context;
  }
  if (send_token(s, &out_buf) < 0) {
    gss_release_buffer(&min_stat, &out_buf);
    goto delete_context;
  }
  (void)gss_release_buffer(&min_stat, &out_buf);
  if (recv_token(s, &out_buf) < 0) goto delete_context;
  maj_stat = gss_verify_mic(&min_stat, gss_context, &in_buf, &out_buf,
                            &qop_state);
  free(out_buf.value);
  if (maj_stat != GSS_S_COMPLETE) {
    display_status("verifying signature", maj_stat, min_stat);
    goto delete_context;
  }
  ret = 0;
delete_context:
  (void)gss_delete_sec_context(&min_stat, &gss_context, GSS_C_NO_BUFFER);
release_name:
  (void)gss_release_name(&min_stat, &target_name);
close:
  close(s);
  return ret;
}

static int client_main(const char *path) {
  int i;
  for (i = 0; i < CONNECTIONS; ++i) {
    char msg[64];
    snprintf(msg, sizeof msg, "request %d", i);
    if (call_server(path, SERVICE, msg) < 0) return 1;
  }
  return 0;
}

/* --------------------------------------------------------- main */

int main(void) {
  char dir[] = "/tmp/gssx_sample.XXXXXX";
  char path[108];
  struct sockaddr_un addr;
  gss_cred_id_t server_creds;
  OM_uint32 min_stat;
  int listener, status, served = 0, i;
  pid_t client;

  if (mkdtemp(dir) == NULL) return 1;
  snprintf(path, sizeof path, "%s/sock", dir);
  listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 ||
      listen(listener, 5) < 0) {
    perror("sample_server: listen");
    return 1;
  }
  if (server_acquire_creds(SERVICE, &server_creds) < 0) return 1;

  client = fork();
  if (client < 0) return 1;
  if (client == 0) _exit(client_main(path));

  /* One process, several connections. */
  for (i = 0; i < CONNECTIONS; ++i) {
    int s = accept(listener, NULL, NULL);
    if (s < 0) break;
    if (sign_server(s, server_creds) == 0) ++served;
    close(s);
  }
  (void)gss_release_cred(&min_stat, &server_creds);
  close(listener);
  unlink(path);
  rmdir(dir);
  if (waitpid(client, &status, 0) != client || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    fprintf(stderr, "sample_server: the client failed\n");
    return 1;
  }
  if (served != CONNECTIONS) {
    fprintf(stderr, "sample_server: served %d of %d\n", served, CONNECTIONS);
    return 1;
  }
  printf("sample_server: OK (%d connections, each context exported and "
         "imported between handshake and request)\n",
         served);
  return 0;
}
