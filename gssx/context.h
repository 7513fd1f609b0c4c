// SPDX-License-Identifier: Apache-2.0
// Security contexts of the built-in gssx mechanism: establishment (Noise
// IK_25519_ChaChaPoly_SHA256), per-message protection, and export/import of
// the complete context state. The C++ API that the RFC 2744 C ABI maps
// onto, one call per C function.
//
//   // Initiator (gss_init_sec_context, first call):
//   InitOptions options;
//   options.target = *Name::Import("http@web1", NameType::kHostBasedService);
//   absl::StatusOr<HandshakeStep> init = Context::Initiate(client_cred, options);
//   send(init->output_token);
//   // Acceptor (gss_accept_sec_context):
//   absl::StatusOr<HandshakeStep> acc = Context::Accept(server_cred, token);
//   send(acc->output_token);              // acc->context is established
//   // Initiator (gss_init_sec_context, second call):
//   absl::StatusOr<std::vector<uint8_t>> none = init->context.Continue(reply);
//   // init->context.established() is now true; both sides may:
//   absl::StatusOr<WrapResult> w = ctx.Wrap(message, /*confidential=*/true);
//   absl::StatusOr<UnwrapResult> u = peer.Unwrap(w->token);
//   // Hand the context to another process (gss_export_sec_context):
//   absl::StatusOr<transport::SecretBuffer> bytes = std::move(ctx).Export();
//   absl::StatusOr<Context> again = Context::Import(bytes->span());
//
// The mechanism (docs/design.md "The built-in mechanism"):
//  - The init token carries Noise message 1 (e, es, s, ss): the initiator
//    knows the target's static key from its trust file. Its encrypted
//    payload holds the initiator's and target's names, the requested flags
//    and expiry, and a SHA-256 hash of the channel bindings.
//  - The acceptor tries each identity of its credential, checks the
//    initiator's static key against its trust file (name and key must
//    match), the target name against its identity, and the channel
//    bindings; it answers with Noise message 2 (e, ee, se), whose payload
//    holds its name and the granted flags and expiry, and is established.
//  - The initiator checks message 2 and is established. Authentication is
//    mutual and the session keys are forward-secret. Both tokens are
//    framed as RFC 2743 §3.1 initial context tokens with the gssx OID
//    (oid.h).
//  - Caveat (as for any one-round-trip protocol without a replay cache):
//    a replayed init token makes the acceptor establish a context, but
//    nobody can use it without the initiator's keys. Treat the first
//    authentic per-message token from the peer as proof of liveness.
//
// Flags (RFC 2744 values). What a context grants (flags()):
//   kMutualFlag, kConfFlag, kIntegFlag   always (IK is mutual; wrap and
//                                        get_mic are always available)
//   kReplayFlag, kSequenceFlag           if the initiator asked; they
//                                        decide which supplementary bits
//                                        VerifyMic / Unwrap report:
//                                        REPLAY or SEQUENCE: kDuplicateToken,
//                                        kOldToken; SEQUENCE: also
//                                        kUnseqToken, kGapToken
//   kTransFlag                           unless this side's options say
//                                        transferable = false (each side
//                                        decides for its own context)
//   kProtReadyFlag                       once established
//   kDelegFlag, kAnonFlag                never (not supported)
//
// Lifetimes: the initiator asks for `lifetime` (zero: as long as its
// credential lasts, which for a keytab is forever); the acceptor grants the
// least of that and its own credential's expiry; both sides then hold the
// same absolute expiry. After it, every per-message call, TimeRemaining()
// and Export() fail with kContextExpired; Inquire() still works.
//
// Per-message tokens (internal/per_message.h) carry an explicit 64-bit
// sequence number and the sending instance's random nonce salt, together
// the AEAD nonce, under one key per direction from the Noise Split. Each
// context instance (handshake or Import) draws its own salt, so two
// imports of one exported token never reuse a nonce. The receiver keeps a
// 128-number replay window (internal/replay_window.h). A token that fails
// to verify changes nothing.
//
// Export (internal/export_format.h) moves the complete state: keys, next
// send sequence number, receive window, expiry, names, flags, role, context
// id. The imported context continues exactly where the exporter stopped.
//
// Empty contexts: a default-constructed, moved-from, deleted, exported or
// failed context holds nothing; every call on it answers kNoContext with a
// minor code saying which (kNoContextHandle, kContextDeleted,
// kContextExported, kHandshakeFailed).
//
// Errors: each function lists its own; every status carries a gssx
// ErrorKind and minor code (status.h). Locked-memory exhaustion is
// kFailure with errno ENOMEM.
//
// Thread safety: a Context is not synchronized; use it from one thread at a
// time (as RFC 2743 contexts are). Distinct contexts are independent.
// Secrets (keys, handshake state) live only in locked memory and are wiped
// when the context is deleted, exported, fails, or is destroyed.
#ifndef GSSX_CONTEXT_H_
#define GSSX_CONTEXT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gssx/clock.h"
#include "gssx/credentials.h"
#include "gssx/name.h"
#include "gssx/status.h"
#include "transport/base/secret_buffer.h"

