/* SPDX-License-Identifier: Apache-2.0 */
/* Names of the C ABI (gss_import_name ... gss_localname), tested from C. */
#include <ctype.h>
#include <gssapi/gssapi.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "gssx/capi/testing/c_check.h"

#define X(fn) void fn(void);
#include "gssx/capi/names_tests.inc"
#undef X

static gss_name_t import(const char *text, gss_OID type) {
  OM_uint32 minor = 0;
  gss_buffer_desc buf = GSSX_C_BUF(text);
  gss_name_t name = GSS_C_NO_NAME;
  if (gss_import_name(&minor, &buf, type, &name) != GSS_S_COMPLETE) {
    return GSS_C_NO_NAME;
  }
  return name;
}

/* display name of `name` into out ("" on failure); its type in *type. */
static void display(gss_name_t name, char *out, size_t n, gss_OID *type) {
  OM_uint32 minor = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  out[0] = '\0';
  if (gss_display_name(&minor, name, &text, type) != GSS_S_COMPLETE) return;
  snprintf(out, n, "%.*s", (int)text.length, (const char *)text.value);
  gss_release_buffer(&minor, &text);
}

static gss_name_t canonical(gss_name_t name) {
  OM_uint32 minor = 0;
  gss_name_t mn = GSS_C_NO_NAME;
  if (gss_canonicalize_name(&minor, name, GSS_GSSX_MECHANISM, &mn) !=
      GSS_S_COMPLETE) {
    return GSS_C_NO_NAME;
  }
  return mn;
}

static void release(gss_name_t *name) {
  OM_uint32 minor = 0;
  gss_release_name(&minor, name);
}

void user_name_imports_and_displays(void) {
  OM_uint32 minor = 0;
  char text[300];
  gss_OID type = GSS_C_NO_OID;
  gss_name_t name = import("alice", GSS_C_NT_USER_NAME);
  REQUIRE(name != GSS_C_NO_NAME);
  display(name, text, sizeof text, &type);
  CHECK(strcmp(text, "alice") == 0);
  CHECK(type == GSS_C_NT_USER_NAME); /* the library's static OID */
  CHECK_GSS(gss_release_name(&minor, &name), GSS_S_COMPLETE);
  CHECK(name == GSS_C_NO_NAME);
}

void no_oid_means_user_name(void) {
  char text[300];
  gss_OID type = GSS_C_NO_OID;
  gss_name_t a = import("bob", GSS_C_NO_OID);
  gss_name_t b = import("bob", GSS_C_NT_USER_NAME);
  OM_uint32 minor = 0;
  int equal = 0;
  REQUIRE(a != GSS_C_NO_NAME && b != GSS_C_NO_NAME);
  display(a, text, sizeof text, &type);
  CHECK(strcmp(text, "bob") == 0);
  CHECK(type == GSS_C_NT_USER_NAME);
  CHECK_GSS(gss_compare_name(&minor, a, b, &equal), GSS_S_COMPLETE);
  CHECK(equal == 1);
  release(&a);
  release(&b);
}

void host_based_name_canonicalizes_to_lower_case_host(void) {
  char text[300];
  gss_OID type = GSS_C_NO_OID;
  gss_name_t name = import("http@Web1.Example", GSS_C_NT_HOSTBASED_SERVICE);
  gss_name_t mn;
  REQUIRE(name != GSS_C_NO_NAME);
  /* Before canonicalization it displays as imported. */
  display(name, text, sizeof text, &type);
  CHECK(strcmp(text, "http@Web1.Example") == 0);
  CHECK(type == GSS_C_NT_HOSTBASED_SERVICE);
  mn = canonical(name);
  REQUIRE(mn != GSS_C_NO_NAME);
  display(mn, text, sizeof text, &type);
  CHECK(strcmp(text, "http@web1.example") == 0);
  CHECK(type == GSS_C_NT_HOSTBASED_SERVICE);
  release(&name);
  release(&mn);
}

