// SPDX-License-Identifier: Apache-2.0
// Shared by libgssx-handoff's sources (handoff.cc, upgrade.cc): the one
// status -> (major, minor) translation of handoff.cc. Internal.
#ifndef GSSX_KRB5_BRIDGE_C_INTERNAL_H_
#define GSSX_KRB5_BRIDGE_C_INTERNAL_H_

#include <gssapi/gssapi.h>

#include "absl/status/status.h"

namespace gssx::krb5::c_internal {

// MIT's codes for an MIT failure, else GSS_S_FAILURE (GSS_S_NO_CONTEXT
// for an imported token) with a GSSX_HANDOFF_E_* minor (<gssx/handoff.h>
// "STATUS"); errno set for GSSX_HANDOFF_E_OS.
OM_uint32 FailStatus(OM_uint32* minor, const absl::Status& status);

}  // namespace gssx::krb5::c_internal

#endif  // GSSX_KRB5_BRIDGE_C_INTERNAL_H_
