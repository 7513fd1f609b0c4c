/* SPDX-License-Identifier: Apache-2.0 */
/* c_prefork_server: a pre-fork, privilege-separated Kerberos server in
 * plain C on the system's MIT GSS-API, handing each authenticated client
 * (its live security context and its socket) to a worker with
 * libgssx-handoff (<gssx/handoff.h>).
 *
 *   cc c_prefork_server.c $(pkg-config --cflags --libs gssx-handoff krb5-gssapi)
 *   KRB5_KTNAME=service.keytab ./c_prefork_server --port=0 --workers=2 \
 *       [--user=NAME] [--drill-kill-mid-handoff] [--drill-second-import]
 *
 * The master (typically root) accepts TCP clients on 127.0.0.1 and
 * authenticates each with gss_accept_sec_context. Workers are forked at
 * start and, with --user, drop to that user's uid and gid for good; each
 * then connects to the master over an abstract AF_UNIX SOCK_SEQPACKET
 * socket, so the kernel records the worker's credentials after the drop.
 * Both ends open a gssx channel with a peer policy: the master admits only
 * the workers' uid, a worker only root (or its own uid when nobody drops).
 * The master hands context + socket to a worker; the worker answers the
 * client's wrapped requests (gss_unwrap / gss_wrap on the handed-off
 * context). A worker that died or refused is replaced and the context,
 * taken back through the latch, goes to another worker.
 *
 * Protocol (client <-> server): frames of a 4-byte big-endian length and
 * the bytes. Handshake tokens until established, then wrapped requests,
 * each answered with a wrapped "pid=P uid=U: <request>"; an empty frame
 * ends the session.
 *
 * Drills (for the end-to-end test): --drill-kill-mid-handoff stops the
 * chosen worker, sends it the first handoff and SIGKILLs it before it
 * could import: the master reclaims the context and gives the client to
 * another worker. --drill-second-import exports the first context to a
 * sealed memfd, imports it back, and has a forked child try the same memfd
 * again: refused ("already imported").
 *
 * Log lines go to stderr. --port_fd / --stats_fd (for test harnesses): the
 * bound port, and at SIGTERM a statistics line, are written to those fds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <gssapi/gssapi.h>
#include <gssx/handoff.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_frames.h"

#define MAX_WORKERS 32
#define HANDOFF_TIMEOUT_MS 5000

struct worker {
  pid_t pid;
  gssx_chan_t chan;
};

static struct {
  int port, workers, port_fd, stats_fd;
  const char *user;
  int drill_kill, drill_second_import;
} opt = {0, 2, -1, -1, NULL, 0, 0};

static struct {
  long connections, handoffs, reclaims, worker_deaths, dropped,
      second_imports_refused;
} stats;

static struct worker workers[MAX_WORKERS];
static int next_worker = 0;
static uid_t worker_uid;
static gid_t worker_gid;
static char unix_name[64]; /* abstract: unix_name[0] == '\0' */
static socklen_t unix_len;
static volatile sig_atomic_t stop_requested = 0;

static void on_term(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fprintf(stderr, "c_prefork_server[%d]: %s\n", (int)getpid(), buf);
}

static const char *why(OM_uint32 major, OM_uint32 minor) {
  static char text[256];
  OM_uint32 m = 0, ctx = 0;
  gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
  if (minor >= GSSX_HANDOFF_MINOR_BASE && minor < GSSX_HANDOFF_MINOR_BASE + 256) {
    return gssx_handoff_strerror(minor);
  }
  if (gss_display_status(&m, GSS_ERROR(major) ? minor : major,
                         GSS_ERROR(major) ? GSS_C_MECH_CODE : GSS_C_GSS_CODE,
                         GSS_C_NO_OID, &ctx, &b) != GSS_S_COMPLETE) {
    return "(no text)";
  }
  snprintf(text, sizeof text, "%.*s", (int)b.length, (char *)b.value);
  gss_release_buffer(&m, &b);
  return text;
}

/* ------------------------------------------------------------- worker */

