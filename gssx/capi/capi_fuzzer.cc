// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the C ABI's entry points that parse untrusted bytes.
//
// The first input byte picks the call, the rest is its input:
//   0  gss_str_to_oid (then gss_oid_to_str of the result, which must parse
//      back to the same OID)
//   1  gss_oid_to_str of arbitrary DER contents
//   2  gss_import_name with the name type picked by the next byte (every
//      RFC 2744 type, or an arbitrary OID); a name that imports must
//      display, canonicalize, export, and import back equal
//   3  gss_import_sec_context (a context that imports is deleted)
//   4  gss_display_status of an arbitrary status value and type
// Besides "no crash, no sanitizer report, no leak", each call must answer
// one of the statuses its contract lists, and set its outputs on entry
// (they start as garbage here; on failure they must be empty).
#include <gssapi/gssapi.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "testing/fuzz/fuzz_util.h"

namespace {

using gssx::fuzz::FuzzInput;

// A stack variable left uninitialised by a C caller.
template <typename T>
void Garbage(T* out) {
  std::memset(out, 0xa5, sizeof *out);
}

gss_buffer_desc BufferOf(absl::Span<const uint8_t> bytes) {
  gss_buffer_desc b;
  b.length = bytes.size();
  b.value = const_cast<uint8_t*>(bytes.data());
  return b;
}

void StrToOid(absl::Span<const uint8_t> text) {
  OM_uint32 minor = 0;
  gss_buffer_desc in = BufferOf(text);
  gss_OID oid;
  Garbage(&oid);
  const OM_uint32 major = gss_str_to_oid(&minor, &in, &oid);
  FUZZ_CHECK(major == GSS_S_COMPLETE || major == GSS_S_FAILURE,
             "gss_str_to_oid status");
  if (major != GSS_S_COMPLETE) {
    FUZZ_CHECK(oid == GSS_C_NO_OID, "output not emptied on failure");
    return;
  }
  gss_buffer_desc dotted = GSS_C_EMPTY_BUFFER;
  FUZZ_CHECK(gss_oid_to_str(&minor, oid, &dotted) == GSS_S_COMPLETE,
             "a parsed OID prints");
  gss_OID again = GSS_C_NO_OID;
  FUZZ_CHECK(gss_str_to_oid(&minor, &dotted, &again) == GSS_S_COMPLETE,
             "a printed OID parses");
  FUZZ_CHECK(again->length == oid->length &&
                 std::memcmp(again->elements, oid->elements, oid->length) == 0,
             "OID round trip");
  gss_release_oid(&minor, &again);
  gss_release_oid(&minor, &oid);
  gss_release_buffer(&minor, &dotted);
}

void OidToStr(absl::Span<const uint8_t> der) {
  OM_uint32 minor = 0;
  gss_OID_desc oid;
  oid.length = static_cast<OM_uint32>(der.size());
  oid.elements = const_cast<uint8_t*>(der.data());
  gss_buffer_desc text;
  Garbage(&text);
  const OM_uint32 major = gss_oid_to_str(&minor, &oid, &text);
  FUZZ_CHECK(major == GSS_S_COMPLETE || major == GSS_S_FAILURE ||
                 (der.empty() && major == GSS_S_CALL_INACCESSIBLE_READ),
             "gss_oid_to_str status");
  if (major == GSS_S_COMPLETE) {
    gss_release_buffer(&minor, &text);
  } else {
    FUZZ_CHECK(text.value == nullptr && text.length == 0,
               "output not emptied on failure");
  }
}

void ImportName(FuzzInput& in) {
  const uint8_t pick = in.U8();
  gss_OID_desc arbitrary;
  std::vector<uint8_t> arbitrary_bytes;
  gss_OID type = GSS_C_NO_OID;
  switch (pick % 10) {
    case 0: type = GSS_C_NO_OID; break;
    case 1: type = GSS_C_NT_USER_NAME; break;
    case 2: type = GSS_C_NT_HOSTBASED_SERVICE; break;
    case 3: type = GSS_C_NT_HOSTBASED_SERVICE_X; break;
    case 4: type = GSS_C_NT_EXPORT_NAME; break;
    case 5: type = GSS_C_NT_MACHINE_UID_NAME; break;
    case 6: type = GSS_C_NT_STRING_UID_NAME; break;
    case 7: type = GSS_C_NT_ANONYMOUS; break;
    case 8: type = GSS_GSSX_MECHANISM; break;
    default: {
      absl::Span<const uint8_t> b = in.Chunk();
      arbitrary_bytes.assign(b.begin(), b.end());
      arbitrary.length = static_cast<OM_uint32>(arbitrary_bytes.size());
      arbitrary.elements = arbitrary_bytes.data();
      type = &arbitrary;
    }
  }
  OM_uint32 minor = 0;
  gss_buffer_desc text = BufferOf(in.Rest());
  gss_name_t name;
  Garbage(&name);
  const OM_uint32 major = gss_import_name(&minor, &text, type, &name);
  FUZZ_CHECK(major == GSS_S_COMPLETE || major == GSS_S_BAD_NAME ||
                 major == GSS_S_BAD_NAMETYPE || major == GSS_S_BAD_MECH ||
                 major == GSS_S_FAILURE,
             "gss_import_name status");
  if (major != GSS_S_COMPLETE) {
    FUZZ_CHECK(name == GSS_C_NO_NAME, "output not emptied on failure");
    return;
  }
  gss_buffer_desc shown = GSS_C_EMPTY_BUFFER;
  FUZZ_CHECK(gss_display_name(&minor, name, &shown, nullptr) == GSS_S_COMPLETE,
             "an imported name displays");
  gss_release_buffer(&minor, &shown);
  gss_name_t mn = GSS_C_NO_NAME;
  const OM_uint32 canon =
      gss_canonicalize_name(&minor, name, GSS_GSSX_MECHANISM, &mn);
  FUZZ_CHECK(canon == GSS_S_COMPLETE || canon == GSS_S_BAD_NAME,
             "gss_canonicalize_name status");
  if (canon == GSS_S_COMPLETE) {
    gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
    FUZZ_CHECK(gss_export_name(&minor, mn, &exported) == GSS_S_COMPLETE,
               "a mechanism name exports");
    gss_name_t back = GSS_C_NO_NAME;
    FUZZ_CHECK(gss_import_name(&minor, &exported, GSS_C_NT_EXPORT_NAME,
                               &back) == GSS_S_COMPLETE,
               "an exported name imports");
    int equal = 0;
    FUZZ_CHECK(gss_compare_name(&minor, back, name, &equal) ==
                       GSS_S_COMPLETE &&
                   equal == 1,
               "export round trip names the same identity");
    gss_release_name(&minor, &back);
    gss_release_buffer(&minor, &exported);
    gss_release_name(&minor, &mn);
  }
  FUZZ_CHECK(gss_release_name(&minor, &name) == GSS_S_COMPLETE,
             "release a live name");
}

void ImportContext(absl::Span<const uint8_t> token) {
  OM_uint32 minor = 0;
  gss_buffer_desc in = BufferOf(token);
  gss_ctx_id_t ctx;
  Garbage(&ctx);
  const OM_uint32 major = gss_import_sec_context(&minor, &in, &ctx);
  FUZZ_CHECK(major == GSS_S_COMPLETE || major == GSS_S_DEFECTIVE_TOKEN ||
                 major == GSS_S_CONTEXT_EXPIRED || major == GSS_S_NO_CONTEXT ||
                 major == GSS_S_FAILURE,
             "gss_import_sec_context status");
  if (major == GSS_S_COMPLETE) {
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
  } else {
    FUZZ_CHECK(ctx == GSS_C_NO_CONTEXT, "output not emptied on failure");
  }
}

void DisplayStatus(FuzzInput& in) {
  const OM_uint32 value = in.U32();
  const int type = static_cast<int>(in.U8() % 4);
  OM_uint32 context = in.U8() % 8;
  OM_uint32 minor = 0;
  gss_buffer_desc text;
  Garbage(&text);
  const OM_uint32 major = gss_display_status(&minor, value, type, GSS_C_NO_OID,
                                             &context, &text);
  FUZZ_CHECK(major == GSS_S_COMPLETE || major == GSS_S_BAD_STATUS,
             "gss_display_status status");
  if (major == GSS_S_COMPLETE) {
    FUZZ_CHECK(text.value != nullptr, "a message");
    gss_release_buffer(&minor, &text);
  } else {
    FUZZ_CHECK(text.value == nullptr && text.length == 0,
               "output not emptied on failure");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  switch (in.U8() % 5) {
    case 0: StrToOid(in.Rest()); break;
    case 1: OidToStr(in.Rest()); break;
    case 2: ImportName(in); break;
    case 3: ImportContext(in.Rest()); break;
    case 4: DisplayStatus(in); break;
  }
  return 0;
}
