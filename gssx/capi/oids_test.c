/* SPDX-License-Identifier: Apache-2.0 */
/* Buffers, OIDs, OID sets and buffer sets of the C ABI, tested from C. */
#include <gssapi/gssapi.h>
#include <stdio.h>
#include <string.h>

#include "gssx/capi/testing/c_check.h"

#define X(fn) void fn(void);
#include "gssx/capi/oids_tests.inc"
#undef X

int gssx_c89_header_check(void); /* testing/header_c89_check.c */

static const unsigned char kKrb5Mech[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                          0x12, 0x01, 0x02, 0x02};

/* gss_oid_to_str of `oid` is `expected`. */
static void check_oid_string(const char *file, int line, gss_OID oid,
                             const char *expected) {
  OM_uint32 minor = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  OM_uint32 major = gss_oid_to_str(&minor, oid, &text);
  if (major != GSS_S_COMPLETE) {
    gssx_c_check_major_failed(file, line, "gss_oid_to_str", major,
                              GSS_S_COMPLETE, minor);
    return;
  }
  if (!gssx_c_buffer_is(&text, expected)) {
    char msg[256];
    snprintf(msg, sizeof msg, "oid string is \"%.*s\", expected \"%s\"",
             (int)text.length, (const char *)text.value, expected);
    c_check_failed(file, line, msg);
  }
  /* NUL-terminated, the NUL not counted. */
  if (((const char *)text.value)[text.length] != '\0') {
    c_check_failed(file, line, "oid string not NUL-terminated");
  }
  gss_release_buffer(&minor, &text);
}
#define CHECK_OID_STRING(oid, s) check_oid_string(__FILE__, __LINE__, oid, s)

void headers_compile_as_c89(void) { CHECK(gssx_c89_header_check() == 0); }

void name_type_constants_have_rfc_values(void) {
  CHECK_OID_STRING(GSS_C_NT_USER_NAME, "1.2.840.113554.1.2.1.1");
  CHECK_OID_STRING(GSS_C_NT_MACHINE_UID_NAME, "1.2.840.113554.1.2.1.2");
  CHECK_OID_STRING(GSS_C_NT_STRING_UID_NAME, "1.2.840.113554.1.2.1.3");
  CHECK_OID_STRING(GSS_C_NT_HOSTBASED_SERVICE, "1.2.840.113554.1.2.1.4");
  CHECK_OID_STRING(GSS_C_NT_HOSTBASED_SERVICE_X, "1.3.6.1.5.6.2");
  CHECK_OID_STRING(GSS_C_NT_ANONYMOUS, "1.3.6.1.5.6.3");
  CHECK_OID_STRING(GSS_C_NT_EXPORT_NAME, "1.3.6.1.5.6.4");
  CHECK_EQ_U64(GSS_C_NT_USER_NAME->length, 10);
  CHECK(memcmp(GSS_C_NT_HOSTBASED_SERVICE->elements,
               "\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04", 10) == 0);
}

void mechanism_oid_is_the_gssx_uuid_oid(void) {
  CHECK_OID_STRING(GSS_GSSX_MECHANISM,
                   "2.25.102548362089127675016825963317424568452");
  CHECK_EQ_U64(GSS_GSSX_MECHANISM->length, 20);
}

