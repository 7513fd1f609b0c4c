/* SPDX-License-Identifier: Apache-2.0 */
/* Compiled with -std=c89 -pedantic-errors: the public headers are C89, and
   every type, macro and constant they promise is usable from C89. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_generic.h>
#include <gssx/gssx.h>
#include <gssx/live_upgrade.h>

int gssx_c89_header_check(void);

int gssx_c89_header_check(void) {
  OM_uint32 minor = 0;
  gss_buffer_desc empty = GSS_C_EMPTY_BUFFER;
  gss_OID_desc oid;
  gss_OID_set_desc set;
  struct gss_channel_bindings_struct cb;
  gss_buffer_set_desc buffers;
  gss_name_t name = GSS_C_NO_NAME;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_qop_t qop = GSS_C_QOP_DEFAULT;
  gss_cred_usage_t usage = GSS_C_BOTH;
  gssx_channel_t channel = GSSX_NO_CHANNEL;
  gss_key_value_element_desc kv;
  gss_key_value_set_desc store;
  gss_const_key_value_set_t no_store = GSS_C_NO_CRED_STORE;
  uid_t uid = 0;
  gssx_upgrade_t upgrade = GSSX_NO_UPGRADE;
  gssx_upgrade_target_t target = GSSX_NO_UPGRADE_TARGET;
  gssx_upgrade_report report;
  gssx_upgrade_batch batch;
  gssx_upgrade_accept_fn accept_fn = 0;
  OM_uint32 (*commit_fn)(OM_uint32 *, gssx_upgrade_t *,
                         gssx_upgrade_report *) = gssx_upgrade_commit;
  OM_uint32 (*ext[5])();
  OM_uint32 (*fns[4])(OM_uint32 *, int, gssx_channel_t *);
  OM_uint32 flags = GSS_C_DELEG_FLAG | GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG |
                    GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG |
                    GSS_C_ANON_FLAG | GSS_C_PROT_READY_FLAG | GSS_C_TRANS_FLAG;
  OM_uint32 status = GSS_S_CALL_INACCESSIBLE_READ | GSS_S_BAD_MECH |
                     GSS_S_CONTINUE_NEEDED | GSS_S_GAP_TOKEN;
  oid.length = 0;
  oid.elements = 0;
  set.count = 0;
  set.elements = &oid;
  cb.initiator_addrtype = GSS_C_AF_INET;
  cb.initiator_address = empty;
  cb.acceptor_addrtype = GSS_C_AF_NULLADDR;
  cb.acceptor_address = empty;
  cb.application_data = empty;
  buffers.count = 0;
  buffers.elements = &empty;
  kv.key = "keytab";
  kv.value = "/etc/gssx/keytab";
  store.count = 1;
  store.elements = &kv;
  ext[0] = (OM_uint32 (*)())gss_acquire_cred_from;
  ext[1] = (OM_uint32 (*)())gss_inquire_sec_context_by_oid;
  ext[2] = (OM_uint32 (*)())gss_inquire_cred_by_oid;
  ext[3] = (OM_uint32 (*)())gss_set_sec_context_option;
  ext[4] = (OM_uint32 (*)())gss_pname_to_uid;
  (void)store;
  (void)no_store;
  (void)uid;
  report.outcome = GSSX_UPGRADE_COMMITTED;
  batch.session_count = 0;
  (void)upgrade;
  (void)target;
  (void)report;
  (void)batch;
  (void)accept_fn;
  (void)commit_fn;
  (void)ext;
  fns[0] = gssx_channel_open;
  fns[1] = 0;
  fns[2] = 0;
  fns[3] = 0;
  (void)name;
  (void)cred;
  (void)ctx;
  (void)qop;
  (void)usage;
  (void)channel;
  (void)fns;
  (void)cb;
  (void)buffers;
  (void)set;
  (void)minor;
  if (GSS_ERROR(status) == 0 || GSS_CALLING_ERROR(status) == 0 ||
      GSS_ROUTINE_ERROR(status) != GSS_S_BAD_MECH ||
      GSS_SUPPLEMENTARY_INFO(status) !=
          (GSS_S_CONTINUE_NEEDED | GSS_S_GAP_TOKEN) ||
      flags != 511 || GSS_C_INDEFINITE != 0xfffffffful ||
      GSS_C_NT_USER_NAME == GSS_C_NO_OID || gss_nt_service_name == 0 ||
      gss_nt_user_name == 0 || !GSS_EMPTY_BUFFER(&empty)) {
    return 1;
  }
  return 0;
}
