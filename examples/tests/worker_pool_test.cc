// SPDX-License-Identifier: Apache-2.0
// The worker pool (examples/servers/worker_pool.h) with a handoff of a
// plain string, so that its failure policy is tested apart from any GSS
// mechanism: every job served once; a handoff the worker does not answer
// in time is reclaimed and the worker kept; a dead worker is replaced; the
// fault drill kills one worker and the job goes to another; collecting for
// a live upgrade gets every client back, none left in a worker, and
// respawns nobody.
#include "examples/servers/worker_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/channel.h"
#include "transport/deliver.h"
#include "transport/base/secret_buffer.h"

namespace gssx::examples {
namespace {

using transport::UniqueFd;

struct Note {
  std::string text;
};

// A string as the "context": exported as its bytes, restored on reclaim.
struct NoteHandoff {
  using Context = Note;
  static bool Held(const Note& n) { return !n.text.empty(); }
  static absl::Status Send(transport::Channel& channel, Note& note, int fd,
                           const transport::DeliverOptions& options) {
    absl::StatusOr<transport::SecretBuffer> token = transport::SecretBuffer::CopyOf(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(note.text.data()),
                            note.text.size()));
    if (!token.ok()) return token.status();
    const std::string kept = std::exchange(note.text, "");
    // A "two-fds" note comes with its fd twice: a worker, which takes one,
    // refuses it (kTooManyFds) — a job no worker will ever take.
    const int extra[] = {fd, fd};
    const size_t n = kept == "two-fds" ? 2 : 1;
    return transport::DeliverToken(channel, *token,
                                   absl::MakeConstSpan(extra, n), options,
                                   [&](const transport::SecretBuffer&) {
                                     note.text = kept;
                                     return absl::OkStatus();
                                   })
        .status();
  }
  static absl::StatusOr<transport::PendingDelivery> Start(transport::Channel& channel,
                                                          Note& note, int fd) {
    absl::StatusOr<transport::SecretBuffer> token = transport::SecretBuffer::CopyOf(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(note.text.data()),
                            note.text.size()));
    if (!token.ok()) return token.status();
    std::string kept = std::exchange(note.text, "");
    const int extra[] = {fd, fd};  // "two-fds": as Send
    const size_t n = kept == "two-fds" ? 2 : 1;
    return transport::StartDelivery(channel, *token, absl::MakeConstSpan(extra, n),
                                    [&note, kept](const transport::SecretBuffer&) {
                                      note.text = kept;
                                      return absl::OkStatus();
                                    });
  }
  static absl::StatusOr<PoolJob<Note>> Receive(transport::Channel& channel,
                                               absl::Duration timeout) {
    transport::ReceiveOptions options;
    options.max_extra_fds = 1;
    options.timeout = timeout;
    absl::StatusOr<transport::ReceivedToken> r = channel.Receive(options);
    if (!r.ok()) return r.status();
    if (r->fds.size() != 1) return absl::InvalidArgumentError("no client fd");
    Note note{std::string(reinterpret_cast<const char*>(r->token.data()),
                          r->token.size())};
    return PoolJob<Note>{std::move(note), std::move(r->fds[0])};
  }
};

// The worker's main: answers "<pid>:<text>" and is done with the client.
bool Answer(Note& note, int client, int /*stop_fd*/) {
  const std::string reply = absl::StrCat(::getpid(), ":", note.text);
  return ::write(client, reply.data(), reply.size()) ==
         static_cast<ssize_t>(reply.size());
}