static void drop_privileges(void) {
  if (opt.user == NULL) return;
  if (setgroups(1, &worker_gid) != 0 ||
      setresgid(worker_gid, worker_gid, worker_gid) != 0 ||
      setresuid(worker_uid, worker_uid, worker_uid) != 0 ||
      getuid() != worker_uid || geteuid() != worker_uid) {
    log_line("worker: cannot drop privileges to %s: %s", opt.user,
             strerror(errno));
    _exit(3);
  }
}

/* Answers one client's wrapped requests on the handed-off context. */
static void serve_client(gss_ctx_id_t *ctx, int fd) {
  OM_uint32 major, minor;
  for (;;) {
    gss_buffer_desc in, plain = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    gss_buffer_desc reply;
    char text[1024];
    int conf = 0, n;
    if (!recv_frame(fd, &in) || in.length == 0) {
      free(in.value);
      break;
    }
    major = gss_unwrap(&minor, *ctx, &in, &plain, &conf, NULL);
    free(in.value);
    if (major != GSS_S_COMPLETE || !conf) {
      log_line("worker: gss_unwrap: %s", why(major, minor));
      gss_release_buffer(&minor, &plain);
      break;
    }
    n = snprintf(text, sizeof text, "pid=%d uid=%d: %.*s", (int)getpid(),
                 (int)getuid(), (int)plain.length, (char *)plain.value);
    gss_release_buffer(&minor, &plain);
    reply.value = text;
    reply.length = (size_t)(n < (int)sizeof text ? n : (int)sizeof text - 1);
    major = gss_wrap(&minor, *ctx, 1, GSS_C_QOP_DEFAULT, &reply, &conf, &out);
    if (major != GSS_S_COMPLETE || !send_frame(fd, out.value, out.length)) {
      gss_release_buffer(&minor, &out);
      break;
    }
    gss_release_buffer(&minor, &out);
  }
  gss_delete_sec_context(&minor, ctx, GSS_C_NO_BUFFER);
  close(fd);
}

static void worker_main(void) {
  OM_uint32 major, minor;
  gssx_chan_options options;
  gssx_chan_t chan = NULL;
  int sock;
  signal(SIGTERM, SIG_DFL);
  drop_privileges();
  /* Connect after the drop: the master sees this uid (SO_PEERCRED). */
  sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0) _exit(4);
  {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, unix_name, sizeof unix_name);
    if (connect(sock, (struct sockaddr *)&addr, unix_len) != 0) {
      log_line("worker: connect: %s", strerror(errno));
      _exit(4);
    }
  }
  /* The master runs as root (or as us, when nobody drops privileges). */
  gssx_chan_options_init(&options);
  options.root = 1;
  major = gssx_chan_open(&minor, sock, &options, &chan);
  if (major != GSS_S_COMPLETE) {
    log_line("worker: gssx_chan_open: %s", why(major, minor));
    _exit(5);
  }
  for (;;) {
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    int fds[1];
    size_t nfds = 1;
    major = gssx_handoff_receive(&minor, chan, -1, GSSX_HANDOFF_REQUIRED_FLAGS,
                                 &ctx, fds, &nfds);
    if (major != GSS_S_COMPLETE) {
      if (minor == GSSX_HANDOFF_E_PEER_CLOSED) break; /* master gone */
      log_line("worker: receive: %s", why(major, minor));
      continue; /* the master gets a refused handoff back */
    }
    if (nfds != 1) {
      gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
      continue;
    }
    serve_client(&ctx, fds[0]);
  }
  gssx_chan_close(&minor, &chan);
  _exit(0);
}

/* ------------------------------------------------------------- master */

static int unix_listener = -1, tcp_listener = -1;

