/* SPDX-License-Identifier: Apache-2.0 */
/* gssapi_generic.h: MIT krb5's legacy names, for programs that include
 * <gssapi/gssapi_generic.h> (the classic GSS-API sample servers do). The
 * gss_nt_* variables are the RFC 2744 name types under their version 1
 * names: new code uses GSS_C_NT_* from <gssapi/gssapi.h>. Static: never
 * free them.
 */
#ifndef GSSAPI_GSSAPI_GENERIC_H_
#define GSSAPI_GSSAPI_GENERIC_H_

#include <gssapi/gssapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether a buffer is missing or empty. */
#define GSS_EMPTY_BUFFER(buf) \
  ((buf) == NULL || (buf)->value == NULL || (buf)->length == 0)

/* GSS_C_NT_USER_NAME */
extern gss_OID gss_nt_user_name;
/* GSS_C_NT_MACHINE_UID_NAME */
extern gss_OID gss_nt_machine_uid_name;
/* GSS_C_NT_STRING_UID_NAME */
extern gss_OID gss_nt_string_uid_name;
/* GSS_C_NT_HOSTBASED_SERVICE ("service@host"), both names. */
extern gss_OID gss_nt_service_name;
extern gss_OID gss_nt_service_name_v2;
/* GSS_C_NT_EXPORT_NAME */
extern gss_OID gss_nt_exported_name;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GSSAPI_GSSAPI_GENERIC_H_ */
