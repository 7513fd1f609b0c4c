// SPDX-License-Identifier: Apache-2.0
// UniqueFd: the one owner type for a file descriptor in gssx.
//
//   absl::StatusOr<UniqueFd> fd = ...;
//   int raw = fd->get();                // borrow; still owned
//   int mine = std::move(*fd).Release();  // hand ownership elsewhere
//
// Move-only. The destructor closes the fd. close() is never retried on EINTR
// (on Linux the fd is gone either way); EBADF on close means two owners for
// one fd, a programmer error, and aborts. No implicit conversion to int or
// bool: use get() and valid().
#ifndef GSSX_TRANSPORT_BASE_UNIQUE_FD_H_
#define GSSX_TRANSPORT_BASE_UNIQUE_FD_H_

namespace gssx::transport {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Gives up ownership without closing; the caller must close the result.
  [[nodiscard]] int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

  // Closes the owned fd (if any) and takes ownership of `fd`.
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace gssx::transport

#endif  // GSSX_TRANSPORT_BASE_UNIQUE_FD_H_
