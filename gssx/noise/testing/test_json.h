// SPDX-License-Identifier: Apache-2.0
// A JSON reader just large enough for test-vector files: objects, arrays,
// strings (with the standard escapes; \u only below U+0080), numbers kept
// as text, true, false, null. Not for untrusted input beyond tests, though
// it does bound nesting depth and never reads past the end of its input.
//
//   absl::StatusOr<JsonValue> doc = ParseJson(text);
//   const JsonValue* vectors = doc->Find("vectors");
//   for (const JsonValue& v : vectors->array) { ... v.Find("protocol_name") }
#ifndef GSSX_NOISE_TESTING_TEST_JSON_H_
#define GSSX_NOISE_TESTING_TEST_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gssx::noise::test_internal {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type = Type::kNull;
  bool boolean = false;
  // kString: the decoded string; kNumber: the number's text.
  std::string text;
  // kArray: the elements; kObject: the member values, keys in `keys`.
  std::vector<JsonValue> array;
  std::vector<std::string> keys;

  // The value of member `key` of an object (the first, if repeated), or
  // null if absent or not an object. Valid while this value lives.
  const JsonValue* Find(absl::string_view key) const;
  bool is_string() const { return type == Type::kString; }
  bool is_array() const { return type == Type::kArray; }
  bool is_object() const { return type == Type::kObject; }
};

// Parses one JSON document (surrounding whitespace allowed).
// InvalidArgument with the byte offset for malformed input.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

}  // namespace gssx::noise::test_internal

#endif  // GSSX_NOISE_TESTING_TEST_JSON_H_
