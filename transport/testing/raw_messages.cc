// SPDX-License-Identifier: Apache-2.0
#include "transport/testing/raw_messages.h"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "transport/base/fd_passing.h"
#include "transport/wire_format.h"

namespace gssx::testing {

int SendRawMessage(int socket, absl::Span<const uint8_t> body,
                   absl::Span<const int> fds, bool dont_wait) {
  const ssize_t n = transport::SendMessageOnce(socket, body, fds,
                                               dont_wait ? MSG_DONTWAIT : 0);
  return n < 0 ? errno : 0;
}

absl::StatusOr<RawMessage> ReceiveRawMessage(int socket, size_t max_fds) {
  RawMessage out;
  out.body.resize(transport::internal::kMaxMessageSize + 32);
  transport::ReceiveWithFdsOptions options;
  options.max_fds = max_fds ? max_fds : 1;
  transport::ReceivedMessage m;
  const ssize_t n = transport::ReceiveMessageOnce(
      socket, absl::MakeSpan(out.body), options, &m);
  if (n < 0) return absl::ErrnoToStatus(errno, "recvmsg");
  out.fds = std::move(m.fds);
  if (n == 0 && out.fds.empty()) {
    return absl::ErrnoToStatus(ECONNRESET, "recvmsg: peer closed");
  }
  if (m.body_truncated || m.control_truncated) {
    return absl::ErrnoToStatus(EMSGSIZE, "recvmsg: message cut short");
  }
  out.body.resize(m.size);
  return out;
}

std::vector<uint8_t> HandoffMessageBody(const transport::TokenExpectation& t,
                                        uint16_t extra_fds,
                                        absl::Span<const uint8_t> key) {
  std::vector<uint8_t> body(transport::internal::kHandoffSize);
  body.resize(transport::internal::EncodeHandoff(t, extra_fds, key,
                                                 absl::MakeSpan(body)));
  return body;
}

std::vector<uint8_t> HelloMessageBody(bool accept) {
  std::vector<uint8_t> body(transport::internal::kHelloSize);
  body.resize(transport::internal::EncodeHello(accept, absl::MakeSpan(body)));
  return body;
}

}  // namespace gssx::testing
