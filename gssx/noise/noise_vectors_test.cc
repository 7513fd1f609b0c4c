// SPDX-License-Identifier: Apache-2.0
// Runs every vector of the published cacophony test-vector file for
// *_25519_ChaChaPoly_SHA256 (gssx/noise/testdata/, a data dependency of
// this test): both parties with the vector's fixed keys, each
// handshake message compared byte for byte, the handshake hash, then the
// transport messages after Split().
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/optional.h"
#include "gssx/noise/testing/test_json.h"
#include "gssx/noise/noise.h"
#include "gtest/gtest.h"

namespace gssx::noise {
namespace {

using ::gssx::noise::test_internal::JsonValue;
using ::gssx::noise::test_internal::ParseJson;
using Bytes = std::vector<uint8_t>;

constexpr absl::string_view kVectorFile =
    "gssx/noise/testdata/cacophony_25519_ChaChaPoly_SHA256.json";

// Patterns that must run and pass, or the test fails.
constexpr absl::string_view kRequired[] = {"NN", "NK", "KK", "IK", "XX"};

// The data file in the runfiles tree: under this workspace's directory
// ($TEST_WORKSPACE), or under "gssx" when a consumer workspace runs this test
// from gssx as an external repository.
absl::StatusOr<std::string> ReadVectorFile() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) {
    return absl::FailedPreconditionError("TEST_SRCDIR unset: run under bazel");
  }
  std::vector<std::string> candidates;
  if (workspace != nullptr) {
    candidates.push_back(absl::StrCat(srcdir, "/", workspace, "/", kVectorFile));
  }
  candidates.push_back(absl::StrCat(srcdir, "/gssx/", kVectorFile));
  for (const std::string& path : candidates) {
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  return absl::NotFoundError(
      absl::StrCat("no vector file at ", absl::StrJoin(candidates, " or ")));
}

absl::StatusOr<Bytes> FromHex(absl::string_view hex) {
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("odd hex length");
  for (char c : hex) {
    if (!absl::ascii_isxdigit(c)) {
      return absl::InvalidArgumentError("not a hex digit");
    }
  }
  const std::string raw = absl::HexStringToBytes(hex);
  return Bytes(raw.begin(), raw.end());
}

std::string ToHex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// A hex string field; absent means empty.
absl::StatusOr<Bytes> HexField(const JsonValue& object, absl::string_view key) {
  const JsonValue* value = object.Find(key);
  if (value == nullptr) return Bytes();
  if (!value->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(key, " is not a string"));
  }
  absl::StatusOr<Bytes> bytes = FromHex(value->text);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": ", bytes.status().message()));
  }
  return bytes;
}

// One party's inputs, owning the bytes the HandshakeConfig spans point to.
struct Party {
  Bytes prologue;
  Bytes static_private;
  Bytes remote_static;
  Bytes ephemeral_private;
  std::vector<Bytes> psks;

  absl::Status Load(const JsonValue& vector, absl::string_view prefix) {
    struct Field {
      const char* name;
      Bytes* out;
    } fields[] = {{"prologue", &prologue},
                  {"static", &static_private},
                  {"remote_static", &remote_static},
                  {"ephemeral", &ephemeral_private}};
    for (const Field& field : fields) {
      absl::StatusOr<Bytes> bytes =
          HexField(vector, absl::StrCat(prefix, field.name));
      if (!bytes.ok()) return bytes.status();
      *field.out = *std::move(bytes);
    }
    const std::string psks_key = absl::StrCat(prefix, "psks");
    if (const JsonValue* list = vector.Find(psks_key); list != nullptr) {
      if (!list->is_array()) {
        return absl::InvalidArgumentError(psks_key + " is not an array");
      }
      for (const JsonValue& item : list->array) {
        if (!item.is_string()) {
          return absl::InvalidArgumentError(psks_key + " holds a non-string");
        }
        absl::StatusOr<Bytes> psk = FromHex(item.text);
        if (!psk.ok()) return psk.status();
        psks.push_back(*std::move(psk));
      }
    }
    return absl::OkStatus();
  }

  HandshakeConfig Config(const std::string& protocol_name, Role role) const {
    HandshakeConfig config;
    config.protocol_name = protocol_name;
    config.role = role;
    config.prologue = prologue;
    config.local_static_private_key = static_private;
    config.remote_static_public_key = remote_static;
    config.fixed_ephemeral_private_key = ephemeral_private;
    for (const Bytes& psk : psks) config.psks.push_back(psk);
    return config;
  }
};

