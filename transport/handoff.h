// SPDX-License-Identifier: Apache-2.0
// The generic handoff: moves any value with a codec (codec.h) — a gssx
// context, an MIT Kerberos context, plain secret bytes — and the fds that
// go with it to another process, exactly once, never losing it.
//
// Exporter:
//   absl::StatusOr<Delivery> d = HandOff(channel, ctx, codec, {client_fd});
//   // d.ok(): delivered; `ctx` is invalidated (exported).
//   // !d.ok(): not delivered; `ctx` holds the value again (reclaimed
//   //   through the latch and re-imported) — unless the export itself
//   //   failed (`ctx` untouched), re-importing failed (the codec's error:
//   //   the value is lost) or the outcome is unknown (deliver.h).
// Importer:
//   absl::StatusOr<Received<T>> r = channel.Receive(codec, {.max_extra_fds = 1});
//
// The same in two steps for event loops (StartHandOff, then
// PendingDelivery::Check / Abandon), and a raw form for callers with their
// own fd transport (ExportToFd / ImportFromFd: the exported bytes as
// plaintext in a sealed memfd, memfd_token.h "Raw form").
//
// Errors: the codec's for its export and import, the transport's
// (errors.h) for everything else — a layer above converts them at its own
// boundary (gssx: ToGssxStatus).
#ifndef GSSX_TRANSPORT_HANDOFF_H_
#define GSSX_TRANSPORT_HANDOFF_H_

#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/channel.h"
#include "transport/codec.h"
#include "transport/deliver.h"
#include "transport/memfd_token.h"
#include "transport/base/secret_buffer.h"
#include "transport/base/unique_fd.h"

namespace gssx::transport {

// Exports `value` and delivers it (DeliverToken) with copies of
// `extra_fds` (the caller keeps its own). `value` must stay alive until
// this returns; a token that comes back is re-imported into it.
template <typename Codec>
absl::StatusOr<Delivery> HandOff(Channel& channel,
                                 typename Codec::Value& value,
                                 const Codec& codec,
                                 absl::Span<const int> extra_fds,
                                 const DeliverOptions& options = {}) {
  absl::StatusOr<SecretBuffer> token = codec.Export(value);
  if (!token.ok()) return token.status();  // `value` untouched
  return DeliverToken(channel, *token, extra_fds, options,
                      [&value, &codec](const SecretBuffer& back) {
                        return internal::Restore(codec, value, back);
                      });
}

// HandOff without waiting for the ack. Error: nothing was sent and
// `value` holds the value again (or the export failed and it is
// untouched). OK: `value` stays invalidated until the delivery finishes
// (PendingDelivery::Check / Abandon); if the token comes back it is
// re-imported into `value`, which must outlive the PendingDelivery.
template <typename Codec>
absl::StatusOr<PendingDelivery> StartHandOff(Channel& channel,
                                             typename Codec::Value& value,
                                             const Codec& codec,
                                             absl::Span<const int> extra_fds) {
  absl::StatusOr<SecretBuffer> token = codec.Export(value);
  if (!token.ok()) return token.status();
  return StartDelivery(channel, *token, extra_fds,
                       [&value, codec](const SecretBuffer& back) {
                         return internal::Restore(codec, value, back);
                       });
}

// Raw form: exports `value` as plaintext into a new sealed memfd. OK:
// `value` is invalidated. Error: `value` holds the value again (or as the
// export left it, or the re-import's error says it is lost). Prefer the
// channel: this leaves the plaintext in shmem until it is imported.
template <typename Codec>
absl::StatusOr<UniqueFd> ExportToFd(typename Codec::Value& value,
                                    const Codec& codec) {
  absl::StatusOr<SecretBuffer> token = codec.Export(value);
  if (!token.ok()) return token.status();
  absl::StatusOr<UniqueFd> fd = SealRawToken(token->span());
  if (!fd.ok()) {
    absl::Status restored = internal::Restore(codec, value, *token);
    return restored.ok() ? fd.status() : restored;
  }
  return fd;
}

// Verifies, imports (and checks), latches and empties a raw-form fd (the
// caller still closes it). A token the codec refuses is left unconsumed;
// one already imported is kAlreadyConsumed.
template <typename Codec>
absl::StatusOr<typename Codec::Value> ImportFromFd(int token_fd,
                                                   const Codec& codec) {
  internal::Importer<Codec> importer(codec);
  absl::StatusOr<SecretBuffer> token = ConsumeRawToken(
      token_fd,
      [&importer](absl::Span<const uint8_t> bytes) { return importer(bytes); });
  if (!token.ok()) return token.status();
  token->Clear();
  return importer.Take();
}

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_HANDOFF_H_
