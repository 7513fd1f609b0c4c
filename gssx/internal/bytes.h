// SPDX-License-Identifier: Apache-2.0
// Little-endian, bounds-checked byte encoding for gssx's own formats
// (handshake payloads, the exported-context token). Internal.
//
//   Writer count;                 // counting pass: how many bytes?
//   Encode(state, count);
//   SecretBuffer buf = *SecretBuffer::Create(count.size());
//   Writer out(buf.span());       // writing pass, same function
//   Encode(state, out);           // out.ok() unless the two passes differ
//
//   Reader in(bytes);
//   uint32_t n;
//   if (!in.U32(&n)) ...          // every read says whether it fit; a
//                                 // failed read leaves the reader failed
#ifndef GSSX_INTERNAL_BYTES_H_
#define GSSX_INTERNAL_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gssx::internal {

class Writer {
 public:
  // Counts bytes without writing them.
  Writer() = default;
  // Writes into `out`; writing past its end marks the writer failed.
  explicit Writer(absl::Span<uint8_t> out) : out_(out), counting_(false) {}

  void U8(uint8_t v) { Put(&v, 1); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void I64(int64_t v) { Le(static_cast<uint64_t>(v), 8); }
  void Bytes(absl::Span<const uint8_t> b) { Put(b.data(), b.size()); }
  void Str(absl::string_view s) {
    Put(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }

  // Bytes written (or counted) so far.
  size_t size() const { return pos_; }
  // False if a write did not fit.
  bool ok() const { return ok_; }
  // True if writing filled `out` exactly.
  bool full() const { return ok_ && !counting_ && pos_ == out_.size(); }

 private:
  void Le(uint64_t v, int n) {
    uint8_t b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    Put(b, static_cast<size_t>(n));
  }
  void Put(const uint8_t* p, size_t n) {
    if (!counting_) {
      if (!ok_ || n > out_.size() - pos_) {
        ok_ = false;
        return;
      }
      if (n > 0) std::memcpy(out_.data() + pos_, p, n);
    }
    pos_ += n;
  }

  absl::Span<uint8_t> out_;
  bool counting_ = true;
  bool ok_ = true;
  size_t pos_ = 0;
};

class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> in) : in_(in) {}

  bool U8(uint8_t* v) {
    uint64_t x;
    if (!Le(1, &x)) return false;
    *v = static_cast<uint8_t>(x);
    return true;
  }
  bool U16(uint16_t* v) {
    uint64_t x;
    if (!Le(2, &x)) return false;
    *v = static_cast<uint16_t>(x);
    return true;
  }
  bool U32(uint32_t* v) {
    uint64_t x;
    if (!Le(4, &x)) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool U64(uint64_t* v) { return Le(8, v); }
  bool I64(int64_t* v) {
    uint64_t x;
    if (!Le(8, &x)) return false;
    *v = static_cast<int64_t>(x);
    return true;
  }
  // A view of the next `n` bytes (valid as long as the input is).
  bool Bytes(size_t n, absl::Span<const uint8_t>* out) {
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return false;
    }
    *out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Str(size_t n, absl::string_view* out) {
    absl::Span<const uint8_t> b;
    if (!Bytes(n, &b)) return false;
    *out = absl::string_view(reinterpret_cast<const char*>(b.data()), n);
    return true;
  }

  size_t position() const { return pos_; }
  size_t remaining() const { return ok_ ? in_.size() - pos_ : 0; }
  // True if every read so far fit and all input was consumed.
  bool done() const { return ok_ && pos_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  bool Le(int n, uint64_t* v) {
    absl::Span<const uint8_t> b;
    if (!Bytes(static_cast<size_t>(n), &b)) return false;
    uint64_t x = 0;
    for (int i = 0; i < n; ++i) x |= static_cast<uint64_t>(b[i]) << (8 * i);
    *v = x;
    return true;
  }

  absl::Span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace gssx::internal

#endif  // GSSX_INTERNAL_BYTES_H_