absl::Status Mismatch(size_t index, absl::string_view what,
                      absl::Span<const uint8_t> got,
                      absl::Span<const uint8_t> want) {
  return absl::InternalError(absl::StrCat("message ", index, ": ", what, " ",
                                          ToHex(got), ", want ", ToHex(want)));
}

absl::Status Failed(size_t index, absl::string_view call,
                    const absl::Status& status) {
  return absl::InternalError(
      absl::StrCat("message ", index, ": ", call, ": ", status.ToString()));
}

// OK if the vector passed, kUnimplemented if this code does not support its
// protocol, any other status (never kUnimplemented) describes a failure.
absl::Status RunVector(const JsonValue& vector) {
  const JsonValue* name_field = vector.Find("protocol_name");
  if (name_field == nullptr || !name_field->is_string()) {
    return absl::InternalError("protocol_name missing");
  }
  const std::string& name = name_field->text;
  Party init;
  Party resp;
  if (absl::Status s = init.Load(vector, "init_"); !s.ok()) {
    return absl::InternalError(s.ToString());
  }
  if (absl::Status s = resp.Load(vector, "resp_"); !s.ok()) {
    return absl::InternalError(s.ToString());
  }
  absl::StatusOr<Bytes> handshake_hash = HexField(vector, "handshake_hash");
  if (!handshake_hash.ok() || handshake_hash->size() != kHashLen) {
    return absl::InternalError("handshake_hash missing or malformed");
  }
  const JsonValue* messages = vector.Find("messages");
  if (messages == nullptr || !messages->is_array()) {
    return absl::InternalError("messages missing");
  }

  absl::StatusOr<HandshakeState> initiator =
      HandshakeState::Create(init.Config(name, Role::kInitiator));
  absl::StatusOr<HandshakeState> responder =
      HandshakeState::Create(resp.Config(name, Role::kResponder));
  const bool init_unsupported =
      initiator.status().code() == absl::StatusCode::kUnimplemented;
  const bool resp_unsupported =
      responder.status().code() == absl::StatusCode::kUnimplemented;
  if (init_unsupported && resp_unsupported) return initiator.status();
  if (!initiator.ok()) {
    return absl::InternalError(
        absl::StrCat("initiator Create: ", initiator.status().ToString()));
  }
  if (!responder.ok()) {
    return absl::InternalError(
        absl::StrCat("responder Create: ", responder.status().ToString()));
  }

  absl::optional<TransportCiphers> init_ciphers;
  absl::optional<TransportCiphers> resp_ciphers;
  bool one_way = false;
  for (size_t i = 0; i < messages->array.size(); ++i) {
    const JsonValue& message = messages->array[i];
    absl::StatusOr<Bytes> payload = HexField(message, "payload");
    absl::StatusOr<Bytes> expected = HexField(message, "ciphertext");
    if (!payload.ok() || !expected.ok()) {
      return absl::InternalError(absl::StrCat("message ", i, ": bad hex"));
    }

    if (!init_ciphers.has_value()) {
      HandshakeState& writer = i % 2 == 0 ? *initiator : *responder;
      HandshakeState& reader = i % 2 == 0 ? *responder : *initiator;
      if (!writer.IsMyTurnToWrite() || reader.IsMyTurnToWrite()) {
        return absl::InternalError(absl::StrCat("message ", i, ": bad turn"));
      }
      absl::StatusOr<Bytes> written = writer.WriteMessage(*payload);
      if (!written.ok()) return Failed(i, "WriteMessage", written.status());
      if (*written != *expected) {
        return Mismatch(i, "handshake message", *written, *expected);
      }
      absl::StatusOr<Bytes> read = reader.ReadMessage(*written);
      if (!read.ok()) return Failed(i, "ReadMessage", read.status());
      if (*read != *payload) return Mismatch(i, "payload", *read, *payload);
      if (initiator->IsComplete() != responder->IsComplete()) {
        return absl::InternalError(
            absl::StrCat("message ", i, ": only one side complete"));
      }
      if (!initiator->IsComplete()) continue;

      // The handshake is over: same hash on both sides, as published.
      for (const HandshakeState* party : {&*initiator, &*responder}) {
        if (party->GetHandshakeHash() != absl::MakeConstSpan(*handshake_hash)) {
          return Mismatch(i, "handshake hash", party->GetHandshakeHash(),
                          *handshake_hash);
        }
      }
      // Each side learned (or knew) the other's static key, if it has one.
      for (const auto& [party, peer] : {std::make_pair(&*initiator, &resp),
                                        std::make_pair(&*responder, &init)}) {
        if (peer->static_private.empty() ||
            party->GetRemoteStaticPublicKey().empty()) {
          continue;
        }
        absl::StatusOr<KeyPair> key =
            KeyPair::FromPrivateKey(peer->static_private);
        if (!key.ok()) return Failed(i, "KeyPair", key.status());
        if (party->GetRemoteStaticPublicKey() != key->public_key()) {
          return Mismatch(i, "remote static", party->GetRemoteStaticPublicKey(),
                          key->public_key());
        }
      }
      one_way = i == 0;
      absl::StatusOr<TransportCiphers> ic = initiator->Split();
      absl::StatusOr<TransportCiphers> rc = responder->Split();
      if (!ic.ok()) return Failed(i, "initiator Split", ic.status());
      if (!rc.ok()) return Failed(i, "responder Split", rc.status());
      init_ciphers = *std::move(ic);
      resp_ciphers = *std::move(rc);
      continue;
    }

    // Transport messages alternate, continuing the handshake's order; in a
    // one-way pattern they all go initiator -> responder.
    const bool from_initiator = one_way || i % 2 == 0;
    CipherState& sender =
        from_initiator ? init_ciphers->send : resp_ciphers->send;
    CipherState& receiver =
        from_initiator ? resp_ciphers->receive : init_ciphers->receive;
    absl::StatusOr<Bytes> sealed = sender.EncryptWithAd({}, *payload);
    if (!sealed.ok()) return Failed(i, "EncryptWithAd", sealed.status());
    if (*sealed != *expected) {
      return Mismatch(i, "transport message", *sealed, *expected);
    }
    absl::StatusOr<Bytes> opened = receiver.DecryptWithAd({}, *sealed);
    if (!opened.ok()) return Failed(i, "DecryptWithAd", opened.status());
    if (*opened != *payload) return Mismatch(i, "payload", *opened, *payload);
  }
  if (!init_ciphers.has_value()) {
    return absl::InternalError("the handshake did not complete");
  }
  return absl::OkStatus();
}