void host_based_name_without_host_gets_this_host(void) {
  char text[300];
  char host[256];
  char expected[300];
  size_t i;
  gss_name_t name = import("host", GSS_C_NT_HOSTBASED_SERVICE);
  gss_name_t mn;
  REQUIRE(name != GSS_C_NO_NAME);
  mn = canonical(name);
  REQUIRE(mn != GSS_C_NO_NAME);
  display(mn, text, sizeof text, NULL);
  memset(host, 0, sizeof host);
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    strcpy(host, "localhost");
  }
  for (i = 0; host[i] != '\0'; ++i) host[i] = (char)tolower((unsigned char)host[i]);
  snprintf(expected, sizeof expected, "host@%s", host);
  CHECK(strcmp(text, expected) == 0);
  release(&name);
  release(&mn);
}

void host_based_service_x_is_the_same_syntax(void) {
  OM_uint32 minor = 0;
  int equal = 0;
  gss_name_t a = import("ldap@dir", GSS_C_NT_HOSTBASED_SERVICE_X);
  gss_name_t b = import("ldap@DIR", GSS_C_NT_HOSTBASED_SERVICE);
  REQUIRE(a != GSS_C_NO_NAME && b != GSS_C_NO_NAME);
  CHECK_GSS(gss_compare_name(&minor, a, b, &equal), GSS_S_COMPLETE);
  CHECK(equal == 1);
  release(&a);
  release(&b);
}

void export_and_reimport_round_trip(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
  gss_name_t name = import("http@web1", GSS_C_NT_HOSTBASED_SERVICE);
  gss_name_t mn = canonical(name);
  gss_name_t back = GSS_C_NO_NAME;
  char text[300];
  gss_OID type = GSS_C_NO_OID;
  int equal = 0;
  const unsigned char *b;
  REQUIRE(mn != GSS_C_NO_NAME);
  REQUIRE_GSS(gss_export_name(&minor, mn, &exported), GSS_S_COMPLETE);
  /* RFC 2743 section 3.2: 04 01, OID length, 06 len OID, name length,
     name. */
  b = (const unsigned char *)exported.value;
  REQUIRE(exported.length == 4 + 2 + 20 + 4 + 9);
  CHECK(b[0] == 0x04 && b[1] == 0x01 && b[2] == 0 && b[3] == 22);
  CHECK(b[4] == 0x06 && b[5] == 20);
  CHECK(memcmp(b + 6, GSS_GSSX_MECHANISM->elements, 20) == 0);
  CHECK(b[26] == 0 && b[27] == 0 && b[28] == 0 && b[29] == 9);
  CHECK(memcmp(b + 30, "http@web1", 9) == 0);
  REQUIRE_GSS(gss_import_name(&minor, &exported, GSS_C_NT_EXPORT_NAME, &back),
              GSS_S_COMPLETE);
  display(back, text, sizeof text, &type);
  CHECK(strcmp(text, "http@web1") == 0);
  CHECK(type == GSS_C_NT_HOSTBASED_SERVICE);
  CHECK_GSS(gss_compare_name(&minor, back, name, &equal), GSS_S_COMPLETE);
  CHECK(equal == 1);
  gss_release_buffer(&minor, &exported);
  release(&name);
  release(&mn);
  release(&back);
}

void export_of_a_non_mechanism_name_is_name_not_mn(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
  gss_name_t name = import("alice", GSS_C_NT_USER_NAME);
  REQUIRE(name != GSS_C_NO_NAME);
  CHECK_GSS(gss_export_name(&minor, name, &exported), GSS_S_NAME_NOT_MN);
  CHECK(exported.value == NULL);
  release(&name);
}

