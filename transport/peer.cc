// SPDX-License-Identifier: Apache-2.0
#include "transport/peer.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gssx::transport {

PeerPolicy PeerPolicy::SameUid() { return Nobody().AllowUid(::geteuid()); }

PeerPolicy& PeerPolicy::AllowUid(uid_t uid) {
  uids_.push_back(uid);
  return *this;
}

PeerPolicy& PeerPolicy::AllowGid(gid_t gid) {
  gids_.push_back(gid);
  return *this;
}

bool PeerPolicy::Allows(const PeerCredentials& peer) const {
  return std::find(uids_.begin(), uids_.end(), peer.uid) != uids_.end() ||
         std::find(gids_.begin(), gids_.end(), peer.gid) != gids_.end();
}

std::string PeerPolicy::Describe() const {
  return absl::StrCat("uids {", absl::StrJoin(uids_, ","), "} gids {",
                      absl::StrJoin(gids_, ","), "}");
}

}  // namespace gssx::transport
