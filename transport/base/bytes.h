// SPDX-License-Identifier: Apache-2.0
// Little-endian, bounds-checked byte encoding: the one codec for the
// transport's message and file headers and for gssx's own formats
// (handshake payloads, the exported-context token). Internal.
//
//   Writer count;                 // counting pass: how many bytes?
//   Encode(state, count);
//   SecretBuffer buf = *SecretBuffer::Create(count.size());
//   Writer out(buf.span());       // writing pass, same function
//   Encode(state, out);           // out.full() unless the two passes differ
//
//   Reader in(bytes);
//   uint32_t n;
//   if (!in.U32(&n)) ...          // every read says whether it fit; a
//                                 // failed read leaves the reader failed
//
// A Writer never writes past its span and a Reader never reads past its
// input: once something does not fit, every later call fails too.
#ifndef GSSX_TRANSPORT_BASE_BYTES_H_
#define GSSX_TRANSPORT_BASE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gssx::transport::internal {

inline void PutLe(uint8_t* out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

inline uint64_t GetLe(const uint8_t* in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return value;
}

class Writer {
 public:
  // Counts bytes without writing them.
  Writer() = default;
  // Writes into `out`; writing past its end marks the writer failed.
  explicit Writer(absl::Span<uint8_t> out) : out_(out), counting_(false) {}

  void U8(uint8_t v) { Le(v, 1); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void I64(int64_t v) { Le(static_cast<uint64_t>(v), 8); }
  void Bytes(absl::Span<const uint8_t> b) {
    if (!Fits(b.size())) return;
    if (!counting_ && !b.empty()) {
      std::memcpy(out_.data() + pos_, b.data(), b.size());
    }
    pos_ += b.size();
  }
  void Str(absl::string_view s) {
    Bytes(absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                              s.size()));
  }

  // Bytes written (or counted) so far.
  size_t size() const { return pos_; }
  // False if a write did not fit (the output is then unusable).
  bool ok() const { return ok_; }
  // True if writing filled `out` exactly.
  bool full() const { return ok_ && !counting_ && pos_ == out_.size(); }

 private:
  bool Fits(size_t n) {
    if (!ok_ || (!counting_ && n > out_.size() - pos_)) ok_ = false;
    return ok_;
  }
  void Le(uint64_t v, size_t n) {
    if (!Fits(n)) return;
    if (!counting_) PutLe(out_.data() + pos_, v, n);
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

  bool U8(uint8_t* v) { return Le(v, 1); }
  bool U16(uint16_t* v) { return Le(v, 2); }
  bool U32(uint32_t* v) { return Le(v, 4); }
  bool U64(uint64_t* v) { return Le(v, 8); }
  bool I64(int64_t* v) { return Le(v, 8); }
  // Copies the next out.size() bytes into `out`.
  bool Bytes(absl::Span<uint8_t> out) {
    if (!Has(out.size())) return false;
    if (!out.empty()) std::memcpy(out.data(), in_.data() + pos_, out.size());
    pos_ += out.size();
    return true;
  }
  // A view of the next `n` bytes (not copied; valid as long as the input).
  bool View(size_t n, absl::Span<const uint8_t>* out) {
    if (!Has(n)) return false;
    *out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Str(size_t n, absl::string_view* out) {
    absl::Span<const uint8_t> b;
    if (!View(n, &b)) return false;
    *out = absl::string_view(reinterpret_cast<const char*>(b.data()), n);
    return true;
  }

  size_t position() const { return pos_; }
  size_t remaining() const { return ok_ ? in_.size() - pos_ : 0; }
  // True if every read so far fit and all input was consumed.
  bool done() const { return ok_ && pos_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  bool Has(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  template <typename T>
  bool Le(T* v, size_t n) {
    if (!Has(n)) return false;
    *v = static_cast<T>(GetLe(in_.data() + pos_, n));
    pos_ += n;
    return true;
  }

  absl::Span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace gssx::transport::internal

#endif  // GSSX_TRANSPORT_BASE_BYTES_H_
