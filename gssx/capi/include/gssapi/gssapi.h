/* SPDX-License-Identifier: Apache-2.0 */
/* gssapi.h: the GSS-API version 2 C bindings (RFC 2744) for gssx.
 *
 * What it is for: programs written against RFC 2744 build against gssx
 * unchanged,
 *
 *     #include <gssapi/gssapi.h>
 *     cc app.c $(pkg-config --cflags --libs gssx)
 *
 * and get the built-in gssx mechanism (GSS_GSSX_MECHANISM below; it is also
 * what GSS_C_NO_OID means). The gssx extensions that hand a context to
 * another process over a channel or a sealed memfd are in <gssx/gssx.h>.
 *
 *     OM_uint32 major, minor;
 *     gss_buffer_desc text = { 9, "http@web1" };
 *     gss_name_t target = GSS_C_NO_NAME;
 *     major = gss_import_name(&minor, &text, GSS_C_NT_HOSTBASED_SERVICE,
 *                             &target);
 *     if (GSS_ERROR(major)) { ... gss_display_status(...) ... }
 *     ...
 *     gss_release_name(&minor, &target);
 *
 * Conventions of this implementation (beyond RFC 2744):
 *  - Credentials for programs that make only RFC 2744 calls come from the
 *    environment: GSSX_KEYTAB names the key file (identities and private
 *    keys, mode 0600), GSSX_TRUST the trust file (identities and public
 *    keys). GSS_C_NO_CREDENTIAL is the default credential: as initiator the
 *    first identity of the keytab, as acceptor every identity in it.
 *  - Handles (gss_ctx_id_t, gss_cred_id_t, gss_name_t) are opaque values
 *    checked against the live set on every call: a deleted, released or
 *    exported handle, or any value that never was a handle, answers
 *    GSS_S_NO_CONTEXT, GSS_S_NO_CRED or GSS_S_BAD_NAME, never undefined
 *    behaviour.
 *  - A NULL pointer where a value must be read or written answers
 *    GSS_S_CALL_INACCESSIBLE_READ or GSS_S_CALL_INACCESSIBLE_WRITE.
 *    Every output is set on entry, before anything can fail (as MIT krb5
 *    does): buffers to GSS_C_EMPTY_BUFFER, names / credentials / OIDs /
 *    OID sets / buffer sets to their GSS_C_NO_* value, flags, times,
 *    conf_state and qop to 0; input/output context handles are left to
 *    the caller. Releasing an output after any error is therefore safe.
 *    Outputs hold results only on success; *minor_status is always
 *    written (when minor_status is not NULL).
 *  - Buffers and OID sets returned by the library are freed with
 *    gss_release_buffer / gss_release_oid_set; OIDs returned as gss_OID
 *    (mech types, name types) are static and must not be freed, except the
 *    one made by gss_str_to_oid (gss_release_oid).
 *  - The token made by gss_export_sec_context lives in locked memory and is
 *    wiped by gss_release_buffer. Every call is thread-safe; one context
 *    may be used by one thread at a time (others wait).
 *  - Minor status codes: an errno value for an operating-system failure,
 *    otherwise a gssx code; gss_display_status with GSS_C_MECH_CODE turns
 *    either into a sentence.
 *
 * This header compiles as C89, C99 and later, and C++ (extern "C").
 */
#ifndef GSSAPI_GSSAPI_H_
#define GSSAPI_GSSAPI_H_

#include <limits.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tells other headers (e.g. <gssx/gssx.h>) which GSS-API this is. */
#define GSSX_GSSAPI_H_ 1

/* ------------------------------------------------------------- Types */

/* An unsigned integer of at least (here: exactly) 32 bits. */
#if UINT_MAX == 0xffffffffUL
typedef unsigned int OM_uint32;
typedef int gss_int32;
#elif ULONG_MAX == 0xffffffffUL
typedef unsigned long OM_uint32;
typedef long gss_int32;
#else
#error "gssapi.h: no 32-bit unsigned integer type"
#endif
typedef OM_uint32 gss_uint32;

/* Opaque handles. */
typedef struct gss_name_struct *gss_name_t;
typedef const struct gss_name_struct *gss_const_name_t;
typedef struct gss_cred_id_struct *gss_cred_id_t;
typedef const struct gss_cred_id_struct *gss_const_cred_id_t;
typedef struct gss_ctx_id_struct *gss_ctx_id_t;
typedef const struct gss_ctx_id_struct *gss_const_ctx_id_t;

