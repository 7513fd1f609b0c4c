/* SPDX-License-Identifier: Apache-2.0 */
/* gss_display_status, tested from C. */
#include <errno.h>
#include <gssapi/gssapi.h>
#include <stdio.h>
#include <string.h>

#include "gssx/capi/testing/c_check.h"

#define X(fn) void fn(void);
#include "gssx/capi/display_status_tests.inc"
#undef X

/* One message of `status`: its text in out (NUL-terminated), and the
   message_context returned. Returns the major status of the call. */
static OM_uint32 display(OM_uint32 status, int type, gss_OID mech,
                         OM_uint32 *message_context, char *out, size_t n) {
  OM_uint32 minor = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  OM_uint32 major = gss_display_status(&minor, status, type, mech,
                                       message_context, &text);
  out[0] = '\0';
  if (major == GSS_S_COMPLETE) {
    snprintf(out, n, "%.*s", (int)text.length, (const char *)text.value);
    gss_release_buffer(&minor, &text);
  }
  return major;
}

void complete_is_one_message(void) {
  char text[256];
  OM_uint32 context = 0;
  OM_uint32 minor = 0;
  CHECK_GSS(display(GSS_S_COMPLETE, GSS_C_GSS_CODE, GSS_C_NO_OID, &context,
                    text, sizeof text),
            GSS_S_COMPLETE);
  CHECK(strcmp(text, "The routine completed successfully") == 0);
  CHECK(context == 0);
}

void every_routine_error_has_its_own_sentence(void) {
  char texts[19][256];
  OM_uint32 code;
  for (code = 1; code <= 18; ++code) {
    OM_uint32 context = 0;
    OM_uint32 minor = 0;
    OM_uint32 prior;
    CHECK_GSS(display(code << GSS_C_ROUTINE_ERROR_OFFSET, GSS_C_GSS_CODE,
                      GSS_C_NO_OID, &context, texts[code], sizeof texts[code]),
              GSS_S_COMPLETE);
    CHECK(strlen(texts[code]) > 10);
    CHECK(context == 0);
    for (prior = 1; prior < code; ++prior) {
      CHECK(strcmp(texts[prior], texts[code]) != 0);
    }
  }
  {
    char text[256];
    OM_uint32 context = 0;
    display(GSS_S_NO_CONTEXT, GSS_C_GSS_CODE, GSS_C_NO_OID, &context, text,
            sizeof text);
    CHECK(strcmp(text, "No context has been established") == 0);
    display(GSS_S_BAD_MIC, GSS_C_GSS_CODE, GSS_C_NO_OID, &context, text,
            sizeof text);
    CHECK(strcmp(text, "A token had an invalid MIC") == 0);
  }
}

void every_calling_error_has_a_sentence(void) {
  static const OM_uint32 codes[] = {GSS_S_CALL_INACCESSIBLE_READ,
                                    GSS_S_CALL_INACCESSIBLE_WRITE,
                                    GSS_S_CALL_BAD_STRUCTURE};
  size_t i;
  for (i = 0; i < 3; ++i) {
    char text[256];
    OM_uint32 context = 0;
    OM_uint32 minor = 0;
    CHECK_GSS(display(codes[i], GSS_C_GSS_CODE, GSS_C_NO_OID, &context, text,
                      sizeof text),
              GSS_S_COMPLETE);
    CHECK(strlen(text) > 10);
    CHECK(context == 0);
  }
}

void every_supplementary_bit_has_a_sentence(void) {
  static const OM_uint32 bits[] = {GSS_S_CONTINUE_NEEDED,
                                   GSS_S_DUPLICATE_TOKEN, GSS_S_OLD_TOKEN,
                                   GSS_S_UNSEQ_TOKEN, GSS_S_GAP_TOKEN};
  size_t i;
  for (i = 0; i < 5; ++i) {
    char text[256];
    OM_uint32 context = 0;
    OM_uint32 minor = 0;
    CHECK_GSS(display(bits[i], GSS_C_GSS_CODE, GSS_C_NO_OID, &context, text,
                      sizeof text),
              GSS_S_COMPLETE);
    CHECK(strlen(text) > 10);
    CHECK(context == 0);
  }
}

void combined_status_iterates_with_message_context(void) {
  const OM_uint32 status = GSS_S_CALL_INACCESSIBLE_READ | GSS_S_NO_CONTEXT |
                           GSS_S_DUPLICATE_TOKEN | GSS_S_GAP_TOKEN;
  const OM_uint32 parts[] = {GSS_S_CALL_INACCESSIBLE_READ, GSS_S_NO_CONTEXT,
                             GSS_S_DUPLICATE_TOKEN, GSS_S_GAP_TOKEN};
  OM_uint32 context = 0;
  int i;
  for (i = 0; i < 4; ++i) {
    char text[256];
    char alone[256];
    OM_uint32 alone_context = 0;
    OM_uint32 minor = 0;
    REQUIRE_GSS(display(status, GSS_C_GSS_CODE, GSS_C_NO_OID, &context, text,
                        sizeof text),
                GSS_S_COMPLETE);
    display(parts[i], GSS_C_GSS_CODE, GSS_C_NO_OID, &alone_context, alone,
            sizeof alone);
    CHECK(strcmp(text, alone) == 0);
    CHECK_EQ_U64(context, i < 3 ? (OM_uint32)(i + 1) : 0);
  }
}

