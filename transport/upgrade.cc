// SPDX-License-Identifier: Apache-2.0
#include "transport/upgrade.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "transport/deliver.h"
#include "transport/base/errors.h"
#include "transport/base/bytes.h"

extern char** environ;

namespace gssx::transport {
namespace {

constexpr uint8_t kMagic[4] = {'G', 'X', 'U', 'P'};
constexpr size_t kHeaderSize = 8;

enum MessageType : uint8_t {
  kHello = 1,
  kVerdict = 2,
  kListeners = 3,
  kSession = 4,
  kCommit = 5,
};

const char* TypeName(uint8_t type) {
  switch (type) {
    case kHello: return "HELLO";
    case kVerdict: return "VERDICT";
    case kListeners: return "LISTENERS";
    case kSession: return "SESSION";
    case kCommit: return "COMMIT";
  }
  return "unknown";
}

absl::Status Malformed(absl::string_view what) {
  return MakeError(ErrorKind::kMalformed,
                   absl::StrCat("upgrade message: ", what));
}

void PutHeader(internal::Writer& w, uint8_t type) {
  w.Bytes(kMagic);
  w.U8(kUpgradeProtocolVersion);
  w.U8(type);
  w.U16(0);
}

absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

// One parsed upgrade message: views into the token it was parsed from.
struct Parsed {
  uint8_t version = 0;
  uint8_t type = 0;
  // HELLO
  uint32_t app_version = 0;
  absl::string_view tag;
  // VERDICT
  bool accept = false;
  absl::string_view reason;
  // LISTENERS
  std::vector<absl::string_view> names;
  // SESSION
  uint64_t id = 0;
  absl::Span<const uint8_t> context_token;
  absl::Span<const uint8_t> state;
  // COMMIT
  uint32_t sessions = 0;
  uint32_t listener_messages = 0;
};

absl::string_view AsText(absl::Span<const uint8_t> b) {
  return absl::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// The one parser of upgrade tokens. A HELLO of another protocol version
// parses as far as its header (the target refuses it by its version).
absl::StatusOr<Parsed> Parse(absl::Span<const uint8_t> token) {
  internal::Reader r(token);
  Parsed p;
  uint8_t magic[4];
  uint16_t reserved16 = 0;
  r.Bytes(absl::MakeSpan(magic));
  r.U8(&p.version);
  r.U8(&p.type);
  r.U16(&reserved16);
  if (!r.ok() || std::memcmp(magic, kMagic, 4) != 0) {
    return Malformed("bad magic");
  }
  if (p.version != kUpgradeProtocolVersion) {
    if (p.type == kHello) return p;
    return Malformed(absl::StrCat("unsupported version ", p.version));
  }
  if (reserved16 != 0) return Malformed("reserved bits set");
  absl::Span<const uint8_t> view;
  switch (p.type) {
    case kHello: {
      uint16_t n = 0;
      r.U32(&p.app_version);
      r.U16(&n);
      r.U16(&reserved16);
      if (!r.ok() || n > kMaxUpgradeNameSize || reserved16 != 0 ||
          !r.View(n, &view)) {
        return Malformed("bad HELLO");
      }
      p.tag = AsText(view);
      break;
    }
    case kVerdict: {
      uint8_t accept = 0, reserved8 = 0;
      uint16_t n = 0;
      r.U8(&accept);
      r.U8(&reserved8);
      r.U16(&n);
      r.U32(&p.app_version);
      if (!r.ok() || accept > 1 || reserved8 != 0 ||
          n > kMaxUpgradeReasonSize || !r.View(n, &view)) {
        return Malformed("bad VERDICT");
      }
      p.accept = accept == 1;
      p.reason = AsText(view);
      break;
    }
    case kListeners: {
      uint16_t count = 0;
      r.U16(&count);
      r.U16(&reserved16);
      if (!r.ok() || count == 0 || count > kMaxUpgradeListeners ||
          reserved16 != 0) {
        return Malformed("bad LISTENERS count");
      }
      for (uint16_t i = 0; i < count; ++i) {
        uint16_t n = 0;
        if (!r.U16(&n) || n > kMaxUpgradeNameSize || !r.View(n, &view)) {
          return Malformed("bad LISTENERS name");
        }
        p.names.push_back(AsText(view));
      }
      break;
    }
    case kSession: {
      uint32_t t = 0, s = 0;
      r.U64(&p.id);
      r.U32(&t);
      r.U32(&s);
      if (!r.ok() || t == 0 || t > kMaxUpgradeContextToken ||
          s > kMaxUpgradeState || !r.View(t, &p.context_token) ||
          !r.View(s, &p.state)) {
        return Malformed("bad SESSION");
      }
      break;
    }
    case kCommit:
      r.U32(&p.sessions);
      r.U32(&p.listener_messages);
      if (!r.ok()) return Malformed("bad COMMIT");
      break;
    default:
      return Malformed(absl::StrCat("unknown type ", p.type));
  }
  if (r.remaining() != 0) return Malformed("trailing bytes");
  return p;
}

// An upgrade message as a codec (codec.h): Import parses the token and
// runs `check` (what only the caller knows) BEFORE the channel consumes it,
// so a message that does not parse or is not expected is rejected
// unconsumed; the value is the token itself, copied into locked memory.
struct MessageCodec {
  using Value = SecretBuffer;
  const std::function<absl::Status(const Parsed&)>& check;

  absl::StatusOr<SecretBuffer> Export(SecretBuffer& value) const {
    return std::move(value);
  }
  absl::StatusOr<SecretBuffer> Import(absl::Span<const uint8_t> bytes) const {
    absl::StatusOr<Parsed> p = Parse(bytes);
    if (!p.ok()) return p.status();
    if (absl::Status s = check(*p); !s.ok()) return s;
    return SecretBuffer::CopyOf(bytes);
  }
};

// The one receive path for upgrade messages. On success `*out` holds the
// consumed token and its fds; Parse(out->token) is known to succeed.
absl::StatusOr<Parsed> ReceiveMessage(
    Channel& channel, size_t max_fds, absl::Duration timeout,
    const std::function<absl::Status(const Parsed&)>& check,
    ReceivedToken* out) {
  ReceiveOptions options;
  options.max_extra_fds = max_fds;
  options.timeout = timeout;
  absl::StatusOr<Received<SecretBuffer>> r =
      channel.Receive(MessageCodec{check}, options);
  if (!r.ok()) return r.status();
  out->id = r->id;
  out->token = std::move(r->value);
  out->fds = std::move(r->fds);
  return Parse(out->token.span());
}

absl::Status Unexpected(const Parsed& p, absl::string_view expected) {
  return Malformed(absl::StrCat("expected ", expected, ", got ",
                                TypeName(p.type)));
}

// Builds a token of `size` bytes in locked memory with `fill`.
absl::StatusOr<SecretBuffer> Build(
    size_t size, const std::function<void(internal::Writer&)>& fill) {
  absl::StatusOr<SecretBuffer> b = SecretBuffer::Create(size);
  if (!b.ok()) return b.status();
  internal::Writer w(b->span());
  fill(w);
  if (!w.ok() || w.size() != size) {
    return MakeError(ErrorKind::kBadArgument, "upgrade message does not fit");
  }
  return b;
}

}  // namespace

// ------------------------------------------------------------ SessionGate

bool SessionGate::TryBeginRequest() {
  std::lock_guard<std::mutex> lock(mu_);
  if (held_ || in_request_) return false;
  in_request_ = true;
  return true;
}

void SessionGate::EndRequest() {
  std::lock_guard<std::mutex> lock(mu_);
  in_request_ = false;
  idle_.notify_all();
}

absl::Status SessionGate::Hold(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto idle = [this] { return !in_request_; };
  if (timeout == absl::InfiniteDuration()) {
    idle_.wait(lock, idle);
  } else if (!idle_.wait_for(lock, absl::ToChronoNanoseconds(timeout), idle)) {
    return MakeError(ErrorKind::kTimeout,
                     absl::StrCat("session still mid-request after ",
                                  absl::FormatDuration(timeout)));
  }
  held_ = true;
  return absl::OkStatus();
}

void SessionGate::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  held_ = false;
}

bool SessionGate::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

// -------------------------------------------------------------- Successor

absl::StatusOr<Successor> StartSuccessor(const std::string& path,
                                         const std::vector<std::string>& args) {
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> pair = MakeSocketPair();
  if (!pair.ok()) return pair.status();
  const int child_fd = pair->second.get();
  // Everything the child needs, built before fork (after it, only
  // async-signal-safe calls).
  std::vector<std::string> env_strings;
  const std::string prefix = absl::StrCat(kUpgradeFdEnv, "=");
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (absl::string_view(*e).substr(0, prefix.size()) != prefix) {
      env_strings.emplace_back(*e);
    }
  }
  env_strings.push_back(absl::StrCat(prefix, child_fd));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings;
  arg_strings.push_back(path);
  arg_strings.insert(arg_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return OsError(errno, "fork");
  if (pid == 0) {
    // The channel is the one fd that crosses exec.
    if (fcntl(child_fd, F_SETFD, 0) != 0) _exit(126);
    execve(path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  Successor s;
  s.pid = pid;
  s.channel_socket = std::move(pair->first);
  return s;  // the child's end closes here, in the parent
}

absl::StatusOr<Channel> InheritedUpgradeChannel(const ChannelOptions& options) {
  const char* value = std::getenv(kUpgradeFdEnv);
  int fd = -1;
  if (value == nullptr || !absl::SimpleAtoi(value, &fd) || fd < 0) {
    return MakeError(ErrorKind::kBadArgument,
                     absl::StrCat(kUpgradeFdEnv, " is not set to an fd"));
  }
  unsetenv(kUpgradeFdEnv);
  return Channel::FromInheritedFd(fd, options);
}

// ---------------------------------------------------------- UpgradeSource

UpgradeSource::~UpgradeSource() {
  if (!finished_ && !parked_.empty()) {
    UpgradeReport ignored;
    GiveBack(ignored);
  }
}

absl::StatusOr<UpgradeSource> UpgradeSource::Begin(
    UniqueFd channel_socket, const UpgradeHello& hello,
    const UpgradeOptions& options, const ChannelOptions& channel) {
  absl::StatusOr<Channel> ch = Channel::Open(std::move(channel_socket), channel);
  if (!ch.ok()) return ch.status();
  return Begin(std::move(*ch), hello, options);
}

absl::StatusOr<UpgradeSource> UpgradeSource::Begin(
    Channel channel, const UpgradeHello& hello, const UpgradeOptions& options) {
  if (hello.app_tag.size() > kMaxUpgradeNameSize) {
    return MakeError(ErrorKind::kBadArgument, "app_tag longer than 64 bytes");
  }
  UpgradeSource source(std::move(channel), options);
  absl::StatusOr<SecretBuffer> token =
      Build(kHeaderSize + 8 + hello.app_tag.size(), [&](internal::Writer& w) {
        PutHeader(w, kHello);
        w.U32(hello.app_version);
        w.U16(static_cast<uint16_t>(hello.app_tag.size()));
        w.U16(0);
        w.Bytes(AsBytes(hello.app_tag));
      });
  if (!token.ok()) return token.status();
  if (absl::Status s = source.SendAndAwait("HELLO", token->span(), {});
      !s.ok()) {
    return s;
  }
  ReceivedToken received;
  absl::StatusOr<Parsed> verdict = ReceiveMessage(
      source.channel(), 0, options.step_timeout,
      [](const Parsed& p) {
        return p.type == kVerdict ? absl::OkStatus()
                                  : Unexpected(p, "VERDICT");
      },
      &received);
  if (!verdict.ok()) return verdict.status();
  if (!verdict->accept) {
    return MakeError(ErrorKind::kRefusedByPeer,
                     absl::StrCat("the new binary refused the upgrade: ",
                                  verdict->reason));
  }
  source.target_version_ = verdict->app_version;
  return source;
}

absl::Status UpgradeSource::SendAndAwait(const char* type,
                                         absl::Span<const uint8_t> token,
                                         absl::Span<const int> fds) {
  absl::StatusOr<Handoff> sent = channel().Send(token, fds);
  if (!sent.ok()) return sent.status();
  if (options_.after_send) options_.after_send(type);
  absl::Status acked = channel().AwaitAck(*sent, options_.step_timeout);
  if (acked.ok()) return acked;
  // Close the door: the target may not consume this message later. (If it
  // already did, nothing is lost: without a COMMIT it owns nothing.)
  (void)ReclaimWithin(std::move(*sent), options_.reclaim_timeout);
  return MakeError(KindOf(acked),
                   absl::StrCat(type, " not acknowledged: ", acked.message()),
                   ErrnoOf(acked));
}

absl::Status UpgradeSource::OfferListeners(
    const std::vector<std::pair<std::string, int>>& listeners) {
  if (finished_) return MakeError(ErrorKind::kBadArgument, "upgrade ended");
  if (listeners.empty() || listeners.size() > kMaxUpgradeListeners) {
    return MakeError(ErrorKind::kBadArgument,
                     absl::StrCat("1 to ", kMaxUpgradeListeners,
                                  " listeners per message"));
  }
  size_t size = kHeaderSize + 4;
  std::vector<int> fds;
  for (const auto& [name, fd] : listeners) {
    if (name.size() > kMaxUpgradeNameSize || fd < 0) {
      return MakeError(ErrorKind::kBadArgument,
                       "listener name longer than 64 bytes, or fd < 0");
    }
    size += 2 + name.size();
    fds.push_back(fd);
  }
  if (failed()) return failure_;
  absl::StatusOr<SecretBuffer> token = Build(size, [&](internal::Writer& w) {
    PutHeader(w, kListeners);
    w.U16(static_cast<uint16_t>(listeners.size()));
    w.U16(0);
    for (const auto& l : listeners) {
      w.U16(static_cast<uint16_t>(l.first.size()));
      w.Bytes(AsBytes(l.first));
    }
  });
  if (!token.ok()) return token.status();
  failure_ = SendAndAwait("LISTENERS", token->span(), fds);
  if (failure_.ok()) ++listener_messages_;
  return failure_;
}

absl::Status UpgradeSource::OfferSession(OutgoingSession session) {
  auto refuse = [&session](absl::string_view why) {
    absl::Status error = MakeError(ErrorKind::kBadArgument, why);
    if (session.restore) {
      absl::Status restored = session.restore(std::move(session.context_token));
      if (!restored.ok()) return restored;
    }
    return error;
  };
  if (finished_) return refuse("upgrade ended");
  if (!session.restore) return refuse("session without a restore function");
  if (session.client_fd < 0) return refuse("session fd < 0");
  if (session.context_token.empty() ||
      session.context_token.size() > kMaxUpgradeContextToken ||
      session.state.size() > kMaxUpgradeState) {
    return refuse("session token empty or too large, or state too large");
  }
  for (const Parked& p : parked_) {
    if (p.id == session.id) return refuse("session id offered twice");
  }
  if (failed()) {
    parked_.push_back({session.id, std::move(session.context_token),
                       std::move(session.restore)});
    return failure_;
  }
  absl::StatusOr<SecretBuffer> token =
      Build(kHeaderSize + 16 + session.context_token.size() +
                session.state.size(),
            [&](internal::Writer& w) {
              PutHeader(w, kSession);
              w.U64(session.id);
              w.U32(static_cast<uint32_t>(session.context_token.size()));
              w.U32(static_cast<uint32_t>(session.state.size()));
              w.Bytes(session.context_token.span());
              w.Bytes(session.state);
            });
  // Parked whatever happens next: Commit decides where it goes.
  parked_.push_back({session.id, std::move(session.context_token),
                     std::move(session.restore)});
  if (!token.ok()) {
    failure_ = token.status();
  } else {
    failure_ = SendAndAwait("SESSION", token->span(), {session.client_fd});
  }
  return failure_;
}

void UpgradeSource::GiveBack(UpgradeReport& report) {
  for (Parked& p : parked_) {
    absl::Status restored = p.restore(std::move(p.token));
    if (restored.ok()) {
      report.returned.push_back(p.id);
    } else {
      report.lost.push_back(p.id);
      report.status = MakeError(
          KindOf(restored) == ErrorKind::kNone ? ErrorKind::kOs
                                               : KindOf(restored),
          absl::StrCat(report.status.message(), "; session ", p.id,
                       " could not be restored: ", restored.message()),
          ErrnoOf(restored));
    }
  }
  parked_.clear();
}

UpgradeReport UpgradeSource::Commit() {
  UpgradeReport report;
  if (finished_) {
    report.status = MakeError(ErrorKind::kBadArgument, "upgrade ended");
    return report;
  }
  finished_ = true;
  if (failed()) {
    report.status = failure_;
    report.outcome = parked_.empty() && listener_messages_ == 0
                         ? UpgradeReport::Outcome::kNothingMoved
                         : UpgradeReport::Outcome::kReturned;
    GiveBack(report);
    channel_.reset();  // not usable; closes
    return report;
  }
  absl::StatusOr<SecretBuffer> token =
      Build(kHeaderSize + 8, [&](internal::Writer& w) {
        PutHeader(w, kCommit);
        w.U32(static_cast<uint32_t>(parked_.size()));
        w.U32(static_cast<uint32_t>(listener_messages_));
      });
  absl::StatusOr<Handoff> sent =
      token.ok() ? channel().Send(token->span(), {})
                 : absl::StatusOr<Handoff>(token.status());
  absl::Status acked = sent.status();
  if (sent.ok()) {
    if (options_.after_send) options_.after_send("COMMIT");
    acked = channel().AwaitAck(*sent, options_.step_timeout);
  }
  bool committed = acked.ok();
  if (!committed && sent.ok()) {
    // The COMMIT latch decides: our reclaim, or the target's import.
    absl::StatusOr<SecretBuffer> back =
        ReclaimWithin(std::move(*sent), options_.reclaim_timeout);
    if (IsError(back.status(), ErrorKind::kAlreadyConsumed)) {
      committed = true;
      report.status = MakeError(
          KindOf(acked),
          absl::StrCat("the target consumed the COMMIT but did not "
                       "acknowledge it: ",
                       acked.message()),
          ErrnoOf(acked));
    } else if (!back.ok()) {
      report.outcome = UpgradeReport::Outcome::kUnknown;
      report.status = MakeError(
          KindOf(back.status()),
          absl::StrCat("upgrade outcome unknown (", acked.message(),
                       "; reclaiming the COMMIT failed: ",
                       back.status().message(),
                       "): parked sessions dropped"),
          ErrnoOf(back.status()));
      for (Parked& p : parked_) report.lost.push_back(p.id);
      parked_.clear();  // tokens wiped; never served twice
      channel_.reset();
      return report;
    }
  }
  if (committed) {
    report.outcome = UpgradeReport::Outcome::kCommitted;
    report.listener_messages = listener_messages_;
    for (Parked& p : parked_) report.committed.push_back(p.id);
    parked_.clear();  // our copies of the contexts are wiped
  } else {
    report.outcome = UpgradeReport::Outcome::kReturned;
    report.status = MakeError(
        KindOf(acked),
        absl::StrCat("COMMIT not acknowledged: ", acked.message()),
        ErrnoOf(acked));
    GiveBack(report);
  }
  channel_.reset();
  return report;
}

// ---------------------------------------------------------- UpgradeTarget

absl::StatusOr<UpgradeTarget> UpgradeTarget::Accept(
    Channel channel, const UpgradeTargetOptions& options) {
  UpgradeTarget target(std::move(channel), options);
  Channel& ch = *target.channel_;
  ReceivedToken received;
  absl::StatusOr<Parsed> hello = ReceiveMessage(
      ch, 0, options.step_timeout,
      [&options](const Parsed& p) {
        if (p.type != kHello) return Unexpected(p, "HELLO");
        if (options.before_consume) options.before_consume("HELLO");
        return absl::OkStatus();
      },
      &received);
  if (!hello.ok()) return hello.status();
  if (options.after_receive) options.after_receive("HELLO");
  absl::Status verdict;
  if (hello->version != kUpgradeProtocolVersion) {
    verdict = MakeError(ErrorKind::kPeerNotAllowed,
                        absl::StrCat("upgrade protocol version ",
                                     hello->version, " (this binary speaks ",
                                     kUpgradeProtocolVersion, ")"));
  } else {
    target.source_.app_tag = std::string(hello->tag);
    target.source_.app_version = hello->app_version;
    if (options.accept) {
      verdict = options.accept(target.source_);
    } else if (target.source_.app_tag != options.self.app_tag ||
               target.source_.app_version != options.self.app_version) {
      verdict = MakeError(
          ErrorKind::kPeerNotAllowed,
          absl::StrCat("source is ", target.source_.app_tag, " version ",
                       target.source_.app_version, ", this binary reads ",
                       options.self.app_tag, " version ",
                       options.self.app_version));
    }
  }
  std::string reason(verdict.message().substr(0, kMaxUpgradeReasonSize));
  absl::StatusOr<SecretBuffer> token =
      Build(kHeaderSize + 8 + reason.size(), [&](internal::Writer& w) {
        PutHeader(w, kVerdict);
        w.U8(verdict.ok() ? 1 : 0);
        w.U8(0);
        w.U16(static_cast<uint16_t>(reason.size()));
        w.U32(options.self.app_version);
        w.Bytes(AsBytes(reason));
      });
  if (!token.ok()) return token.status();
  absl::StatusOr<Handoff> sent = ch.Send(token->span(), {});
  if (!sent.ok()) return sent.status();
  absl::Status acked = ch.AwaitAck(*sent, options.step_timeout);
  if (!verdict.ok()) {
    return MakeError(ErrorKind::kPeerNotAllowed,
                     absl::StrCat("upgrade refused: ", verdict.message()));
  }
  if (!acked.ok()) return acked;
  return target;
}

absl::StatusOr<UpgradeBatch> UpgradeTarget::ReceiveBatch() {
  if (finished_ || !channel_.has_value()) {
    return MakeError(ErrorKind::kBadArgument, "upgrade ended");
  }
  // Ends the upgrade: the channel closes (the source sees it at once).
  auto finish = [this] {
    finished_ = true;
    channel_.reset();
  };
  // Everything offered so far: dropped (fds closed, tokens wiped) unless
  // the COMMIT comes.
  UpgradeBatch pending;
  uint32_t listener_messages = 0;
  for (;;) {
    auto check_in_batch = [&](const Parsed& p) -> absl::Status {
      if (p.type == kCommit) {
        if (p.sessions != pending.sessions.size() ||
            p.listener_messages != listener_messages) {
          return Malformed(absl::StrCat(
              "COMMIT for ", p.sessions, " sessions and ",
              p.listener_messages, " listener messages; received ",
              pending.sessions.size(), " and ", listener_messages));
        }
        return absl::OkStatus();
      }
      if (p.type == kSession) {
        for (const IncomingSession& s : pending.sessions) {
          if (s.id == p.id) return Malformed("session id offered twice");
        }
        if (options_.validate_context) {
          return options_.validate_context(p.context_token);
        }
        return absl::OkStatus();
      }
      if (p.type == kListeners) return absl::OkStatus();
      return Unexpected(p, "LISTENERS, SESSION or COMMIT");
    };
    auto check = [&](const Parsed& p) -> absl::Status {
      absl::Status verdict = check_in_batch(p);
      if (verdict.ok() && options_.before_consume) {
        options_.before_consume(TypeName(p.type));
      }
      return verdict;
    };
    ReceivedToken received;
    absl::StatusOr<Parsed> m = ReceiveMessage(
        *channel_, kMaxUpgradeListeners, options_.step_timeout, check,
        &received);
    if (!m.ok()) {
      finish();
      return m.status();
    }
    if (options_.after_receive) options_.after_receive(TypeName(m->type));
    switch (m->type) {
      case kCommit:
        finish();
        return pending;
      case kListeners:
        if (received.fds.size() != m->names.size()) {
          finish();
          return Malformed("LISTENERS: fd count does not match the names");
        }
        for (size_t i = 0; i < m->names.size(); ++i) {
          pending.listeners.push_back(
              {std::string(m->names[i]), std::move(received.fds[i])});
        }
        ++listener_messages;
        break;
      case kSession: {
        if (received.fds.size() != 1) {
          finish();
          return Malformed("SESSION: not exactly one fd");
        }
        IncomingSession s;
        s.id = m->id;
        s.client = std::move(received.fds[0]);
        absl::StatusOr<SecretBuffer> ctx = SecretBuffer::CopyOf(m->context_token);
        absl::StatusOr<SecretBuffer> state = SecretBuffer::CopyOf(m->state);
        if (!ctx.ok() || !state.ok()) {
          finish();
          return ctx.ok() ? state.status() : ctx.status();
        }
        s.context_token = std::move(*ctx);
        s.state = std::move(*state);
        pending.sessions.push_back(std::move(s));
        break;
      }
    }
  }
}

}  // namespace gssx::transport
