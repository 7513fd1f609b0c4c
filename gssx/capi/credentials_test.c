/* SPDX-License-Identifier: Apache-2.0 */
/* Credentials of the C ABI (gss_acquire_cred ... gss_add_cred) with the
   keytab and trust file named by $GSSX_KEYTAB / $GSSX_TRUST, from C. */
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gssx/capi/testing/c_check.h"

#define X(fn) void fn(void);
#include "gssx/capi/credentials_tests.inc"
#undef X

static void name_text(gss_name_t name, char *out, size_t n) {
  OM_uint32 minor = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  out[0] = '\0';
  if (gss_display_name(&minor, name, &text, NULL) != GSS_S_COMPLETE) return;
  snprintf(out, n, "%.*s", (int)text.length, (const char *)text.value);
  gss_release_buffer(&minor, &text);
}

static void minor_text(OM_uint32 minor_code, char *out, size_t n) {
  OM_uint32 minor = 0, context = 0;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  out[0] = '\0';
  if (gss_display_status(&minor, minor_code, GSS_C_MECH_CODE, GSS_C_NO_OID,
                         &context, &text) != GSS_S_COMPLETE) {
    return;
  }
  snprintf(out, n, "%.*s", (int)text.length, (const char *)text.value);
  gss_release_buffer(&minor, &text);
}

void acquire_default_is_the_first_keytab_identity(void) {
  OM_uint32 minor = 0;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_OID_set mechs = GSS_C_NO_OID_SET;
  OM_uint32 time_rec = 0;
  gss_name_t name = GSS_C_NO_NAME;
  gss_cred_usage_t usage = -1;
  char text[300];
  int present = 0;
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
                               GSS_C_NO_OID_SET, GSS_C_INITIATE, &cred,
                               &mechs, &time_rec),
              GSS_S_COMPLETE);
  CHECK(cred != GSS_C_NO_CREDENTIAL);
  CHECK_EQ_U64(time_rec, GSS_C_INDEFINITE); /* keytab keys do not expire */
  gss_test_oid_set_member(&minor, GSS_GSSX_MECHANISM, mechs, &present);
  CHECK(present == 1);
  REQUIRE_GSS(gss_inquire_cred(&minor, cred, &name, NULL, &usage, NULL),
              GSS_S_COMPLETE);
  name_text(name, text, sizeof text);
  CHECK(strcmp(text, GSSX_C_CLIENT) == 0);
  CHECK(usage == GSS_C_INITIATE);
  gss_release_name(&minor, &name);
  gss_release_oid_set(&minor, &mechs);
  CHECK_GSS(gss_release_cred(&minor, &cred), GSS_S_COMPLETE);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
  /* Releasing GSS_C_NO_CREDENTIAL is fine. */
  CHECK_GSS(gss_release_cred(&minor, &cred), GSS_S_COMPLETE);
}

void acquire_named_acceptor_identity(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc service = GSSX_C_BUF(GSSX_C_SERVICE);
  gss_name_t desired = GSS_C_NO_NAME;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_name_t name = GSS_C_NO_NAME;
  gss_cred_usage_t usage = -1;
  char text[300];
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_import_name(&minor, &service, GSS_C_NT_HOSTBASED_SERVICE,
                              &desired),
              GSS_S_COMPLETE);
  REQUIRE_GSS(gss_acquire_cred(&minor, desired, 0, GSS_C_NO_OID_SET,
                               GSS_C_ACCEPT, &cred, NULL, NULL),
              GSS_S_COMPLETE);
  REQUIRE_GSS(gss_inquire_cred(&minor, cred, &name, NULL, &usage, NULL),
              GSS_S_COMPLETE);
  name_text(name, text, sizeof text);
  CHECK(strcmp(text, GSSX_C_SERVER) == 0);
  CHECK(usage == GSS_C_ACCEPT);
  gss_release_name(&minor, &name);
  gss_release_name(&minor, &desired);
  gss_release_cred(&minor, &cred);
}