std::string FullName(absl::string_view pattern) {
  return absl::StrCat("Noise_", pattern, "_25519_ChaChaPoly_SHA256");
}

TEST(NoiseVectorsTest, Cacophony) {
  absl::StatusOr<std::string> text = ReadVectorFile();
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<JsonValue> document = ParseJson(*text);
  ASSERT_TRUE(document.ok()) << document.status();
  const JsonValue* vectors = document->Find("vectors");
  ASSERT_TRUE(vectors != nullptr && vectors->is_array());

  int total = 0;
  int ran = 0;
  int passed = 0;
  std::vector<std::string> unsupported;
  std::set<std::string> passed_names;
  for (const JsonValue& vector : vectors->array) {
    ++total;
    const JsonValue* name = vector.Find("protocol_name");
    const std::string label =
        name != nullptr && name->is_string() ? name->text : "(unnamed)";
    const absl::Status status = RunVector(vector);
    if (status.code() == absl::StatusCode::kUnimplemented) {
      unsupported.push_back(label);
      continue;
    }
    ++ran;
    if (status.ok()) {
      ++passed;
      passed_names.insert(label);
    } else {
      ADD_FAILURE() << label << ": " << status.message();
    }
  }

  const std::string summary =
      absl::StrCat("noise vectors: total ", total, " ran ", ran, " passed ",
                   passed, " unsupported ", unsupported.size());
  std::cout << summary << "\n";
  for (const std::string& name : unsupported) {
    std::cout << "  unsupported: " << name << "\n";
  }
  ::testing::Test::RecordProperty("summary", summary);

  EXPECT_GT(total, 0) << "the vector file holds no vectors";
  EXPECT_EQ(passed, ran);
  for (absl::string_view pattern : kRequired) {
    EXPECT_EQ(passed_names.count(FullName(pattern)), 1u)
        << FullName(pattern) << " did not run and pass";
  }
}

}  // namespace
}  // namespace gssx::noise
