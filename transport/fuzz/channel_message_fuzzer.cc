// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the channel message parser (transport/channel.cc), fed
// through a real SOCK_SEQPACKET socketpair, at each place a channel reads
// a message: the peer's HELLO in Channel::Open, Receive, and AwaitAck
// (which also queues handoffs travelling the other way). Bodies only; the
// receive_fuzzer adds fds. Input layout: transport/fuzz/formats.h
// (message_format).
//
// Invariants, besides "no crash, no sanitizer report, no hang":
//   - every failure carries a transport ErrorKind;
//   - a body without fds never yields a token;
//   - AwaitAck never reports a handoff imported that the peer did not
//     answer with its (unguessable) id, and the sender can then reclaim
//     it intact;
//   - no fd is left open.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "transport/fuzz/formats.h"
#include "testing/fuzz/fuzz_util.h"
#include "transport/channel.h"
#include "transport/wire_format.h"
#include "transport/base/errors.h"

namespace gssx::fuzz {
namespace {

using namespace message_format;  // NOLINT: the format's constants
using transport::Channel;
using transport::ErrorKind;
using transport::IsError;
using transport::KindOf;

constexpr uint8_t kToken[] = {'f', 'u', 'z', 'z', ' ', 't', 'o', 'k', 'e', 'n'};

// Nothing here may block: every message is queued before it is read.
transport::ChannelOptions NonBlocking() {
  transport::ChannelOptions o;
  o.open_timeout = absl::ZeroDuration();
  o.send_timeout = absl::ZeroDuration();
  return o;
}

bool Finished(const absl::Status& s) {
  return IsError(s, ErrorKind::kTimeout) || IsError(s, ErrorKind::kPeerClosed);
}

void FuzzOne(FuzzInput& in) {
  const uint8_t mode = in.U8();
  const uint8_t phase = mode & kPhaseMask;
  std::vector<std::vector<uint8_t>> messages;
  while (in.remaining() > 0) {
    absl::Span<const uint8_t> m = in.Chunk();
    messages.emplace_back(m.begin(), m.end());
  }

  absl::StatusOr<std::pair<transport::UniqueFd, transport::UniqueFd>> pair =
      transport::MakeSocketPair();
  FUZZ_CHECK(pair.ok(), pair.status());
  transport::UniqueFd raw = std::move(pair->second);
  size_t next = 0;
  if (phase == kPhaseOpen && !messages.empty()) {
    FUZZ_CHECK(SendRaw(raw.get(), messages[next++], {}) == 0);
  } else {
    uint8_t hello[transport::internal::kHelloSize];
    FUZZ_CHECK(transport::internal::EncodeHello(true, absl::MakeSpan(hello)) ==
               sizeof hello);
    FUZZ_CHECK(SendRaw(raw.get(), hello, {}) == 0);
  }
  absl::StatusOr<Channel> ch =
      Channel::Open(std::move(pair->first), NonBlocking());
  if (!ch.ok()) {
    FUZZ_CHECK(KindOf(ch.status()) != ErrorKind::kNone, ch.status());
    return;
  }
  DrainRaw(raw.get());  // its HELLO

  transport::Handoff handoff;
  if (phase == kPhaseAwaitAck) {
    absl::StatusOr<transport::Handoff> h = ch->Send(kToken);
    FUZZ_CHECK(h.ok(), h.status());
    handoff = std::move(*h);
    DrainRaw(raw.get());  // the handoff: the raw peer never imports it
  }
  for (; next < messages.size(); ++next) {
    std::vector<uint8_t>& m = messages[next];
    // Anything that says ACK gets the real id (at offset 8, after the
    // preamble: transport/wire_format.h), well-formed or not.
    if ((mode & kPatchIds) && phase == kPhaseAwaitAck && m.size() >= 24 &&
        m[5] == static_cast<uint8_t>(transport::internal::MessageType::kAck)) {
      std::memcpy(m.data() + 8, handoff.id().data(), handoff.id().size());
    }
    // EAGAIN (socket buffer full) just drops the rest.
    if (SendRaw(raw.get(), m, {}) != 0) break;
  }
  if (mode & kCloseAfter) raw.Reset();

  bool acked = false;
  transport::ReceiveOptions opts;
  opts.timeout = absl::ZeroDuration();
  opts.max_extra_fds = transport::kMaxExtraFds;
  for (size_t i = 0; i <= messages.size() + 1; ++i) {
    absl::Status s;
    if (phase == kPhaseAwaitAck && !handoff.resolved()) {
      s = ch->AwaitAck(handoff, absl::ZeroDuration());
      if (s.ok()) {
        acked = true;
        FUZZ_CHECK(mode & kPatchIds, "ack for an id the peer never saw");
        continue;
      }
    } else {
      absl::StatusOr<transport::ReceivedToken> r = ch->Receive(opts);
      FUZZ_CHECK(!r.ok(), "a token arrived without its memfd");
      s = r.status();
    }
    FUZZ_CHECK(KindOf(s) != ErrorKind::kNone, s);
    if (Finished(s)) {
      if (phase != kPhaseAwaitAck || handoff.resolved()) break;
      // Queued handoffs (travelling our way) are drained by Receive.
      absl::StatusOr<transport::ReceivedToken> r = ch->Receive(opts);
      FUZZ_CHECK(!r.ok(), "a token arrived without its memfd");
      break;
    }
  }
  if (phase == kPhaseAwaitAck && !acked) {
    FUZZ_CHECK(!handoff.resolved());
    absl::StatusOr<transport::SecretBuffer> back = handoff.Reclaim();
    FUZZ_CHECK(back.ok(), "the sender lost its unimported token",
               back.status());
    FUZZ_CHECK(back->Equals(kToken), "the reclaimed token changed");
  }
}

}  // namespace
}  // namespace gssx::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fds_before = gssx::fuzz::CountOpenFds();
  {
    gssx::fuzz::FuzzInput in(data, size);
    gssx::fuzz::FuzzOne(in);
  }
  FUZZ_CHECK(gssx::fuzz::CountOpenFds() == fds_before, "fd leak");
  return 0;
}
