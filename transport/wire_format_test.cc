// SPDX-License-Identifier: Apache-2.0
#include "transport/wire_format.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "transport/base/errors.h"

namespace gssx::transport::internal {
namespace {

using ::gssx::testing::HasErrorKind;
using ::gssx::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename Encode>
std::vector<uint8_t> Encoded(size_t room, Encode encode) {
  std::vector<uint8_t> b(room);
  b.resize(encode(absl::MakeSpan(b)));
  return b;
}

TEST(WireFormatTest, HelloAndAckBytes) {
  EXPECT_THAT(Encoded(64, [](auto out) { return EncodeHello(true, out); }),
              ElementsAre('G', 'X', 'C', 'H', 1, 1, 0, 0, 0, 0, 0, 0));
  EXPECT_THAT(Encoded(64, [](auto out) { return EncodeHello(false, out); }),
              ElementsAre('G', 'X', 'C', 'H', 1, 1, 0, 0, 1, 0, 0, 0));
  TokenId id;
  for (int i = 0; i < 16; ++i) id[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> ack =
      Encoded(64, [&](auto out) { return EncodeAck(id, 0x01020304, out); });
  ASSERT_EQ(ack.size(), kAckSize);
  EXPECT_EQ(ack[5], 3);
  EXPECT_EQ(ack[8], 0);
  EXPECT_EQ(ack[23], 15);
  EXPECT_THAT(std::vector<uint8_t>(ack.begin() + 24, ack.end()),
              ElementsAre(4, 3, 2, 1));
}

TEST(WireFormatTest, HandoffRoundTripsAtItsOffsets) {
  TokenExpectation t;
  t.id.fill(0x11);
  t.file_size = 0x0102030405060708;
  t.nonce.fill(0x22);
  t.tag.fill(0x33);
  const std::vector<uint8_t> key(kTokenKeySize, 0x44);
  std::vector<uint8_t> b = Encoded(
      200, [&](auto out) { return EncodeHandoff(t, 7, key, out); });
  ASSERT_EQ(b.size(), kHandoffSize);
  EXPECT_EQ(b[5], 2);
  EXPECT_EQ(b[24], 0x08);  // size, little-endian
  EXPECT_EQ(b[32], 7);     // extra fd count
  EXPECT_EQ(b[40], 0x22);  // nonce
  EXPECT_EQ(b[64], 0x33);  // tag
  EXPECT_EQ(b[80], 0x44);  // key
  absl::StatusOr<WireMessage> m = ParseMessage(b);
  ASSERT_THAT(m, IsOk());
  EXPECT_TRUE(m->is_handoff());
  EXPECT_EQ(m->expect.file_size, t.file_size);
  EXPECT_EQ(m->expect.nonce, t.nonce);
  EXPECT_EQ(m->extra_fd_count, 7);
  EXPECT_EQ(m->key.data(), b.data() + 80);  // a view, not a copy
  // A key of the wrong size, or too little room: nothing.
  EXPECT_EQ(EncodeHandoff(t, 0, absl::MakeConstSpan(key).subspan(1),
                          absl::MakeSpan(b)),
            0u);
  EXPECT_EQ(EncodeHandoff(t, 0, key, absl::MakeSpan(b).subspan(1)), 0u);
}

TEST(WireFormatTest, InlineHandoffLimitsAndReservedField) {
  TokenId id{};
  const std::vector<uint8_t> token = {'a', 'b', 'c'};
  std::vector<uint8_t> b = Encoded(kMaxInlineSize, [&](auto out) {
    return EncodeInlineHandoff(id, token, 1, out);
  });
  ASSERT_EQ(b.size(), kInlineHeaderSize + 3);
  absl::StatusOr<WireMessage> m = ParseMessage(b);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->type, MessageType::kHandoffInline);
  EXPECT_EQ(m->expect.file_size, 3u);
  EXPECT_THAT(std::vector<uint8_t>(m->key.begin(), m->key.end()),
              ElementsAre('a', 'b', 'c'));
  b[30] = 1;  // reserved
  EXPECT_THAT(ParseMessage(b), HasErrorKind(ErrorKind::kMalformed));
  const std::vector<uint8_t> big(kMaxInlineToken + 1, 'x');
  std::vector<uint8_t> room(kMaxInlineSize + 8);
  EXPECT_EQ(EncodeInlineHandoff(id, big, 0, absl::MakeSpan(room)), 0u);
}

TEST(WireFormatTest, MalformedBodiesAreNamed) {
  std::vector<uint8_t> hello =
      Encoded(64, [](auto out) { return EncodeHello(true, out); });
  auto message = [](const std::vector<uint8_t>& b) {
    return std::string(ParseMessage(b).status().message());
  };
  std::vector<uint8_t> b = hello;
  b[0] = 'g';
  EXPECT_EQ(message(b), "message: bad magic");
  EXPECT_EQ(message({'G', 'X'}), "message: bad magic");
  b = hello;
  b[4] = 2;
  EXPECT_EQ(message(b), "message: unsupported version 2");
  b = hello;
  b[5] = 9;
  EXPECT_EQ(message(b), "message: unknown type 9");
  b = hello;
  b.push_back(0);
  EXPECT_EQ(message(b), "message: wrong length");
  b.resize(10);
  EXPECT_EQ(message(b), "message: wrong length");
  EXPECT_THAT(ParseMessage(b), HasErrorKind(ErrorKind::kMalformed));
}

}  // namespace
}  // namespace gssx::transport::internal