/* An object identifier: the DER contents octets (no tag, no length). */
typedef struct gss_OID_desc_struct {
  OM_uint32 length;
  void *elements;
} gss_OID_desc, *gss_OID;
typedef const gss_OID_desc *gss_const_OID;

typedef struct gss_OID_set_desc_struct {
  size_t count;
  gss_OID elements;
} gss_OID_set_desc, *gss_OID_set;
typedef const gss_OID_set_desc *gss_const_OID_set;

typedef struct gss_buffer_desc_struct {
  size_t length;
  void *value;
} gss_buffer_desc, *gss_buffer_t;
typedef const gss_buffer_desc *gss_const_buffer_t;

typedef struct gss_channel_bindings_struct {
  OM_uint32 initiator_addrtype;
  gss_buffer_desc initiator_address;
  OM_uint32 acceptor_addrtype;
  gss_buffer_desc acceptor_address;
  gss_buffer_desc application_data;
} *gss_channel_bindings_t;

typedef OM_uint32 gss_qop_t;
typedef int gss_cred_usage_t;

/* A set of buffers (RFC 6680 extensions: gss_inquire_name). */
typedef struct gss_buffer_set_desc_struct {
  size_t count;
  gss_buffer_desc *elements;
} gss_buffer_set_desc, *gss_buffer_set_t;

/* ------------------------------------------------------------- Flags */

/* Context flags (req_flags, ret_flags, ctx_flags). */
#define GSS_C_DELEG_FLAG 1
#define GSS_C_MUTUAL_FLAG 2
#define GSS_C_REPLAY_FLAG 4
#define GSS_C_SEQUENCE_FLAG 8
#define GSS_C_CONF_FLAG 16
#define GSS_C_INTEG_FLAG 32
#define GSS_C_ANON_FLAG 64
#define GSS_C_PROT_READY_FLAG 128
#define GSS_C_TRANS_FLAG 256

/* Credential usage. */
#define GSS_C_BOTH 0
#define GSS_C_INITIATE 1
#define GSS_C_ACCEPT 2

/* Status code types for gss_display_status. */
#define GSS_C_GSS_CODE 1
#define GSS_C_MECH_CODE 2

/* Address types for channel bindings. */
#define GSS_C_AF_UNSPEC 0
#define GSS_C_AF_LOCAL 1
#define GSS_C_AF_INET 2
#define GSS_C_AF_IMPLINK 3
#define GSS_C_AF_PUP 4
#define GSS_C_AF_CHAOS 5
#define GSS_C_AF_NS 6
#define GSS_C_AF_NBS 7
#define GSS_C_AF_ECMA 8
#define GSS_C_AF_DATAKIT 9
#define GSS_C_AF_CCITT 10
#define GSS_C_AF_SNA 11
#define GSS_C_AF_DECnet 12
#define GSS_C_AF_DLI 13
#define GSS_C_AF_LAT 14
#define GSS_C_AF_HYLINK 15
#define GSS_C_AF_APPLETALK 16
#define GSS_C_AF_BSC 17
#define GSS_C_AF_DSS 18
#define GSS_C_AF_OSI 19
#define GSS_C_AF_NETBIOS 20
#define GSS_C_AF_X25 21
#define GSS_C_AF_INET6 24
#define GSS_C_AF_NULLADDR 255

/* Null values. */
#define GSS_C_NO_NAME ((gss_name_t)0)
#define GSS_C_NO_BUFFER ((gss_buffer_t)0)
#define GSS_C_NO_OID ((gss_OID)0)
#define GSS_C_NO_OID_SET ((gss_OID_set)0)
#define GSS_C_NO_CONTEXT ((gss_ctx_id_t)0)
#define GSS_C_NO_CREDENTIAL ((gss_cred_id_t)0)
#define GSS_C_NO_CHANNEL_BINDINGS ((gss_channel_bindings_t)0)
#define GSS_C_NO_BUFFER_SET ((gss_buffer_set_t)0)
#define GSS_C_EMPTY_BUFFER {0, NULL}

/* Version 1 names of the null OID values. */
#define GSS_C_NULL_OID GSS_C_NO_OID
#define GSS_C_NULL_OID_SET GSS_C_NO_OID_SET

/* The default quality of protection (the only one gssx offers). */
#define GSS_C_QOP_DEFAULT 0

