/* SPDX-License-Identifier: Apache-2.0 */
/* The framing shared by c_prefork_server.c and c_client.c: a 4-byte
 * big-endian length, then the bytes (at most 64 KiB). Header-only, so
 * that each example still builds with one cc command
 * (`cc c_client.c $(pkg-config ...)` finds this file next to it).
 */
#ifndef GSSX_EXAMPLES_C_C_FRAMES_H_
#define GSSX_EXAMPLES_C_C_FRAMES_H_

#include <arpa/inet.h>
#include <errno.h>
#include <gssapi/gssapi.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define C_FRAME_MAX 65536

/* 1 when all n bytes were written / read, 0 on error or end of stream. */
static inline int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 0;
    c += w;
    n -= (size_t)w;
  }
  return 1;
}

static inline int read_all(int fd, void *p, size_t n) {
  char *c = p;
  while (n > 0) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    c += r;
    n -= (size_t)r;
  }
  return 1;
}

/* An empty frame (n == 0) ends a session. */
static inline int send_frame(int fd, const void *p, size_t n) {
  uint32_t len = htonl((uint32_t)n);
  return write_all(fd, &len, 4) && (n == 0 || write_all(fd, p, n));
}

/* Reads a frame into a malloc'ed buffer (*out; free it). 1: read (an
 * empty frame: out->length == 0, out->value NULL); 0: error, end of
 * stream, or a frame over C_FRAME_MAX. */
static inline int recv_frame(int fd, gss_buffer_desc *out) {
  uint32_t len;
  out->value = NULL;
  out->length = 0;
  if (!read_all(fd, &len, 4)) return 0;
  len = ntohl(len);
  if (len > C_FRAME_MAX) return 0;
  out->length = len;
  if (len == 0) return 1;
  out->value = malloc(len);
  if (out->value == NULL || !read_all(fd, out->value, len)) {
    free(out->value);
    out->value = NULL;
    out->length = 0;
    return 0;
  }
  return 1;
}

#endif /* GSSX_EXAMPLES_C_C_FRAMES_H_ */
