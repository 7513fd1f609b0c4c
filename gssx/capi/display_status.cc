// SPDX-License-Identifier: Apache-2.0
// gss_display_status: every status code to a sentence.
//
// GSS_C_GSS_CODE: a major status holds up to one calling error, one routine
// error and any supplementary bits; each is one message, in that order,
// and *message_context walks through them (RFC 2744 section 5.11): 0 on
// the first call, non-zero on return while more messages remain. A code
// with an unknown calling error, routine error or supplementary bit is
// GSS_S_BAD_STATUS. GSS_S_COMPLETE is one message.
//
// GSS_C_MECH_CODE: a minor status of the gssx mechanism (mech_type
// GSS_C_NO_OID or GSS_GSSX_MECHANISM): one sentence from
// gssx::DescribeMinorStatus (gssx codes, transport codes, errno values),
// followed, if this thread recently returned that code, by the detail of
// that error in parentheses ("The keytab cannot be read. (cannot open the
// keytab /x: No such file or directory)").
#include <gssapi/gssapi.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gssx/capi/internal/common.h"
#include "gssx/status.h"

using gssx::ErrorKind;
using gssx::Minor;
using gssx::capi::internal::CallingError;
using gssx::capi::internal::ClearOutputs;
using gssx::capi::internal::Entry;
using gssx::capi::internal::Error;
using gssx::capi::internal::IsOurMechanism;
using gssx::capi::internal::MinorDetail;
using gssx::capi::internal::SetString;
using gssx::capi::internal::Translate;

namespace {

constexpr OM_uint32 kLastRoutineError =
    static_cast<OM_uint32>(ErrorKind::kNameNotMn);

absl::string_view CallingErrorText(OM_uint32 code) {
  switch (code) {
    case 1: return "A required input parameter could not be read";
    case 2: return "A required output parameter could not be written";
    case 3: return "A parameter was malformed";
  }
  return "";
}

absl::string_view SupplementaryText(int bit) {
  switch (bit) {
    case 0: return "The routine must be called again to complete its function";
    case 1: return "The token was a duplicate of an earlier token";
    case 2: return "The token's validity period has expired";
    case 3: return "A later token has already been processed";
    case 4: return "An expected per-message token was not received";
  }
  return "";
}

// The messages of a major status, or false if it holds an unknown code.
bool MajorMessages(OM_uint32 status, std::vector<absl::string_view>* out) {
  if (status == GSS_S_COMPLETE) {
    out->push_back(gssx::DescribeErrorKind(ErrorKind::kNone));
    return true;
  }
  const OM_uint32 calling = GSS_CALLING_ERROR(status) >>
                            GSS_C_CALLING_ERROR_OFFSET;
  const OM_uint32 routine = GSS_ROUTINE_ERROR(status) >>
                            GSS_C_ROUTINE_ERROR_OFFSET;
  const OM_uint32 supplementary = GSS_SUPPLEMENTARY_INFO(status);
  if (calling != 0) {
    absl::string_view text = CallingErrorText(calling);
    if (text.empty()) return false;
    out->push_back(text);
  }
  if (routine != 0) {
    if (routine > kLastRoutineError) return false;
    out->push_back(
        gssx::DescribeErrorKind(static_cast<ErrorKind>(routine)));
  }
  for (int bit = 0; bit < 16; ++bit) {
    if ((supplementary & (OM_uint32{1} << bit)) == 0) continue;
    absl::string_view text = SupplementaryText(bit);
    if (text.empty()) return false;
    out->push_back(text);
  }
  return true;
}

OM_uint32 BadStatus(OM_uint32* minor_status, absl::string_view why) {
  return Translate(Error(ErrorKind::kBadStatus, Minor::kBadArgument, why),
                   minor_status);
}

}  // namespace

extern "C" OM_uint32 gss_display_status(OM_uint32* minor_status,
                                        OM_uint32 status_value,
                                        int status_type,
                                        const gss_OID mech_type,
                                        OM_uint32* message_context,
                                        gss_buffer_t status_string) {
  ClearOutputs(status_string);  // message_context is input/output
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (message_context == nullptr || status_string == GSS_C_NO_BUFFER) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    std::string text;
    OM_uint32 next = 0;
    switch (status_type) {
      case GSS_C_GSS_CODE: {
        std::vector<absl::string_view> messages;
        if (!MajorMessages(status_value, &messages)) {
          return BadStatus(minor_status, "unknown major status code");
        }
        if (*message_context >= messages.size()) {
          return BadStatus(minor_status, "message_context out of range");
        }
        text = std::string(messages[*message_context]);
        next = *message_context + 1 < messages.size() ? *message_context + 1
                                                      : 0;
        break;
      }
      case GSS_C_MECH_CODE:
        if (!IsOurMechanism(mech_type)) {
          return Translate(Error(ErrorKind::kBadMech, Minor::kWrongMechanism,
                                 "not the gssx mechanism"),
                           minor_status);
        }
        if (*message_context != 0) {
          return BadStatus(minor_status, "message_context out of range");
        }
        text = gssx::DescribeMinorStatus(status_value);
        // This thread's last error of that code says which file, key or
        // argument, and why.
        if (std::optional<std::string> detail = MinorDetail(status_value)) {
          absl::StrAppend(&text, " (", *detail, ")");
        }
        break;
      default:
        return BadStatus(minor_status, "status_type is not GSS_C_GSS_CODE "
                                       "or GSS_C_MECH_CODE");
    }
    gss_buffer_desc out;
    if (absl::Status s = SetString(&out, text); !s.ok()) {
      return Translate(s, minor_status);
    }
    *status_string = out;
    *message_context = next;
    return GSS_S_COMPLETE;
  });
}
