// SPDX-License-Identifier: Apache-2.0
// Clock: where gssx reads the time, so that tests can move it.
//
//   ManualClock clock;                       // starts at a fixed instant
//   InitOptions options;
//   options.clock = &clock;                  // nullptr: Clock::Real()
//   ... establish a context with a 10-minute lifetime ...
//   clock.Advance(absl::Minutes(11));        // the context is now expired
//
// Contexts and credentials keep a borrowed `const Clock*`: the clock must
// outlive every object made with it. Clock::Real() lives forever.
// Thread-safe: Now() may be called concurrently with ManualClock's setters.
#ifndef GSSX_CLOCK_H_
#define GSSX_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gssx {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The system clock (absl::Now()); a process-wide object, never destroyed.
  static const Clock* Real();
  // `clock`, or Real() for nullptr.
  static const Clock* OrReal(const Clock* clock) {
    return clock != nullptr ? clock : Real();
  }
};

// A clock that moves only when told to. For tests.
class ManualClock final : public Clock {
 public:
  // 2023-11-14T22:13:20Z by default: any fixed instant well after 1970.
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1700000000))
      : now_(start) {}
  absl::Time Now() const override;
  void Set(absl::Time now);
  void Advance(absl::Duration delta);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gssx

#endif  // GSSX_CLOCK_H_