// The worker's main of a long connection: answers "<pid>:<text>", then
// keeps the client until it closes (true) or the worker is told to stop
// (false: the pool hands the client back).
bool AnswerAndHold(Note& note, int client, int stop_fd) {
  if (!Answer(note, client, stop_fd)) return true;
  for (;;) {
    struct pollfd p[2] = {{client, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if (p[1].revents & POLLIN) return false;
    if (p[0].revents) return true;  // EOF (the test sends nothing else)
  }
}

// The answer on `client` without running the pool (at most 10 s).
std::string ReadAnswer(int client) {
  struct pollfd p = {client, POLLIN, 0};
  if (::poll(&p, 1, 10000) != 1) return "";
  char buf[128];
  const ssize_t n = ::read(client, buf, sizeof buf);
  return n > 0 ? std::string(buf, n) : "";
}

class WorkerPoolTest : public ::testing::Test {
 protected:
  // Submits a job; returns the client's end, on which the answer arrives.
  UniqueFd Submit(WorkerPool<NoteHandoff>& pool, const std::string& text) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pool.Submit({Note{text}, UniqueFd(sv[1])});
    return UniqueFd(sv[0]);
  }

  // Runs the master's loop until `client` has an answer (or 10 s pass):
  // "<pid>:<text>", or "" on timeout.
  std::string AwaitAnswer(WorkerPool<NoteHandoff>& pool, int client) {
    for (int i = 0; i < 500; ++i) {
      pool.Dispatch();
      std::vector<struct pollfd> fds{{client, POLLIN, 0}};
      pool.AppendPollFds(&fds);
      ::poll(fds.data(), fds.size(), pool.PollTimeoutMs(20));
      pool.HandleEvents(absl::MakeConstSpan(fds).subspan(1));
      pool.HandleSignal(SIGCHLD);  // no signal pipe here: reap every round
      if (fds[0].revents & POLLIN) {
        char buf[128];
        ssize_t n = ::read(client, buf, sizeof buf);
        return n > 0 ? std::string(buf, n) : "";
      }
    }
    return "";
  }

  static pid_t PidOf(const std::string& answer) {
    std::vector<std::string> parts = absl::StrSplit(answer, ':');
    int pid = 0;
    return parts.size() == 2 && absl::SimpleAtoi(parts[0], &pid) ? pid : -1;
  }
};

TEST_F(WorkerPoolTest, EveryJobIsServedOnceByAWorker) {
  WorkerPool<NoteHandoff> pool({.workers = 2}, Answer);
  ASSERT_OK(pool.Start());
  ASSERT_EQ(pool.pids().size(), 2u);
  for (int i = 0; i < 6; ++i) {
    UniqueFd client = Submit(pool, absl::StrCat("job", i));
    std::string answer = AwaitAnswer(pool, client.get());
    EXPECT_EQ(answer.substr(answer.find(':') + 1), absl::StrCat("job", i));
    EXPECT_NE(PidOf(answer), ::getpid());
  }
  pool.Stop();
  EXPECT_EQ(pool.stats().handoffs, 6);
  EXPECT_EQ(pool.stats().reclaims, 0);
  EXPECT_EQ(pool.stats().worker_deaths, 0);
  EXPECT_EQ(pool.stats().failures, 0);
}

// A worker that does not ack in time (here: stopped) is not dead: the
// context is reclaimed, the worker kept; once it runs again it refuses the
// stale handoff (already reclaimed), says "ready" and serves the job.
TEST_F(WorkerPoolTest, UnansweredHandoffIsReclaimedAndTheWorkerKept) {
  WorkerPool<NoteHandoff> pool({.workers = 1, .ack_timeout = absl::Milliseconds(100)},
                               Answer);
  ASSERT_OK(pool.Start());
  const pid_t worker = pool.pids().at(0);
  UniqueFd warmup = Submit(pool, "warm-up");  // the worker is idle after it
  ASSERT_EQ(PidOf(AwaitAnswer(pool, warmup.get())), worker);
  for (int i = 0; i < 50 && !pool.HasIdle(); ++i) {
    std::vector<struct pollfd> fds;
    pool.AppendPollFds(&fds);
    ::poll(fds.data(), fds.size(), 20);
    pool.HandleEvents(fds);
  }
  ASSERT_TRUE(pool.HasIdle());
  ASSERT_EQ(::kill(worker, SIGSTOP), 0);
  UniqueFd client = Submit(pool, "late");
  pool.Dispatch();  // sent; the master does not wait for the answer
  for (int i = 0; i < 100 && pool.stats().reclaims == 0; ++i) {
    std::vector<struct pollfd> fds;
    pool.AppendPollFds(&fds);
    ::poll(fds.data(), fds.size(), pool.PollTimeoutMs(20));
    pool.HandleEvents(fds);  // at the ack deadline: reclaims
  }
  EXPECT_EQ(pool.stats().reclaims, 1);
  EXPECT_EQ(pool.stats().worker_deaths, 0);
  EXPECT_EQ(pool.queued(), 1u);
  ASSERT_EQ(::kill(worker, SIGCONT), 0);
  const absl::Time t0 = absl::Now();
  const std::string answer = AwaitAnswer(pool, client.get());
  EXPECT_EQ(answer, absl::StrCat(worker, ":late"));
  // The worker's late refusal makes its channel readable; the master must
  // not take that for a hand-back and wait on it (it used to, 5 s): a
  // stall bound, not a speed goal.
  EXPECT_LT(absl::Now() - t0, absl::Seconds(4));
  pool.Stop();
  EXPECT_EQ(pool.stats().worker_deaths, 0);
  EXPECT_EQ(pool.stats().handoffs, 2);
  EXPECT_EQ(pool.stats().failures, 0);
}

// A worker that refuses a handoff is alive: kept. A job that every worker
// refuses is not handed around for ever: it is dropped (a failure) after
// kMaxAttempts, and the pool goes on serving.
TEST_F(WorkerPoolTest, RefusedJobIsDroppedAndTheWorkersKept) {
  WorkerPool<NoteHandoff> pool({.workers = 2}, Answer);
  ASSERT_OK(pool.Start());
  const std::vector<pid_t> workers = pool.pids();
  UniqueFd refused = Submit(pool, "two-fds");
  // Until it is dropped (the handoffs are answered later than Dispatch
  // returns: the pool does not wait for them).
  for (int i = 0; i < 500 && pool.stats().failures == 0; ++i) {
    pool.Dispatch();
    std::vector<struct pollfd> fds;
    pool.AppendPollFds(&fds);
    ::poll(fds.data(), fds.size(), 20);
    pool.HandleEvents(fds);
  }
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_EQ(pool.stats().failures, 1);
  EXPECT_EQ(pool.stats().reclaims, WorkerPool<NoteHandoff>::kMaxAttempts);
  EXPECT_EQ(pool.stats().worker_deaths, 0);
  EXPECT_EQ(pool.pids(), workers);
  UniqueFd client = Submit(pool, "fine");
  const std::string answer = AwaitAnswer(pool, client.get());
  EXPECT_EQ(answer.substr(answer.find(':') + 1), "fine");
  pool.Stop();
  EXPECT_EQ(pool.stats().handoffs, 1);
}

TEST_F(WorkerPoolTest, DeadWorkerIsReplaced) {
  WorkerPool<NoteHandoff> pool({.workers = 1}, Answer);
  ASSERT_OK(pool.Start());
  const pid_t first = pool.pids().at(0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  UniqueFd client = Submit(pool, "after");
  const std::string answer = AwaitAnswer(pool, client.get());
  const pid_t second = PidOf(answer);
  EXPECT_GT(second, 0) << answer;
  EXPECT_NE(second, first);
  pool.Stop();
  EXPECT_EQ(pool.stats().worker_deaths, 1);
  EXPECT_EQ(pool.stats().failures, 0);
}

// The master's SIGTERM handler, as a server's: writes into a pipe that
// its forked workers share.
int g_master_pipe = -1;
void MasterOnTerm(int) {
  const char c = 'T';
  (void)!::write(g_master_pipe, &c, 1);
}

// A worker SIGTERMed the moment it is forked (a live upgrade collecting
// from a pool just started): the signal is the worker's — it stops and is
// replaced — and never runs the master's inherited handler (which would
// tell the master to stop, and leave the worker running).
TEST_F(WorkerPoolTest, SigtermToAWorkerJustForkedIsTheWorkersNotTheMasters) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  UniqueFd master_r(p[0]), master_w(p[1]);
  g_master_pipe = master_w.get();
  struct sigaction on_term {}, before {};
  on_term.sa_handler = MasterOnTerm;
  sigemptyset(&on_term.sa_mask);
  ASSERT_EQ(::sigaction(SIGTERM, &on_term, &before), 0);
  constexpr int kWorkers = 4;
  {
    WorkerPool<NoteHandoff> pool({.workers = kWorkers}, Answer);
    ASSERT_OK(pool.Start());
    for (pid_t pid : pool.pids()) ASSERT_EQ(::kill(pid, SIGTERM), 0);
    // Each stops (exit 0 on its stop pipe) and is replaced.
    for (int i = 0; i < 500 && pool.stats().worker_deaths < kWorkers; ++i) {
      std::vector<struct pollfd> fds;
      pool.AppendPollFds(&fds);
      ::poll(fds.data(), fds.size(), 10);
      pool.HandleEvents(fds);
      pool.HandleSignal(SIGCHLD);
    }
    EXPECT_EQ(pool.stats().worker_deaths, kWorkers);
    // The replacements serve.
    UniqueFd client = Submit(pool, "after");
    EXPECT_GT(PidOf(AwaitAnswer(pool, client.get())), 0);
    pool.Stop();
  }
  ASSERT_EQ(::sigaction(SIGTERM, &before, nullptr), 0);
  g_master_pipe = -1;
  char c;
  EXPECT_EQ(::read(master_r.get(), &c, 1), -1)
      << "a worker ran the master's SIGTERM handler";
  EXPECT_EQ(errno, EAGAIN);
}

// SIGUSR1's drill: the worker chosen is killed mid-handoff; the context
// comes back and goes to the other worker; the dead one is replaced.
TEST_F(WorkerPoolTest, FaultDrillReclaimsAndPassesTheJobOn) {
  WorkerPool<NoteHandoff> pool({.workers = 2}, Answer);
  ASSERT_OK(pool.Start());
  const std::vector<pid_t> before = pool.pids();
  // Both workers idle first, so that the drill's victim is one of them.
  UniqueFd a = Submit(pool, "a");
  ASSERT_FALSE(AwaitAnswer(pool, a.get()).empty());
  for (int i = 0; i < 50 && pool.pids().size() == 2; ++i) {
    std::vector<struct pollfd> fds;
    pool.AppendPollFds(&fds);
    if (::poll(fds.data(), fds.size(), 20) == 0) break;
    pool.HandleEvents(fds);
  }
  pool.HandleSignal(SIGUSR1);
  UniqueFd client = Submit(pool, "drilled");
  const std::string answer = AwaitAnswer(pool, client.get());
  EXPECT_EQ(answer.substr(answer.find(':') + 1), "drilled");
  EXPECT_EQ(pool.stats().reclaims, 1);
  EXPECT_EQ(pool.stats().worker_deaths, 1);
  EXPECT_EQ(pool.pids().size(), 2u);  // replaced
  pool.Stop();
  EXPECT_EQ(pool.stats().failures, 0);
}

// A worker serving client A with B queued behind it: A ends, the worker
// takes B from its channel (its ack, not a "ready", tells the master that
// A has ended) — an ack the master has not read when the upgrade starts.
// The worker must not look idle: it is serving B, and B must be collected
// (handed back), not left in a worker of a master about to exit.
TEST_F(WorkerPoolTest, UpgradeCollectsTheClientAWorkerTookFromItsQueue) {
  WorkerPool<NoteHandoff> pool({.workers = 1}, AnswerAndHold);
  ASSERT_OK(pool.Start());
  const pid_t worker = pool.pids().at(0);
  UniqueFd a = Submit(pool, "A");
  ASSERT_EQ(AwaitAnswer(pool, a.get()), absl::StrCat(worker, ":A"));
  UniqueFd b = Submit(pool, "B");
  pool.Dispatch();  // queued behind A (the only worker is busy)
  ASSERT_EQ(pool.queued(), 0u);
  a.Reset();  // A ends: the worker goes on with B
  ASSERT_EQ(ReadAnswer(b.get()), absl::StrCat(worker, ":B"));
  bool complete = false;
  std::deque<PoolJob<Note>> jobs = pool.CollectForUpgrade(absl::Seconds(10), &complete);
  EXPECT_TRUE(complete);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].ctx.text, "B");
  EXPECT_TRUE(jobs[0].fd.valid());
  EXPECT_EQ(pool.stats().handbacks, 1);
  EXPECT_TRUE(pool.pids().empty());  // exited, not replaced
  pool.Stop();
  EXPECT_EQ(pool.stats().failures, 0);
}

