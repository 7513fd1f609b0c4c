// SPDX-License-Identifier: Apache-2.0
// Codecs: how a transferable value — anything that can be exported to
// bytes and rebuilt from them, such as a security context — crosses the
// transport. One generic handoff (handoff.h) and Channel::Receive work on
// any codec; gssx's contexts (gssx/handoff.h) and MIT Kerberos contexts
// (the krb5 bridge) are two codecs.
//
// A codec for values of type T is a small copyable type with:
//
//   using Value = T;
//   // Exports `value` into locked memory. OK: the bytes, and `value` is
//   // invalidated (its secrets live only in the bytes now). Error:
//   // `value` is untouched.
//   absl::StatusOr<SecretBuffer> Export(T& value) const;
//   // Rebuilds a value from Export's bytes. Runs on the receiver, on the
//   // decrypted token BEFORE the exactly-once latch (so a token it cannot
//   // import is rejected unconsumed and the exporter takes it back), and
//   // on the exporter, on a token that came back. Any bytes are safe.
//   absl::StatusOr<T> Import(absl::Span<const uint8_t> bytes) const;
//   // Optional: the receiver's acceptance test, after Import and before
//   // the latch. Not OK: the token is rejected unconsumed (as a failed
//   // Import). Never run when the exporter restores its own value.
//   absl::Status Check(const T& value) const;
//
// Errors: a codec returns its own layer's statuses; the transport passes
// them through unchanged to the receiver's caller and answers the exporter
// with a negative ack (kRejectedByPeer there).
//
//   absl::StatusOr<Received<Context>> r =
//       channel.Receive(ContextCodec(), {.max_extra_fds = 1});
//   // r->value: the imported value; r->fds: the extra fds, in order sent.
#ifndef GSSX_TRANSPORT_CODEC_H_
#define GSSX_TRANSPORT_CODEC_H_

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/memfd_token.h"
#include "transport/base/secret_buffer.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {

// What the receiver gets: the imported value and the extra fds.
template <typename T>
struct Received {
  TokenId id{};
  T value;
  std::vector<UniqueFd> fds;  // the extra fds, in the order sent
};

// Plain secret bytes as a transferable value (Export moves the buffer
// out; Import copies into locked memory).
struct BytesCodec {
  using Value = SecretBuffer;
  absl::StatusOr<SecretBuffer> Export(SecretBuffer& value) const {
    return std::move(value);
  }
  absl::StatusOr<SecretBuffer> Import(absl::Span<const uint8_t> bytes) const {
    return SecretBuffer::CopyOf(bytes);
  }
};

namespace internal {

template <typename Codec, typename = void>
struct HasCheck : std::false_type {};
template <typename Codec>
struct HasCheck<Codec, std::void_t<decltype(std::declval<const Codec&>().Check(
                           std::declval<const typename Codec::Value&>()))>>
    : std::true_type {};

// The receiver's side of a codec: imports (and checks) the decrypted
// token before the latch and keeps the value for after it. If the latch
// then fails (another importer won), the value dies with the Importer.
template <typename Codec>
class Importer {
 public:
  using Value = typename Codec::Value;
  explicit Importer(const Codec& codec) : codec_(codec) {}

  absl::Status operator()(absl::Span<const uint8_t> bytes) {
    absl::StatusOr<Value> imported = codec_.Import(bytes);
    if (!imported.ok()) return imported.status();
    if constexpr (HasCheck<Codec>::value) {
      if (absl::Status s = codec_.Check(*imported); !s.ok()) return s;
    }
    value_.emplace(*std::move(imported));
    return absl::OkStatus();
  }
  // The value imported; call once, after a successful consume.
  Value Take() { return *std::move(value_); }

 private:
  const Codec& codec_;
  std::optional<Value> value_;
};

// The exporter's side: puts a token that came back (or never left) into
// `value`. Not OK: the value is lost, and this says why.
template <typename Codec>
absl::Status Restore(const Codec& codec, typename Codec::Value& value,
                     const SecretBuffer& token) {
  absl::StatusOr<typename Codec::Value> back = codec.Import(token.span());
  if (!back.ok()) return back.status();
  value = *std::move(back);
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_CODEC_H_