void acquire_unknown_identity_is_no_cred(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc who = GSSX_C_BUF("mallory");
  gss_name_t desired = GSS_C_NO_NAME;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  char text[300];
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_import_name(&minor, &who, GSS_C_NT_USER_NAME, &desired),
              GSS_S_COMPLETE);
  CHECK_GSS(gss_acquire_cred(&minor, desired, 0, GSS_C_NO_OID_SET,
                             GSS_C_BOTH, &cred, NULL, NULL),
            GSS_S_NO_CRED);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
  minor_text(minor, text, sizeof text);
  /* The sentence, then this error's detail (which name). */
  CHECK(strncmp(text, "The keytab holds no identity of that name. (",
                strlen("The keytab holds no identity of that name. (")) ==
        0);
  gss_release_name(&minor, &desired);
}

void acquire_requested_lifetime(void) {
  OM_uint32 minor = 0;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  OM_uint32 time_rec = 0, lifetime = 0;
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 100, GSS_C_NO_OID_SET,
                               GSS_C_BOTH, &cred, NULL, &time_rec),
              GSS_S_COMPLETE);
  CHECK(time_rec > 90 && time_rec <= 100);
  CHECK_GSS(gss_inquire_cred(&minor, cred, NULL, &lifetime, NULL, NULL),
            GSS_S_COMPLETE);
  CHECK(lifetime > 90 && lifetime <= 100);
  gss_release_cred(&minor, &cred);
}

void acquire_needs_the_gssx_mechanism(void) {
  static const unsigned char krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                       0x12, 0x01, 0x02, 0x02};
  OM_uint32 minor = 0;
  gss_OID_desc other;
  gss_OID_set set = GSS_C_NO_OID_SET;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  REQUIRE(gssx_c_use_test_identities() == 0);
  other.length = sizeof krb5;
  other.elements = (void *)krb5;
  gss_create_empty_oid_set(&minor, &set);
  gss_add_oid_set_member(&minor, &other, &set);
  CHECK_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, set, GSS_C_BOTH, &cred,
                             NULL, NULL),
            GSS_S_BAD_MECH);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
  gss_add_oid_set_member(&minor, GSS_GSSX_MECHANISM, &set);
  CHECK_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, set, GSS_C_BOTH, &cred,
                             NULL, NULL),
            GSS_S_COMPLETE);
  gss_release_cred(&minor, &cred);
  gss_release_oid_set(&minor, &set);
}

/* Runs with $GSSX_KEYTAB set to `path` (NULL: unset), then restores it. */
static OM_uint32 acquire_with_keytab(const char *path, OM_uint32 *minor) {
  char saved[4096];
  const char *old = getenv("GSSX_KEYTAB");
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  OM_uint32 major, ignored;
  snprintf(saved, sizeof saved, "%s", old != NULL ? old : "");
  if (path != NULL) {
    setenv("GSSX_KEYTAB", path, 1);
  } else {
    unsetenv("GSSX_KEYTAB");
  }
  major = gss_acquire_cred(minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                           GSS_C_BOTH, &cred, NULL, NULL);
  if (old != NULL) {
    setenv("GSSX_KEYTAB", saved, 1);
  } else {
    unsetenv("GSSX_KEYTAB");
  }
  gss_release_cred(&ignored, &cred);
  return major;
}

void acquire_without_keytab_is_no_cred(void) {
  OM_uint32 minor = 0;
  char text[300];
  REQUIRE(gssx_c_use_test_identities() == 0);
  CHECK_GSS(acquire_with_keytab(NULL, &minor), GSS_S_NO_CRED);
  minor_text(minor, text, sizeof text);
  CHECK(strncmp(text, "No keytab was given and GSSX_KEYTAB is not set. (",
                strlen("No keytab was given and GSSX_KEYTAB is not set. (")) ==
        0);
  CHECK_GSS(acquire_with_keytab("/nonexistent/keytab", &minor), GSS_S_NO_CRED);
}

