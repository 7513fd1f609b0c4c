// SPDX-License-Identifier: Apache-2.0
// Many processes race to consume duplicates of one token memfd: exactly one
// wins every round, the others are told "already consumed".
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/base/fd_passing.h"
#include "transport/memfd_token.h"

namespace gssx::transport {
namespace {

using ::gssx::testing::ForkedChild;
using ::gssx::testing::IsOk;
using ::gssx::testing::IsOkAndHolds;

constexpr int kRacers = 4;
constexpr int kRounds = 10000;

enum Outcome : uint8_t { kWon = 1, kLost = 2, kOtherError = 3, kWrongBytes = 4 };

bool SendFd(int socket, int fd) {
  const uint8_t byte = 0;
  return SendMessageOnce(socket, absl::MakeConstSpan(&byte, 1), {fd}) == 1;
}

// Returns the received fd, or empty: `*closed` says orderly shutdown.
UniqueFd RecvFd(int socket, bool* closed) {
  uint8_t byte;
  ReceiveWithFdsOptions options;
  options.max_fds = 1;
  ReceivedMessage m;
  const ssize_t n =
      ReceiveMessageOnce(socket, absl::MakeSpan(&byte, 1), options, &m);
  *closed = n == 0;
  if (n != 1 || m.fds.size() != 1) return UniqueFd();
  return std::move(m.fds[0]);
}

// One racer: receive a duplicate, wait for the start signal, consume,
// report. Runs until the parent closes its socket.
int Racer(int socket, int start) {
  for (;;) {
    bool closed = false;
    UniqueFd fd = RecvFd(socket, &closed);
    if (closed) return 0;
    if (!fd.valid()) return 20;
    char go;
    if (read(start, &go, 1) != 1) return 21;
    absl::StatusOr<SecretBuffer> r = ConsumeRawToken(fd.get(), nullptr);
    uint8_t outcome = kOtherError;
    if (r.ok()) {
      outcome = r->size() == 8 && std::memcmp(r->data(), "contents", 8) == 0
                    ? kWon
                    : kWrongBytes;
    } else if (IsError(r.status(), ErrorKind::kAlreadyConsumed)) {
      outcome = kLost;
    }
    if (write(socket, &outcome, 1) != 1) return 22;
  }
}

TEST(RaceTest, ExactlyOneOfManyProcessesConsumesEachToken) {
  int start_pipe[2];
  ASSERT_EQ(pipe2(start_pipe, O_CLOEXEC), 0);
  UniqueFd start_r(start_pipe[0]), start_w(start_pipe[1]);
  std::vector<UniqueFd> sockets;
  std::vector<ForkedChild> racers;
  for (int i = 0; i < kRacers; ++i) {
    ASSERT_OK_AND_ASSIGN(auto pair, MakeSocketPair());
    int child_end = pair.second.get();
    ASSERT_OK_AND_ASSIGN(ForkedChild c, ForkedChild::Start([&] {
      sockets.clear();
      pair.first.Reset();
      start_w.Reset();
      return Racer(child_end, start_r.get());
    }));
    racers.push_back(std::move(c));
    sockets.push_back(std::move(pair.first));
  }
  start_r.Reset();

  int bad_rounds = 0;
  int outcomes[5] = {};
  for (int round = 0; round < kRounds; ++round) {
    absl::StatusOr<UniqueFd> token = SealRawToken(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>("contents"), 8));
    ASSERT_THAT(token, IsOk());
    for (auto& s : sockets) ASSERT_TRUE(SendFd(s.get(), token->get()));
    token->Reset();  // only the racers hold it now
    // Release all racers at once.
    char go[kRacers];
    std::memset(go, 'g', sizeof go);
    ASSERT_EQ(write(start_w.get(), go, sizeof go), kRacers);
    int won = 0;
    for (auto& s : sockets) {
      uint8_t outcome = 0;
      ASSERT_EQ(read(s.get(), &outcome, 1), 1) << "racer died in round " << round;
      ASSERT_LT(outcome, 5);
      ++outcomes[outcome];
      if (outcome == kWon) ++won;
      EXPECT_TRUE(outcome == kWon || outcome == kLost)
          << "round " << round << ": outcome " << int{outcome};
    }
    if (won != 1) ++bad_rounds;
  }
  sockets.clear();  // racers see EOF and exit
  for (auto& r : racers) EXPECT_THAT(r.Wait(absl::Seconds(30)), IsOkAndHolds(0));
  std::printf("race: %d rounds x %d processes: won %d lost %d other %d\n",
              kRounds, kRacers, outcomes[kWon], outcomes[kLost],
              outcomes[kOtherError] + outcomes[kWrongBytes]);
  EXPECT_EQ(bad_rounds, 0) << "rounds without exactly one winner";
  EXPECT_EQ(outcomes[kWon], kRounds);
  EXPECT_EQ(outcomes[kLost], kRounds * (kRacers - 1));
}

// The same race through channels: the exporter's reclaim races an importer
// that received the token. Exactly one of them ends up with it.
TEST(RaceTest, ReclaimRacesImportExactlyOnce) {
  constexpr int kChannelRounds = 2000;
  ASSERT_OK_AND_ASSIGN(auto fds, MakeSocketPair());
  ASSERT_OK_AND_ASSIGN(ForkedChild importer, ForkedChild::Start([&] {
    fds.first.Reset();
    absl::StatusOr<Channel> ch = Channel::Open(std::move(fds.second));
    if (!ch.ok()) return 10;
    for (;;) {
      absl::StatusOr<ReceivedToken> r = ch->Receive();
      if (IsError(r.status(), ErrorKind::kPeerClosed)) return 0;
      if (!r.ok() && !IsError(r.status(), ErrorKind::kAlreadyConsumed)) {
        return 11;
      }
    }
  }));
  fds.second.Reset();
  ASSERT_OK_AND_ASSIGN(Channel ch, Channel::Open(std::move(fds.first)));
  int imported = 0, reclaimed = 0;
  const uint8_t token[] = {'t'};
  const uint8_t marker[] = {'m'};
  for (int i = 0; i < kChannelRounds; ++i) {
    ASSERT_OK_AND_ASSIGN(Handoff h, ch.Send(token));
    absl::StatusOr<SecretBuffer> back = h.Reclaim();  // races the import
    if (back.ok()) {
      ++reclaimed;
    } else {
      ASSERT_THAT(back.status(), ::gssx::testing::HasErrorKind(
                                     ErrorKind::kAlreadyConsumed));
      ++imported;
    }
    // The importer answers in order: once the marker is acked, the answer
    // to the raced token has been read (and dropped: nobody waits for it).
    ASSERT_OK_AND_ASSIGN(Handoff m, ch.Send(marker));
    ASSERT_THAT(ch.AwaitAck(m, absl::Seconds(30)), IsOk());
  }
  std::printf("reclaim race: %d rounds: imported %d reclaimed %d\n",
              kChannelRounds, imported, reclaimed);
  EXPECT_EQ(imported + reclaimed, kChannelRounds);
  { Channel closing = std::move(ch); }
  EXPECT_THAT(importer.Wait(absl::Seconds(30)), IsOkAndHolds(0));
}

}  // namespace
}  // namespace gssx::transport
