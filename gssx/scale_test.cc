// SPDX-License-Identifier: Apache-2.0
// docs/design.md "Locked memory and scale": ten thousand live contexts per
// process inside the default 8 MiB RLIMIT_MEMLOCK, every one usable, every
// one wiped.
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testing/capabilities.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "gssx/testing/test_identity.h"
#include "transport/base/secret_buffer.h"

namespace gssx {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::IsOkAndHolds;

constexpr int kContexts = 10000;

bool DropIpcLock() {
  return ::gssx::testing::DropEffectiveCapability(CAP_IPC_LOCK);
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// Runs in a child: an 8 MiB lock limit that root cannot bypass, 10,000
// client contexts and 10,000 server contexts (5,000 handshakes), all used.
int TenThousandContexts() {
  if (!DropIpcLock()) return 10;
  struct rlimit lim = {8u << 20, 8u << 20};
  if (setrlimit(RLIMIT_MEMLOCK, &lim) != 0) return 11;
  absl::StatusOr<testing::TestIdentities> ids = testing::MakeTestIdentities();
  if (!ids.ok()) return 12;
  const transport::LockedMemoryStats before = transport::GetLockedMemoryStats();
  std::vector<Context> live;
  live.reserve(kContexts);
  for (int i = 0; i < kContexts / 2; ++i) {
    absl::StatusOr<testing::TestContexts> pair = testing::EstablishTestContexts(*ids);
    if (!pair.ok()) return 13;
    live.push_back(std::move(pair->client));
    live.push_back(std::move(pair->server));
  }
  const transport::LockedMemoryStats full = transport::GetLockedMemoryStats();
  // Every context works: each client wraps, its server unwraps.
  for (int i = 0; i < kContexts; i += 2) {
    absl::StatusOr<WrapResult> w = live[i].Wrap(Bytes("still alive"), true);
    if (!w.ok()) return 14;
    absl::StatusOr<UnwrapResult> u = live[i + 1].Unwrap(w->token);
    if (!u.ok() || u->supplementary != 0) return 15;
  }
  if (full.unlocked_regions != before.unlocked_regions) return 16;  // degraded
  if (full.locked_bytes > (8u << 20)) return 17;
  const size_t per_context =
      (full.buffer_bytes_in_use - before.buffer_bytes_in_use) / kContexts;
  std::printf("%d live contexts: %zu locked bytes each, %zu bytes locked in all\n",
              kContexts, per_context, full.locked_bytes);
  std::fflush(stdout);
  if (per_context > 512) return 18;
  for (Context& c : live) {
    if (!c.Delete().ok()) return 19;
  }
  // All secrets wiped and their slots back in the pool.
  if (transport::GetLockedMemoryStats().buffers_in_use != before.buffers_in_use) {
    return 20;
  }
  return 0;
}

TEST(ScaleTest, TenThousandLiveContextsInEightMiBLocked) {
  ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start(TenThousandContexts));
  // Exit codes name the failed check (see TenThousandContexts).
  EXPECT_THAT(child.Wait(absl::Seconds(240)), IsOkAndHolds(0));
}

}  // namespace
}  // namespace gssx
