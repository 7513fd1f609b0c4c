// SPDX-License-Identifier: Apache-2.0
#include "gssx/context.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gssx/internal/export_format.h"
#include "gssx/internal/framing.h"
#include "gssx/internal/identity.h"
#include "gssx/internal/per_message.h"
#include "gssx/noise/noise.h"
#include "gssx/oid.h"
#include "transport/base/bytes.h"

namespace gssx {
namespace {

using internal::ContextState;
using transport::internal::Reader;
using transport::internal::Writer;
using transport::SecretBuffer;

constexpr char kProtocolName[] = "Noise_IK_25519_ChaChaPoly_SHA256";
constexpr char kPrologueLabel[] = "gssx mechanism v1";
constexpr uint8_t kPayloadVersion = 1;
constexpr size_t kBindingsHashSize = 32;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

constexpr ContextFlags kAlwaysGranted = kMutualFlag | kConfFlag | kIntegFlag;
constexpr ContextFlags kNegotiable = kReplayFlag | kSequenceFlag;
constexpr ContextFlags kKnownFlags = kDelegFlag | kMutualFlag | kReplayFlag |
                                     kSequenceFlag | kConfFlag | kIntegFlag |
                                     kAnonFlag | kProtReadyFlag | kTransFlag;

using BindingsHash = std::array<uint8_t, kBindingsHashSize>;

// "gssx mechanism v1" || mechanism OID: both sides mix it into h first.
std::vector<uint8_t> Prologue() {
  std::vector<uint8_t> p(kPrologueLabel,
                         kPrologueLabel + sizeof(kPrologueLabel) - 1);
  const absl::Span<const uint8_t> oid = MechanismOid().bytes();
  p.insert(p.end(), oid.begin(), oid.end());
  return p;
}

void HashField(crypto_hash_sha256_state* st, absl::Span<const uint8_t> b) {
  uint8_t len[4];
  const uint32_t n = static_cast<uint32_t>(b.size());
  for (int i = 0; i < 4; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  crypto_hash_sha256_update(st, len, 4);
  if (!b.empty()) crypto_hash_sha256_update(st, b.data(), b.size());
}

void HashU32(crypto_hash_sha256_state* st, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  crypto_hash_sha256_update(st, b, 4);
}

BindingsHash HashBindings(const ChannelBindings& cb) {
  static constexpr char kLabel[] = "gssx channel bindings v1";
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(kLabel),
                            sizeof(kLabel) - 1);
  HashU32(&st, cb.initiator_address_type);
  HashField(&st, cb.initiator_address);
  HashU32(&st, cb.acceptor_address_type);
  HashField(&st, cb.acceptor_address);
  HashField(&st, cb.application_data);
  BindingsHash out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

int64_t EncodeTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) return kNever;
  return absl::ToUnixNanos(t);
}

absl::Time DecodeTime(int64_t ns) {
  return ns == kNever ? absl::InfiniteFuture() : absl::FromUnixNanos(ns);
}

// Handshake payloads (inside the Noise messages, so encrypted and bound to
// the transcript). Little-endian; see gssx/README.md.
struct InitPayload {
  ContextFlags flags = 0;
  absl::Time expiry = absl::InfiniteFuture();
  std::optional<BindingsHash> bindings;
  std::string initiator;
  std::string target;
};

struct AcceptPayload {
  ContextFlags flags = 0;
  absl::Time expiry = absl::InfiniteFuture();
  std::string acceptor;
};

void EncodeInit(const InitPayload& p, Writer& w) {
  w.U8(kPayloadVersion);
  w.U32(p.flags);
  w.I64(EncodeTime(p.expiry));
  w.U8(p.bindings.has_value() ? 1 : 0);
  const BindingsHash none{};
  w.Bytes(p.bindings.has_value() ? *p.bindings : none);
  w.U16(static_cast<uint16_t>(p.initiator.size()));
  w.Str(p.initiator);
  w.U16(static_cast<uint16_t>(p.target.size()));
  w.Str(p.target);
}

void EncodeAccept(const AcceptPayload& p, Writer& w) {
  w.U8(kPayloadVersion);
  w.U32(p.flags);
  w.I64(EncodeTime(p.expiry));
  w.U16(static_cast<uint16_t>(p.acceptor.size()));
  w.Str(p.acceptor);
}

template <typename T, typename F>
std::vector<uint8_t> EncodeToVector(const T& payload, F encode) {
  Writer count;
  encode(payload, count);
  std::vector<uint8_t> out(count.size());
  Writer w(absl::MakeSpan(out));
  encode(payload, w);
  return out;
}

bool ReadIdentity(Reader& r, std::string* out) {
  uint16_t len = 0;
  absl::string_view s;
  if (!r.U16(&len) || len > internal::kMaxIdentityLength ||
      !r.Str(len, &s) || !internal::IsValidIdentity(s)) {
    return false;
  }
  *out = std::string(s);
  return true;
}

absl::Status BadPayload() {
  return MakeError(ErrorKind::kDefectiveToken, Minor::kPayloadMalformed,
                   "gssx: malformed handshake payload");
}

absl::StatusOr<InitPayload> ParseInit(absl::Span<const uint8_t> bytes) {
  Reader r(bytes);
  InitPayload p;
  uint8_t version = 0, has_bindings = 0;
  int64_t expiry = 0;
  absl::Span<const uint8_t> hash;
  if (!r.U8(&version) || version != kPayloadVersion || !r.U32(&p.flags) ||
      !r.I64(&expiry) || !r.U8(&has_bindings) || has_bindings > 1 ||
      !r.View(kBindingsHashSize, &hash) || !ReadIdentity(r, &p.initiator) ||
      !ReadIdentity(r, &p.target) || !r.done()) {
    return BadPayload();
  }
  p.expiry = DecodeTime(expiry);
  if (has_bindings == 1) {
    BindingsHash h;
    std::memcpy(h.data(), hash.data(), h.size());
    p.bindings = h;
  }
  return p;
}

absl::StatusOr<AcceptPayload> ParseAccept(absl::Span<const uint8_t> bytes) {
  Reader r(bytes);
  AcceptPayload p;
  uint8_t version = 0;
  int64_t expiry = 0;
  if (!r.U8(&version) || version != kPayloadVersion || !r.U32(&p.flags) ||
      !r.I64(&expiry) || !ReadIdentity(r, &p.acceptor) || !r.done()) {
    return BadPayload();
  }
  p.expiry = DecodeTime(expiry);
  return p;
}

// A Noise failure while reading a handshake message, as a gssx status.
absl::Status FromNoiseRead(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kResourceExhausted:
      return ToGssxStatus(s);
    case absl::StatusCode::kDataLoss:
      return MakeError(ErrorKind::kDefectiveToken, Minor::kTokenMalformed,
                       absl::StrCat("gssx: handshake message: ", s.message()));
    default:
      return MakeError(ErrorKind::kDefectiveToken,
                       Minor::kHandshakeDecryptFailed,
                       absl::StrCat("gssx: handshake message: ", s.message()));
  }
}

// A Noise failure on our own side (writing, splitting).
absl::Status FromNoiseInternal(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kResourceExhausted) return ToGssxStatus(s);
  return MakeError(ErrorKind::kFailure, Minor::kInternal,
                   absl::StrCat("gssx: ", s.message()));
}

absl::Status Expired(absl::string_view what) {
  return MakeError(ErrorKind::kContextExpired, Minor::kLifetimeExpired,
                   absl::StrCat("gssx: ", what, " has expired"));
}

absl::Status CheckCredential(const Credentials& cred, CredentialUsage refused,
                             absl::Time now) {
  if (cred.usage() == refused || cred.identities().empty()) {
    return MakeError(ErrorKind::kNoCred, Minor::kCredentialUsage,
                     refused == CredentialUsage::kAccept
                         ? "gssx: the credential is for accepting only"
                         : "gssx: the credential is for initiating only");
  }
  if (now >= cred.expiry()) {
    return MakeError(ErrorKind::kCredentialsExpired, Minor::kLifetimeExpired,
                     "gssx: the credential has expired");
  }
  return absl::OkStatus();
}

// Moves the Split keys into the context state.
absl::Status TakeKeys(noise::HandshakeState& hs, ContextState* core) {
  absl::StatusOr<noise::TransportCiphers> ciphers = hs.Split();
  if (!ciphers.ok()) return FromNoiseInternal(ciphers.status());
  absl::StatusOr<SecretBuffer> send = ciphers->send.ExportKey();
  if (!send.ok()) return FromNoiseInternal(send.status());
  absl::StatusOr<SecretBuffer> recv = ciphers->receive.ExportKey();
  if (!recv.ok()) return FromNoiseInternal(recv.status());
  core->send_key = *std::move(send);
  core->recv_key = *std::move(recv);
  core->send_seq = 0;
  core->window = internal::ReplayWindow();
  return absl::OkStatus();
}

absl::StatusOr<Name> NameOf(const std::string& identity) {
  return Name::FromIdentity(identity);
}

// kUnauthorized unless `flags` has every flag of `required`.
absl::Status CheckRequired(ContextFlags flags, ContextFlags required,
                           absl::string_view who) {
  if ((flags & required) == required) return absl::OkStatus();
  return MakeError(
      ErrorKind::kUnauthorized, Minor::kRequiredServicesMissing,
      absl::StrCat("gssx: ", who, " lacks required services (flags 0x",
                   absl::Hex(flags), ", required 0x", absl::Hex(required),
                   ")"));
}

}  // namespace

struct Context::State {
  // Everything an established context is, and what Export() writes.
  ContextState core;
  const Clock* clock = nullptr;
  bool established = false;
  // Initiator, until the acceptor's token arrives.
  std::optional<noise::HandshakeState> handshake;
  ContextFlags requested = 0;  // what the initiator asked for
  // This instance's nonce salt for what it sends (internal/per_message.h):
  // drawn for every State, so the handshake's context and each Import()
  // of an exported one never share a (key, nonce) pair. Not exported.
  internal::SendSalt send_salt = internal::NewSendSalt();

  bool expired() const { return clock->Now() >= core.expiry; }
};

Context::Context() = default;
Context::~Context() = default;

Context::Context(std::unique_ptr<State> state) : state_(std::move(state)) {}

Context::Context(Context&& other) noexcept
    : state_(std::move(other.state_)), empty_reason_(other.empty_reason_) {
  other.empty_reason_ = Minor::kNoContextHandle;
}

Context& Context::operator=(Context&& other) noexcept {
  if (this != &other) {
    state_ = std::move(other.state_);
    empty_reason_ = other.empty_reason_;
    other.empty_reason_ = Minor::kNoContextHandle;
  }
  return *this;
}

bool Context::established() const {
  return state_ != nullptr && state_->established;
}

absl::Status Context::NoContext() const {
  return MakeError(ErrorKind::kNoContext, empty_reason_,
                   DescribeMinorStatus(static_cast<uint32_t>(empty_reason_)));
}

void Context::Empty(Minor reason) {
  state_.reset();  // SecretBuffers and the handshake state wipe themselves
  empty_reason_ = reason;
}

absl::Status Context::Usable() const {
  if (state_ == nullptr) return NoContext();
  if (!state_->established) {
    return MakeError(ErrorKind::kNoContext, Minor::kContextNotEstablished,
                     "gssx: the context is not established yet");
  }
  if (state_->expired()) return Expired("the context");
  return absl::OkStatus();
}

// ------------------------------------------------------------ establishment

