// SPDX-License-Identifier: Apache-2.0
// Playing a broken or hostile channel peer in tests: raw SOCK_SEQPACKET
// messages with fds, and HELLO / HANDOFF bodies (transport/wire_format.h).
//
//   ASSERT_EQ(SendRawMessage(sock, HandoffMessageBody(t.expect, 0, key),
//                            {t.fd.get()}), 0);
#ifndef GSSX_TRANSPORT_TESTING_RAW_MESSAGES_H_
#define GSSX_TRANSPORT_TESTING_RAW_MESSAGES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/memfd_token.h"
#include "transport/base/unique_fd.h"

namespace gssx::testing {

// Sends one message with `fds` attached (SCM_RIGHTS), MSG_NOSIGNAL,
// retrying EINTR only; MSG_DONTWAIT if `dont_wait`. Returns 0 or the errno.
int SendRawMessage(int socket, absl::Span<const uint8_t> body,
                   absl::Span<const int> fds, bool dont_wait = false);

// One message as it arrived: its bytes and the fds it carried.
struct RawMessage {
  std::vector<uint8_t> body;
  std::vector<transport::UniqueFd> fds;
};
// Receives one message (up to 4096 bytes and `max_fds` fds; blocking,
// retrying EINTR) without interpreting it: a relay, or a peer that copies
// what it was sent. Returns the errno on failure (0 bytes: ECONNRESET).
absl::StatusOr<RawMessage> ReceiveRawMessage(int socket, size_t max_fds);

// A HANDOFF message body (transport/wire_format.h, 112 bytes) announcing
// the token `t`, `extra_fds` extra fds, and `key` (empty if `key` is not
// kTokenKeySize bytes).
std::vector<uint8_t> HandoffMessageBody(const transport::TokenExpectation& t,
                                        uint16_t extra_fds,
                                        absl::Span<const uint8_t> key);

// A HELLO message body (12 bytes): the peer's verdict on our credentials.
std::vector<uint8_t> HelloMessageBody(bool accept = true);

}  // namespace gssx::testing

#endif  // GSSX_TRANSPORT_TESTING_RAW_MESSAGES_H_
