// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/handshakes.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "examples/servers/serve.h"
#include "examples/servers/server_util.h"
#include "gssx/status.h"

namespace gssx::examples {

PendingHandshakes::PendingHandshakes(const Credentials* cred,
                                     size_t max_pending,
                                     absl::Duration timeout)
    : cred_(cred), max_pending_(std::max<size_t>(1, max_pending)), timeout_(timeout) {}

void PendingHandshakes::Add(transport::UniqueFd client, absl::Time now) {
  while (pending_.size() >= max_pending_) {
    evicted_.push_back(absl::StrCat(
        "handshake: ", max_pending_,
        " pending handshakes (the cap): dropped the oldest, waiting since ",
        absl::FormatDuration(now - (pending_.front().deadline - timeout_))));
    pending_.pop_front();  // closes it
  }
  Pending p;
  p.fd = std::move(client);
  p.deadline = now + timeout_;
  pending_.push_back(std::move(p));
}

void PendingHandshakes::AppendPollFds(std::vector<struct pollfd>* fds) const {
  for (const Pending& p : pending_) fds->push_back({p.fd.get(), POLLIN, 0});
}

absl::Time PendingHandshakes::NextDeadline() const {
  absl::Time next = absl::InfiniteFuture();
  for (const Pending& p : pending_) next = std::min(next, p.deadline);
  return next;
}

// Reads what is there without blocking: the 4-byte length, then the frame.
PendingHandshakes::ReadResult PendingHandshakes::Read(Pending& p,
                                                      std::string* why) {
  for (;;) {
    uint8_t* dst;
    size_t want;
    if (p.header_got < sizeof p.header) {
      dst = p.header + p.header_got;
      want = sizeof p.header - p.header_got;
    } else {
      dst = p.frame.data() + p.frame_got;
      want = p.frame.size() - p.frame_got;
    }
    ssize_t n = want == 0 ? 0 : ::recv(p.fd.get(), dst, want, MSG_DONTWAIT);
    if (want != 0 && n == 0) {
      *why = p.header_got == 0 ? "handshake: the client closed the connection"
                               : "handshake: the first frame was cut short";
      return ReadResult::kFailed;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadResult::kWaiting;
      *why = absl::StrCat("handshake: recv: ", std::strerror(errno));
      return ReadResult::kFailed;
    }
    if (p.header_got < sizeof p.header) {
      p.header_got += static_cast<size_t>(n);
      if (p.header_got < sizeof p.header) continue;
      const size_t len = (size_t{p.header[0]} << 24) |
                         (size_t{p.header[1]} << 16) |
                         (size_t{p.header[2]} << 8) | p.header[3];
      if (len > kMaxHandshakeFrame) {
        *why = absl::StrCat("handshake: a first frame of ", len,
                            " bytes (at most ", kMaxHandshakeFrame, ")");
        return ReadResult::kFailed;
      }
      p.frame.resize(len);
    } else {
      p.frame_got += static_cast<size_t>(n);
    }
    if (p.header_got == sizeof p.header && p.frame_got == p.frame.size()) {
      return ReadResult::kComplete;
    }
  }
}

HandshakeProgress PendingHandshakes::Advance(
    absl::Span<const struct pollfd> ready, absl::Time now) {
  HandshakeProgress out;
  out.failures = std::move(evicted_);
  evicted_.clear();
  std::deque<Pending> kept;
  for (size_t i = 0; i < pending_.size(); ++i) {
    Pending& p = pending_[i];
    const bool readable = i < ready.size() && ready[i].fd == p.fd.get() &&
                          ready[i].revents != 0;
    if (readable) {
      std::string why;
      switch (Read(p, &why)) {
        case ReadResult::kWaiting:
          break;
        case ReadResult::kFailed:
          out.failures.push_back(std::move(why));
          continue;  // closes it
        case ReadResult::kComplete: {
          absl::StatusOr<Context> ctx = AnswerClient(*cred_, p.fd.get(), p.frame);
          if (ctx.ok()) {
            out.authenticated.push_back({*std::move(ctx), std::move(p.fd)});
          } else {
            out.failures.push_back(
                absl::StrCat("handshake: ", gssx::StatusText(ctx.status())));
          }
          continue;
        }
      }
    }
    if (p.deadline <= now) {
      out.failures.push_back(absl::StrCat(
          "handshake: no complete first frame within ",
          absl::FormatDuration(timeout_), "; dropped"));
      continue;
    }
    kept.push_back(std::move(p));
  }
  pending_ = std::move(kept);
  return out;
}

void PendingHandshakes::AcceptFrom(int listener, absl::Time now) {
  transport::UniqueFd client(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (client.valid()) Add(std::move(client), now);
}

std::vector<AuthenticatedClient> PendingHandshakes::AdvanceAndLog(
    absl::Span<const struct pollfd> ready, absl::Time now, absl::string_view who,
    bool verbose, int64_t* failures) {
  HandshakeProgress progress = Advance(ready, now);
  for (const std::string& why : progress.failures) {
    ++*failures;
    Log(who, why);
  }
  if (verbose) {
    for (const AuthenticatedClient& c : progress.authenticated) {
      absl::StatusOr<ContextInfo> info = c.ctx.Inquire();
      Log(who, absl::StrCat("authenticated ", info.ok() ? info->source.identity() : "?"));
    }
  }
  return std::move(progress.authenticated);
}

}  // namespace gssx::examples
