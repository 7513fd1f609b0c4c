// SPDX-License-Identifier: Apache-2.0
// The text of a GSS-API status code, for the C tests' failure reports
// (c_check_gtest drivers of gssx/capi and gssx/krb5_bridge/c).
// Header-only on purpose: each user links a different GSS-API (libgssx's or
// MIT's), so gss_display_status must resolve in the user's own target, and
// <gssapi/gssapi.h> comes from the user's dependencies. testonly.
#ifndef GSSX_TESTING_C_CHECK_GSS_STATUS_TEXT_H_
#define GSSX_TESTING_C_CHECK_GSS_STATUS_TEXT_H_

#include <gssapi/gssapi.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"

namespace gssx::testing {

// Every message gss_display_status gives for `status` (GSS_C_GSS_CODE or
// GSS_C_MECH_CODE), joined with "; ".
inline std::string GssStatusText(OM_uint32 status, int type) {
  std::string out;
  OM_uint32 minor = 0;
  OM_uint32 context = 0;
  do {
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    if (gss_display_status(&minor, status, type, GSS_C_NO_OID, &context,
                           &text) != GSS_S_COMPLETE) {
      absl::StrAppend(&out, "(undisplayable)");
      break;
    }
    if (!out.empty()) absl::StrAppend(&out, "; ");
    absl::StrAppend(&out, std::string(static_cast<char*>(text.value),
                                      text.length));
    gss_release_buffer(&minor, &text);
  } while (context != 0);
  return out;
}

// "0x000d0000 (No credentials were supplied...)".
inline std::string GssMajorText(OM_uint32 major) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", major);
  return absl::StrCat(hex, " (", GssStatusText(major, GSS_C_GSS_CODE), ")");
}

}  // namespace gssx::testing

#endif  // GSSX_TESTING_C_CHECK_GSS_STATUS_TEXT_H_