void unknown_codes_are_bad_status(void) {
  static const OM_uint32 bad[] = {
      19ul << GSS_C_ROUTINE_ERROR_OFFSET, 255ul << GSS_C_ROUTINE_ERROR_OFFSET,
      4ul << GSS_C_CALLING_ERROR_OFFSET, 1ul << 5, 1ul << 15,
      GSS_S_FAILURE | (1ul << 9)};
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    char text[256];
    OM_uint32 context = 0;
    OM_uint32 minor = 0;
    CHECK_GSS(display(bad[i], GSS_C_GSS_CODE, GSS_C_NO_OID, &context, text,
                      sizeof text),
              GSS_S_BAD_STATUS);
    CHECK(context == 0);
  }
  {
    char text[256];
    OM_uint32 minor = 0;
    OM_uint32 context = 1; /* GSS_S_FAILURE has one message */
    CHECK_GSS(display(GSS_S_FAILURE, GSS_C_GSS_CODE, GSS_C_NO_OID, &context,
                      text, sizeof text),
              GSS_S_BAD_STATUS);
    CHECK(context == 1); /* untouched */
    context = 0;
    CHECK_GSS(display(GSS_S_FAILURE, 3, GSS_C_NO_OID, &context, text,
                      sizeof text),
              GSS_S_BAD_STATUS);
    context = 7;
    CHECK_GSS(display(0, GSS_C_MECH_CODE, GSS_C_NO_OID, &context, text,
                      sizeof text),
              GSS_S_BAD_STATUS);
  }
}

void minor_codes_of_gssx_become_sentences(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc bad_name = GSSX_C_BUF("has space");
  gss_name_t name = GSS_C_NO_NAME;
  char text[256];
  OM_uint32 context = 0;
  CHECK_GSS(gss_import_name(&minor, &bad_name, GSS_C_NT_USER_NAME, &name),
            GSS_S_BAD_NAME);
  CHECK(minor != 0);
  CHECK_GSS(display(minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &context, text,
                    sizeof text),
            GSS_S_COMPLETE);
  /* The sentence, then the detail of this thread's last error of that
     code, in parentheses. */
  CHECK(strncmp(text, "The name is malformed. (", 24) == 0);
  CHECK(text[strlen(text) - 1] == ')');
  CHECK(context == 0);
  /* The mechanism may be named explicitly. */
  CHECK_GSS(display(minor, GSS_C_MECH_CODE, GSS_GSSX_MECHANISM, &context,
                    text, sizeof text),
            GSS_S_COMPLETE);
  CHECK(strncmp(text, "The name is malformed. (", 24) == 0);
  /* A code this thread never returned: the sentence alone. */
  CHECK_GSS(display(GSSX_MINOR_EXPORTED_NAME_MALFORMED, GSS_C_MECH_CODE,
                    GSS_C_NO_OID, &context, text, sizeof text),
            GSS_S_COMPLETE);
  CHECK(strcmp(text, "The exported name token is malformed.") == 0);
  CHECK_GSS(display(0, GSS_C_MECH_CODE, GSS_C_NO_OID, &context, text,
                    sizeof text),
            GSS_S_COMPLETE);
  CHECK(strcmp(text, "No further information.") == 0);
  CHECK_GSS(display(0xfffffff0u, GSS_C_MECH_CODE, GSS_C_NO_OID, &context,
                    text, sizeof text),
            GSS_S_COMPLETE);
  CHECK(strstr(text, "Unknown") != NULL);
}

void errno_minor_codes_become_strerror(void) {
  char text[256];
  OM_uint32 context = 0;
  OM_uint32 minor = 0;
  CHECK_GSS(display(EMFILE, GSS_C_MECH_CODE, GSS_C_NO_OID, &context, text,
                    sizeof text),
            GSS_S_COMPLETE);
  CHECK(strcmp(text, strerror(EMFILE)) == 0);
  CHECK_GSS(display(ENOMEM, GSS_C_MECH_CODE, GSS_C_NO_OID, &context, text,
                    sizeof text),
            GSS_S_COMPLETE);
  CHECK(strcmp(text, strerror(ENOMEM)) == 0);
}

void transport_minor_codes_become_sentences(void) {
  /* kTransportMinorBase + transport kAlreadyConsumed (gssx/status.h). */
  const OM_uint32 already_imported = 0x67737900u + 7u;
  char text[256];
  OM_uint32 context = 0;
  OM_uint32 minor = 0;
  CHECK_GSS(display(already_imported, GSS_C_MECH_CODE, GSS_C_NO_OID,
                    &context, text, sizeof text),
            GSS_S_COMPLETE);
  CHECK(strstr(text, "already imported") != NULL);
}

void mech_code_of_another_mechanism_is_bad_mech(void) {
  static const unsigned char krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                       0x12, 0x01, 0x02, 0x02};
  gss_OID_desc other;
  char text[256];
  OM_uint32 context = 0;
  OM_uint32 minor = 0;
  other.length = sizeof krb5;
  other.elements = (void *)krb5;
  CHECK_GSS(display(0, GSS_C_MECH_CODE, &other, &context, text, sizeof text),
            GSS_S_BAD_MECH);
}

void display_status_calling_errors(void) {
  OM_uint32 minor = 0;
  OM_uint32 context = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  CHECK_GSS(gss_display_status(&minor, GSS_S_FAILURE, GSS_C_GSS_CODE,
                               GSS_C_NO_OID, NULL, &text),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_display_status(&minor, GSS_S_FAILURE, GSS_C_GSS_CODE,
                               GSS_C_NO_OID, &context, GSS_C_NO_BUFFER),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(text.value == NULL);
}
