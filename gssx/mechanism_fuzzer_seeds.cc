// SPDX-License-Identifier: Apache-2.0
// Writes the mechanism fuzzer's named seeds (real tokens between the fixed
// fuzz identities) into the directory given as argv[1].
#include <cstdio>
#include <string>
#include <vector>

#include "gssx/context.h"
#include "gssx/testing/fuzz_peers.h"

namespace {

void Write(const std::string& dir, const std::string& name,
           const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
  if (f == nullptr) return;
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

std::vector<uint8_t> Cat(uint8_t which, std::vector<absl::Span<const uint8_t>> wide,
                         std::vector<absl::Span<const uint8_t>> narrow,
                         absl::Span<const uint8_t> rest) {
  std::vector<uint8_t> out = {which};
  for (auto w : wide) {
    out.push_back(static_cast<uint8_t>(w.size()));
    out.push_back(static_cast<uint8_t>(w.size() >> 8));
    out.insert(out.end(), w.begin(), w.end());
  }
  for (auto n : narrow) {
    out.push_back(static_cast<uint8_t>(n.size()));
    out.insert(out.end(), n.begin(), n.end());
  }
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  gssx::testing::FuzzPeers peers = gssx::testing::MakeFuzzPeers();
  auto init = gssx::Context::Initiate(*peers.client, gssx::testing::FuzzInitOptions());
  if (!init.ok()) return 1;
  auto acc = gssx::Context::Accept(*peers.server, init->output_token);
  if (!acc.ok()) return 1;
  if (!init->context.Continue(acc->output_token).ok()) return 1;
  const std::vector<uint8_t> msg = {'h', 'e', 'l', 'l', 'o'};
  auto wrap = init->context.Wrap(msg, true);
  auto wrap_integ = init->context.Wrap(msg, false);
  auto mic = init->context.GetMic(msg);
  auto exported = acc->context.Export();
  auto name = peers.server->name().Export();
  if (!wrap.ok() || !wrap_integ.ok() || !mic.ok() || !exported.ok() || !name.ok()) return 1;
  Write(dir, "accept-init-token", Cat(0, {}, {}, init->output_token));
  Write(dir, "continue-accept-token", Cat(1, {}, {}, acc->output_token));
  Write(dir, "unwrap-conf", Cat(2, {exported->span()}, {}, wrap->token));
  Write(dir, "unwrap-integ", Cat(2, {exported->span()}, {}, wrap_integ->token));
  Write(dir, "verify-mic", Cat(3, {exported->span()}, {msg}, *mic));
  Write(dir, "import-export-token", Cat(4, {}, {}, exported->span()));
  Write(dir, "import-exported-name", Cat(5, {}, {}, *name));
  std::printf("wrote 7 seeds to %s\n", dir.c_str());
  return 0;
}
