// SPDX-License-Identifier: Apache-2.0
#include "transport/testing/raw_messages.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "transport/base/bytes.h"

namespace gssx::testing {

int SendRawMessage(int socket, absl::Span<const uint8_t> body,
                   absl::Span<const int> fds, bool dont_wait) {
  uint8_t empty = 0;
  struct iovec iov = {body.empty() ? &empty : const_cast<uint8_t*>(body.data()),
                      body.size()};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    control.assign(CMSG_SPACE(sizeof(int) * fds.size()), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = ::sendmsg(socket, &msg, MSG_NOSIGNAL | (dont_wait ? MSG_DONTWAIT : 0));
  } while (n < 0 && errno == EINTR);
  return n < 0 ? errno : 0;
}

absl::StatusOr<RawMessage> ReceiveRawMessage(int socket, size_t max_fds) {
  RawMessage out;
  out.body.resize(4096);
  struct iovec iov = {out.body.data(), out.body.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (max_fds ? max_fds : 1)));
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return absl::ErrnoToStatus(errno, "recvmsg");
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      out.fds.emplace_back(fd);
    }
  }
  if (n == 0 && out.fds.empty()) {
    return absl::ErrnoToStatus(ECONNRESET, "recvmsg: peer closed");
  }
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    return absl::ErrnoToStatus(EMSGSIZE, "recvmsg: message cut short");
  }
  out.body.resize(static_cast<size_t>(n));
  return out;
}

std::vector<uint8_t> HandoffMessageBody(const transport::TokenExpectation& t,
                                        uint16_t extra_fds,
                                        absl::Span<const uint8_t> key) {
  static constexpr uint8_t kMagic[4] = {'G', 'X', 'C', 'H'};
  std::vector<uint8_t> body(112);
  transport::internal::Writer w(absl::MakeSpan(body));
  w.Bytes(kMagic);
  w.U8(1);  // version
  w.U8(2);  // HANDOFF
  w.U16(0);
  w.Bytes(t.id);
  w.U64(t.file_size);
  w.U16(extra_fds);
  w.U8(static_cast<uint8_t>(t.cipher));
  w.U8(0);
  w.U32(0);
  w.Bytes(t.nonce);
  w.Bytes(t.tag);
  w.Bytes(key);
  body.resize(w.size());
  return body;
}

}  // namespace gssx::testing
