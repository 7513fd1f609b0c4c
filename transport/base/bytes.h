// SPDX-License-Identifier: Apache-2.0
// Little-endian encoding helpers with bounds checks, for the transport's
// message and file headers. A Reader never reads past its span: every Get
// returns false once the input is exhausted, and stays false.
#ifndef GSSX_TRANSPORT_BASE_BYTES_H_
#define GSSX_TRANSPORT_BASE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

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
  explicit Writer(absl::Span<uint8_t> out) : out_(out) {}
  void U8(uint8_t v) { Le(v, 1); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void Bytes(absl::Span<const uint8_t> b) {
    if (!Fits(b.size())) return;
    if (!b.empty()) std::memcpy(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  // False if anything did not fit (the output is then unusable).
  bool ok() const { return ok_; }
  size_t size() const { return pos_; }

 private:
  bool Fits(size_t n) {
    if (!ok_ || out_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  void Le(uint64_t v, size_t n) {
    if (!Fits(n)) return;
    PutLe(out_.data() + pos_, v, n);
    pos_ += n;
  }
  absl::Span<uint8_t> out_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> in) : in_(in) {}
  bool U8(uint8_t* v) { return Le(v, 1); }
  bool U16(uint16_t* v) { return Le(v, 2); }
  bool U32(uint32_t* v) { return Le(v, 4); }
  bool U64(uint64_t* v) { return Le(v, 8); }
  bool Bytes(absl::Span<uint8_t> out) {
    if (!Has(out.size())) return false;
    if (!out.empty()) std::memcpy(out.data(), in_.data() + pos_, out.size());
    pos_ += out.size();
    return true;
  }
  // A view of the next `n` bytes (not copied).
  bool View(size_t n, absl::Span<const uint8_t>* out) {
    if (!Has(n)) return false;
    *out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return ok_ ? in_.size() - pos_ : 0; }
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
