// SPDX-License-Identifier: Apache-2.0
#include "gssx/internal/per_message.h"

#include <sodium.h>

#include <cstring>

#include "gssx/status.h"
#include "transport/base/csprng.h"

namespace gssx::internal {
namespace {

constexpr uint8_t kMicId[2] = {'M', 0x02};
constexpr uint8_t kWrapId[2] = {'W', 0x02};
constexpr uint8_t kFromAcceptor = 0x01;
constexpr uint8_t kConfidential = 0x02;

static_assert(kHeaderSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
              "the header is the nonce");
static_assert(kTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");

const uint8_t* Ptr(absl::Span<const uint8_t> bytes) {
  static const uint8_t kDummy = 0;
  return bytes.empty() ? &kDummy : bytes.data();
}

void WriteHeader(const uint8_t (&id)[2], const SendSalt& salt,
                 bool from_acceptor, bool conf, uint64_t seq, uint8_t* out) {
  out[0] = id[0];
  out[1] = id[1];
  out[2] = static_cast<uint8_t>((from_acceptor ? kFromAcceptor : 0) |
                                (conf ? kConfidential : 0));
  out[3] = 0;
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<uint8_t>(seq >> (8 * i));
  std::memcpy(out + 12, salt.data(), salt.size());
}

// Authenticates `ad` (and no plaintext) under nonce `header`: the tag.
void Tag(absl::Span<const uint8_t> key, const uint8_t* header,
         absl::Span<const uint8_t> ad, uint8_t* tag) {
  uint8_t unused = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
      &unused, tag, nullptr, &unused, 0, Ptr(ad), ad.size(), nullptr, header,
      key.data());
}

bool VerifyTag(absl::Span<const uint8_t> key, const uint8_t* header,
               absl::Span<const uint8_t> ad, const uint8_t* tag) {
  uint8_t unused = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
             &unused, nullptr, &unused, 0, tag, Ptr(ad), ad.size(), header,
             key.data()) == 0;
}

absl::Status Defective(Minor minor, absl::string_view why) {
  return MakeError(ErrorKind::kDefectiveToken, minor, why);
}

absl::Status BadMic() {
  return MakeError(ErrorKind::kBadMic, Minor::kMessageAuthFailed,
                   "gssx: the per-message token failed to verify");
}

// Checks the header of `token` (at least kOverhead bytes) for kind `id`.
absl::StatusOr<Opened> ParseHeader(absl::Span<const uint8_t> token,
                                   const uint8_t (&id)[2], bool from_acceptor,
                                   bool conf_allowed) {
  if (token.size() < kOverhead) {
    return Defective(Minor::kTokenMalformed,
                     "gssx: per-message token truncated");
  }
  if (token[0] != id[0] || token[1] != id[1]) {
    return Defective(Minor::kWrongTokenType,
                     "gssx: not a token of the expected kind");
  }
  const uint8_t flags = token[2];
  const uint8_t known = kFromAcceptor | (conf_allowed ? kConfidential : 0);
  if ((flags & ~known) != 0 || token[3] != 0) {
    return Defective(Minor::kTokenMalformed,
                     "gssx: unknown per-message token flags");
  }
  if (((flags & kFromAcceptor) != 0) != from_acceptor) {
    return Defective(Minor::kWrongDirection,
                     "gssx: the token was sent by this side (reflected)");
  }
  Opened opened;
  opened.confidential = (flags & kConfidential) != 0;
  for (int i = 0; i < 8; ++i) {
    opened.seq |= static_cast<uint64_t>(token[4 + i]) << (8 * i);
  }
  // No honest sender goes past kMaxSequence; a larger number (only a key
  // holder can make one verify) would wrap the replay window.
  if (opened.seq > kMaxSequence) {
    return Defective(Minor::kTokenMalformed,
                     "gssx: per-message sequence number above the maximum");
  }
  return opened;
}

}  // namespace

SendSalt NewSendSalt() {
  // From the transport's fork-safe userspace CSPRNG (transport/base/
  // csprng.h: a forked worker never shares its parent's stream), not a
  // getrandom per context instance: every import draws one.
  SendSalt salt;
  transport::internal::RandomBytes(absl::MakeSpan(salt));
  return salt;
}

std::vector<uint8_t> MakeMic(absl::Span<const uint8_t> key,
                             const SendSalt& salt, bool from_acceptor,
                             uint64_t seq, absl::Span<const uint8_t> message) {
  std::vector<uint8_t> token(kOverhead);
  WriteHeader(kMicId, salt, from_acceptor, false, seq, token.data());
  Tag(key, token.data(), message, token.data() + kHeaderSize);
  return token;
}

std::vector<uint8_t> MakeWrap(absl::Span<const uint8_t> key,
                              const SendSalt& salt, bool from_acceptor,
                              uint64_t seq,
                              bool confidential,
                              absl::Span<const uint8_t> message) {
  std::vector<uint8_t> token(kOverhead + message.size());
  uint8_t* header = token.data();
  uint8_t* body = header + kHeaderSize;
  uint8_t* tag = body + message.size();
  WriteHeader(kWrapId, salt, from_acceptor, confidential, seq, header);
  if (confidential) {
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
        body, tag, nullptr, Ptr(message), message.size(), nullptr, 0, nullptr,
        header, key.data());
  } else {
    if (!message.empty()) std::memcpy(body, message.data(), message.size());
    Tag(key, header, message, tag);
  }
  return token;
}

absl::StatusOr<Opened> OpenMic(absl::Span<const uint8_t> key,
                               bool from_acceptor,
                               absl::Span<const uint8_t> message,
                               absl::Span<const uint8_t> token) {
  absl::StatusOr<Opened> opened =
      ParseHeader(token, kMicId, from_acceptor, /*conf_allowed=*/false);
  if (!opened.ok()) return opened;
  if (token.size() != kOverhead) {
    return Defective(Minor::kTokenMalformed, "gssx: MIC token of wrong size");
  }
  if (!VerifyTag(key, token.data(), message, token.data() + kHeaderSize)) {
    return BadMic();
  }
  return opened;
}

absl::StatusOr<Opened> OpenWrap(absl::Span<const uint8_t> key,
                                bool from_acceptor,
                                absl::Span<const uint8_t> token) {
  absl::StatusOr<Opened> opened =
      ParseHeader(token, kWrapId, from_acceptor, /*conf_allowed=*/true);
  if (!opened.ok()) return opened;
  const uint8_t* header = token.data();
  const absl::Span<const uint8_t> body =
      token.subspan(kHeaderSize, token.size() - kOverhead);
  const uint8_t* tag = body.data() + body.size();
  if (opened->confidential) {
    opened->message.resize(body.size());
    uint8_t unused = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            body.empty() ? &unused : opened->message.data(), nullptr,
            Ptr(body), body.size(), tag, nullptr, 0, header,
            key.data()) != 0) {
      return BadMic();
    }
  } else {
    if (!VerifyTag(key, header, body, tag)) return BadMic();
    opened->message.assign(body.begin(), body.end());
  }
  return opened;
}

}  // namespace gssx::internal
