// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the channel's receive path, end to end. One message (or the
// same one twice) travels over a real SOCK_SEQPACKET socketpair into
// Channel::Receive: an arbitrary body, or a real HANDOFF body with byte
// edits, carrying arbitrary fds: pipes, a regular file, sockets, an eventfd,
// unsealed memfds, memfds sealed any way with arbitrary contents, a memfd
// reopened read-only, an unlinked /dev/shm file, the real token memfd
// (again), up to the kernel's 253. Input layout: transport/fuzz/formats.h
// (receive_format).
//
// Invariants, besides "no crash, no sanitizer report, no hang":
//   - every failure carries a transport ErrorKind;
//   - a failure leaves the first fd's latch as it was (a rejected token
//     stays reclaimable); a success latched it, returned as many extra fds
//     as the body announced, acked 0, and (real token) the exact bytes;
//   - one token is imported at most once, even when sent twice;
//   - an unedited real handoff within the fd limit is imported;
//   - no fd is left open: everything received and rejected is closed.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "transport/fuzz/formats.h"
#include "testing/fuzz/fuzz_util.h"
#include "transport/channel.h"
#include "transport/base/errors.h"
#include "transport/memfd_token.h"
#include "transport/wire_format.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

namespace gssx::fuzz {
namespace {

using namespace receive_format;  // NOLINT: the format's constants
using transport::Channel;
using transport::ErrorKind;
using transport::KindOf;
using transport::UniqueFd;

constexpr uint8_t kPayload[] = {'r', 'e', 'c', 'e', 'i', 'v', 'e', 'd'};
constexpr size_t kMaxFdsChoice[4] = {0, 1, 4, transport::kMaxExtraFds};
constexpr size_t kScmMaxFd = 253;

// A HANDOFF body from the channel's own encoder (transport/wire_format.h).
std::vector<uint8_t> HandoffBody(const transport::SealedToken& t,
                                 uint16_t extra) {
  std::vector<uint8_t> b(transport::internal::kHandoffSize);
  b.resize(transport::internal::EncodeHandoff(t.expect, extra, t.key.span(),
                                              absl::MakeSpan(b)));
  return b;
}

int SealBits(uint8_t bits) {
  int seals = 0;
  if (bits & 0x01) seals |= F_SEAL_SEAL;
  if (bits & 0x02) seals |= F_SEAL_SHRINK;
  if (bits & 0x04) seals |= F_SEAL_GROW;
  if (bits & 0x08) seals |= F_SEAL_WRITE;
  if (bits & 0x10) seals |= F_SEAL_FUTURE_WRITE;
  if (bits & 0x20) seals |= F_SEAL_EXEC;
  return seals;
}

void WriteAll(int fd, absl::Span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done,
                         static_cast<off_t>(done));
    FUZZ_CHECK(n > 0);
    done += static_cast<size_t>(n);
  }
}

