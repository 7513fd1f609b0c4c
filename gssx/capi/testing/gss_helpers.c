/* SPDX-License-Identifier: Apache-2.0 */
#include "gssx/capi/testing/gss_helpers.h"

#include <fcntl.h>
#include <gssx/gssx.h>
#include <string.h>
#include <time.h>

#include "gssx/capi/testing/c_check.h"

int gssx_c_establish(gss_ctx_id_t *init, gss_ctx_id_t *acc) {
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
                            GSS_C_NO_OID, GSSX_C_ALL_FLAGS, 0,
                            GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL,
                            &a, NULL, NULL) == GSS_S_CONTINUE_NEEDED &&
       gss_accept_sec_context(&minor, acc, GSS_C_NO_CREDENTIAL, &a,
                              GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &b, NULL,
                              NULL, NULL) == GSS_S_COMPLETE &&
       gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, init, target,
                            GSS_C_NO_OID, GSSX_C_ALL_FLAGS, 0,
                            GSS_C_NO_CHANNEL_BINDINGS, &b, NULL, &c, NULL,
                            NULL) == GSS_S_COMPLETE;
  gss_release_buffer(&minor, &a);
  gss_release_buffer(&minor, &b);
  gss_release_buffer(&minor, &c);
  gss_release_name(&minor, &target);
  return ok;
}

void gssx_c_delete_both(gss_ctx_id_t *a, gss_ctx_id_t *b) {
  OM_uint32 minor = 0;
  gss_delete_sec_context(&minor, a, GSS_C_NO_BUFFER);
  gss_delete_sec_context(&minor, b, GSS_C_NO_BUFFER);
}

int gssx_c_round_trip(gss_ctx_id_t from, gss_ctx_id_t to, const char *text) {
  OM_uint32 minor = 0;
  gss_buffer_desc in = GSSX_C_BUF(text);
  gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
  int ok = gss_wrap(&minor, from, 1, GSS_C_QOP_DEFAULT, &in, NULL,
                    &wrapped) == GSS_S_COMPLETE &&
           gss_unwrap(&minor, to, &wrapped, &out, NULL, NULL) ==
               GSS_S_COMPLETE &&
           gssx_c_buffer_is(&out, text);
  gss_release_buffer(&minor, &wrapped);
  gss_release_buffer(&minor, &out);
  return ok;
}

int gssx_c_minor_mentions(OM_uint32 minor_code, const char *words) {
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

long long gssx_c_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int gssx_c_fd_is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }
