// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpora of the transport fuzz targets:
//
//   bazel run //transport/fuzz:make_seeds -- "$PWD/transport/fuzz/fuzz_corpus"
//
// Each seed is a named input in the layout of transport/fuzz/formats.h,
// built from real tokens (fresh keys each run), so the fuzzers start from
// inputs that reach every stage: valid tokens, each seal variant, wrong
// keys and ids, truncations, every kind of fd. Existing files of the same
// name are replaced; others are left alone.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "transport/fuzz/formats.h"
#include "transport/memfd_token.h"
#include "transport/wire_format.h"

namespace gssx::fuzz {
namespace {

using Bytes = std::vector<uint8_t>;

std::string g_root;

void Write(const std::string& dir, const std::string& name, const Bytes& b) {
  std::string d = g_root + "/" + dir;
  ::mkdir(d.c_str(), 0755);
  std::ofstream out(d + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()),
            static_cast<std::streamsize>(b.size()));
  if (!out) {
    std::perror((d + "/" + name).c_str());
    std::exit(1);
  }
}

Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }

void Append(Bytes& out, const Bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}
void Append(Bytes& out, absl::Span<const uint8_t> more) {
  out.insert(out.end(), more.begin(), more.end());
}
void PutLe(Bytes& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

Bytes FileOf(int fd, size_t size) {
  Bytes b(size);
  if (::pread(fd, b.data(), size, 0) != static_cast<ssize_t>(size)) {
    std::perror("pread");
    std::exit(1);
  }
  return b;
}

Bytes RawFile(const Bytes& payload) {
  absl::StatusOr<transport::UniqueFd> fd = transport::SealRawToken(payload);
  if (!fd.ok()) std::exit(1);
  struct stat st;
  ::fstat(fd->get(), &st);
  return FileOf(fd->get(), static_cast<size_t>(st.st_size));
}

struct Encrypted {
  Bytes file, key;
  transport::TokenExpectation expect;
};
Encrypted EncryptedFile(const Bytes& payload,
                        transport::TokenCipher cipher =
                            transport::TokenCipher::kXChaCha20Poly1305) {
  absl::StatusOr<transport::SealedToken> t =
      transport::SealEncryptedToken(payload, cipher);
  if (!t.ok()) std::exit(1);
  Encrypted e;
  e.file = FileOf(t->fd.get(), t->expect.file_size);
  e.key.assign(t->key.data(), t->key.data() + t->key.size());
  e.expect = t->expect;
  return e;
}

// key, cipher, id, nonce, tag (the encrypted memfd_token_fuzzer fields).
void AppendKeyAndExpectation(Bytes& in, const Encrypted& e) {
  Append(in, e.key);
  in.push_back(static_cast<uint8_t>(e.expect.cipher));
  Append(in, e.expect.id);
  Append(in, e.expect.nonce);
  Append(in, e.expect.tag);
}

// ---------------------------------------------------------- memfd_token
void TokenSeeds() {
  using namespace token_format;  // NOLINT
  const char* dir = "memfd_token_fuzzer";
  Bytes raw = RawFile(Str("a raw context token"));
  for (int seal = 0; seal < kSealChoices; ++seal) {
    Bytes in = {static_cast<uint8_t>(seal << kSealShift), 0};
    Append(in, raw);
    Write(dir, "raw_seals_" + std::to_string(seal), in);
  }
  Bytes in = {kReject, 0};
  Append(in, raw);
  Write(dir, "raw_rejected", in);
  in = {kReadOnly, 0};
  Append(in, raw);
  Write(dir, "raw_read_only", in);
  in = {0, 0};
  Append(in, RawFile({}));
  Write(dir, "raw_empty_payload", in);
  for (size_t cut : {0u, 4u, 31u, 32u, 40u}) {
    in = {0, 0};
    Append(in, absl::MakeConstSpan(raw.data(), std::min(cut, raw.size())));
    Write(dir, "raw_cut_" + std::to_string(cut), in);
  }
  in = {0, kFixMagic | kFixVersion | kFixPayloadSize | kFixFlags};
  Append(in, Bytes(48, 0x5a));
  Write(dir, "raw_repaired_garbage", in);

  const uint8_t sized = kEncrypted | kSizeFromFile;
  for (auto cipher : {transport::TokenCipher::kXChaCha20Poly1305,
                      transport::TokenCipher::kAes256Gcm}) {
    if (cipher == transport::TokenCipher::kAes256Gcm &&
        transport::PreferredCipher() != cipher) {
      continue;  // no AES-NI here
    }
    const std::string c = std::to_string(static_cast<int>(cipher));
    Encrypted e = EncryptedFile(Str("an encrypted context token"), cipher);
    in = {sized, 0};
    AppendKeyAndExpectation(in, e);
    Append(in, e.file);
    Write(dir, "enc" + c + "_valid", in);
    in = {static_cast<uint8_t>(sized | kReject), 0};
    AppendKeyAndExpectation(in, e);
    Append(in, e.file);
    Write(dir, "enc" + c + "_rejected", in);
    in = {static_cast<uint8_t>(sized | kShrink), 0};
    AppendKeyAndExpectation(in, e);
    Append(in, e.file);
    Write(dir, "enc" + c + "_shrunk", in);
    in = {static_cast<uint8_t>(sized | kReadOnly), 0};
    AppendKeyAndExpectation(in, e);
    Append(in, e.file);
    Write(dir, "enc" + c + "_read_only", in);
    in = {kEncrypted, 0};
    AppendKeyAndExpectation(in, e);
    PutLe(in, e.file.size(), 8);
    Append(in, e.file);
    Write(dir, "enc" + c + "_explicit_size", in);
    in = {kEncrypted, 0};
    AppendKeyAndExpectation(in, e);
    PutLe(in, e.file.size() + 1, 8);
    Append(in, e.file);
    Write(dir, "enc" + c + "_wrong_size", in);
    in = {kEncrypted, 0};
    AppendKeyAndExpectation(in, e);
    PutLe(in, uint64_t{16} << 20, 8);
    Append(in, e.file);
    Write(dir, "enc" + c + "_huge_claimed_size", in);
    Encrypted wrong = e;
    wrong.key.assign(32, 0x42);
    in = {sized, 0};
    AppendKeyAndExpectation(in, wrong);
    Append(in, e.file);
    Write(dir, "enc" + c + "_wrong_key", in);
    in = {static_cast<uint8_t>(sized | (5 << kSealShift)), 0};
    AppendKeyAndExpectation(in, e);
    Append(in, e.file);
    Write(dir, "enc" + c + "_shrink_sealed", in);
    Encrypted empty = EncryptedFile({}, cipher);
    in = {sized, 0};
    AppendKeyAndExpectation(in, empty);
    Write(dir, "enc" + c + "_empty_payload", in);
    Encrypted big = EncryptedFile(Bytes(1500, 0xc3), cipher);
    in = {sized, 0};
    AppendKeyAndExpectation(in, big);
    Append(in, big.file);
    Write(dir, "enc" + c + "_1500_bytes", in);
  }
  Encrypted e = EncryptedFile(Str("unknown cipher"));
  e.expect.cipher = static_cast<transport::TokenCipher>(9);
  in = {sized, 0};
  AppendKeyAndExpectation(in, e);
  Append(in, e.file);
  Write(dir, "enc_unknown_cipher", in);
}

// ------------------------------------------------------ channel_message
// Message bodies from the channel's own encoders (transport/wire_format.h).
template <typename Encode>
Bytes Encoded(size_t room, Encode encode) {
  Bytes b(room);
  b.resize(encode(absl::MakeSpan(b)));
  return b;
}
Bytes Hello(bool accept) {
  return Encoded(transport::internal::kHelloSize, [&](absl::Span<uint8_t> out) {
    return transport::internal::EncodeHello(accept, out);
  });
}
Bytes Ack(uint32_t result) {
  transport::TokenId id;
  id.fill(0xab);
  return Encoded(transport::internal::kAckSize, [&](absl::Span<uint8_t> out) {
    return transport::internal::EncodeAck(id, result, out);
  });
}
// A HANDOFF body for `e`, or a dummy one.
Bytes Handoff(const Encrypted* e = nullptr, uint16_t extra = 0) {
  transport::TokenExpectation x;
  x.file_size = 100;
  x.id.fill(0xcd);
  Bytes key(32, 0x11);
  if (e != nullptr) {
    x = e->expect;
    key = e->key;
  }
  return Encoded(transport::internal::kHandoffSize,
                 [&](absl::Span<uint8_t> out) {
                   return transport::internal::EncodeHandoff(x, extra, key,
                                                             out);
                 });
}
Bytes Messages(uint8_t mode, const std::vector<Bytes>& messages) {
  Bytes in = {mode};
  for (const Bytes& m : messages) {
    in.push_back(static_cast<uint8_t>(m.size()));
    Append(in, m);
  }
  return in;
}

void MessageSeeds() {
  using namespace message_format;  // NOLINT
  const char* dir = "channel_message_fuzzer";
  Bytes wrong_version = Hello(true);
  wrong_version[4] = 2;
  Bytes unknown_type = Hello(true);
  unknown_type[5] = 9;
  Bytes half_handoff = Handoff();
  half_handoff.resize(40);
  Write(dir, "open_accept", Messages(kPhaseOpen, {Hello(true), Ack(0)}));
  Write(dir, "open_refuse", Messages(kPhaseOpen, {Hello(false)}));
  Write(dir, "open_ack_first", Messages(kPhaseOpen, {Ack(0)}));
  Write(dir, "open_handoff_first", Messages(kPhaseOpen, {Handoff()}));
  Write(dir, "open_wrong_version", Messages(kPhaseOpen, {wrong_version}));
  Write(dir, "open_nothing", Messages(kPhaseOpen, {}));
  Write(
      dir, "receive_mixed",
      Messages(kPhaseReceive, {Ack(0), Hello(true), Handoff(), half_handoff,
                               unknown_type, Str("garbage"), Bytes(200, 'G')}));
  Write(dir, "receive_handoff_without_fd",
        Messages(kPhaseReceive, {Handoff()}));
  Write(dir, "receive_closed", Messages(kPhaseReceive | kCloseAfter, {Ack(7)}));
  Write(dir, "await_ack_patched_ok",
        Messages(kPhaseAwaitAck | kPatchIds, {Ack(0)}));
  Write(dir, "await_ack_patched_rejected",
        Messages(kPhaseAwaitAck | kPatchIds, {Ack(14)}));
  Write(dir, "await_ack_wrong_id", Messages(kPhaseAwaitAck, {Ack(0)}));
  Write(dir, "await_ack_queue_handoff",
        Messages(kPhaseAwaitAck | kPatchIds, {Handoff(), Ack(0)}));
  Write(dir, "await_ack_hello_closed",
        Messages(kPhaseAwaitAck | kCloseAfter, {Hello(true)}));
}

// ---------------------------------------------------------- wire_format
void WireSeeds() {
  const char* dir = "wire_format_fuzzer";
  Write(dir, "hello_accept", Hello(true));
  Write(dir, "hello_refuse", Hello(false));
  Write(dir, "ack", Ack(0));
  Write(dir, "ack_rejected", Ack(14));
  Write(dir, "handoff", Handoff());
  transport::TokenId id;
  id.fill(0x5a);
  const Bytes token = Str("an inline token");
  Write(dir, "handoff_inline",
        Encoded(transport::internal::kMaxInlineSize,
                [&](absl::Span<uint8_t> out) {
                  return transport::internal::EncodeInlineHandoff(id, token, 2,
                                                                  out);
                }));
  Write(dir, "handoff_inline_empty",
        Encoded(transport::internal::kMaxInlineSize,
                [&](absl::Span<uint8_t> out) {
                  return transport::internal::EncodeInlineHandoff(id, {}, 0,
                                                                  out);
                }));
  Bytes short_handoff = Handoff();
  short_handoff.resize(60);
  Write(dir, "handoff_short", short_handoff);
  Bytes unknown_type = Hello(true);
  unknown_type[5] = 9;
  Write(dir, "unknown_type", unknown_type);
  Write(dir, "garbage", Str("garbage"));
}

// -------------------------------------------------------------- receive
void ReceiveSeeds() {
  using namespace receive_format;  // NOLINT
  const char* dir = "receive_fuzzer";
  auto flags = [](uint8_t bits, int max_choice) {
    return static_cast<uint8_t>(bits | (max_choice << kMaxFdsShift));
  };
  auto memfd_spec = [](Bytes& in, uint8_t kind, uint8_t seals,
                       const Bytes& contents) {
    in.push_back(kind);
    in.push_back(seals);
    PutLe(in, contents.size(), 2);
    Append(in, contents);
  };
  const uint8_t kWriteGrow = 0x0c;
  // Valid handoffs, with and without extra fds.
  Write(dir, "valid_no_fds", {flags(kValidBody, 0), 0, 0});
  Write(dir, "valid_pipe", {flags(kValidBody, 1), 1, 0, kPipeRead});
  Write(dir, "valid_three_fds",
        {flags(kValidBody, 2), 3, 0, kPipeWrite, kSocket, kEventFd});
  Write(dir, "valid_too_many_fds",
        {flags(kValidBody, 1), 3, 0, kPipeRead, kPipeWrite, kEventFd});
  Write(dir, "valid_flood_accepted", {flags(kValidBody | kFlood, 3), 0, 0});
  Write(dir, "valid_flood_refused", {flags(kValidBody | kFlood, 1), 0, 0});
  Write(dir, "valid_sent_twice", {flags(kValidBody | kSendTwice, 0), 0, 0});
  Write(dir, "valid_token_twice_in_one",
        {flags(kValidBody, 1), 1, 0, kRealToken});
  Write(dir, "valid_peer_closed", {flags(kValidBody | kCloseAfter, 0), 0, 0});
  // Edits: magic, type, id, size, extra count, cipher, reserved, nonce,
  // tag, key.
  for (uint8_t offset : {0, 5, 8, 24, 32, 34, 35, 40, 64, 80, 111}) {
    Write(dir, "valid_edit_" + std::to_string(offset),
          {flags(kValidBody, 0), 0, 1, offset, 0x77});
  }
  // Arbitrary bodies with arbitrary fds.
  Bytes body = Handoff();
  Bytes in = {flags(0, 0), 1, static_cast<uint8_t>(body.size())};
  Append(in, body);
  memfd_spec(in, kUnsealedMemfd, 0, Bytes(100, 1));
  Write(dir, "unsealed_memfd", in);
  for (uint8_t kind :
       {kSealedMemfd, kRegularFile, kReadOnlyMemfd, kSealedTmpfsFile}) {
    in = {flags(0, 0), 1, static_cast<uint8_t>(body.size())};
    Append(in, body);
    memfd_spec(in, kind, kWriteGrow, Bytes(100, 2));
    Write(dir, "kind_" + std::to_string(kind), in);
  }
  in = {flags(0, 0), 1, static_cast<uint8_t>(body.size())};
  Append(in, body);
  memfd_spec(in, kSealedMemfd, kWriteGrow | 0x01, Bytes(100, 3));
  Write(dir, "preset_latch", in);
  in = {flags(0, 0), 1, 7};
  Append(in, Str("garbage"));
  in.push_back(kPipeRead);
  Write(dir, "garbage_with_pipe", in);
  // A hostile sender's own, complete token: accepted (it is valid).
  Encrypted e = EncryptedFile(Str("made by the peer"));
  Bytes own = Handoff(&e);
  in = {flags(0, 0), 1, static_cast<uint8_t>(own.size())};
  Append(in, own);
  memfd_spec(in, kSealedMemfd, kWriteGrow, e.file);
  Write(dir, "peer_made_token", in);
}

}  // namespace
}  // namespace gssx::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
    return 2;
  }
  gssx::fuzz::g_root = argv[1];
  ::mkdir(argv[1], 0755);
  gssx::fuzz::TokenSeeds();
  gssx::fuzz::MessageSeeds();
  gssx::fuzz::WireSeeds();
  gssx::fuzz::ReceiveSeeds();
  std::printf("seeds written under %s\n", argv[1]);
  return 0;
}
