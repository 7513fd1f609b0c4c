// SPDX-License-Identifier: Apache-2.0
// The channel's message parser alone (transport/wire_format.h), no
// sockets: arbitrary bytes to ParseMessage. Checked on every input: a
// failure is kMalformed; a parsed message encodes back to a body of the
// same size that parses to the same fields, and an encoder never writes
// past the room it is given.
#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/types/span.h"
#include "testing/fuzz/fuzz_util.h"
#include "transport/base/errors.h"
#include "transport/wire_format.h"

namespace gssx::fuzz {
namespace {

using transport::ErrorKind;
using transport::KindOf;
using transport::internal::EncodeMessage;
using transport::internal::MessageType;
using transport::internal::ParseMessage;
using transport::internal::WireMessage;

bool SameFields(const WireMessage& a, const WireMessage& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case MessageType::kHello:
      return (a.verdict == 0) == (b.verdict == 0);
    case MessageType::kAck:
      return a.expect.id == b.expect.id && a.result == b.result;
    case MessageType::kHandoff:
      return a.expect.id == b.expect.id &&
             a.expect.file_size == b.expect.file_size &&
             a.expect.cipher == b.expect.cipher &&
             a.expect.nonce == b.expect.nonce && a.expect.tag == b.expect.tag &&
             a.extra_fd_count == b.extra_fd_count &&
             a.key.size() == b.key.size() &&
             std::memcmp(a.key.data(), b.key.data(), a.key.size()) == 0;
    case MessageType::kHandoffInline:
      return a.expect.id == b.expect.id &&
             a.expect.file_size == b.expect.file_size &&
             a.extra_fd_count == b.extra_fd_count &&
             a.key.size() == b.key.size() &&
             (a.key.empty() ||
              std::memcmp(a.key.data(), b.key.data(), a.key.size()) == 0);
  }
  return false;
}

}  // namespace
}  // namespace gssx::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gssx::fuzz;  // NOLINT
  const absl::Span<const uint8_t> body(data, size);
  absl::StatusOr<WireMessage> m = ParseMessage(body);
  if (!m.ok()) {
    FUZZ_CHECK(KindOf(m.status()) == ErrorKind::kMalformed, m.status());
    return 0;
  }
  // Room for the body and a guard area that must stay untouched.
  std::vector<uint8_t> out(size + 16, 0xa5);
  const size_t n = EncodeMessage(*m, absl::MakeSpan(out.data(), size));
  FUZZ_CHECK(n == size, "re-encoded body has another size");
  for (size_t i = size; i < out.size(); ++i) {
    FUZZ_CHECK(out[i] == 0xa5, "encoder wrote past its room");
  }
  absl::StatusOr<WireMessage> again =
      ParseMessage(absl::MakeConstSpan(out.data(), n));
  FUZZ_CHECK(again.ok(), "re-encoded body does not parse", again.status());
  FUZZ_CHECK(SameFields(*m, *again), "re-encoded body parses differently");
  // Too little room: nothing usable.
  if (size > 0) {
    FUZZ_CHECK(EncodeMessage(*m, absl::MakeSpan(out.data(), size - 1)) == 0,
               "encoder claimed success without room");
  }
  return 0;
}