void compare_names(void) {
  OM_uint32 minor = 0;
  int equal = -1;
  gss_name_t alice = import("alice", GSS_C_NT_USER_NAME);
  gss_name_t alice2 = import("alice", GSS_C_NO_OID);
  gss_name_t bob = import("bob", GSS_C_NT_USER_NAME);
  gss_name_t svc = import("alice@host", GSS_C_NT_HOSTBASED_SERVICE);
  CHECK_GSS(gss_compare_name(&minor, alice, alice2, &equal), GSS_S_COMPLETE);
  CHECK(equal == 1);
  CHECK_GSS(gss_compare_name(&minor, alice, bob, &equal), GSS_S_COMPLETE);
  CHECK(equal == 0);
  CHECK_GSS(gss_compare_name(&minor, alice, svc, &equal), GSS_S_COMPLETE);
  CHECK(equal == 0);
  equal = -1;
  CHECK_GSS(gss_compare_name(&minor, alice, GSS_C_NO_NAME, &equal),
            GSS_S_BAD_NAME);
  CHECK(equal == 0); /* set on entry, as MIT */
  CHECK_GSS(gss_compare_name(&minor, alice, bob, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  release(&alice);
  release(&alice2);
  release(&bob);
  release(&svc);
}

void malformed_names_are_bad_name(void) {
  static const char *const bad_users[] = {"", "has space", "tab\there",
                                          "#comment", "new\nline"};
  size_t i;
  char long_name[400];
  for (i = 0; i < sizeof bad_users / sizeof bad_users[0]; ++i) {
    OM_uint32 minor = 0;
    gss_buffer_desc buf = GSSX_C_BUF(bad_users[i]);
    gss_name_t name = (gss_name_t)&buf; /* garbage: emptied on entry */
    CHECK_GSS(gss_import_name(&minor, &buf, GSS_C_NT_USER_NAME, &name),
              GSS_S_BAD_NAME);
    CHECK(name == GSS_C_NO_NAME);
    CHECK(minor != 0);
  }
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  CHECK(import(long_name, GSS_C_NT_USER_NAME) == GSS_C_NO_NAME);
  CHECK(import("@host", GSS_C_NT_HOSTBASED_SERVICE) == GSS_C_NO_NAME);
  CHECK(import("a@b@c", GSS_C_NT_HOSTBASED_SERVICE) == GSS_C_NO_NAME);
  {
    /* An embedded NUL is a control character. */
    OM_uint32 minor = 0;
    gss_buffer_desc buf;
    gss_name_t name = GSS_C_NO_NAME;
    buf.value = (void *)"ali\0ce";
    buf.length = 6;
    CHECK_GSS(gss_import_name(&minor, &buf, GSS_C_NT_USER_NAME, &name),
              GSS_S_BAD_NAME);
  }
}

void unsupported_name_types_are_bad_nametype(void) {
  static const unsigned char other[] = {0x2b, 0x06, 0x01, 0x05, 0x06, 0x09};
  gss_OID_desc other_type;
  OM_uint32 minor = 0;
  gss_buffer_desc buf = GSSX_C_BUF("anyone");
  gss_name_t name = GSS_C_NO_NAME;
  other_type.length = sizeof other;
  other_type.elements = (void *)other;
  CHECK_GSS(gss_import_name(&minor, &buf, GSS_C_NT_ANONYMOUS, &name),
            GSS_S_BAD_NAMETYPE);
  CHECK_GSS(gss_import_name(&minor, &buf, &other_type, &name),
            GSS_S_BAD_NAMETYPE);
  CHECK(name == GSS_C_NO_NAME);
}

void uid_names_become_the_account_name(void) {
  OM_uint32 minor = 0;
  uid_t uid = getuid();
  struct passwd *pw = getpwuid(uid);
  gss_buffer_desc buf;
  gss_name_t name = GSS_C_NO_NAME;
  char text[300];
  char decimal[32];
  REQUIRE(pw != NULL);
  buf.value = &uid;
  buf.length = sizeof uid;
  REQUIRE_GSS(gss_import_name(&minor, &buf, GSS_C_NT_MACHINE_UID_NAME, &name),
              GSS_S_COMPLETE);
  display(name, text, sizeof text, NULL);
  CHECK(strcmp(text, pw->pw_name) == 0);
  release(&name);
  snprintf(decimal, sizeof decimal, "%lu", (unsigned long)uid);
  name = import(decimal, GSS_C_NT_STRING_UID_NAME);
  REQUIRE(name != GSS_C_NO_NAME);
  display(name, text, sizeof text, NULL);
  CHECK(strcmp(text, pw->pw_name) == 0);
  release(&name);
  /* Malformed or unknown uids. */
  CHECK(import("12a", GSS_C_NT_STRING_UID_NAME) == GSS_C_NO_NAME);
  CHECK(import("", GSS_C_NT_STRING_UID_NAME) == GSS_C_NO_NAME);
  CHECK(import("99999999999", GSS_C_NT_STRING_UID_NAME) == GSS_C_NO_NAME);
  CHECK(import("4000000123", GSS_C_NT_STRING_UID_NAME) == GSS_C_NO_NAME);
  buf.length = 2;
  CHECK_GSS(gss_import_name(&minor, &buf, GSS_C_NT_MACHINE_UID_NAME, &name),
            GSS_S_BAD_NAME);
}

void malformed_exported_names_are_refused(void) {
  static const struct {
    size_t length;
    const char *bytes;
  } bad[] = {
      {0, ""},
      {2, "\x04\x01"},
      {4, "\x04\x01\x00\x16"},
      {6, "\x05\x01\x00\x02\x06\x00"},
      /* Name length larger than what follows. */
      {39, "\x04\x01\x00\x16\x06\x14\x69\x81\x9a\xa6\x8c\xa6\xfe\x9e\xd2\xbe"
           "\xbd\xa6\xdd\xfc\xe9\xd5\x8d\xe0\xf1\x04\x00\x00\x00\x0a"
           "http@web1"},
      /* Name with a space. */
      {39, "\x04\x01\x00\x16\x06\x14\x69\x81\x9a\xa6\x8c\xa6\xfe\x9e\xd2\xbe"
           "\xbd\xa6\xdd\xfc\xe9\xd5\x8d\xe0\xf1\x04\x00\x00\x00\x09"
           "http web1"},
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    OM_uint32 minor = 0;
    gss_buffer_desc buf;
    gss_name_t name = GSS_C_NO_NAME;
    buf.length = bad[i].length;
    buf.value = (void *)bad[i].bytes;
    CHECK_GSS(gss_import_name(&minor, &buf, GSS_C_NT_EXPORT_NAME, &name),
              GSS_S_BAD_NAME);
    CHECK(name == GSS_C_NO_NAME);
  }
}

void exported_name_of_another_mechanism_is_bad_mech(void) {
  /* A krb5 exported name for "alice". */
  static const char krb5[] =
      "\x04\x01\x00\x0b\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"
      "\x00\x00\x00\x05"
      "alice";
  OM_uint32 minor = 0;
  gss_buffer_desc buf;
  gss_name_t name = GSS_C_NO_NAME;
  buf.length = sizeof krb5 - 1;
  buf.value = (void *)krb5;
  CHECK_GSS(gss_import_name(&minor, &buf, GSS_C_NT_EXPORT_NAME, &name),
            GSS_S_BAD_MECH);
  CHECK(name == GSS_C_NO_NAME);
}

static unsigned next_random(unsigned *state) {
  unsigned x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

void random_exported_names_never_crash(void) {
  OM_uint32 minor = 0;
  gss_name_t name = import("svc@host", GSS_C_NT_HOSTBASED_SERVICE);
  gss_name_t mn = canonical(name);
  gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
  unsigned char mutated[128];
  unsigned state = 12345u;
  int round;
  REQUIRE(mn != GSS_C_NO_NAME);
  REQUIRE_GSS(gss_export_name(&minor, mn, &exported), GSS_S_COMPLETE);
  REQUIRE(exported.length <= sizeof mutated);
  for (round = 0; round < 5000; ++round) {
    gss_buffer_desc buf;
    gss_name_t out = GSS_C_NO_NAME;
    OM_uint32 major;
    int flips = 1 + (int)(next_random(&state) % 4);
    memcpy(mutated, exported.value, exported.length);
    buf.length = exported.length;
    while (flips-- > 0) {
      mutated[next_random(&state) % exported.length] =
          (unsigned char)next_random(&state);
    }
    if (next_random(&state) % 4 == 0) {
      buf.length = next_random(&state) % (exported.length + 1);
    }
    buf.value = mutated;
    major = gss_import_name(&minor, &buf, GSS_C_NT_EXPORT_NAME, &out);
    CHECK(major == GSS_S_COMPLETE || major == GSS_S_BAD_NAME ||
          major == GSS_S_BAD_MECH);
    if (major == GSS_S_COMPLETE) {
      release(&out);
    } else {
      CHECK(out == GSS_C_NO_NAME);
    }
  }
  gss_release_buffer(&minor, &exported);
  release(&name);
  release(&mn);
}

void stale_and_made_up_name_handles_are_bad_name(void) {
  OM_uint32 minor = 0;
  gss_name_t name = import("alice", GSS_C_NT_USER_NAME);
  gss_name_t stale = name;
  gss_name_t made_up = (gss_name_t)(uintptr_t)0x1234;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  gss_name_t copy = GSS_C_NO_NAME;
  REQUIRE(name != GSS_C_NO_NAME);
  CHECK_GSS(gss_release_name(&minor, &name), GSS_S_COMPLETE);
  CHECK_GSS(gss_display_name(&minor, stale, &text, NULL), GSS_S_BAD_NAME);
  CHECK_GSS(gss_release_name(&minor, &stale), GSS_S_BAD_NAME);
  CHECK(stale != GSS_C_NO_NAME); /* untouched on failure */
  CHECK_GSS(gss_duplicate_name(&minor, made_up, &copy), GSS_S_BAD_NAME);
  CHECK_GSS(gss_display_name(&minor, GSS_C_NO_NAME, &text, NULL),
            GSS_S_BAD_NAME);
  CHECK_GSS(gss_release_name(&minor, &made_up), GSS_S_BAD_NAME);
  CHECK_GSS(gss_release_name(&minor, &copy), GSS_S_COMPLETE); /* NO_NAME */
  CHECK(text.value == NULL);
  CHECK(copy == GSS_C_NO_NAME);
}

void duplicate_outlives_the_original(void) {
  OM_uint32 minor = 0;
  char text[300];
  gss_name_t name = import("carol", GSS_C_NT_USER_NAME);
  gss_name_t copy = GSS_C_NO_NAME;
  REQUIRE_GSS(gss_duplicate_name(&minor, name, &copy), GSS_S_COMPLETE);
  CHECK(copy != name);
  release(&name);
  display(copy, text, sizeof text, NULL);
  CHECK(strcmp(text, "carol") == 0);
  release(&copy);
}

void canonicalize_needs_the_gssx_mechanism(void) {
  static const unsigned char krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                       0x12, 0x01, 0x02, 0x02};
  gss_OID_desc other;
  OM_uint32 minor = 0;
  gss_name_t name = import("alice", GSS_C_NT_USER_NAME);
  gss_name_t mn = GSS_C_NO_NAME;
  other.length = sizeof krb5;
  other.elements = (void *)krb5;
  CHECK_GSS(gss_canonicalize_name(&minor, name, GSS_C_NO_OID, &mn),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_canonicalize_name(&minor, name, &other, &mn), GSS_S_BAD_MECH);
  CHECK_GSS(gss_canonicalize_name(&minor, name, GSS_GSSX_MECHANISM, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(mn == GSS_C_NO_NAME);
  release(&name);
}

void names_for_mech_and_mechs_for_name(void) {
  OM_uint32 minor = 0;
  gss_OID_set types = GSS_C_NO_OID_SET;
  gss_OID_set mechs = GSS_C_NO_OID_SET;
  gss_name_t name = import("alice", GSS_C_NT_USER_NAME);
  int present = 0;
  static const unsigned char krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                       0x12, 0x01, 0x02, 0x02};
  gss_OID_desc other;
  other.length = sizeof krb5;
  other.elements = (void *)krb5;
  REQUIRE_GSS(gss_inquire_names_for_mech(&minor, GSS_GSSX_MECHANISM, &types),
              GSS_S_COMPLETE);
  gss_test_oid_set_member(&minor, GSS_C_NT_USER_NAME, types, &present);
  CHECK(present == 1);
  gss_test_oid_set_member(&minor, GSS_C_NT_HOSTBASED_SERVICE, types, &present);
  CHECK(present == 1);
  gss_test_oid_set_member(&minor, GSS_C_NT_EXPORT_NAME, types, &present);
  CHECK(present == 1);
  gss_test_oid_set_member(&minor, GSS_C_NT_ANONYMOUS, types, &present);
  CHECK(present == 0);
  gss_release_oid_set(&minor, &types);
  CHECK_GSS(gss_inquire_names_for_mech(&minor, &other, &types),
            GSS_S_BAD_MECH);
  CHECK(types == GSS_C_NO_OID_SET);
  REQUIRE_GSS(gss_inquire_mechs_for_name(&minor, name, &mechs),
              GSS_S_COMPLETE);
  gss_test_oid_set_member(&minor, GSS_GSSX_MECHANISM, mechs, &present);
  CHECK(present == 1);
  gss_release_oid_set(&minor, &mechs);
  release(&name);
  CHECK_GSS(gss_inquire_mechs_for_name(&minor, name, &mechs), GSS_S_BAD_NAME);
}

void inquire_name_and_attributes(void) {
  OM_uint32 minor = 0;
  gss_name_t name = import("alice", GSS_C_NT_USER_NAME);
  gss_name_t mn = canonical(name);
  int is_mn = -1;
  gss_OID mech = GSS_C_NT_ANONYMOUS;
  gss_buffer_set_t attrs = (gss_buffer_set_t)&is_mn;
  gss_buffer_desc attr = GSSX_C_BUF("urn:anything");
  gss_buffer_desc value = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc shown = GSS_C_EMPTY_BUFFER;
  int authenticated = 0, complete = 0, more = -1;
  REQUIRE_GSS(gss_inquire_name(&minor, name, &is_mn, &mech, &attrs),
              GSS_S_COMPLETE);
  CHECK(is_mn == 0);
  CHECK(mech == GSS_C_NO_OID);
  CHECK(attrs == GSS_C_NO_BUFFER_SET);
  REQUIRE_GSS(gss_inquire_name(&minor, mn, &is_mn, &mech, NULL),
              GSS_S_COMPLETE);
  CHECK(is_mn == 1);
  CHECK(mech == GSS_GSSX_MECHANISM);
  CHECK_GSS(gss_get_name_attribute(&minor, mn, &attr, &authenticated,
                                   &complete, &value, &shown, &more),
            GSS_S_UNAVAILABLE);
  CHECK(value.value == NULL);
  release(&name);
  CHECK_GSS(gss_inquire_name(&minor, name, &is_mn, &mech, NULL),
            GSS_S_BAD_NAME);
  release(&mn);
}

void localname_of_a_local_account(void) {
  OM_uint32 minor = 0;
  struct passwd *pw = getpwuid(getuid());
  gss_name_t user;
  gss_name_t svc = import("http@web1", GSS_C_NT_HOSTBASED_SERVICE);
  gss_name_t nobody = import("no-such-account-xq7", GSS_C_NT_USER_NAME);
  gss_buffer_desc local = GSS_C_EMPTY_BUFFER;
  REQUIRE(pw != NULL);
  user = import(pw->pw_name, GSS_C_NT_USER_NAME);
  REQUIRE_GSS(gss_localname(&minor, user, GSS_C_NO_OID, &local),
              GSS_S_COMPLETE);
  CHECK(gssx_c_buffer_is(&local, pw->pw_name));
  gss_release_buffer(&minor, &local);
  CHECK_GSS(gss_localname(&minor, svc, GSS_GSSX_MECHANISM, &local),
            GSS_S_UNAVAILABLE);
  CHECK_GSS(gss_localname(&minor, nobody, GSS_C_NO_OID, &local),
            GSS_S_UNAVAILABLE);
  CHECK(local.value == NULL);
  release(&user);
  release(&svc);
  release(&nobody);
}

void name_calling_errors(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc alice = GSSX_C_BUF("alice");
  gss_buffer_desc no_value;
  gss_name_t name = GSS_C_NO_NAME;
  no_value.length = 4;
  no_value.value = NULL;
  CHECK_GSS(gss_import_name(&minor, GSS_C_NO_BUFFER, GSS_C_NT_USER_NAME,
                            &name),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_import_name(&minor, &no_value, GSS_C_NT_USER_NAME, &name),
            GSS_S_CALL_INACCESSIBLE_READ);
  CHECK_GSS(gss_import_name(&minor, &alice, GSS_C_NT_USER_NAME, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_release_name(&minor, NULL), GSS_S_CALL_INACCESSIBLE_WRITE);
  name = import("alice", GSS_C_NT_USER_NAME);
  CHECK_GSS(gss_display_name(&minor, name, GSS_C_NO_BUFFER, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_export_name(&minor, name, GSS_C_NO_BUFFER),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_duplicate_name(&minor, name, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  release(&name);
}