namespace gssx {

// Context flags, with their RFC 2744 GSS_C_*_FLAG values.
using ContextFlags = uint32_t;
inline constexpr ContextFlags kDelegFlag = 1;
inline constexpr ContextFlags kMutualFlag = 2;
inline constexpr ContextFlags kReplayFlag = 4;
inline constexpr ContextFlags kSequenceFlag = 8;
inline constexpr ContextFlags kConfFlag = 16;
inline constexpr ContextFlags kIntegFlag = 32;
inline constexpr ContextFlags kAnonFlag = 64;
inline constexpr ContextFlags kProtReadyFlag = 128;
inline constexpr ContextFlags kTransFlag = 256;

// The services a receiver of a handed-off context requires unless told
// otherwise (ReceiveContext, ImportContextFromFd; the MIT bridge's
// krb5::kRequiredServices is the same set), and what the example servers
// require of their clients: replay and sequence detection,
// confidentiality, integrity. RFC 2743 lets an initiator leave replay and
// sequence detection out; a server that relies on them must say so.
inline constexpr ContextFlags kDefaultRequiredFlags =
    kReplayFlag | kSequenceFlag | kConfFlag | kIntegFlag;

// RFC 2744 gss_channel_bindings_struct. Both sides hash the same fields;
// only equality matters.
struct ChannelBindings {
  uint32_t initiator_address_type = 0;
  std::vector<uint8_t> initiator_address;
  uint32_t acceptor_address_type = 0;
  std::vector<uint8_t> acceptor_address;
  std::vector<uint8_t> application_data;
};

struct InitOptions {
  // The acceptor's name (any type; canonicalized). Required.
  Name target;
  // Requested flags (see above); other bits are ignored.
  ContextFlags flags = kMutualFlag | kReplayFlag | kSequenceFlag |
                       kConfFlag | kIntegFlag;
  // Requested lifetime; zero or infinite: no limit beyond the credential's.
  absl::Duration lifetime = absl::ZeroDuration();
  // Channel bindings (GSS_C_NO_CHANNEL_BINDINGS when unset). If the
  // acceptor gives bindings, the initiator must give equal ones.
  std::optional<ChannelBindings> bindings;
  // false: Export() of this side's context answers kUnavailable.
  bool transferable = true;
  // nullptr: Clock::Real(). Must outlive the context.
  const Clock* clock = nullptr;
};

struct AcceptOptions {
  // Unset: accept whatever bindings the initiator used (none included).
  // Set: the initiator must have given equal bindings, else kBadBindings.
  std::optional<ChannelBindings> bindings;
  // Flags the established context must have (e.g. kDefaultRequiredFlags).
  // An initiator that did not ask for one of them (REPLAY and SEQUENCE
  // are granted only when asked) is refused: kUnauthorized /
  // kRequiredServicesMissing, no context, no output token. Zero (the
  // default, RFC 2743's behaviour): anything the initiator asked for.
  ContextFlags required_flags = 0;
  bool transferable = true;
  const Clock* clock = nullptr;
};

struct ImportOptions {
  // The clock of the imported context; nullptr: Clock::Real().
  const Clock* clock = nullptr;
  // Flags the imported context must have; one without all of them is
  // refused (kUnauthorized / kRequiredServicesMissing). Unset: the entry
  // point's default — none for Context::Import (gss_import_sec_context),
  // kDefaultRequiredFlags for the handoff receivers ReceiveContext and
  // ImportContextFromFd (handoff.h). Zero: none.
  std::optional<ContextFlags> required_flags;
};

// gss_inquire_context.
struct ContextInfo {
  Name source;  // the initiator (an MN)
  Name target;  // the acceptor (an MN)
  absl::Time expiry = absl::InfiniteFuture();
  ContextFlags flags = 0;
  bool locally_initiated = false;
  bool established = false;  // "open"
  std::array<uint8_t, 16> id{};  // random; survives export/import
};

struct WrapResult {
  std::vector<uint8_t> token;
  bool confidential = false;  // conf_state
};

struct UnwrapResult {
  std::vector<uint8_t> message;
  bool confidential = false;  // conf_state
  SupplementaryBits supplementary = 0;
};

struct HandshakeStep;

class Context {
 public:
  // An empty context (GSS_C_NO_CONTEXT).
  Context();
  Context(Context&& other) noexcept;
  Context& operator=(Context&& other) noexcept;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context();

  // gss_init_sec_context, first call: a new initiator context (not yet
  // established) and the init token to send. `cred` is only read during
  // the call. Errors: kNoCred / kCredentialUsage (an accept-only
  // credential), kCredentialsExpired, kBadName (kNameEmpty, kNameMalformed,
  // kUnknownTarget: the target has no key in the trust file).
  static absl::StatusOr<HandshakeStep> Initiate(const Credentials& cred,
                                                const InitOptions& options);

