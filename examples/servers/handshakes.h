// SPDX-License-Identifier: Apache-2.0
// Client handshakes driven from a server's poll loop (issue 17 item 4).
//
// A client's first frame (its init token, serve.h) may take up to
// kHandshakeTimeout to arrive. Reading it with a blocking ReadFrame inside
// a single-threaded accept loop let one idle TCP connection stop the whole
// server for that long; many stopped it for good. PendingHandshakes keeps
// one small state per accepted, not yet authenticated connection: the
// bytes of its first frame read so far and its deadline. The server polls
// the fds it lists next to its own, and hands it the poll results; a
// connection whose frame is complete is answered at once (AnswerClient:
// Context::Accept, the accept token, the wrapped welcome — under 1 KiB in
// all, which a fresh socket's send buffer takes without blocking) and
// comes back authenticated. Nothing waits for one client but its own
// entry.
//
// Bounds: at most `max_pending` handshakes at a time (kMaxPendingHandshakes
// by default); one more accepted connection drops the OLDEST pending one
// (an attacker must keep reopening connections to hold slots, and each new
// legitimate client gets a slot at once). A first frame over
// kMaxHandshakeFrame bytes, an end of stream, a read error or the deadline
// drops the connection. Per connection the state is a few bytes plus the
// frame (at most kMaxHandshakeFrame), so the whole table is bounded by
// max_pending * kMaxHandshakeFrame.
//
//   PendingHandshakes hs(cred);
//   hs.Add(std::move(accepted_fd), absl::Now());
//   std::vector<pollfd> fds = ...;  size_t first = fds.size();
//   hs.AppendPollFds(&fds);
//   poll(fds.data(), fds.size(), transport::PollTimeoutMs(hs.NextDeadline()));
//   HandshakeProgress p = hs.Advance(span(fds).subspan(first), absl::Now());
//   for (AuthenticatedClient& c : p.authenticated) ...;
//   for (std::string& why : p.failures) log(why);
//
// Not thread-safe: one poll loop owns it.
#ifndef GSSX_EXAMPLES_HANDSHAKES_H_
#define GSSX_EXAMPLES_HANDSHAKES_H_

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "examples/servers/serve.h"
#include "gssx/context.h"
#include "gssx/credentials.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {

// Concurrent unauthenticated connections a server keeps.
inline constexpr size_t kMaxPendingHandshakes = 64;
// Largest first frame accepted (an init token is a few hundred bytes).
inline constexpr size_t kMaxHandshakeFrame = 16 * 1024;

struct AuthenticatedClient {
  Context ctx;
  transport::UniqueFd fd;
};

struct HandshakeProgress {
  std::vector<AuthenticatedClient> authenticated;
  // One line per dropped connection (timed out, closed, refused, evicted).
  std::vector<std::string> failures;
};

class PendingHandshakes {
 public:
  // `cred` (the server's accept credential) must outlive this.
  explicit PendingHandshakes(const Credentials* cred,
                             size_t max_pending = kMaxPendingHandshakes,
                             absl::Duration timeout = kHandshakeTimeout);

  // Takes a freshly accepted connection; its deadline is now + timeout. At
  // the cap, the oldest pending connection is dropped first (reported by
  // the next Advance).
  void Add(transport::UniqueFd client, absl::Time now);
  // Accepts one connection from `listener` (none waiting: nothing) and
  // Adds it: what a server does when its listener is readable.
  void AcceptFrom(int listener, absl::Time now);

  // Appends one {fd, POLLIN} per pending connection, in order.
  void AppendPollFds(std::vector<struct pollfd>* fds) const;

  // The earliest deadline; InfiniteFuture if nothing is pending.
  absl::Time NextDeadline() const;

  // `ready` is what poll() returned for the fds AppendPollFds added, in
  // order (an entry whose fd no longer matches, because Add evicted in
  // between, is simply looked at next time). Reads what arrived,
  // answers complete first frames, drops expired and failed connections.
  HandshakeProgress Advance(absl::Span<const struct pollfd> ready,
                            absl::Time now);

  // Advance, as the servers use it: each failure logged as `who` and
  // counted in *failures; with `verbose`, each client's identity logged.
  // Returns the authenticated clients.
  std::vector<AuthenticatedClient> AdvanceAndLog(
      absl::Span<const struct pollfd> ready, absl::Time now,
      absl::string_view who, bool verbose, int64_t* failures);

  size_t size() const { return pending_.size(); }
  // Closes every pending connection (a forked child drops the parent's).
  void Clear() {
    pending_.clear();
    evicted_.clear();
  }

 private:
  struct Pending {
    transport::UniqueFd fd;
    absl::Time deadline;
    uint8_t header[4] = {};
    size_t header_got = 0;
    std::vector<uint8_t> frame;  // sized once the header is in
    size_t frame_got = 0;
  };
  enum class ReadResult { kWaiting, kComplete, kFailed };
  ReadResult Read(Pending& p, std::string* why);

  const Credentials* cred_;
  size_t max_pending_;
  absl::Duration timeout_;
  std::deque<Pending> pending_;  // oldest first
  std::vector<std::string> evicted_;  // reported by the next Advance
};

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_HANDSHAKES_H_