/* An infinite lifetime (time_req, time_rec, lifetime_rec). */
#define GSS_C_INDEFINITE 0xfffffffful

/* ------------------------------------------------------ Status codes */

#define GSS_S_COMPLETE 0

#define GSS_C_CALLING_ERROR_OFFSET 24
#define GSS_C_ROUTINE_ERROR_OFFSET 16
#define GSS_C_SUPPLEMENTARY_OFFSET 0
#define GSS_C_CALLING_ERROR_MASK 0377ul
#define GSS_C_ROUTINE_ERROR_MASK 0377ul
#define GSS_C_SUPPLEMENTARY_MASK 0177777ul

#define GSS_CALLING_ERROR(x) \
  ((x) & (GSS_C_CALLING_ERROR_MASK << GSS_C_CALLING_ERROR_OFFSET))
#define GSS_ROUTINE_ERROR(x) \
  ((x) & (GSS_C_ROUTINE_ERROR_MASK << GSS_C_ROUTINE_ERROR_OFFSET))
#define GSS_SUPPLEMENTARY_INFO(x) \
  ((x) & (GSS_C_SUPPLEMENTARY_MASK << GSS_C_SUPPLEMENTARY_OFFSET))
#define GSS_ERROR(x)                                                 \
  ((x) & ((GSS_C_CALLING_ERROR_MASK << GSS_C_CALLING_ERROR_OFFSET) | \
          (GSS_C_ROUTINE_ERROR_MASK << GSS_C_ROUTINE_ERROR_OFFSET)))

/* Calling errors. */
#define GSS_S_CALL_INACCESSIBLE_READ (1ul << GSS_C_CALLING_ERROR_OFFSET)
#define GSS_S_CALL_INACCESSIBLE_WRITE (2ul << GSS_C_CALLING_ERROR_OFFSET)
#define GSS_S_CALL_BAD_STRUCTURE (3ul << GSS_C_CALLING_ERROR_OFFSET)

/* Routine errors. */
#define GSS_S_BAD_MECH (1ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_BAD_NAME (2ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_BAD_NAMETYPE (3ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_BAD_BINDINGS (4ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_BAD_STATUS (5ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_BAD_SIG (6ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_BAD_MIC GSS_S_BAD_SIG
#define GSS_S_NO_CRED (7ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_NO_CONTEXT (8ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_DEFECTIVE_TOKEN (9ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_DEFECTIVE_CREDENTIAL (10ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_CREDENTIALS_EXPIRED (11ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_CONTEXT_EXPIRED (12ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_FAILURE (13ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_BAD_QOP (14ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_UNAUTHORIZED (15ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_UNAVAILABLE (16ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_DUPLICATE_ELEMENT (17ul << GSS_C_ROUTINE_ERROR_OFFSET)
#define GSS_S_NAME_NOT_MN (18ul << GSS_C_ROUTINE_ERROR_OFFSET)

/* Supplementary information bits. */
#define GSS_S_CONTINUE_NEEDED (1ul << (GSS_C_SUPPLEMENTARY_OFFSET + 0))
#define GSS_S_DUPLICATE_TOKEN (1ul << (GSS_C_SUPPLEMENTARY_OFFSET + 1))
#define GSS_S_OLD_TOKEN (1ul << (GSS_C_SUPPLEMENTARY_OFFSET + 2))
#define GSS_S_UNSEQ_TOKEN (1ul << (GSS_C_SUPPLEMENTARY_OFFSET + 3))
#define GSS_S_GAP_TOKEN (1ul << (GSS_C_SUPPLEMENTARY_OFFSET + 4))

/* ------------------------------------------------------ OID constants */

/* Name types (RFC 2744 section 4). Static: never free them. */
/* 1.2.840.113554.1.2.1.1: a local user name, e.g. "alice". */
extern gss_OID GSS_C_NT_USER_NAME;
/* 1.2.840.113554.1.2.1.2: a uid_t in host byte order. */
extern gss_OID GSS_C_NT_MACHINE_UID_NAME;
/* 1.2.840.113554.1.2.1.3: a uid in decimal, e.g. "1000". */
extern gss_OID GSS_C_NT_STRING_UID_NAME;
/* 1.2.840.113554.1.2.1.4: "service@host" or "service". */
extern gss_OID GSS_C_NT_HOSTBASED_SERVICE;
/* 1.3.6.1.5.6.2: the same syntax, the version 1 OID. */
extern gss_OID GSS_C_NT_HOSTBASED_SERVICE_X;
/* 1.3.6.1.5.6.3: the anonymous name (not supported by gssx). */
extern gss_OID GSS_C_NT_ANONYMOUS;
/* 1.3.6.1.5.6.4: an exported name (gss_export_name). */
extern gss_OID GSS_C_NT_EXPORT_NAME;