void str_to_oid_reads_dotted_and_brace_forms(void) {
  const char *forms[] = {"1.2.840.113554.1.2.2", "{ 1 2 840 113554 1 2 2 }",
                         "{1 2 840 113554 1 2 2}",
                         "  1.2.840.113554.1.2.2  "};
  size_t i;
  for (i = 0; i < sizeof forms / sizeof forms[0]; ++i) {
    OM_uint32 minor = 0;
    gss_buffer_desc text = GSSX_C_BUF(forms[i]);
    gss_OID oid = GSS_C_NO_OID;
    REQUIRE_GSS(gss_str_to_oid(&minor, &text, &oid), GSS_S_COMPLETE);
    REQUIRE(oid != GSS_C_NO_OID);
    CHECK_EQ_U64(oid->length, sizeof kKrb5Mech);
    CHECK(memcmp(oid->elements, kKrb5Mech, sizeof kKrb5Mech) == 0);
    CHECK_OID_STRING(oid, "1.2.840.113554.1.2.2");
    CHECK_GSS(gss_release_oid(&minor, &oid), GSS_S_COMPLETE);
    CHECK(oid == GSS_C_NO_OID);
  }
  {
    /* A C string passed with its terminator counted. */
    OM_uint32 minor = 0;
    gss_buffer_desc text;
    gss_OID oid = GSS_C_NO_OID;
    text.value = (void *)"2.25.102548362089127675016825963317424568452";
    text.length = strlen((const char *)text.value) + 1;
    REQUIRE_GSS(gss_str_to_oid(&minor, &text, &oid), GSS_S_COMPLETE);
    CHECK_EQ_U64(oid->length, GSS_GSSX_MECHANISM->length);
    CHECK(memcmp(oid->elements, GSS_GSSX_MECHANISM->elements,
                 oid->length) == 0);
    CHECK_GSS(gss_release_oid(&minor, &oid), GSS_S_COMPLETE);
  }
}

void str_to_oid_rejects_malformed_strings(void) {
  static const char *const bad[] = {
      "", "1", "1.", ".1", "1..2", "3.1", "1.40", "{ 1 2", "1 2 }", "{ }",
      "{}", "a.b", "1.2.-3", "1.2.+3", "1.2.03", "1.2 3", "{ 1.2 }",
      "1.2.340282366920938463463374607431768211456", /* 2^128 */
      "1.2.99999999999999999999999999999999999999999", "}1 2{", "{ 1 2 }}",
      "0x1.2"};
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    OM_uint32 minor = 0;
    gss_buffer_desc text = GSSX_C_BUF(bad[i]);
    gss_OID oid = (gss_OID)&text; /* garbage: emptied on entry */
    OM_uint32 major = gss_str_to_oid(&minor, &text, &oid);
    if (major != GSS_S_FAILURE) {
      char msg[160];
      snprintf(msg, sizeof msg, "gss_str_to_oid(\"%s\") = 0x%08x", bad[i],
               (unsigned)major);
      c_check_failed(__FILE__, __LINE__, msg);
    }
    CHECK(oid == GSS_C_NO_OID);
  }
  {
    /* An embedded NUL. */
    OM_uint32 minor = 0;
    gss_buffer_desc text;
    gss_OID oid = GSS_C_NO_OID;
    text.value = (void *)"1.2\0003";
    text.length = 5;
    CHECK_GSS(gss_str_to_oid(&minor, &text, &oid), GSS_S_FAILURE);
    CHECK(oid == GSS_C_NO_OID);
  }
  {
    /* The largest 128-bit arc is fine. */
    OM_uint32 minor = 0;
    gss_buffer_desc text =
        GSSX_C_BUF("1.2.340282366920938463463374607431768211455");
    gss_OID oid = GSS_C_NO_OID;
    CHECK_GSS(gss_str_to_oid(&minor, &text, &oid), GSS_S_COMPLETE);
    CHECK_OID_STRING(oid, "1.2.340282366920938463463374607431768211455");
    gss_release_oid(&minor, &oid);
  }
}