  // gss_accept_sec_context: checks an init token and returns the
  // established acceptor context and the token to send back. Errors:
  // kUnauthorized / kRequiredServicesMissing (options.required_flags),
  // kNoCred / kCredentialUsage, kCredentialsExpired, kDefectiveToken
  // (kTokenMalformed, kWrongTokenType, kHandshakeDecryptFailed: altered, or
  // encrypted to a key this credential does not hold; kPayloadMalformed),
  // kBadMech / kWrongMechanism, kUnauthorized / kUntrustedInitiator,
  // kBadName / kTargetNameMismatch, kBadBindings /
  // kChannelBindingsMismatch, kContextExpired.
  static absl::StatusOr<HandshakeStep> Accept(
      const Credentials& cred, absl::Span<const uint8_t> input_token,
      const AcceptOptions& options = {});

  // gss_init_sec_context, later calls: processes the acceptor's token and
  // returns the next token to send (always empty: IK completes here).
  // Errors as Accept's token errors, plus kContextExpired, kBadName /
  // kTargetNameMismatch, kNoContext, kFailure / kContextAlreadyEstablished
  // (called on an established context). Any error but kNoContext and
  // kContextAlreadyEstablished empties the context (kHandshakeFailed).
  absl::StatusOr<std::vector<uint8_t>> Continue(
      absl::Span<const uint8_t> input_token);

  // True if this holds a context (established or not).
  bool valid() const { return state_ != nullptr; }
  bool established() const;

  // gss_inquire_context. Works on expired and unestablished contexts
  // (an unestablished one reports the requested flags and expiry).
  // kNoContext.
  absl::StatusOr<ContextInfo> Inquire() const;
  // gss_context_time: the time left (absl::InfiniteDuration() if none).
  // kNoContext, kContextExpired.
  absl::StatusOr<absl::Duration> TimeRemaining() const;

  // gss_get_mic. Only qop 0 (kBadQop / kUnsupportedQop otherwise).
  // kNoContext (also kContextNotEstablished), kContextExpired, kFailure /
  // kMessageTooLarge, kContextExpired / kSequenceExhausted after 2^64 - 1
  // tokens.
  absl::StatusOr<std::vector<uint8_t>> GetMic(absl::Span<const uint8_t> message,
                                              uint32_t qop = 0);
  // gss_verify_mic: OK with supplementary bits (see the flags above) if
  // the MIC is authentic, even for a replay. kBadMic / kMessageAuthFailed,
  // kDefectiveToken (kTokenMalformed, kWrongTokenType, kWrongDirection),
  // kNoContext, kContextExpired. qop_state is always 0.
  absl::StatusOr<SupplementaryBits> VerifyMic(absl::Span<const uint8_t> message,
                                              absl::Span<const uint8_t> token);
  // gss_wrap. `confidential` asks for encryption (conf_req_flag).
  // Errors as GetMic.
  absl::StatusOr<WrapResult> Wrap(absl::Span<const uint8_t> message,
                                  bool confidential, uint32_t qop = 0);
  // gss_unwrap. Errors as VerifyMic.
  absl::StatusOr<UnwrapResult> Unwrap(absl::Span<const uint8_t> token);
  // gss_wrap_size_limit: the largest message whose wrap token fits in
  // `max_token_size` bytes (0 if none does). kNoContext, kContextExpired,
  // kBadQop.
  absl::StatusOr<size_t> WrapSizeLimit(size_t max_token_size,
                                       bool confidential,
                                       uint32_t qop = 0) const;

  // gss_export_sec_context. On success the token (in locked memory; the
  // caller owns it and should hand it to transport or wipe it) and *this
  // becomes empty, its secrets wiped; later calls answer kNoContext /
  // kContextExported. On error *this is unchanged and still usable:
  // kNoContext, kUnavailable / kContextNotEstablished (a context still
  // being established cannot be exported), kUnavailable /
  // kContextNotTransferable, kContextExpired, kFailure (locked memory).
  absl::StatusOr<transport::SecretBuffer> Export() &&;

  // gss_import_sec_context. Any bytes are safe. kDefectiveToken
  // (kExportTokenMalformed, kExportTokenVersion, kExportTokenChecksum,
  // kWrongMechanism), kContextExpired, kFailure (locked memory),
  // kUnauthorized / kRequiredServicesMissing (options.required_flags).
  static absl::StatusOr<Context> Import(absl::Span<const uint8_t> token,
                                        const ImportOptions& options = {});

  // gss_delete_sec_context: wipes the context; later calls answer
  // kNoContext / kContextDeleted. kNoContext if already empty.
  absl::Status Delete();

 private:
  struct State;
  explicit Context(std::unique_ptr<State> state);
  absl::Status NoContext() const;
  // Checks that the context is established and not expired.
  absl::Status Usable() const;
  void Empty(Minor reason);

  std::unique_ptr<State> state_;
  Minor empty_reason_ = Minor::kNoContextHandle;
};

// One step of establishment: the context and the token to send (empty if
// none).
struct HandshakeStep {
  Context context;
  std::vector<uint8_t> output_token;
};

}  // namespace gssx

#endif  // GSSX_CONTEXT_H_