// Workers that hand back and exit during the collection are not
// respawned; after a failed upgrade the next Dispatch fills the slots and
// the collected clients are served again.
TEST_F(WorkerPoolTest, UpgradeRespawnsNoWorkerWhileCollecting) {
  WorkerPool<NoteHandoff> pool({.workers = 2}, AnswerAndHold);
  ASSERT_OK(pool.Start());
  const std::vector<pid_t> before = pool.pids();
  UniqueFd a = Submit(pool, "A");
  ASSERT_FALSE(AwaitAnswer(pool, a.get()).empty());
  UniqueFd b = Submit(pool, "B");
  ASSERT_FALSE(AwaitAnswer(pool, b.get()).empty());
  bool complete = false;
  std::deque<PoolJob<Note>> jobs = pool.CollectForUpgrade(absl::Seconds(10), &complete);
  EXPECT_TRUE(complete);
  EXPECT_EQ(jobs.size(), 2u);
  EXPECT_EQ(pool.stats().handbacks, 2);
  EXPECT_TRUE(pool.pids().empty()) << "respawned during the collection";
  // The upgrade failed: the clients go back to the pool, served by new
  // workers.
  for (auto& j : jobs) pool.Submit(std::move(j));
  const std::string again_a = AwaitAnswer(pool, a.get());
  const std::string again_b = AwaitAnswer(pool, b.get());
  EXPECT_EQ(again_a.substr(again_a.find(':') + 1), "A");
  EXPECT_EQ(again_b.substr(again_b.find(':') + 1), "B");
  EXPECT_EQ(pool.pids().size(), 2u);
  for (pid_t p : pool.pids()) {
    EXPECT_NE(p, before[0]);
    EXPECT_NE(p, before[1]);
  }
  a.Reset();
  b.Reset();
  pool.Stop();
  EXPECT_EQ(pool.stats().failures, 0);
}

