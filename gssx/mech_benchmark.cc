// SPDX-License-Identifier: Apache-2.0
// mech_benchmark: what the built-in mechanism (Noise IK on libsodium) costs
// through the gssx C++ API, next to the libsodium primitives it cannot do
// without, measured in the same run.
//
//   bazel run -c opt //gssx:mech_benchmark
//
// 1. Handshake: Context::Initiate + Context::Accept + Context::Continue
//    (both sides in this process), against the X25519 floor of
//    Noise_IK_25519_ChaChaPoly_SHA256:
//        <- s
//        ...
//        -> e, es, s, ss
//        <- e, ee, se
//    Each side generates one ephemeral key pair (e) and computes four DHs
//    (initiator: es ss | ee se; responder: es ss | ee se): 2 key
//    generations (random scalar + base-point multiplication) and 8 X25519
//    DHs in all. The static keys come from the keytab and the trust file;
//    computing them is not part of a handshake.
// 2. Wrap (confidential) + Unwrap of 64 B, 1 KiB, 16 KiB, against raw
//    libsodium XChaCha20-Poly1305-IETF (the AEAD of internal/per_message.cc)
//    encrypt + decrypt of the same sizes into buffers allocated once.
// Samples of the measured case and its floor alternate, so that load from
// other processes hits both alike; the process is pinned to one CPU
// (--cpu). Every figure is a median (p99 beside it).
// Last two lines: handshake/dh-floor (time ratio) and wrap16k/raw-aead
// (throughput ratio = raw AEAD time / wrap+unwrap time).
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "gssx/context.h"
#include "gssx/name.h"
#include "testing/bench.h"
#include "gssx/testing/test_identity.h"
#include "transport/base/secret_buffer.h"

ABSL_FLAG(int, handshakes, 2000, "measured handshakes (and floor samples)");
ABSL_FLAG(int, wraps, 4000, "measured samples per message size");
ABSL_FLAG(int, cpu, 0, "CPU to pin to (-1: unpinned)");

namespace gssx {
namespace {

using ::gssx::testing::LatencyStats;
using ::gssx::testing::Summarize;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "mech_benchmark: %s\n", what.c_str());
  std::exit(2);
}

// Keeps the compiler from discarding a result.
volatile uint8_t g_sink;

constexpr int kKeygens = 2;
constexpr int kDhs = 8;

struct X25519 {
  uint8_t scalar[crypto_scalarmult_SCALARBYTES];
  uint8_t peer[crypto_scalarmult_BYTES];
  uint8_t out[crypto_scalarmult_BYTES];

  X25519() {
    randombytes_buf(scalar, sizeof scalar);
    uint8_t other[crypto_scalarmult_SCALARBYTES];
    randombytes_buf(other, sizeof other);
    if (crypto_scalarmult_base(peer, other) != 0) Die("scalarmult_base");
  }
  // A key generation: a fresh random scalar and its public key.
  void Keygen() {
    randombytes_buf(scalar, sizeof scalar);
    if (crypto_scalarmult_base(out, scalar) != 0) Die("scalarmult_base");
    g_sink = out[0];
  }
  void Dh() {
    if (crypto_scalarmult(out, scalar, peer) != 0) Die("scalarmult");
    g_sink = out[0];
  }
};

template <typename F>
double TimeUs(F f) {
  const absl::Time t0 = absl::Now();
  f();
  return absl::ToDoubleMicroseconds(absl::Now() - t0);
}

void Row(const std::string& name, const LatencyStats& s) {
  std::printf("%-48s %12.2f %10.2f\n", name.c_str(), s.median, s.p99);
}

struct Established {
  Context client;
  Context server;
};

Established Handshake(const testing::TestIdentities& ids, const Name& target) {
  InitOptions init;
  init.target = target;
  absl::StatusOr<HandshakeStep> first = Context::Initiate(ids.client, init);
  if (!first.ok()) Die(std::string(first.status().message()));
  absl::StatusOr<HandshakeStep> accepted =
      Context::Accept(ids.server, first->output_token);
  if (!accepted.ok()) Die(std::string(accepted.status().message()));
  absl::StatusOr<std::vector<uint8_t>> last =
      first->context.Continue(accepted->output_token);
  if (!last.ok()) Die(std::string(last.status().message()));
  return Established{std::move(first->context), std::move(accepted->context)};
}

