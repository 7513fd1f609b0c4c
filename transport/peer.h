// SPDX-License-Identifier: Apache-2.0
// Peer credentials and the policy that admits or refuses a peer.
//
//   PeerPolicy p = PeerPolicy::SameUid();        // the default
//   PeerPolicy q = PeerPolicy::Nobody().AllowUid(1001).AllowGid(50);
//
// A peer is allowed when its uid is in the uid list or its gid in the gid
// list. Copyable value type; thread-compatible.
#ifndef GSSX_TRANSPORT_PEER_H_
#define GSSX_TRANSPORT_PEER_H_

#include <sys/types.h>

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

class PeerPolicy {
 public:
  // Allows peers whose uid is this process's effective uid.
  static PeerPolicy SameUid();
  // Allows no one until AllowUid/AllowGid add to it.
  static PeerPolicy Nobody() { return PeerPolicy(); }

  PeerPolicy& AllowUid(uid_t uid);
  PeerPolicy& AllowGid(gid_t gid);

  bool Allows(const PeerCredentials& peer) const;
  // "uids {1000} gids {}", for error messages.
  std::string Describe() const;

 private:
  std::vector<uid_t> uids_;
  std::vector<gid_t> gids_;
};

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_PEER_H_