// The worker's main for the queueing test: waits for a byte from the
// client ("go"), then answers as Answer.
bool AnswerOnGo(Note& note, int client, int stop_fd) {
  char go;
  if (::read(client, &go, 1) != 1) return true;
  return Answer(note, client, stop_fd);
}

// One worker, two clients: the second is queued behind the first (no
// worker is idle), and the worker takes it as soon as the first ends —
// with one non-blocking recvmsg, saying no "ready" for the first: the ack
// of the queued handoff is what tells the master the first has ended.
// The master's bookkeeping must come out right: after both, the worker is
// idle again, and while it serves the second it counts as serving one
// client, so a third is queued behind it (with that ack not counted as
// the end of the first, the worker would count as serving two).
TEST_F(WorkerPoolTest, QueuedHandoffIsTakenAtOnceAndTheWorkerIsIdleAfter) {
  WorkerPool<NoteHandoff> pool({.workers = 1}, AnswerOnGo);
  ASSERT_OK(pool.Start());
  const pid_t worker = pool.pids().at(0);
  auto pump = [&pool](const std::function<bool()>& until) {
    for (int i = 0; i < 250 && !until(); ++i) {
      pool.Dispatch();
      std::vector<struct pollfd> fds;
      pool.AppendPollFds(&fds);
      ::poll(fds.data(), fds.size(), pool.PollTimeoutMs(20));
      pool.HandleEvents(fds);
    }
    return until();
  };
  ASSERT_TRUE(pump([&] { return pool.HasIdle(); }));
  UniqueFd first = Submit(pool, "first");
  UniqueFd second = Submit(pool, "second");
  // Both sent: the first to the idle worker, the second queued behind it.
  ASSERT_TRUE(pump([&] { return pool.queued() == 0; }));
  EXPECT_FALSE(pool.HasIdle());
  ASSERT_EQ(::write(first.get(), "g", 1), 1);
  EXPECT_EQ(AwaitAnswer(pool, first.get()), absl::StrCat(worker, ":first"));
  // Serving the second now; the master has seen its ack (the first's end),
  // so the worker has one client: the third is queued behind it.
  ASSERT_TRUE(pump([&] { return pool.stats().handoffs == 2; }));
  EXPECT_FALSE(pool.HasIdle());
  UniqueFd third = Submit(pool, "third");
  EXPECT_TRUE(pump([&] { return pool.queued() == 0; }));
  ASSERT_EQ(::write(second.get(), "g", 1), 1);
  EXPECT_EQ(AwaitAnswer(pool, second.get()), absl::StrCat(worker, ":second"));
  ASSERT_EQ(::write(third.get(), "g", 1), 1);
  EXPECT_EQ(AwaitAnswer(pool, third.get()), absl::StrCat(worker, ":third"));
  EXPECT_TRUE(pump([&] { return pool.HasIdle(); }));
  UniqueFd fourth = Submit(pool, "fourth");
  ASSERT_EQ(::write(fourth.get(), "g", 1), 1);
  EXPECT_EQ(AwaitAnswer(pool, fourth.get()), absl::StrCat(worker, ":fourth"));
  EXPECT_TRUE(pump([&] { return pool.HasIdle(); }));
  pool.Stop();
  EXPECT_EQ(pool.stats().handoffs, 4);
  EXPECT_EQ(pool.stats().reclaims, 0);
  EXPECT_EQ(pool.stats().rebalanced, 0);
  EXPECT_EQ(pool.stats().failures, 0);
  EXPECT_EQ(pool.stats().worker_deaths, 0);
}