/* Forks worker `i` and opens the master's end of its channel. */
static int spawn_worker(int i) {
  OM_uint32 major, minor;
  gssx_chan_options options;
  struct pollfd p;
  pid_t pid;
  int fd, k;
  fflush(stderr);
  pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) {
    /* The worker keeps nothing of the master's: its listeners, the
       harness's pipes, the other workers' channels. */
    OM_uint32 ignored;
    close(tcp_listener);
    close(unix_listener);
    if (opt.port_fd >= 0) close(opt.port_fd);
    if (opt.stats_fd >= 0) close(opt.stats_fd);
    for (k = 0; k < MAX_WORKERS; ++k) gssx_chan_close(&ignored, &workers[k].chan);
    worker_main();
  }
  workers[i].pid = pid;
  workers[i].chan = NULL;
  p.fd = unix_listener;
  p.events = POLLIN;
  if (poll(&p, 1, 10000) != 1) {
    log_line("worker %d did not connect", (int)pid);
    kill(pid, SIGKILL);
    return 0;
  }
  fd = accept4(unix_listener, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return 0;
  gssx_chan_options_init(&options);
  if (opt.user != NULL) {
    /* Only the workers' uid: a root process or anyone else connecting to
       the abstract socket is refused. */
    options.same_uid = 0;
    options.uids = &worker_uid;
    options.uid_count = 1;
  }
  options.timeout_ms = 10000;
  major = gssx_chan_open(&minor, fd, &options, &workers[i].chan);
  if (major != GSS_S_COMPLETE) {
    log_line("channel to worker %d refused: %s", (int)pid, why(major, minor));
    close(fd);
    kill(pid, SIGKILL);
    return 0;
  }
  {
    uid_t uid = 0;
    pid_t peer = 0;
    gssx_chan_peer(&minor, workers[i].chan, &peer, &uid, NULL);
    log_line("worker %d ready (peer pid %d uid %d)", (int)pid, (int)peer,
             (int)uid);
  }
  return 1;
}

static void worker_died(int i) {
  OM_uint32 minor;
  int status;
  log_line("worker %d gone", (int)workers[i].pid);
  ++stats.worker_deaths;
  gssx_chan_close(&minor, &workers[i].chan);
  waitpid(workers[i].pid, &status, 0);
  workers[i].pid = 0;
  spawn_worker(i);
}

/* The first-connection drill: single import of an MIT context, enforced
   by the kernel latch even for a process holding a copy of the memfd. */
static void drill_second_import(gss_ctx_id_t *ctx) {
  OM_uint32 major, minor;
  pid_t child;
  int fd = -1, status = 0;
  major = gssx_handoff_export_fd(&minor, ctx, &fd);
  if (major != GSS_S_COMPLETE) {
    log_line("drill: export_fd: %s", why(major, minor));
    return;
  }
  major = gssx_handoff_import_fd(&minor, fd, GSSX_HANDOFF_REQUIRED_FLAGS, ctx);
  log_line("drill: first import: %s",
           major == GSS_S_COMPLETE ? "ok" : why(major, minor));
  fflush(stderr);
  child = fork();
  if (child == 0) {
    gss_ctx_id_t copy = GSS_C_NO_CONTEXT;
    major = gssx_handoff_import_fd(&minor, fd, GSSX_HANDOFF_REQUIRED_FLAGS,
                                   &copy);
    _exit(major == GSS_S_NO_CONTEXT && minor == GSSX_HANDOFF_E_ALREADY_IMPORTED
              ? 0
              : 1);
  }
  close(fd);
  if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
      WEXITSTATUS(status) == 0) {
    ++stats.second_imports_refused;
    log_line("drill: second import refused: %s",
             gssx_handoff_strerror(GSSX_HANDOFF_E_ALREADY_IMPORTED));
  } else {
    log_line("drill: second import was NOT refused");
  }
}