void acquire_with_insecure_keytab_is_no_cred(void) {
  OM_uint32 minor = 0;
  char path[4096];
  char text[300];
  const char *tmp = getenv("TEST_TMPDIR");
  int fd;
  REQUIRE(gssx_c_use_test_identities() == 0);
  snprintf(path, sizeof path, "%s/insecure.keytab", tmp != NULL ? tmp : "/tmp");
  unlink(path);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  CHECK(fchmod(fd, 0644) == 0); /* whatever the umask */
  close(fd);
  CHECK_GSS(acquire_with_keytab(path, &minor), GSS_S_NO_CRED);
  minor_text(minor, text, sizeof text);
  CHECK(strstr(text, "group or others") != NULL);
  unlink(path);
}

void inquire_default_credential(void) {
  OM_uint32 minor = 0;
  gss_name_t name = GSS_C_NO_NAME;
  OM_uint32 lifetime = 0;
  gss_cred_usage_t usage = -1;
  gss_OID_set mechs = GSS_C_NO_OID_SET;
  char text[300];
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_inquire_cred(&minor, GSS_C_NO_CREDENTIAL, &name, &lifetime,
                               &usage, &mechs),
              GSS_S_COMPLETE);
  name_text(name, text, sizeof text);
  CHECK(strcmp(text, GSSX_C_CLIENT) == 0);
  CHECK_EQ_U64(lifetime, GSS_C_INDEFINITE);
  CHECK(usage == GSS_C_BOTH);
  CHECK_EQ_U64(mechs->count, 1);
  gss_release_name(&minor, &name);
  gss_release_oid_set(&minor, &mechs);
}

void inquire_cred_by_mech_lifetimes_follow_usage(void) {
  OM_uint32 minor = 0;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  OM_uint32 init_life = 7, accept_life = 7;
  gss_cred_usage_t usage = -1;
  static const unsigned char krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                       0x12, 0x01, 0x02, 0x02};
  gss_OID_desc other;
  other.length = sizeof krb5;
  other.elements = (void *)krb5;
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                               GSS_C_ACCEPT, &cred, NULL, NULL),
              GSS_S_COMPLETE);
  REQUIRE_GSS(gss_inquire_cred_by_mech(&minor, cred, GSS_GSSX_MECHANISM, NULL,
                                       &init_life, &accept_life, &usage),
              GSS_S_COMPLETE);
  CHECK_EQ_U64(init_life, 0);
  CHECK_EQ_U64(accept_life, GSS_C_INDEFINITE);
  CHECK(usage == GSS_C_ACCEPT);
  CHECK_GSS(gss_inquire_cred_by_mech(&minor, cred, &other, NULL, &init_life,
                                     &accept_life, &usage),
            GSS_S_BAD_MECH);
  gss_release_cred(&minor, &cred);
}