// A multiplexing worker's request: answers "<pid>:<text>:<what the
// client sent>"; NotFound when the client has closed.
absl::Status AnswerRequest(Note& note, int client) {
  char buf[64];
  const ssize_t n = ::read(client, buf, sizeof buf);
  if (n == 0) return absl::NotFoundError("closed");
  if (n < 0) return absl::InternalError("read");
  const std::string reply =
      absl::StrCat(::getpid(), ":", note.text, ":", std::string(buf, static_cast<size_t>(n)));
  if (::write(client, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) {
    return absl::InternalError("write");
  }
  return absl::OkStatus();
}

bool NotCalled(Note&, int, int) {
  ADD_FAILURE() << "a multiplexing pool ran the one-client main";
  return true;
}

class MultiplexingPoolTest : public WorkerPoolTest {
 protected:
  // Runs the master's loop until `until` (at most ~5 s).
  static bool Pump(WorkerPool<NoteHandoff>& pool, const std::function<bool()>& until) {
    for (int i = 0; i < 250 && !until(); ++i) {
      pool.Dispatch();
      std::vector<struct pollfd> fds;
      pool.AppendPollFds(&fds);
      ::poll(fds.data(), fds.size(), pool.PollTimeoutMs(20));
      pool.HandleEvents(fds);
      pool.HandleSignal(SIGCHLD);
    }
    return until();
  }
  // Sends `request` on `client` and returns the answer.
  std::string Ask(WorkerPool<NoteHandoff>& pool, int client, const std::string& request) {
    EXPECT_EQ(::write(client, request.data(), request.size()),
              static_cast<ssize_t>(request.size()));
    return AwaitAnswer(pool, client);
  }
};

// One worker holds three clients at once and answers each of them, in
// whatever order they ask; a fourth waits in the master's queue until one
// of the three ends, then goes to the same worker.
TEST_F(MultiplexingPoolTest, OneWorkerServesSeveralClientsAtOnce) {
  WorkerPool<NoteHandoff> pool({.workers = 1, .clients_per_worker = 3}, NotCalled,
                               AnswerRequest);
  ASSERT_OK(pool.Start());
  const pid_t worker = pool.pids().at(0);
  UniqueFd a = Submit(pool, "A");
  UniqueFd b = Submit(pool, "B");
  UniqueFd c = Submit(pool, "C");
  ASSERT_TRUE(Pump(pool, [&] { return pool.stats().handoffs == 3; }));
  EXPECT_EQ(Ask(pool, c.get(), "1"), absl::StrCat(worker, ":C:1"));
  EXPECT_EQ(Ask(pool, a.get(), "2"), absl::StrCat(worker, ":A:2"));
  EXPECT_EQ(Ask(pool, b.get(), "3"), absl::StrCat(worker, ":B:3"));
  EXPECT_EQ(Ask(pool, a.get(), "4"), absl::StrCat(worker, ":A:4"));
  UniqueFd d = Submit(pool, "D");
  EXPECT_FALSE(Pump(pool, [&] { return pool.queued() == 0; })) << "a 4th client in a worker of 3";
  b.Reset();  // B ends: the worker says so, and D goes to it
  ASSERT_TRUE(Pump(pool, [&] { return pool.stats().handoffs == 4; }));
  EXPECT_EQ(Ask(pool, d.get(), "5"), absl::StrCat(worker, ":D:5"));
  EXPECT_EQ(Ask(pool, c.get(), "6"), absl::StrCat(worker, ":C:6"));
  a.Reset();
  c.Reset();
  d.Reset();
  pool.Stop();
  EXPECT_EQ(pool.stats().handoffs, 4);
  EXPECT_EQ(pool.stats().reclaims, 0);
  EXPECT_EQ(pool.stats().failures, 0);
  EXPECT_EQ(pool.stats().worker_deaths, 0);
}

// New clients go to the worker with the fewest, among those free to take
// one at once (no handoff of theirs in flight).
TEST_F(MultiplexingPoolTest, ClientsAreSpreadOverTheWorkers) {
  WorkerPool<NoteHandoff> pool({.workers = 2, .clients_per_worker = 4}, NotCalled,
                               AnswerRequest);
  ASSERT_OK(pool.Start());
  // Both workers' first "ready" in: each can take a client.
  ASSERT_TRUE(Pump(pool, [&] { return pool.IdleWorkers() == 2; }));
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(Submit(pool, absl::StrCat("n", i)));
  ASSERT_TRUE(Pump(pool, [&] { return pool.stats().handoffs == 4; }));
  std::map<pid_t, int> per_worker;
  for (size_t i = 0; i < clients.size(); ++i) {
    const std::string answer = Ask(pool, clients[i].get(), "x");
    EXPECT_EQ(answer.substr(answer.find(':')), absl::StrCat(":n", i, ":x"));
    ++per_worker[PidOf(answer.substr(0, answer.rfind(':')))];
  }
  // Both took some: a worker whose ack is still out is skipped (the
  // master never waits for one), so the split may be 3 + 1, never 4 + 0
  // while the other is free.
  EXPECT_EQ(per_worker.size(), 2u);
  clients.clear();
  pool.Stop();
  EXPECT_EQ(pool.stats().failures, 0);
}

// A live upgrade collects every client of a multiplexing worker: it hands
// them all back (between requests) and exits; none is lost or kept.
TEST_F(MultiplexingPoolTest, UpgradeCollectsEveryClientOfAWorker) {
  WorkerPool<NoteHandoff> pool({.workers = 1, .clients_per_worker = 4}, NotCalled,
                               AnswerRequest);
  ASSERT_OK(pool.Start());
  UniqueFd a = Submit(pool, "A");
  UniqueFd b = Submit(pool, "B");
  UniqueFd c = Submit(pool, "C");
  ASSERT_TRUE(Pump(pool, [&] { return pool.stats().handoffs == 3; }));
  ASSERT_FALSE(Ask(pool, b.get(), "1").empty());
  bool complete = false;
  std::deque<PoolJob<Note>> jobs = pool.CollectForUpgrade(absl::Seconds(10), &complete);
  EXPECT_TRUE(complete);
  std::vector<std::string> texts;
  for (const auto& j : jobs) {
    texts.push_back(j.ctx.text);
    EXPECT_TRUE(j.fd.valid());
  }
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(pool.stats().handbacks, 3);
  EXPECT_TRUE(pool.pids().empty());
  // Served again by a new worker after a failed upgrade: the contexts and
  // sockets came back whole.
  for (auto& j : jobs) pool.Submit(std::move(j));
  ASSERT_TRUE(Pump(pool, [&] { return pool.stats().handoffs == 6; }));
  const std::string again = Ask(pool, a.get(), "2");
  EXPECT_EQ(again.substr(again.find(':')), ":A:2");
  a.Reset();
  b.Reset();
  c.Reset();
  pool.Stop();
  EXPECT_EQ(pool.stats().failures, 0);
}

// A killed multiplexing worker is replaced; the clients it held are gone
// with it (their sockets closed), new ones are served by its successor.
TEST_F(MultiplexingPoolTest, KilledWorkerIsReplaced) {
  WorkerPool<NoteHandoff> pool({.workers = 1, .clients_per_worker = 2}, NotCalled,
                               AnswerRequest);
  ASSERT_OK(pool.Start());
  const pid_t first = pool.pids().at(0);
  UniqueFd a = Submit(pool, "A");
  UniqueFd b = Submit(pool, "B");
  ASSERT_TRUE(Pump(pool, [&] { return pool.stats().handoffs == 2; }));
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(Pump(pool, [&] {
    return pool.stats().worker_deaths == 1 && pool.pids().size() == 1;
  }));
  EXPECT_EQ(ReadAnswer(a.get()), "");  // closed: the worker held the only copy
  UniqueFd c = Submit(pool, "C");
  const std::string answer = Ask(pool, c.get(), "1");
  EXPECT_EQ(answer, absl::StrCat(pool.pids().at(0), ":C:1"));
  EXPECT_NE(pool.pids().at(0), first);
  pool.Stop();
  EXPECT_EQ(pool.stats().failures, 0);
}

}  // namespace
}  // namespace gssx::examples
