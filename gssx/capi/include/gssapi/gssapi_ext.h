/* SPDX-License-Identifier: Apache-2.0 */
/* gssapi_ext.h: the MIT krb5 extensions to the GSS-API that C servers
 * commonly call, where MIT programs include them from
 * (#include <gssapi/gssapi_ext.h>). Includes <gssapi/gssapi.h>, which
 * already declares the other common extensions (gss_localname, buffer
 * sets, OID strings, gss_inquire_name...).
 *
 * How gssx answers each one, and where it differs from MIT krb5:
 * gssx/capi/README.md. As every call of this library, each one empties its
 * outputs on entry, so releasing them after an error is safe.
 */
#ifndef GSSAPI_GSSAPI_EXT_H_
#define GSSAPI_GSSAPI_EXT_H_

#include <sys/types.h> /* uid_t */

#include <gssapi/gssapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------ credential stores (MIT 1.11) */

/* One "key" = "value" pair of a credential store (both C strings). */
typedef struct gss_key_value_element_struct {
  const char *key;
  const char *value;
} gss_key_value_element_desc;

typedef struct gss_key_value_set_struct {
  OM_uint32 count;
  gss_key_value_element_desc *elements;
} gss_key_value_set_desc;
typedef const gss_key_value_set_desc *gss_const_key_value_set_t;

#define GSS_C_NO_CRED_STORE ((gss_const_key_value_set_t)0)

/* gss_acquire_cred with the key files named per call instead of by
   $GSSX_KEYTAB / $GSSX_TRUST, so that a server can take them from its own
   configuration. cred_store keys: "keytab" (the gssx keytab) and "trust"
   (the trust file); a key left out falls back to its environment
   variable; GSS_C_NO_CRED_STORE or an empty set is gss_acquire_cred.
   Errors besides gss_acquire_cred's: any other key is GSS_S_FAILURE with
   the minor "The credential store has a key other than "keytab" and
   "trust"."; a key given twice or with a NULL / empty value is
   GSS_S_FAILURE ("An argument is invalid."); elements NULL while count
   is not 0, or a NULL key, is GSS_S_CALL_BAD_STRUCTURE. */
OM_uint32 gss_acquire_cred_from(OM_uint32 *minor_status,
                                gss_name_t desired_name, OM_uint32 time_req,
                                gss_OID_set desired_mechs,
                                gss_cred_usage_t cred_usage,
                                gss_const_key_value_set_t cred_store,
                                gss_cred_id_t *output_cred_handle,
                                gss_OID_set *actual_mechs,
                                OM_uint32 *time_rec);

/* ------------------------------------------- inquiries by OID (MIT 1.7) */

/* gssx defines no context or credential objects to inquire: a live handle
   answers GSS_S_UNAVAILABLE (minor: "not supported by the gssx
   mechanism"), a handle that is not live GSS_S_NO_CONTEXT /
   GSS_S_NO_CRED. *data_set is GSS_C_NO_BUFFER_SET. */
OM_uint32 gss_inquire_sec_context_by_oid(OM_uint32 *minor_status,
                                         const gss_ctx_id_t context_handle,
                                         const gss_OID desired_object,
                                         gss_buffer_set_t *data_set);

OM_uint32 gss_inquire_cred_by_oid(OM_uint32 *minor_status,
                                  const gss_cred_id_t cred_handle,
                                  const gss_OID desired_object,
                                  gss_buffer_set_t *data_set);

/* No context options: GSS_S_UNAVAILABLE for a live context (it is left as
   it was), GSS_S_NO_CONTEXT otherwise (gssx never creates a context
   here). */
OM_uint32 gss_set_sec_context_option(OM_uint32 *minor_status,
                                     gss_ctx_id_t *context_handle,
                                     const gss_OID desired_object,
                                     const gss_buffer_t value);

/* -------------------------------------------------- local accounts */

/* The uid of the local account gss_localname maps `name` to (a user name
   that is an account of this machine: getpwnam_r). GSS_S_UNAVAILABLE
   otherwise (a host-based service, no such account). *uidOut is (uid_t)-1
   until success, never 0 (root). */
OM_uint32 gss_pname_to_uid(OM_uint32 *minor_status, const gss_name_t name,
                           const gss_OID mech_type, uid_t *uidOut);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSAPI_GSSAPI_EXT_H_ */