void add_cred_makes_new_or_finds_duplicate(void) {
  OM_uint32 minor = 0;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_cred_id_t second = GSS_C_NO_CREDENTIAL;
  OM_uint32 init_rec = 7, accept_rec = 7;
  gss_OID_set mechs = GSS_C_NO_OID_SET;
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_add_cred(&minor, GSS_C_NO_CREDENTIAL, GSS_C_NO_NAME,
                           GSS_GSSX_MECHANISM, GSS_C_INITIATE, 0, 0, &cred,
                           &mechs, &init_rec, &accept_rec),
              GSS_S_COMPLETE);
  CHECK(cred != GSS_C_NO_CREDENTIAL);
  CHECK_EQ_U64(init_rec, GSS_C_INDEFINITE);
  CHECK_EQ_U64(accept_rec, 0);
  CHECK_EQ_U64(mechs->count, 1);
  /* gssx is the only mechanism: a credential already holds it. */
  CHECK_GSS(gss_add_cred(&minor, cred, GSS_C_NO_NAME, GSS_GSSX_MECHANISM,
                         GSS_C_INITIATE, 0, 0, &second, NULL, NULL, NULL),
            GSS_S_DUPLICATE_ELEMENT);
  CHECK(second == GSS_C_NO_CREDENTIAL);
  CHECK_GSS(gss_add_cred(&minor, GSS_C_NO_CREDENTIAL, GSS_C_NO_NAME,
                         GSS_GSSX_MECHANISM, GSS_C_INITIATE, 0, 0, NULL, NULL,
                         NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  gss_release_oid_set(&minor, &mechs);
  gss_release_cred(&minor, &cred);
}

void stale_and_made_up_cred_handles_are_no_cred(void) {
  OM_uint32 minor = 0;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_cred_id_t stale;
  gss_cred_id_t made_up = (gss_cred_id_t)(uintptr_t)0xdeadbeef;
  gss_name_t name = GSS_C_NO_NAME;
  REQUIRE(gssx_c_use_test_identities() == 0);
  REQUIRE_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                               GSS_C_BOTH, &cred, NULL, NULL),
              GSS_S_COMPLETE);
  stale = cred;
  CHECK_GSS(gss_release_cred(&minor, &cred), GSS_S_COMPLETE);
  CHECK_GSS(gss_inquire_cred(&minor, stale, &name, NULL, NULL, NULL),
            GSS_S_NO_CRED);
  CHECK_GSS(gss_release_cred(&minor, &stale), GSS_S_NO_CRED);
  CHECK(stale != GSS_C_NO_CREDENTIAL);
  CHECK_GSS(gss_inquire_cred(&minor, made_up, &name, NULL, NULL, NULL),
            GSS_S_NO_CRED);
  CHECK_GSS(gss_add_cred(&minor, made_up, GSS_C_NO_NAME, GSS_GSSX_MECHANISM,
                         GSS_C_BOTH, 0, 0, &cred, NULL, NULL, NULL),
            GSS_S_NO_CRED);
  CHECK(name == GSS_C_NO_NAME);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
}

void password_and_negotiation_extensions_are_unavailable(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc password = GSSX_C_BUF("hunter2");
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_OID_set set = GSS_C_NO_OID_SET;
  REQUIRE(gssx_c_use_test_identities() == 0);
  CHECK_GSS(gss_acquire_cred_with_password(&minor, GSS_C_NO_NAME, &password,
                                           0, GSS_C_NO_OID_SET, GSS_C_BOTH,
                                           &cred, NULL, NULL),
            GSS_S_UNAVAILABLE);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
  gss_indicate_mechs(&minor, &set);
  REQUIRE_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                               GSS_C_BOTH, &cred, NULL, NULL),
              GSS_S_COMPLETE);
  CHECK_GSS(gss_set_neg_mechs(&minor, cred, set), GSS_S_UNAVAILABLE);
  gss_release_cred(&minor, &cred);
  CHECK_GSS(gss_set_neg_mechs(&minor, (gss_cred_id_t)(uintptr_t)0x77, set),
            GSS_S_NO_CRED);
  gss_release_oid_set(&minor, &set);
}

void credential_calling_errors(void) {
  OM_uint32 minor = 0;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  REQUIRE(gssx_c_use_test_identities() == 0);
  CHECK_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
                             GSS_C_BOTH, NULL, NULL, NULL),
            GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK_GSS(gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET, 7,
                             &cred, NULL, NULL),
            GSS_S_CALL_BAD_STRUCTURE);
  CHECK_GSS(gss_acquire_cred(&minor, (gss_name_t)(uintptr_t)0x99, 0,
                             GSS_C_NO_OID_SET, GSS_C_BOTH, &cred, NULL, NULL),
            GSS_S_BAD_NAME);
  CHECK_GSS(gss_release_cred(&minor, NULL), GSS_S_CALL_INACCESSIBLE_WRITE);
  CHECK(cred == GSS_C_NO_CREDENTIAL);
}