/* The gssx mechanism: 2.25.102548362089127675016825963317424568452 (a UUID
   OID, X.667). GSS_C_NO_OID as a mechanism means this one. */
extern gss_OID GSS_GSSX_MECHANISM;

/* --------------------------------------------- RFC 2744 section 7 calls */

OM_uint32 gss_acquire_cred(OM_uint32 *minor_status,
                           const gss_name_t desired_name, OM_uint32 time_req,
                           const gss_OID_set desired_mechs,
                           gss_cred_usage_t cred_usage,
                           gss_cred_id_t *output_cred_handle,
                           gss_OID_set *actual_mechs, OM_uint32 *time_rec);

OM_uint32 gss_release_cred(OM_uint32 *minor_status,
                           gss_cred_id_t *cred_handle);

OM_uint32 gss_init_sec_context(
    OM_uint32 *minor_status, const gss_cred_id_t initiator_cred_handle,
    gss_ctx_id_t *context_handle, const gss_name_t target_name,
    const gss_OID mech_type, OM_uint32 req_flags, OM_uint32 time_req,
    const gss_channel_bindings_t input_chan_bindings,
    const gss_buffer_t input_token, gss_OID *actual_mech_type,
    gss_buffer_t output_token, OM_uint32 *ret_flags, OM_uint32 *time_rec);

OM_uint32 gss_accept_sec_context(
    OM_uint32 *minor_status, gss_ctx_id_t *context_handle,
    const gss_cred_id_t acceptor_cred_handle,
    const gss_buffer_t input_token_buffer,
    const gss_channel_bindings_t input_chan_bindings, gss_name_t *src_name,
    gss_OID *mech_type, gss_buffer_t output_token, OM_uint32 *ret_flags,
    OM_uint32 *time_rec, gss_cred_id_t *delegated_cred_handle);

OM_uint32 gss_process_context_token(OM_uint32 *minor_status,
                                    const gss_ctx_id_t context_handle,
                                    const gss_buffer_t token_buffer);

OM_uint32 gss_delete_sec_context(OM_uint32 *minor_status,
                                 gss_ctx_id_t *context_handle,
                                 gss_buffer_t output_token);

OM_uint32 gss_context_time(OM_uint32 *minor_status,
                           const gss_ctx_id_t context_handle,
                           OM_uint32 *time_rec);

OM_uint32 gss_get_mic(OM_uint32 *minor_status,
                      const gss_ctx_id_t context_handle, gss_qop_t qop_req,
                      const gss_buffer_t message_buffer,
                      gss_buffer_t message_token);

OM_uint32 gss_verify_mic(OM_uint32 *minor_status,
                         const gss_ctx_id_t context_handle,
                         const gss_buffer_t message_buffer,
                         const gss_buffer_t token_buffer,
                         gss_qop_t *qop_state);

OM_uint32 gss_wrap(OM_uint32 *minor_status, const gss_ctx_id_t context_handle,
                   int conf_req_flag, gss_qop_t qop_req,
                   const gss_buffer_t input_message_buffer, int *conf_state,
                   gss_buffer_t output_message_buffer);

OM_uint32 gss_unwrap(OM_uint32 *minor_status,
                     const gss_ctx_id_t context_handle,
                     const gss_buffer_t input_message_buffer,
                     gss_buffer_t output_message_buffer, int *conf_state,
                     gss_qop_t *qop_state);

OM_uint32 gss_display_status(OM_uint32 *minor_status, OM_uint32 status_value,
                             int status_type, const gss_OID mech_type,
                             OM_uint32 *message_context,
                             gss_buffer_t status_string);

OM_uint32 gss_indicate_mechs(OM_uint32 *minor_status, gss_OID_set *mech_set);

OM_uint32 gss_compare_name(OM_uint32 *minor_status, const gss_name_t name1,
                           const gss_name_t name2, int *name_equal);

OM_uint32 gss_display_name(OM_uint32 *minor_status,
                           const gss_name_t input_name,
                           gss_buffer_t output_name_buffer,
                           gss_OID *output_name_type);

