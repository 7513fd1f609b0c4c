// SPDX-License-Identifier: Apache-2.0
// Many threads using the transport at once, for ThreadSanitizer (tagged
// "tsan": tools/test runs it under --config=tsan) and as a plain stress
// test otherwise.
//
// What is shared between threads, and so what this exercises: libsodium's
// one-time initialisation (EnsureSodium), the locked pool (one mutex, free
// lists per size class), the syscall table pointer, per-thread scratch
// buffers, and the kernel latch when an exporter's Reclaim races an
// importer's Receive on another thread. Each Channel is used by one thread
// at a time, as channel.h requires.
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/memfd_token.h"
#include "transport/base/secret_buffer.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;

constexpr absl::Duration kWait = absl::Seconds(60);

// Starts `n` threads running `body(i)` at the same moment; joins them.
void RunTogether(int n, const std::function<void(int)>& body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      body(i);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  go.store(true);
  for (std::thread& t : threads) t.join();
}

std::vector<uint8_t> TokenFor(int thread, int round, size_t size) {
  std::vector<uint8_t> t(size);
  for (size_t i = 0; i < size; ++i) {
    t[i] = static_cast<uint8_t>(thread * 31 + round * 7 + i);
  }
  return t;
}

// First: nothing initialised yet in this process (gtest runs tests in the
// order they are defined), so the threads race libsodium's initialisation
// and the pool's first regions.
TEST(ConcurrencyTest, FirstUseFromManyThreads) {
  constexpr int kThreads = 8;
  std::atomic<int> ok{0};
  RunTogether(kThreads, [&](int i) {
    absl::StatusOr<SecretBuffer> b = SecretBuffer::Create(100 + i * 200);
    absl::StatusOr<SealedToken> t = SealEncryptedToken(TokenFor(i, 0, 64));
    if (b.ok() && t.ok()) ok.fetch_add(1);
  });
  EXPECT_EQ(ok.load(), kThreads);
}

// Each thread hands tokens across its own channel pair, in both directions.
TEST(ConcurrencyTest, ThreadsHandOffOnTheirOwnPairs) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 150;
  std::atomic<int> failures{0};
  RunTogether(kThreads, [&](int i) {
    absl::StatusOr<std::pair<Channel, Channel>> pair = Channel::Pair();
    if (!pair.ok()) {
      failures.fetch_add(1);
      return;
    }
    auto& [a, b] = *pair;
    for (int r = 0; r < kRounds; ++r) {
      std::vector<uint8_t> token = TokenFor(i, r, 16 + (r % 5) * 700);
      Channel& from = (r % 2) ? a : b;
      Channel& to = (r % 2) ? b : a;
      absl::StatusOr<Handoff> h = from.Send(token);
      absl::StatusOr<ReceivedToken> got =
          h.ok() ? to.Receive() : absl::StatusOr<ReceivedToken>(h.status());
      if (!got.ok() || !got->token.Equals(token) ||
          !from.AwaitAck(*h, kWait).ok()) {
        failures.fetch_add(1);
      }
    }
  });
  EXPECT_EQ(failures.load(), 0);
}

// Exporters and importers on different threads: a token is sealed on one
// thread and consumed on another; every fourth round the exporter reclaims
// at once, racing the importer's latch. Exactly one side wins each token.
TEST(ConcurrencyTest, ExporterAndImporterThreadsRaceTheLatch) {
  constexpr int kPairs = 4;
  constexpr int kRounds = 200;
  std::vector<Channel> exporters, importers;
  for (int i = 0; i < kPairs; ++i) {
    ASSERT_OK_AND_ASSIGN(auto pair, Channel::Pair());
    exporters.push_back(std::move(pair.first));
    importers.push_back(std::move(pair.second));
  }
  std::atomic<int> imported{0}, reclaimed{0}, errors{0};
  RunTogether(2 * kPairs, [&](int t) {
    const int i = t / 2;
    if (t % 2 == 1) {  // importer: until the exporter closes
      for (;;) {
        absl::StatusOr<ReceivedToken> r = importers[i].Receive();
        if (r.ok()) {
          imported.fetch_add(1);
        } else if (IsError(r.status(), ErrorKind::kPeerClosed)) {
          return;
        } else if (!IsError(r.status(), ErrorKind::kAlreadyConsumed)) {
          errors.fetch_add(1);
        }
      }
    }
    Channel& ch = exporters[i];
    for (int r = 0; r < kRounds; ++r) {
      absl::StatusOr<Handoff> h = ch.Send(TokenFor(i, r, 100));
      if (!h.ok()) {
        errors.fetch_add(1);
        continue;
      }
      if (r % 4 == 0) {
        absl::StatusOr<SecretBuffer> back = h->Reclaim();
        if (back.ok()) {
          reclaimed.fetch_add(1);
        } else if (!IsError(back.status(), ErrorKind::kAlreadyConsumed)) {
          errors.fetch_add(1);
        }
      } else if (!ch.AwaitAck(*h, kWait).ok()) {
        errors.fetch_add(1);
      }
    }
    Channel closing = std::move(ch);  // the importer sees kPeerClosed
  });
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(imported.load() + reclaimed.load(), kPairs * kRounds)
      << "imported " << imported.load() << ", reclaimed " << reclaimed.load();
}

// Secret buffers of every size class allocated and freed from many
// threads: contents stay intact, every slot comes back.
TEST(ConcurrencyTest, SecretBuffersFromManyThreads) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 400;
  const LockedMemoryStats before = GetLockedMemoryStats();
  std::atomic<int> corrupt{0}, failed{0};
  RunTogether(kThreads, [&](int t) {
    std::vector<SecretBuffer> held;
    for (int r = 0; r < kRounds; ++r) {
      const size_t size = size_t{1} << (5 + (t + r) % 12);  // 32 B .. 64 KiB
      absl::StatusOr<SecretBuffer> b = SecretBuffer::Create(size);
      if (!b.ok()) {
        failed.fetch_add(1);
        continue;
      }
      std::memset(b->data(), t + 1, b->size());
      held.push_back(std::move(*b));
      if (held.size() > 16 || r % 3 == 0) {
        SecretBuffer& old = held.front();
        for (size_t k = 0; k < old.size(); ++k) {
          if (old.data()[k] != t + 1) {
            corrupt.fetch_add(1);
            break;
          }
        }
        held.erase(held.begin());
      }
    }
  });
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(corrupt.load(), 0);
  EXPECT_EQ(GetLockedMemoryStats().buffers_in_use, before.buffers_in_use);
}

}  // namespace
}  // namespace gssx::transport