/* Hands ctx + fd to a worker; tries each worker once. 1: handed off. */
static int hand_off(gss_ctx_id_t *ctx, int fd) {
  OM_uint32 major, minor;
  int tries;
  for (tries = 0; tries < opt.workers && *ctx != GSS_C_NO_CONTEXT; ++tries) {
    int i = next_worker;
    next_worker = (next_worker + 1) % opt.workers;
    if (workers[i].chan == NULL && !spawn_worker(i)) continue;
    if (opt.drill_kill) {
      /* Stop the worker, send, kill it: the handoff is in its socket,
         never imported. */
      gssx_handoff_pending_t pending = NULL;
      opt.drill_kill = 0;
      kill(workers[i].pid, SIGSTOP);
      major = gssx_handoff_start(&minor, workers[i].chan, ctx, &fd, 1,
                                 HANDOFF_TIMEOUT_MS, &pending);
      if (major == GSS_S_COMPLETE) {
        log_line("drill: killing worker %d mid-handoff", (int)workers[i].pid);
        kill(workers[i].pid, SIGKILL);
        do {
          struct pollfd p;
          p.fd = gssx_handoff_pending_fd(pending);
          p.events = POLLIN;
          poll(&p, 1, gssx_handoff_pending_timeout_ms(pending));
          major = gssx_handoff_finish(&minor, &pending, ctx);
        } while (major == GSS_S_CONTINUE_NEEDED);
      }
    } else {
      major = gssx_handoff_send(&minor, workers[i].chan, ctx, &fd, 1,
                                HANDOFF_TIMEOUT_MS);
    }
    if (major == GSS_S_COMPLETE) {
      ++stats.handoffs;
      return 1;
    }
    if (*ctx != GSS_C_NO_CONTEXT) {
      ++stats.reclaims;
      log_line("reclaimed the context from worker %d (%s); trying another",
               (int)workers[i].pid, why(major, minor));
    } else {
      log_line("handoff to worker %d failed, context lost: %s",
               (int)workers[i].pid, why(major, minor));
    }
    if (minor == GSSX_HANDOFF_E_PEER_CLOSED) worker_died(i);
  }
  return 0;
}

/* Authenticates one client; 1 with *ctx established. */
static int authenticate(int fd, gss_ctx_id_t *ctx) {
  OM_uint32 major, minor, flags = 0;
  gss_name_t client = GSS_C_NO_NAME;
  do {
    gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;
    if (!recv_frame(fd, &in) || in.length == 0) {
      free(in.value);
      return 0;
    }
    major = gss_accept_sec_context(&minor, ctx, GSS_C_NO_CREDENTIAL, &in,
                                   GSS_C_NO_CHANNEL_BINDINGS,
                                   client == GSS_C_NO_NAME ? &client : NULL,
                                   NULL, &out, &flags, NULL, NULL);
    free(in.value);
    if (out.length > 0 && !send_frame(fd, out.value, out.length)) {
      gss_release_buffer(&minor, &out);
      return 0;
    }
    gss_release_buffer(&minor, &out);
    if (GSS_ERROR(major)) {
      log_line("gss_accept_sec_context: %s", why(major, minor));
      return 0;
    }
  } while (major == GSS_S_CONTINUE_NEEDED);
  if (client != GSS_C_NO_NAME) {
    gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
    if (gss_display_name(&minor, client, &name, NULL) == GSS_S_COMPLETE) {
      log_line("authenticated %.*s", (int)name.length, (char *)name.value);
    }
    gss_release_buffer(&minor, &name);
    gss_release_name(&minor, &client);
  }
  if ((flags & GSSX_HANDOFF_REQUIRED_FLAGS) != GSSX_HANDOFF_REQUIRED_FLAGS) {
    log_line("client did not ask for replay/sequence/conf/integ");
    return 0;
  }
  return 1;
}

static int parse_args(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (strncmp(a, "--port=", 7) == 0) {
      opt.port = atoi(a + 7);
    } else if (strncmp(a, "--workers=", 10) == 0) {
      opt.workers = atoi(a + 10);
    } else if (strncmp(a, "--user=", 7) == 0) {
      opt.user = a + 7;
    } else if (strncmp(a, "--port_fd=", 10) == 0) {
      opt.port_fd = atoi(a + 10);
    } else if (strncmp(a, "--stats_fd=", 11) == 0) {
      opt.stats_fd = atoi(a + 11);
    } else if (strcmp(a, "--drill-kill-mid-handoff") == 0) {
      opt.drill_kill = 1;
    } else if (strcmp(a, "--drill-second-import") == 0) {
      opt.drill_second_import = 1;
    } else {
      fprintf(stderr,
              "usage: %s [--port=N] [--workers=N] [--user=NAME] "
              "[--drill-kill-mid-handoff] [--drill-second-import]\n",
              argv[0]);
      return 0;
    }
  }
  return opt.workers >= 1 && opt.workers <= MAX_WORKERS;
}

