// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the mechanism's parsers of untrusted bytes, in C++.
//
// The first input byte picks what the rest feeds:
//   0  Context::Accept (an init token)
//   1  Context::Continue of a fresh initiator (an accept token)
//   2  Context::Import of a wide chunk (an export token), then Unwrap of the
//      rest (a per-message wrap token)
//   3  the same, then VerifyMic of the rest, over a chunk as the message
//   4  Context::Import (an interprocess token, v1)
//   5  Name::ImportExported (an exported name)
// Besides "no crash, no sanitizer report, no leak": every failure carries a
// gssx error kind, and a token that fails to verify changes nothing (a
// second Unwrap of the same bytes answers the same).
// Seeds: bazel run //gssx:mechanism_fuzzer_seeds -- $PWD/gssx/fuzz_corpus/mechanism_fuzzer
#include <cstddef>
#include <cstdint>

#include "gssx/context.h"
#include "gssx/testing/fuzz_peers.h"
#include "gssx/name.h"
#include "gssx/status.h"
#include "testing/fuzz/fuzz_util.h"

namespace {

using gssx::fuzz::FuzzInput;

const gssx::testing::FuzzPeers& Peers() {
  static const gssx::testing::FuzzPeers* peers =
      new gssx::testing::FuzzPeers(gssx::testing::MakeFuzzPeers());
  return *peers;
}

void CheckFailure(const absl::Status& s) {
  FUZZ_CHECK(s.ok() || gssx::KindOf(s) != gssx::ErrorKind::kNone,
             "a failure without a gssx error kind", s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t which = in.U8();
  switch (which % 6) {
    case 0: {
      CheckFailure(gssx::Context::Accept(*Peers().server, in.Rest()).status());
      break;
    }
    case 1: {
      absl::StatusOr<gssx::HandshakeStep> init =
          gssx::Context::Initiate(*Peers().client, gssx::testing::FuzzInitOptions());
      FUZZ_CHECK(init.ok(), "initiate", init.status());
      CheckFailure(init->context.Continue(in.Rest()).status());
      break;
    }
    case 2:
    case 3: {
      absl::StatusOr<gssx::Context> ctx = gssx::Context::Import(in.Chunk(/*wide=*/true));
      if (!ctx.ok()) {
        CheckFailure(ctx.status());
        break;
      }
      if (which % 6 == 2) {
        absl::Span<const uint8_t> token = in.Rest();
        absl::StatusOr<gssx::UnwrapResult> a = ctx->Unwrap(token);
        CheckFailure(a.status());
        if (!a.ok()) {
          absl::StatusOr<gssx::UnwrapResult> b = ctx->Unwrap(token);
          FUZZ_CHECK(!b.ok() && b.status().code() == a.status().code(),
                     "a rejected token changed the context", b.status());
        }
      } else {
        absl::Span<const uint8_t> message = in.Chunk();
        CheckFailure(ctx->VerifyMic(message, in.Rest()).status());
      }
      break;
    }
    case 4: {
      absl::StatusOr<gssx::Context> ctx = gssx::Context::Import(in.Rest());
      CheckFailure(ctx.status());
      if (ctx.ok()) FUZZ_CHECK(ctx->Inquire().ok(), "imported but not inquirable");
      break;
    }
    case 5: {
      absl::StatusOr<gssx::Name> name = gssx::Name::ImportExported(in.Rest());
      CheckFailure(name.status());
      break;
    }
  }
  return 0;
}