int Main() {
  if (absl::Status s = transport::EnsureSodium(); !s.ok()) Die("sodium_init");
  if (absl::Status pin = testing::PinToCpu(absl::GetFlag(FLAGS_cpu));
      !pin.ok()) {
    Die(std::string(pin.message()));
  }
  absl::StatusOr<testing::TestIdentities> ids = testing::MakeTestIdentities();
  if (!ids.ok()) Die("identities");
  absl::StatusOr<Name> target =
      Name::Import(ids->server_name, NameType::kUser);
  if (!target.ok()) Die("target name");

  const int handshakes = absl::GetFlag(FLAGS_handshakes);
  const int wraps = absl::GetFlag(FLAGS_wraps);
  std::printf("mech_benchmark: Noise_IK_25519_ChaChaPoly_SHA256 through the "
              "gssx C++ API, one process pinned to CPU %d; medians of %d "
              "handshakes and %d samples per message size (after warm-up)\n",
              absl::GetFlag(FLAGS_cpu), handshakes, wraps);
  std::printf("X25519 work an IK handshake needs: %d key generations (e, one "
              "per side) + %d DHs (es ss | ee se, on each side)\n\n",
              kKeygens, kDhs);
  std::printf("%-48s %12s %10s\n", "case", "median us", "p99 us");

  // 1. Handshake vs the DH floor, alternating.
  X25519 x;
  std::vector<double> hs_us, floor_us, keygen_us, dh_us;
  const int hs_warmup = handshakes / 10;
  for (int i = 0; i < hs_warmup + handshakes; ++i) {
    const double h = TimeUs([&] { Established e = Handshake(*ids, *target); });
    const double f = TimeUs([&] {
      for (int k = 0; k < kKeygens; ++k) x.Keygen();
      for (int k = 0; k < kDhs; ++k) x.Dh();
    });
    const double kg = TimeUs([&] { x.Keygen(); });
    const double dh = TimeUs([&] { x.Dh(); });
    if (i < hs_warmup) continue;
    hs_us.push_back(h);
    floor_us.push_back(f);
    keygen_us.push_back(kg);
    dh_us.push_back(dh);
  }
  const LatencyStats hs = Summarize(hs_us);
  const LatencyStats floor = Summarize(floor_us);
  Row("X25519 key generation (1)", Summarize(keygen_us));
  Row("X25519 DH (1)", Summarize(dh_us));
  Row("DH floor: 2 key generations + 8 DHs", floor);
  Row("handshake: Initiate + Accept + Continue", hs);

  // 2. Wrap + Unwrap vs raw AEAD encrypt + decrypt.
  Established e = Handshake(*ids, *target);
  uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {};
  uint8_t tag[crypto_aead_xchacha20poly1305_ietf_ABYTES];
  double ratio16k = 0;
  std::printf("\n");
  for (size_t size : {size_t{64}, size_t{1024}, size_t{16384}}) {
    std::vector<uint8_t> message(size);
    randombytes_buf(message.data(), message.size());
    std::vector<uint8_t> cipher(size), plain(size);
    // Enough operations per sample that the clock's cost does not count.
    const int batch = static_cast<int>(std::max<size_t>(1, 16384 / size));
    std::vector<double> wrap_us, raw_us;
    const int warmup = wraps / 10;
    for (int i = 0; i < warmup + wraps; ++i) {
      const double w = TimeUs([&] {
        for (int b = 0; b < batch; ++b) {
          absl::StatusOr<WrapResult> t = e.client.Wrap(message, true);
          if (!t.ok()) Die(std::string(t.status().message()));
          absl::StatusOr<UnwrapResult> u = e.server.Unwrap(t->token);
          if (!u.ok() || u->message.size() != size) Die("unwrap");
          g_sink = u->message[0];
        }
      });
      const double r = TimeUs([&] {
        for (int b = 0; b < batch; ++b) {
          nonce[0] = static_cast<uint8_t>(b);
          crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
              cipher.data(), tag, nullptr, message.data(), size, nullptr, 0,
              nullptr, nonce, key);
          if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
                  plain.data(), nullptr, cipher.data(), size, tag, nullptr, 0,
                  nonce, key) != 0) {
            Die("raw decrypt");
          }
          g_sink = plain[0];
        }
      });
      if (i < warmup) continue;
      wrap_us.push_back(w / batch);
      raw_us.push_back(r / batch);
    }
    const LatencyStats ws = Summarize(wrap_us);
    const LatencyStats rs = Summarize(raw_us);
    const std::string label = size >= 1024 ? std::to_string(size / 1024) + " KiB"
                                           : std::to_string(size) + " B";
    Row("raw AEAD encrypt + decrypt " + label, rs);
    Row("gssx Wrap + Unwrap " + label, ws);
    std::printf("%-48s %12.2f\n", ("  throughput ratio raw/wrap " + label).c_str(),
                rs.median / ws.median);
    if (size == 16384) ratio16k = rs.median / ws.median;
  }

  std::printf("\nhandshake/dh-floor: %.2f\n", hs.median / floor.median);
  std::printf("wrap16k/raw-aead: %.2f\n", ratio16k);
  return 0;
}

}  // namespace
}  // namespace gssx

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return gssx::Main();
}