OM_uint32 gss_import_name(OM_uint32 *minor_status,
                          const gss_buffer_t input_name_buffer,
                          const gss_OID input_name_type,
                          gss_name_t *output_name);

OM_uint32 gss_export_name(OM_uint32 *minor_status,
                          const gss_name_t input_name,
                          gss_buffer_t exported_name);

OM_uint32 gss_release_name(OM_uint32 *minor_status, gss_name_t *input_name);

OM_uint32 gss_release_buffer(OM_uint32 *minor_status, gss_buffer_t buffer);

OM_uint32 gss_release_oid_set(OM_uint32 *minor_status, gss_OID_set *set);

OM_uint32 gss_inquire_cred(OM_uint32 *minor_status,
                           const gss_cred_id_t cred_handle, gss_name_t *name,
                           OM_uint32 *lifetime, gss_cred_usage_t *cred_usage,
                           gss_OID_set *mechanisms);

OM_uint32 gss_inquire_context(OM_uint32 *minor_status,
                              const gss_ctx_id_t context_handle,
                              gss_name_t *src_name, gss_name_t *targ_name,
                              OM_uint32 *lifetime_rec, gss_OID *mech_type,
                              OM_uint32 *ctx_flags, int *locally_initiated,
                              int *open);

OM_uint32 gss_wrap_size_limit(OM_uint32 *minor_status,
                              const gss_ctx_id_t context_handle,
                              int conf_req_flag, gss_qop_t qop_req,
                              OM_uint32 req_output_size,
                              OM_uint32 *max_input_size);

OM_uint32 gss_add_cred(OM_uint32 *minor_status,
                       const gss_cred_id_t input_cred_handle,
                       const gss_name_t desired_name,
                       const gss_OID desired_mech, gss_cred_usage_t cred_usage,
                       OM_uint32 initiator_time_req,
                       OM_uint32 acceptor_time_req,
                       gss_cred_id_t *output_cred_handle,
                       gss_OID_set *actual_mechs,
                       OM_uint32 *initiator_time_rec,
                       OM_uint32 *acceptor_time_rec);

OM_uint32 gss_inquire_cred_by_mech(OM_uint32 *minor_status,
                                   const gss_cred_id_t cred_handle,
                                   const gss_OID mech_type, gss_name_t *name,
                                   OM_uint32 *initiator_lifetime,
                                   OM_uint32 *acceptor_lifetime,
                                   gss_cred_usage_t *cred_usage);

/* On success the context is deactivated and *context_handle becomes
   GSS_C_NO_CONTEXT; any stale copy of the handle answers GSS_S_NO_CONTEXT.
   The token is in locked memory; gss_release_buffer wipes it. Errors:
   GSS_S_NO_CONTEXT, GSS_S_UNAVAILABLE (not yet established, or not
   transferable), GSS_S_CONTEXT_EXPIRED, GSS_S_FAILURE. */
OM_uint32 gss_export_sec_context(OM_uint32 *minor_status,
                                 gss_ctx_id_t *context_handle,
                                 gss_buffer_t interprocess_token);

/* Any bytes are safe. GSS_S_DEFECTIVE_TOKEN for a malformed token,
   GSS_S_CONTEXT_EXPIRED, and GSS_S_NO_CONTEXT (minor: "already imported")
   for a token this process already imported once. */
OM_uint32 gss_import_sec_context(OM_uint32 *minor_status,
                                 const gss_buffer_t interprocess_token,
                                 gss_ctx_id_t *context_handle);

OM_uint32 gss_create_empty_oid_set(OM_uint32 *minor_status,
                                   gss_OID_set *oid_set);

OM_uint32 gss_add_oid_set_member(OM_uint32 *minor_status,
                                 const gss_OID member_oid,
                                 gss_OID_set *oid_set);

OM_uint32 gss_test_oid_set_member(OM_uint32 *minor_status,
                                  const gss_OID member, const gss_OID_set set,
                                  int *present);

OM_uint32 gss_inquire_names_for_mech(OM_uint32 *minor_status,
                                     const gss_OID mechanism,
                                     gss_OID_set *name_types);

OM_uint32 gss_inquire_mechs_for_name(OM_uint32 *minor_status,
                                     const gss_name_t input_name,
                                     gss_OID_set *mech_types);

OM_uint32 gss_canonicalize_name(OM_uint32 *minor_status,
                                const gss_name_t input_name,
                                const gss_OID mech_type,
                                gss_name_t *output_name);