int main(int argc, char **argv) {
  struct sockaddr_in in4;
  struct sockaddr_un un;
  struct sigaction sa;
  socklen_t len = sizeof in4;
  int i, one = 1;
  if (!parse_args(argc, argv)) return 2;
  if (opt.port_fd >= 0) fcntl(opt.port_fd, F_SETFD, FD_CLOEXEC);
  if (opt.stats_fd >= 0) fcntl(opt.stats_fd, F_SETFD, FD_CLOEXEC);
  worker_uid = geteuid();
  worker_gid = getegid();
  if (opt.user != NULL) {
    struct passwd *pw = getpwnam(opt.user);
    if (pw == NULL) {
      log_line("no such user: %s", opt.user);
      return 2;
    }
    if (geteuid() != 0) {
      log_line("--user needs root");
      return 2;
    }
    worker_uid = pw->pw_uid;
    worker_gid = pw->pw_gid;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term; /* no SA_RESTART: accept() returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  tcp_listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt(tcp_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&in4, 0, sizeof in4);
  in4.sin_family = AF_INET;
  in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  in4.sin_port = htons((uint16_t)opt.port);
  if (tcp_listener < 0 || bind(tcp_listener, (struct sockaddr *)&in4, len) != 0 ||
      listen(tcp_listener, 64) != 0 ||
      getsockname(tcp_listener, (struct sockaddr *)&in4, &len) != 0) {
    log_line("cannot listen: %s", strerror(errno));
    return 1;
  }
  /* The workers' rendezvous: an abstract socket named after our pid. */
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  snprintf(unix_name + 1, sizeof unix_name - 1, "gssx-c-prefork-%d",
           (int)getpid());
  unix_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                         strlen(unix_name + 1));
  memcpy(un.sun_path, unix_name, sizeof unix_name);
  unix_listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (unix_listener < 0 || bind(unix_listener, (struct sockaddr *)&un, unix_len) != 0 ||
      listen(unix_listener, MAX_WORKERS) != 0) {
    log_line("cannot listen for workers: %s", strerror(errno));
    return 1;
  }
  for (i = 0; i < opt.workers; ++i) {
    if (!spawn_worker(i)) return 1;
  }
  log_line("listening on 127.0.0.1:%d, %d workers%s%s", ntohs(in4.sin_port),
           opt.workers, opt.user ? " as user " : "", opt.user ? opt.user : "");
  if (opt.port_fd >= 0) {
    dprintf(opt.port_fd, "%d\n", ntohs(in4.sin_port));
    close(opt.port_fd);
    opt.port_fd = -1;
  }

  while (!stop_requested) {
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    OM_uint32 minor;
    int fd = accept4(tcp_listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue; /* EINTR (SIGTERM) or a transient error */
    ++stats.connections;
    if (!authenticate(fd, &ctx)) {
      ++stats.dropped;
    } else {
      if (opt.drill_second_import) {
        opt.drill_second_import = 0;
        drill_second_import(&ctx);
      }
      if (ctx == GSS_C_NO_CONTEXT || !hand_off(&ctx, fd)) {
        ++stats.dropped;
        log_line("no worker took the client: dropped");
      }
    }
    if (ctx != GSS_C_NO_CONTEXT) {
      gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    }
    close(fd); /* the worker has its own copy */
  }

  for (i = 0; i < opt.workers; ++i) {
    OM_uint32 minor;
    int status;
    if (workers[i].pid <= 0) continue;
    gssx_chan_close(&minor, &workers[i].chan); /* the worker exits */
    if (waitpid(workers[i].pid, &status, 0) < 0) kill(workers[i].pid, SIGKILL);
  }
  log_line("stopped");
  if (opt.stats_fd >= 0) {
    dprintf(opt.stats_fd,
            "connections=%ld handoffs=%ld reclaims=%ld worker_deaths=%ld "
            "dropped=%ld second_imports_refused=%ld\n",
            stats.connections, stats.handoffs, stats.reclaims,
            stats.worker_deaths, stats.dropped, stats.second_imports_refused);
  }
  return 0;
}