UniqueFd Memfd(absl::Span<const uint8_t> contents, int seals) {
  UniqueFd fd(::memfd_create("fuzz-fd", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  FUZZ_CHECK(fd.valid());
  WriteAll(fd.get(), contents);
  if (seals != 0) FUZZ_CHECK(::fcntl(fd.get(), F_ADD_SEALS, seals) == 0);
  return fd;
}

UniqueFd Reopen(int fd, int flags) {
  std::string path = absl::StrCat("/proc/self/fd/", fd);
  UniqueFd out(::open(path.c_str(), flags | O_CLOEXEC));
  FUZZ_CHECK(out.valid());
  return out;
}

// An unlinked regular file on a disk filesystem, reused by every input.
int RegularFile() {
  static int fd = [] {
    int f = ::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (f < 0) {
      std::string path = absl::StrCat("/tmp/gssx-fuzz-", ::getpid());
      f = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      ::unlink(path.c_str());
    }
    FUZZ_CHECK(f >= 0);
    return f;
  }();
  return fd;
}

// Makes one fd of the kind the input asks for; appends it (and any other
// end it needs kept open meanwhile) to `keep`.
void MakeFd(FuzzInput& in, const UniqueFd* token, std::vector<UniqueFd>& keep,
            std::vector<int>& send) {
  const uint8_t kind = in.U8() % kFdKinds;
  switch (kind) {
    case kPipeRead:
    case kPipeWrite: {
      int p[2];
      FUZZ_CHECK(::pipe2(p, O_CLOEXEC) == 0);
      keep.emplace_back(p[0]);
      keep.emplace_back(p[1]);
      send.push_back(p[kind == kPipeRead ? 0 : 1]);
      return;
    }
    case kSocket: {
      int sv[2];
      FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ==
                 0);
      keep.emplace_back(sv[0]);
      keep.emplace_back(sv[1]);
      send.push_back(sv[0]);
      return;
    }
    case kEventFd:
      keep.emplace_back(::eventfd(0, EFD_CLOEXEC));
      FUZZ_CHECK(keep.back().valid());
      send.push_back(keep.back().get());
      return;
    case kRealToken:
      if (token != nullptr) {
        send.push_back(token->get());
        return;
      }
      break;  // no real token: a sealed memfd instead
    default:
      break;
  }
  const int seals = SealBits(in.U8());
  absl::Span<const uint8_t> contents = in.Chunk(/*wide=*/true);
  switch (kind) {
    case kRegularFile: {
      UniqueFd f = Reopen(RegularFile(), O_RDWR);
      FUZZ_CHECK(::ftruncate(f.get(), 0) == 0);
      WriteAll(f.get(), contents);
      keep.push_back(std::move(f));
      break;
    }
    case kUnsealedMemfd:
      keep.push_back(Memfd(contents, 0));
      break;
    case kReadOnlyMemfd: {
      UniqueFd rw = Memfd(contents, F_SEAL_WRITE | F_SEAL_GROW);
      keep.push_back(Reopen(rw.get(), O_RDONLY));
      break;
    }
    case kSealedTmpfsFile: {
      std::string path = absl::StrCat("/dev/shm/gssx-fuzz-", ::getpid());
      UniqueFd f(
          ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      ::unlink(path.c_str());
      if (!f.valid()) f = Memfd(contents, seals);  // no /dev/shm here
      WriteAll(f.get(), contents);
      keep.push_back(std::move(f));
      break;
    }
    default:  // kSealedMemfd, kRealToken without a token
      keep.push_back(Memfd(contents, seals));
      break;
  }
  send.push_back(keep.back().get());
}

// Latch state of `fd`: 1 latched, 0 not, -1 not a sealable file.
int Latched(int fd) {
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) return -1;
  return (seals & F_SEAL_SEAL) ? 1 : 0;
}

// Whether an ACK with result 0 for `id` is waiting on `raw` (reads all).
bool AckedOk(int raw, const transport::TokenId& id) {
  bool found = false;
  for (;;) {
    uint8_t body[256];
    ssize_t n = ::recv(raw, body, sizeof body, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return found;
    if (n == 28 && body[5] == 3 &&
        std::memcmp(body + 8, id.data(), id.size()) == 0 && body[24] == 0 &&
        body[25] == 0 && body[26] == 0 && body[27] == 0) {
      found = true;
    }
  }
}

void FuzzOne(FuzzInput& in) {
  const uint8_t flags = in.U8();
  const size_t nfds = in.U8() % 8;
  const bool valid = flags & kValidBody;

  absl::StatusOr<transport::SealedToken> token;
  std::vector<uint8_t> body;
  std::vector<std::pair<uint8_t, uint8_t>> edits;
  if (valid) {
    token = transport::SealEncryptedToken(kPayload);
    FUZZ_CHECK(token.ok(), token.status());
    const size_t n = in.U8();
    for (size_t i = 0; i < n && in.remaining() > 0; ++i) {
      uint8_t offset = in.U8();
      edits.emplace_back(offset, in.U8());
    }
  } else {
    absl::Span<const uint8_t> b = in.Chunk();
    body.assign(b.begin(), b.end());
  }

  std::vector<UniqueFd> keep;
  std::vector<int> send;
  if (valid) send.push_back(token->fd.get());
  for (size_t i = 0; i < nfds; ++i) {
    MakeFd(in, valid ? &token->fd : nullptr, keep, send);
  }
  if (flags & kFlood) {
    keep.emplace_back(::eventfd(0, EFD_CLOEXEC));
    FUZZ_CHECK(keep.back().valid());
    const int filler = keep.back().get();
    while (send.size() < kScmMaxFd) send.push_back(filler);
  }
  if (send.size() > kScmMaxFd) send.resize(kScmMaxFd);
  if (valid) {
    body = HandoffBody(*token, static_cast<uint16_t>(send.size() - 1));
    for (auto [offset, value] : edits) body[offset % body.size()] = value;
  }
  const int first_latch = send.empty() ? -1 : Latched(send[0]);

  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> pair =
      transport::MakeSocketPair();
  FUZZ_CHECK(pair.ok(), pair.status());
  UniqueFd raw = std::move(pair->second);
  uint8_t hello[transport::internal::kHelloSize];
  FUZZ_CHECK(transport::internal::EncodeHello(true, absl::MakeSpan(hello)) ==
             sizeof hello);
  FUZZ_CHECK(SendRaw(raw.get(), hello, {}) == 0);
  transport::ChannelOptions options;
  options.open_timeout = absl::ZeroDuration();
  options.send_timeout = absl::ZeroDuration();
  absl::StatusOr<Channel> ch = Channel::Open(std::move(pair->first), options);
  FUZZ_CHECK(ch.ok(), ch.status());
  DrainRaw(raw.get());  // its HELLO

  const int sends = (flags & kSendTwice) ? 2 : 1;
  for (int i = 0; i < sends; ++i) {
    int err = SendRaw(raw.get(), body, send);
    FUZZ_CHECK(err == 0, "sendmsg failed");
  }
  if (flags & kCloseAfter) raw.Reset();

  transport::ReceiveOptions opts;
  opts.timeout = absl::ZeroDuration();
  opts.max_extra_fds = kMaxFdsChoice[(flags >> kMaxFdsShift) & 3];
  // An untouched real handoff within the fd limit must get through.
  const bool must_import =
      valid && edits.empty() && send.size() - 1 <= opts.max_extra_fds;
  int imported = 0;
  for (int i = 0; i < sends; ++i) {
    absl::StatusOr<transport::ReceivedToken> r = ch->Receive(opts);
    if (!r.ok()) {
      FUZZ_CHECK(KindOf(r.status()) != ErrorKind::kNone, r.status());
      FUZZ_CHECK(
          imported > 0 || send.empty() || Latched(send[0]) == first_latch,
          "a rejected token's latch changed", r.status());
      continue;
    }
    ++imported;
    FUZZ_CHECK(!send.empty() && first_latch == 0 && Latched(send[0]) == 1,
               "imported without winning the latch");
    FUZZ_CHECK(r->fds.size() + 1 == send.size(), "extra fds went missing");
    if (valid && r->id == token->expect.id) {
      FUZZ_CHECK(r->token.Equals(kPayload), "imported the wrong bytes");
    }
    if (raw.valid()) FUZZ_CHECK(AckedOk(raw.get(), r->id), "import not acked");
  }
  FUZZ_CHECK(imported <= 1, "one token imported twice");
  FUZZ_CHECK(imported == 1 || !must_import, "a valid handoff was refused");
}

}  // namespace
}  // namespace gssx::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)gssx::fuzz::RegularFile();  // opened once, for the whole run
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fds_before = gssx::fuzz::CountOpenFds();
  {
    gssx::fuzz::FuzzInput in(data, size);
    gssx::fuzz::FuzzOne(in);
  }
  FUZZ_CHECK(gssx::fuzz::CountOpenFds() == fds_before, "fd leak");
  return 0;
}
