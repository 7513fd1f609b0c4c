// SPDX-License-Identifier: Apache-2.0
#include "transport/peer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace gssx::transport {
namespace {

// The number in /proc/sys/kernel/<name>, or 65534 (the kernel's default)
// if it cannot be read.
uint32_t ReadOverflowId(const char* path) {
  constexpr uint32_t kDefault = 65534;
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return kDefault;
  char buf[32];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return kDefault;
  uint32_t id = 0;
  absl::string_view text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return absl::SimpleAtoi(text, &id) ? id : kDefault;
}

}  // namespace

uid_t OverflowUid() {
  static const uid_t uid =
      static_cast<uid_t>(ReadOverflowId("/proc/sys/kernel/overflowuid"));
  return uid;
}

gid_t OverflowGid() {
  static const gid_t gid =
      static_cast<gid_t>(ReadOverflowId("/proc/sys/kernel/overflowgid"));
  return gid;
}

PeerPolicy PeerPolicy::SameUid() {
  PeerPolicy policy;
  policy.same_uid_ = ::geteuid();
  return policy;
}

PeerPolicy& PeerPolicy::AllowUid(uid_t uid) {
  uids_.push_back(uid);
  return *this;
}

PeerPolicy& PeerPolicy::AllowGid(gid_t gid) {
  gids_.push_back(gid);
  return *this;
}

bool PeerPolicy::Allows(const PeerCredentials& peer) const {
  // Explicit entries admit whatever they name, the overflow ids included.
  if (std::find(uids_.begin(), uids_.end(), peer.uid) != uids_.end() ||
      std::find(gids_.begin(), gids_.end(), peer.gid) != gids_.end()) {
    return true;
  }
  // The implicit same-uid entry never admits the overflow uid: the kernel
  // reports every peer it cannot map into our user namespace as that uid,
  // so "same number" would not mean "same user".
  return same_uid_.has_value() && peer.uid == *same_uid_ &&
         peer.uid != OverflowUid();
}

std::string PeerPolicy::Describe() const {
  std::vector<uid_t> uids = uids_;
  if (same_uid_.has_value() && *same_uid_ != OverflowUid()) {
    uids.insert(uids.begin(), *same_uid_);
  }
  std::string text = absl::StrCat("uids {", absl::StrJoin(uids, ","),
                                  "} gids {", absl::StrJoin(gids_, ","), "}");
  if (same_uid_.has_value() && *same_uid_ == OverflowUid()) {
    absl::StrAppend(
        &text, "; the same-uid policy admits no one here: this process runs "
               "as the overflow uid ", *same_uid_,
        " (an unmapped user in a user namespace), which the kernel also "
        "reports for every peer it cannot map; allow-list peers explicitly "
        "(PeerPolicy::AllowUid) if this is really meant");
  }
  return text;
}

}  // namespace gssx::transport
