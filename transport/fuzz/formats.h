// SPDX-License-Identifier: Apache-2.0
// Input formats of the transport fuzz targets, shared by the targets and by
// make_seeds.cc (which writes the checked-in seed corpora). Every multi-
// byte field is little-endian; a field past the end of the input reads as 0.
#ifndef GSSX_TRANSPORT_FUZZ_FORMATS_H_
#define GSSX_TRANSPORT_FUZZ_FORMATS_H_

#include <cstdint>

namespace gssx::fuzz {

// memfd_token_fuzzer:
//   mode u8, fix u8,
//   [encrypted only: key (32), cipher u8, id (16), nonce (24), tag (16),
//                    file size u64 unless kSizeFromFile],
//   file contents (the rest: the raw file, or the ciphertext).
namespace token_format {
inline constexpr uint8_t kEncrypted = 0x01;     // else the raw form
inline constexpr int kSealShift = 1;            // 3 bits: index in kSeals
inline constexpr uint8_t kSizeFromFile = 0x10;  // expectation: real size
inline constexpr uint8_t kShrink = 0x20;        // sender shrinks it by half
inline constexpr uint8_t kReadOnly = 0x40;      // consume through O_RDONLY
inline constexpr uint8_t kReject = 0x80;        // validator says no
// fix bits (raw form): repair the header so random bytes get further.
inline constexpr uint8_t kFixMagic = 0x01;
inline constexpr uint8_t kFixVersion = 0x02;
inline constexpr uint8_t kFixPayloadSize = 0x04;
inline constexpr uint8_t kFixFlags = 0x08;
// Seal sets, by the 3-bit index. 0 is what a real exporter sets.
inline constexpr int kSealChoices = 8;
}  // namespace token_format

// channel_message_fuzzer:
//   mode u8, then messages, each a chunk: length u8, body.
namespace message_format {
inline constexpr uint8_t kPhaseMask = 0x03;
inline constexpr uint8_t kPhaseOpen = 0;      // message 0 is the peer's HELLO
inline constexpr uint8_t kPhaseReceive = 1;   // messages go to Receive
inline constexpr uint8_t kPhaseAwaitAck = 2;  // ... to AwaitAck of a handoff
inline constexpr uint8_t kPatchIds = 0x04;    // ACK bodies get the real id
inline constexpr uint8_t kCloseAfter = 0x08;  // the peer closes after sending
}  // namespace message_format

// receive_fuzzer:
//   flags u8, fd count u8 (mod 8), then
//   kValidBody: edit count u8, edits (offset u8, value u8) on a real
//               HANDOFF body whose first fd is the real token memfd;
//   otherwise:  body chunk (length u8);
//   then per fd: kind u8 (FdKind, mod kFdKinds), and for memfds and files
//   seals u8 and a contents chunk (length u16).
namespace receive_format {
inline constexpr uint8_t kValidBody = 0x01;
inline constexpr int kMaxFdsShift = 1;        // 2 bits: 0, 1, 4 or 252
inline constexpr uint8_t kFlood = 0x08;       // pad to 253 fds (one eventfd)
inline constexpr uint8_t kCloseAfter = 0x10;  // the peer closes after sending
inline constexpr uint8_t kSendTwice = 0x20;   // the same message again
enum FdKind : uint8_t {
  kPipeRead = 0,
  kPipeWrite = 1,
  kRegularFile = 2,
  kUnsealedMemfd = 3,
  kSealedMemfd = 4,
  kRealToken = 5,  // the real token memfd again (valid body only)
  kSocket = 6,
  kEventFd = 7,  // not a file: F_GET_SEALS says EINVAL
  kReadOnlyMemfd = 8,    // a sealed memfd reopened O_RDONLY
  kSealedTmpfsFile = 9,  // an unlinked /dev/shm file (born F_SEAL_SEAL)
  kFdKinds = 10,
};
}  // namespace receive_format

}  // namespace gssx::fuzz

#endif  // GSSX_TRANSPORT_FUZZ_FORMATS_H_
