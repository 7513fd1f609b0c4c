// SPDX-License-Identifier: Apache-2.0
// Peer credentials and the policy that admits or refuses a peer.
//
//   PeerPolicy p = PeerPolicy::SameUid();        // the default
//   PeerPolicy q = PeerPolicy::Nobody().AllowUid(1001).AllowGid(50);
//
// A peer is allowed when its uid is in the uid list or its gid in the gid
// list. Copyable value type; thread-compatible.
//
// The overflow uid and gid (/proc/sys/kernel/overflowuid, overflowgid;
// 65534 by default) are what SO_PEERCRED reports for a peer whose ids
// cannot be mapped into our user namespace: any host user looks like that
// to a process in a user namespace. They are admitted only when listed
// explicitly (AllowUid / AllowGid); SameUid() never admits them, so a
// process whose own effective uid is the overflow uid admits no one with
// the default policy (Describe() says why).
#ifndef GSSX_TRANSPORT_PEER_H_
#define GSSX_TRANSPORT_PEER_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace gssx::transport {

struct PeerCredentials {
  pid_t pid = -1;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  // True when the kernel gave a pidfd (SO_PEERPIDFD, Linux 6.5+): the peer
  // process is pinned and `pid` cannot be recycled under us.
  bool has_pidfd = false;
};

// The kernel's overflow uid / gid (read once from /proc/sys/kernel; 65534
// if unreadable).
uid_t OverflowUid();
gid_t OverflowGid();

class PeerPolicy {
 public:
  // Allows peers whose uid is this process's effective uid, unless that is
  // the overflow uid (see above).
  static PeerPolicy SameUid();
  // Allows no one until AllowUid/AllowGid add to it.
  static PeerPolicy Nobody() { return PeerPolicy(); }

  PeerPolicy& AllowUid(uid_t uid);
  PeerPolicy& AllowGid(gid_t gid);

  bool Allows(const PeerCredentials& peer) const;
  // "uids {1000} gids {}", for error messages (with the reason when the
  // same-uid entry is void because we run as the overflow uid).
  std::string Describe() const;

 private:
  std::optional<uid_t> same_uid_;  // SameUid(): our euid, never overflow
  std::vector<uid_t> uids_;
  std::vector<gid_t> gids_;
};

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_PEER_H_