absl::StatusOr<HandshakeStep> Context::Initiate(const Credentials& cred,
                                                const InitOptions& options) {
  if (absl::Status s = transport::EnsureSodium(); !s.ok()) {
    return ToGssxStatus(s);
  }
  auto state = std::make_unique<State>();
  state->clock = Clock::OrReal(options.clock);
  const absl::Time now = state->clock->Now();
  if (absl::Status s = CheckCredential(cred, CredentialUsage::kAccept, now);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Name> target = options.target.Canonicalize();
  if (!target.ok()) return target.status();
  const std::optional<PublicKey> target_key =
      cred.trust().Find(target->identity());
  if (!target_key.has_value()) {
    return MakeError(ErrorKind::kBadName, Minor::kUnknownTarget,
                     absl::StrCat("gssx: no trusted key for ",
                                  target->identity()));
  }
  const Identity& me = cred.identities().front();

  absl::Time expiry = cred.expiry();
  if (options.lifetime > absl::ZeroDuration() &&
      options.lifetime != absl::InfiniteDuration()) {
    expiry = std::min(expiry, now + options.lifetime);
  }

  InitPayload payload;
  payload.flags = options.flags & (kAlwaysGranted | kNegotiable);
  payload.expiry = expiry;
  if (options.bindings.has_value()) {
    payload.bindings = HashBindings(*options.bindings);
  }
  payload.initiator = me.name;
  payload.target = target->identity();

  const std::vector<uint8_t> prologue = Prologue();
  noise::HandshakeConfig config;
  config.protocol_name = kProtocolName;
  config.role = noise::Role::kInitiator;
  config.prologue = prologue;
  config.local_static_key_pair = &me.key;
  config.remote_static_public_key = *target_key;
  absl::StatusOr<noise::HandshakeState> hs =
      noise::HandshakeState::Create(config);
  if (!hs.ok()) return FromNoiseInternal(hs.status());
  absl::StatusOr<std::vector<uint8_t>> message =
      hs->WriteMessage(EncodeToVector(payload, EncodeInit));
  if (!message.ok()) return FromNoiseInternal(message.status());

  ContextState& core = state->core;
  randombytes_buf(core.id.data(), core.id.size());
  core.initiator = true;
  core.flags = payload.flags | (options.transferable ? kTransFlag : 0);
  core.expiry = expiry;
  core.local_name = me.name;
  core.peer_name = target->identity();
  state->requested = payload.flags;
  state->handshake = *std::move(hs);

  HandshakeStep step;
  step.output_token =
      internal::FrameContextToken(internal::kInitTokenId, *message);
  step.context = Context(std::move(state));
  return step;
}

absl::StatusOr<HandshakeStep> Context::Accept(
    const Credentials& cred, absl::Span<const uint8_t> input_token,
    const AcceptOptions& options) {
  if (absl::Status s = transport::EnsureSodium(); !s.ok()) {
    return ToGssxStatus(s);
  }
  auto state = std::make_unique<State>();
  state->clock = Clock::OrReal(options.clock);
  const absl::Time now = state->clock->Now();
  if (absl::Status s = CheckCredential(cred, CredentialUsage::kInitiate, now);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<absl::Span<const uint8_t>> body =
      internal::UnframeContextToken(input_token, internal::kInitTokenId);
  if (!body.ok()) return body.status();

  // The token is encrypted to one of our static keys: find which.
  const std::vector<uint8_t> prologue = Prologue();
  std::optional<noise::HandshakeState> hs;
  std::vector<uint8_t> plaintext;
  const Identity* me = nullptr;
  absl::Status last;
  for (const Identity& identity : cred.identities()) {
    noise::HandshakeConfig config;
    config.protocol_name = kProtocolName;
    config.role = noise::Role::kResponder;
    config.prologue = prologue;
    config.local_static_key_pair = &identity.key;
    absl::StatusOr<noise::HandshakeState> attempt =
        noise::HandshakeState::Create(config);
    if (!attempt.ok()) return FromNoiseInternal(attempt.status());
    absl::StatusOr<std::vector<uint8_t>> read = attempt->ReadMessage(*body);
    if (read.ok()) {
      hs = *std::move(attempt);
      plaintext = *std::move(read);
      me = &identity;
      break;
    }
    last = FromNoiseRead(read.status());
    // Only a failed decryption depends on the key; anything else would
    // fail the same way for every identity.
    if (MinorOf(last) !=
        static_cast<uint32_t>(Minor::kHandshakeDecryptFailed)) {
      return last;
    }
  }
  if (me == nullptr) return last;

  absl::StatusOr<InitPayload> payload = ParseInit(plaintext);
  if (!payload.ok()) return payload.status();
  if (payload->target != me->name) {
    return MakeError(ErrorKind::kBadName, Minor::kTargetNameMismatch,
                     absl::StrCat("gssx: the initiator asked for ",
                                  payload->target, ", this is ", me->name));
  }
  const std::optional<PublicKey> trusted =
      cred.trust().Find(payload->initiator);
  const absl::Span<const uint8_t> remote = hs->GetRemoteStaticPublicKey();
  if (!trusted.has_value() || remote.size() != trusted->size() ||
      sodium_memcmp(remote.data(), trusted->data(), trusted->size()) != 0) {
    return MakeError(ErrorKind::kUnauthorized, Minor::kUntrustedInitiator,
                     absl::StrCat("gssx: the initiator ", payload->initiator,
                                  " is not trusted with this key"));
  }
  if (options.bindings.has_value()) {
    const BindingsHash ours = HashBindings(*options.bindings);
    if (!payload->bindings.has_value() ||
        sodium_memcmp(ours.data(), payload->bindings->data(), ours.size()) !=
            0) {
      return MakeError(ErrorKind::kBadBindings,
                       Minor::kChannelBindingsMismatch,
                       "gssx: the channel bindings differ");
    }
  }
  const absl::Time expiry = std::min(payload->expiry, cred.expiry());
  if (now >= expiry) return Expired("the requested lifetime");

  AcceptPayload reply;
  reply.flags = kAlwaysGranted | (payload->flags & kNegotiable);
  if (absl::Status s = CheckRequired(reply.flags, options.required_flags,
                                     "the initiator's context");
      !s.ok()) {
    return s;
  }
  reply.expiry = expiry;
  reply.acceptor = me->name;
  absl::StatusOr<std::vector<uint8_t>> message =
      hs->WriteMessage(EncodeToVector(reply, EncodeAccept));
  if (!message.ok()) return FromNoiseInternal(message.status());

  ContextState& core = state->core;
  if (absl::Status s = TakeKeys(*hs, &core); !s.ok()) return s;
  randombytes_buf(core.id.data(), core.id.size());
  core.initiator = false;
  core.flags = reply.flags | kProtReadyFlag |
               (options.transferable ? kTransFlag : 0);
  core.expiry = expiry;
  core.local_name = me->name;
  core.peer_name = payload->initiator;
  state->requested = payload->flags;
  state->established = true;

  HandshakeStep step;
  step.output_token =
      internal::FrameContextToken(internal::kAcceptTokenId, *message);
  step.context = Context(std::move(state));
  return step;
}

absl::StatusOr<std::vector<uint8_t>> Context::Continue(
    absl::Span<const uint8_t> input_token) {
  if (state_ == nullptr) return NoContext();
  if (state_->established || !state_->handshake.has_value()) {
    return MakeError(ErrorKind::kFailure, Minor::kContextAlreadyEstablished,
                     "gssx: the context is already established");
  }
  absl::Status status = [&]() -> absl::Status {
    if (state_->expired()) return Expired("the context");
    absl::StatusOr<absl::Span<const uint8_t>> body =
        internal::UnframeContextToken(input_token, internal::kAcceptTokenId);
    if (!body.ok()) return body.status();
    absl::StatusOr<std::vector<uint8_t>> plaintext =
        state_->handshake->ReadMessage(*body);
    if (!plaintext.ok()) return FromNoiseRead(plaintext.status());
    absl::StatusOr<AcceptPayload> reply = ParseAccept(*plaintext);
    if (!reply.ok()) return reply.status();
    ContextState& core = state_->core;
    if (reply->acceptor != core.peer_name) {
      return MakeError(ErrorKind::kBadName, Minor::kTargetNameMismatch,
                       absl::StrCat("gssx: the acceptor is ", reply->acceptor,
                                    ", not ", core.peer_name));
    }
    if (absl::Status s = TakeKeys(*state_->handshake, &core); !s.ok()) {
      return s;
    }
    state_->handshake.reset();
    // Never more than we asked for, never longer than we asked for.
    const ContextFlags granted =
        reply->flags & (kAlwaysGranted | state_->requested);
    core.flags = granted | kProtReadyFlag | (core.flags & kTransFlag);
    core.expiry = std::min(core.expiry, reply->expiry);
    if (state_->expired()) return Expired("the granted lifetime");
    state_->established = true;
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    Empty(Minor::kHandshakeFailed);
    return status;
  }
  return std::vector<uint8_t>();
}

// ------------------------------------------------------------------ inquiry

absl::StatusOr<ContextInfo> Context::Inquire() const {
  if (state_ == nullptr) return NoContext();
  const ContextState& core = state_->core;
  absl::StatusOr<Name> local = NameOf(core.local_name);
  if (!local.ok()) return local.status();
  absl::StatusOr<Name> peer = NameOf(core.peer_name);
  if (!peer.ok()) return peer.status();
  ContextInfo info;
  info.source = core.initiator ? *local : *peer;
  info.target = core.initiator ? *std::move(peer) : *std::move(local);
  info.expiry = core.expiry;
  info.flags = core.flags;
  info.locally_initiated = core.initiator;
  info.established = state_->established;
  info.id = core.id;
  return info;
}

absl::StatusOr<absl::Duration> Context::TimeRemaining() const {
  if (state_ == nullptr) return NoContext();
  if (state_->core.expiry == absl::InfiniteFuture()) {
    return absl::InfiniteDuration();
  }
  const absl::Duration left = state_->core.expiry - state_->clock->Now();
  if (left <= absl::ZeroDuration()) return Expired("the context");
  return left;
}

// ------------------------------------------------------ per-message services

namespace {

absl::Status CheckQop(uint32_t qop) {
  if (qop != 0) {
    return MakeError(ErrorKind::kBadQop, Minor::kUnsupportedQop,
                     "gssx: only the default QOP (0) is supported");
  }
  return absl::OkStatus();
}

absl::Status CheckSize(size_t n) {
  if (n > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX -
              internal::kOverhead) {
    return MakeError(ErrorKind::kFailure, Minor::kMessageTooLarge,
                     "gssx: message too large");
  }
  return absl::OkStatus();
}

// The bits a context with `flags` reports for window verdict `bits`.
SupplementaryBits Reported(ContextFlags flags, SupplementaryBits bits) {
  SupplementaryBits out = 0;
  if ((flags & (kReplayFlag | kSequenceFlag)) != 0) {
    out |= bits & (kDuplicateToken | kOldToken);
  }
  if ((flags & kSequenceFlag) != 0) out |= bits & (kUnseqToken | kGapToken);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> Context::GetMic(
    absl::Span<const uint8_t> message, uint32_t qop) {
  if (absl::Status s = Usable(); !s.ok()) return s;
  if (absl::Status s = CheckQop(qop); !s.ok()) return s;
  if (absl::Status s = CheckSize(message.size()); !s.ok()) return s;
  ContextState& core = state_->core;
  if (core.send_seq > internal::kMaxSequence) {
    return MakeError(ErrorKind::kContextExpired, Minor::kSequenceExhausted,
                     "gssx: sequence numbers exhausted");
  }
  std::vector<uint8_t> token =
      internal::MakeMic(core.send_key.span(), state_->send_salt,
                        !core.initiator, core.send_seq, message);
  ++core.send_seq;
  return token;
}

absl::StatusOr<SupplementaryBits> Context::VerifyMic(
    absl::Span<const uint8_t> message, absl::Span<const uint8_t> token) {
  if (absl::Status s = Usable(); !s.ok()) return s;
  ContextState& core = state_->core;
  absl::StatusOr<internal::Opened> opened = internal::OpenMic(
      core.recv_key.span(), /*from_acceptor=*/core.initiator, message, token);
  if (!opened.ok()) return opened.status();
  const SupplementaryBits bits = core.window.Check(opened->seq);
  core.window.Record(opened->seq);
  return Reported(core.flags, bits);
}

absl::StatusOr<WrapResult> Context::Wrap(absl::Span<const uint8_t> message,
                                         bool confidential, uint32_t qop) {
  if (absl::Status s = Usable(); !s.ok()) return s;
  if (absl::Status s = CheckQop(qop); !s.ok()) return s;
  if (absl::Status s = CheckSize(message.size()); !s.ok()) return s;
  ContextState& core = state_->core;
  if (core.send_seq > internal::kMaxSequence) {
    return MakeError(ErrorKind::kContextExpired, Minor::kSequenceExhausted,
                     "gssx: sequence numbers exhausted");
  }
  WrapResult result;
  result.confidential = confidential && (core.flags & kConfFlag) != 0;
  result.token = internal::MakeWrap(core.send_key.span(), state_->send_salt,
                                    !core.initiator, core.send_seq,
                                    result.confidential, message);
  ++core.send_seq;
  return result;
}

absl::StatusOr<UnwrapResult> Context::Unwrap(absl::Span<const uint8_t> token) {
  if (absl::Status s = Usable(); !s.ok()) return s;
  ContextState& core = state_->core;
  absl::StatusOr<internal::Opened> opened = internal::OpenWrap(
      core.recv_key.span(), /*from_acceptor=*/core.initiator, token);
  if (!opened.ok()) return opened.status();
  const SupplementaryBits bits = core.window.Check(opened->seq);
  core.window.Record(opened->seq);
  UnwrapResult result;
  result.message = std::move(opened->message);
  result.confidential = opened->confidential;
  result.supplementary = Reported(core.flags, bits);
  return result;
}

absl::StatusOr<size_t> Context::WrapSizeLimit(size_t max_token_size,
                                              bool /*confidential*/,
                                              uint32_t qop) const {
  if (absl::Status s = Usable(); !s.ok()) return s;
  if (absl::Status s = CheckQop(qop); !s.ok()) return s;
  // The overhead is the same with and without confidentiality.
  if (max_token_size <= internal::kOverhead) return size_t{0};
  return std::min<size_t>(
      max_token_size - internal::kOverhead,
      crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX - internal::kOverhead);
}

// --------------------------------------------------------- export / import

absl::StatusOr<SecretBuffer> Context::Export() && {
  if (state_ == nullptr) return NoContext();
  if (!state_->established) {
    return MakeError(ErrorKind::kUnavailable, Minor::kContextNotEstablished,
                     "gssx: a context still being established cannot be "
                     "exported");
  }
  if ((state_->core.flags & kTransFlag) == 0) {
    return MakeError(ErrorKind::kUnavailable, Minor::kContextNotTransferable,
                     "gssx: the context was made non-transferable");
  }
  if (state_->expired()) return Expired("the context");
  absl::StatusOr<SecretBuffer> token = internal::SerializeContext(state_->core);
  if (!token.ok()) return token.status();
  Empty(Minor::kContextExported);
  return token;
}

absl::StatusOr<Context> Context::Import(absl::Span<const uint8_t> token,
                                        const ImportOptions& options) {
  if (absl::Status s = transport::EnsureSodium(); !s.ok()) {
    return ToGssxStatus(s);
  }
  absl::StatusOr<ContextState> core = internal::ParseContext(token);
  if (!core.ok()) return core.status();
  // Only what Export() can produce: an established, transferable context.
  if ((core->flags & ~kKnownFlags) != 0 ||
      (core->flags & (kTransFlag | kProtReadyFlag)) !=
          (kTransFlag | kProtReadyFlag) ||
      (core->flags & (kDelegFlag | kAnonFlag)) != 0) {
    return MakeError(ErrorKind::kDefectiveToken, Minor::kExportTokenMalformed,
                     "gssx: exported context with impossible flags");
  }
  if (absl::Status s = CheckRequired(core->flags,
                                     options.required_flags.value_or(0),
                                     "the imported context");
      !s.ok()) {
    return s;
  }
  auto state = std::make_unique<State>();
  state->clock = Clock::OrReal(options.clock);
  state->core = *std::move(core);
  state->established = true;
  state->requested = state->core.flags & kNegotiable;
  if (state->expired()) return Expired("the exported context");
  return Context(std::move(state));
}

absl::Status Context::Delete() {
  if (state_ == nullptr) return NoContext();
  Empty(Minor::kContextDeleted);
  return absl::OkStatus();
}

}  // namespace gssx