/* A small deterministic PRNG (xorshift32). */
static unsigned next_random(unsigned *state) {
  unsigned x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

void str_to_oid_survives_random_strings(void) {
  static const char alphabet[] = "0123456789012345678901234.... {}\t-x";
  unsigned state = 0x9e3779b9u;
  int round;
  int parsed = 0;
  for (round = 0; round < 5000; ++round) {
    char s[64];
    size_t len = next_random(&state) % sizeof s;
    size_t i;
    OM_uint32 minor = 0;
    gss_buffer_desc text;
    gss_OID oid = GSS_C_NO_OID;
    OM_uint32 major;
    for (i = 0; i < len; ++i) {
      s[i] = alphabet[next_random(&state) % (sizeof alphabet - 1)];
    }
    text.length = len;
    text.value = s;
    major = gss_str_to_oid(&minor, &text, &oid);
    if (major == GSS_S_COMPLETE) {
      /* Round trip: the dotted form parses back to the same bytes. */
      gss_buffer_desc dotted = GSS_C_EMPTY_BUFFER;
      gss_OID again = GSS_C_NO_OID;
      ++parsed;
      REQUIRE_GSS(gss_oid_to_str(&minor, oid, &dotted), GSS_S_COMPLETE);
      REQUIRE_GSS(gss_str_to_oid(&minor, &dotted, &again), GSS_S_COMPLETE);
      CHECK(again->length == oid->length &&
            memcmp(again->elements, oid->elements, oid->length) == 0);
      gss_release_oid(&minor, &again);
      gss_release_buffer(&minor, &dotted);
      gss_release_oid(&minor, &oid);
    } else {
      CHECK_EQ_U64(major, GSS_S_FAILURE);
      CHECK(oid == GSS_C_NO_OID);
    }
  }
  CHECK(parsed > 0); /* the generator does reach valid OIDs */
}

void str_to_oid_calling_errors(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc text = GSSX_C_BUF("1.2.3");
  gss_buffer_desc no_value;
  gss_OID oid = GSS_C_NO_OID;
  no_value.length = 3;
  no_value.value = NULL;
  CHECK_GSS(gss_str_to_oid(&minor, GSS_C_NO_BUFFER, &oid),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_str_to_oid(&minor, &no_value, &oid),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_str_to_oid(&minor, &text, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_str_to_oid(NULL, &text, &oid), GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(oid == GSS_C_NO_OID);
}

void oid_to_str_rejects_malformed_encodings(void) {
  static const struct {
    unsigned length;
    const char *bytes;
  } bad[] = {{1, "\x80"}, {2, "\x2a\x86"}, {3, "\x2a\x80\x01"}};
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    OM_uint32 minor = 0;
    gss_OID_desc oid;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    oid.length = bad[i].length;
    oid.elements = (void *)bad[i].bytes;
    CHECK_GSS(gss_oid_to_str(&minor, &oid, &text), GSS_S_FAILURE);
    CHECK(text.value == NULL);
  }
  {
    OM_uint32 minor = 0;
    gss_OID_desc broken;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    broken.length = 4;
    broken.elements = NULL;
    CHECK_GSS(gss_oid_to_str(&minor, GSS_C_NO_OID, &text),
              GSS_S_CALL_INACCESSIBLE_READ);
    CHECK_GSS(gss_oid_to_str(&minor, &broken, &text),
              GSS_S_CALL_INACCESSIBLE_READ);
    CHECK_GSS(gss_oid_to_str(&minor, GSS_C_NT_USER_NAME, GSS_C_NO_BUFFER),
              GSS_S_CALL_INACCESSIBLE_WRITE);
  }
}

void release_oid_frees_only_its_own(void) {
  OM_uint32 minor = 0;
  gss_OID constant = GSS_C_NT_USER_NAME;
  gss_OID_desc mine;
  gss_OID mine_ptr = &mine;
  gss_OID none = GSS_C_NO_OID;
  mine.length = sizeof kKrb5Mech;
  mine.elements = (void *)kKrb5Mech;
  /* A library constant: left alone, the variable cleared. */
  CHECK_GSS(gss_release_oid(&minor, &constant), GSS_S_COMPLETE);
  CHECK(constant == GSS_C_NO_OID);
  CHECK_OID_STRING(GSS_C_NT_USER_NAME, "1.2.840.113554.1.2.1.1");
  /* The caller's own descriptor: not ours to free. */
  CHECK_GSS(gss_release_oid(&minor, &mine_ptr), GSS_S_CALL_BAD_STRUCTURE);
  CHECK(mine_ptr == &mine);
  CHECK_GSS(gss_release_oid(&minor, &none), GSS_S_COMPLETE);
  CHECK_GSS(gss_release_oid(&minor, NULL), GSS_S_CALL_INACCESSIBLE_WRITE);
}

void oid_sets_add_test_release(void) {
  OM_uint32 minor = 0;
  gss_OID_set set = GSS_C_NO_OID_SET;
  gss_OID_desc krb5;
  int present = -1;
  krb5.length = sizeof kKrb5Mech;
  krb5.elements = (void *)kKrb5Mech;
  REQUIRE_GSS(gss_create_empty_oid_set(&minor, &set), GSS_S_COMPLETE);
  REQUIRE(set != GSS_C_NO_OID_SET);
  CHECK_EQ_U64(set->count, 0);
  CHECK_GSS(gss_test_oid_set_member(&minor, &krb5, set, &present),
            GSS_S_COMPLETE);
  CHECK(present == 0);
  CHECK_GSS(gss_add_oid_set_member(&minor, &krb5, &set), GSS_S_COMPLETE);
  CHECK_GSS(gss_add_oid_set_member(&minor, GSS_GSSX_MECHANISM, &set),
            GSS_S_COMPLETE);
  /* Adding a member again changes nothing. */
  CHECK_GSS(gss_add_oid_set_member(&minor, &krb5, &set), GSS_S_COMPLETE);
  CHECK_EQ_U64(set->count, 2);
  /* Members are copies. */
  CHECK(set->elements[0].elements != krb5.elements);
  CHECK(set->elements[1].elements != GSS_GSSX_MECHANISM->elements);
  CHECK_GSS(gss_test_oid_set_member(&minor, &krb5, set, &present),
            GSS_S_COMPLETE);
  CHECK(present == 1);
  CHECK_GSS(gss_test_oid_set_member(&minor, GSS_C_NT_USER_NAME, set,
                                    &present),
            GSS_S_COMPLETE);
  CHECK(present == 0);
  CHECK_GSS(gss_release_oid_set(&minor, &set), GSS_S_COMPLETE);
  CHECK(set == GSS_C_NO_OID_SET);
  /* Releasing nothing is fine. */
  CHECK_GSS(gss_release_oid_set(&minor, &set), GSS_S_COMPLETE);
  CHECK_GSS(gss_release_oid_set(&minor, NULL), GSS_S_COMPLETE);
}

void oid_set_calling_errors(void) {
  OM_uint32 minor = 0;
  gss_OID_set set = GSS_C_NO_OID_SET;
  gss_OID_set_desc broken;
  gss_OID_desc no_elements;
  int present = 0;
  broken.count = 3;
  broken.elements = NULL;
  no_elements.length = 5;
  no_elements.elements = NULL;
  CHECK_GSS(gss_create_empty_oid_set(&minor, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_add_oid_set_member(&minor, GSS_C_NT_USER_NAME, &set),
            GSS_S_CALL_INACCESSIBLE_READ);
  REQUIRE_GSS(gss_create_empty_oid_set(&minor, &set), GSS_S_COMPLETE);
  CHECK_GSS(gss_add_oid_set_member(&minor, GSS_C_NO_OID, &set),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_add_oid_set_member(&minor, &no_elements, &set),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_add_oid_set_member(&minor, GSS_C_NT_USER_NAME, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_test_oid_set_member(&minor, GSS_C_NT_USER_NAME,
                                    GSS_C_NO_OID_SET, &present),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_test_oid_set_member(&minor, GSS_C_NT_USER_NAME, &broken,
                                    &present),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK_GSS(gss_test_oid_set_member(&minor, GSS_C_NT_USER_NAME, set, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_EQ_U64(set->count, 0);
  gss_release_oid_set(&minor, &set);
}

void indicate_mechs_lists_gssx(void) {
  OM_uint32 minor = 0;
  gss_OID_set mechs = GSS_C_NO_OID_SET;
  int present = 0;
  REQUIRE_GSS(gss_indicate_mechs(&minor, &mechs), GSS_S_COMPLETE);
  CHECK_EQ_U64(mechs->count, 1);
  CHECK_GSS(gss_test_oid_set_member(&minor, GSS_GSSX_MECHANISM, mechs,
                                    &present),
            GSS_S_COMPLETE);
  CHECK(present == 1);
  CHECK_GSS(gss_release_oid_set(&minor, &mechs), GSS_S_COMPLETE);
  CHECK_GSS(gss_indicate_mechs(&minor, NULL), GSS_S_CALL_INACCESSIBLE_WRITE);
}

void release_buffer_empties_and_accepts_null(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc empty = GSS_C_EMPTY_BUFFER;
  REQUIRE_GSS(gss_oid_to_str(&minor, GSS_C_NT_ANONYMOUS, &text),
              GSS_S_COMPLETE);
  CHECK(text.value != NULL);
  CHECK_GSS(gss_release_buffer(&minor, &text), GSS_S_COMPLETE);
  CHECK(text.value == NULL);
  CHECK_EQ_U64(text.length, 0);
  CHECK_GSS(gss_release_buffer(&minor, &empty), GSS_S_COMPLETE);
  CHECK_GSS(gss_release_buffer(&minor, GSS_C_NO_BUFFER), GSS_S_COMPLETE);
}

void buffer_sets_add_release(void) {
  OM_uint32 minor = 0;
  gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
  gss_buffer_desc one = GSSX_C_BUF("one");
  gss_buffer_desc two = GSSX_C_BUF("second");
  /* A missing set is created on the first add. */
  REQUIRE_GSS(gss_add_buffer_set_member(&minor, &one, &set), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_add_buffer_set_member(&minor, &two, &set), GSS_S_COMPLETE);
  REQUIRE(set != GSS_C_NO_BUFFER_SET);
  CHECK_EQ_U64(set->count, 2);
  CHECK(gssx_c_buffer_is(&set->elements[0], "one"));
  CHECK(gssx_c_buffer_is(&set->elements[1], "second"));
  CHECK(set->elements[1].value != two.value);
  CHECK_GSS(gss_release_buffer_set(&minor, &set), GSS_S_COMPLETE);
  CHECK(set == GSS_C_NO_BUFFER_SET);
  CHECK_GSS(gss_release_buffer_set(&minor, &set), GSS_S_COMPLETE);
  REQUIRE_GSS(gss_create_empty_buffer_set(&minor, &set), GSS_S_COMPLETE);
  CHECK_EQ_U64(set->count, 0);
  CHECK_GSS(gss_add_buffer_set_member(&minor, GSS_C_NO_BUFFER, &set),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_release_buffer_set(&minor, &set), GSS_S_COMPLETE);
}

void null_minor_status_is_a_calling_error(void) {
  gss_OID_set set = GSS_C_NO_OID_SET;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  gss_name_t name = GSS_C_NO_NAME;
  gss_buffer_desc alice = GSSX_C_BUF("alice");
  OM_uint32 message_context = 0;
  OM_uint32 minor = 0;
  CHECK_GSS(gss_indicate_mechs(NULL, &set), GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_oid_to_str(NULL, GSS_C_NT_USER_NAME, &text),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_import_name(NULL, &alice, GSS_C_NT_USER_NAME, &name),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_display_status(NULL, GSS_S_FAILURE, GSS_C_GSS_CODE,
                               GSS_C_NO_OID, &message_context, &text),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_release_buffer(NULL, &text), GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(set == GSS_C_NO_OID_SET);
  CHECK(text.value == NULL);
  CHECK(name == GSS_C_NO_NAME);
}