OM_uint32 gss_duplicate_name(OM_uint32 *minor_status,
                             const gss_name_t src_name, gss_name_t *dest_name);

/* Version 1 calls: the same as gss_get_mic, gss_verify_mic, gss_wrap and
   gss_unwrap. */
OM_uint32 gss_sign(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                   int qop_req, gss_buffer_t message_buffer,
                   gss_buffer_t message_token);

OM_uint32 gss_verify(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                     gss_buffer_t message_buffer, gss_buffer_t token_buffer,
                     int *qop_state);

OM_uint32 gss_seal(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                   int conf_req_flag, int qop_req,
                   gss_buffer_t input_message_buffer, int *conf_state,
                   gss_buffer_t output_message_buffer);

OM_uint32 gss_unseal(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                     gss_buffer_t input_message_buffer,
                     gss_buffer_t output_message_buffer, int *conf_state,
                     int *qop_state);

/* --------------------------------------------- Common extensions (MIT) */

/* The dotted form "1.2.840.113554.1.2.2" (as Heimdal writes it). The value
   is NUL-terminated; length does not count the NUL. GSS_S_FAILURE for a
   malformed encoding. */
OM_uint32 gss_oid_to_str(OM_uint32 *minor_status, gss_OID oid,
                         gss_buffer_t oid_str);

/* Parses "1.2.840.113554.1.2.2" or "{ 1 2 840 113554 1 2 2 }" (a trailing
   NUL is allowed). Free the result with gss_release_oid. GSS_S_FAILURE
   for anything else. */
OM_uint32 gss_str_to_oid(OM_uint32 *minor_status, gss_buffer_t oid_str,
                         gss_OID *oid);

/* Frees an OID made by gss_str_to_oid. Static OIDs (the constants above,
   and those the library returns) are left alone; *oid becomes
   GSS_C_NO_OID either way. */
OM_uint32 gss_release_oid(OM_uint32 *minor_status, gss_OID *oid);

OM_uint32 gss_create_empty_buffer_set(OM_uint32 *minor_status,
                                      gss_buffer_set_t *buffer_set);

OM_uint32 gss_add_buffer_set_member(OM_uint32 *minor_status,
                                    const gss_buffer_t member_buffer,
                                    gss_buffer_set_t *buffer_set);

OM_uint32 gss_release_buffer_set(OM_uint32 *minor_status,
                                 gss_buffer_set_t *buffer_set);

/* RFC 6680. gssx names have no attributes: *attrs is GSS_C_NO_BUFFER_SET. */
OM_uint32 gss_inquire_name(OM_uint32 *minor_status, gss_name_t name,
                           int *name_is_MN, gss_OID *MN_mech,
                           gss_buffer_set_t *attrs);

/* RFC 6680. Always GSS_S_UNAVAILABLE: gssx names have no attributes. */
OM_uint32 gss_get_name_attribute(OM_uint32 *minor_status, gss_name_t name,
                                 gss_buffer_t attr, int *authenticated,
                                 int *complete, gss_buffer_t value,
                                 gss_buffer_t display_value, int *more);

/* The local account of a name: the account whose user name is the
   identity of the canonical name, if this machine has one (getpwnam_r).
   GSS_S_UNAVAILABLE otherwise (host-based service names have no local
   account; minor "No local account has the name's identity." for a user
   that is none). gss_pname_to_uid (<gssapi/gssapi_ext.h>) gives its uid. */
OM_uint32 gss_localname(OM_uint32 *minor_status, const gss_name_t name,
                        gss_const_OID mech_type, gss_buffer_t localname);

/* SPNEGO negotiation sets: not applicable to gssx, GSS_S_UNAVAILABLE. */
OM_uint32 gss_set_neg_mechs(OM_uint32 *minor_status, gss_cred_id_t cred_handle,
                            const gss_OID_set mech_set);

/* gssx credentials are keys, not passwords: GSS_S_UNAVAILABLE. */
OM_uint32 gss_acquire_cred_with_password(
    OM_uint32 *minor_status, const gss_name_t desired_name,
    const gss_buffer_t password, OM_uint32 time_req,
    const gss_OID_set desired_mechs, gss_cred_usage_t cred_usage,
    gss_cred_id_t *output_cred_handle, gss_OID_set *actual_mechs,
    OM_uint32 *time_rec);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSAPI_GSSAPI_H_ */
