#pragma once
/// Time as herald sees it: instants in UTC at millisecond resolution, read through an injected
/// clock so that every decision can be tested to the minute.
#include <chrono>

namespace herald {

/// A point in UTC time, millisecond resolution.
using Instant = std::chrono::sys_time<std::chrono::milliseconds>;

/// Source of "now"; the daemon uses SystemClock, tests a ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

/// The wall clock.
class SystemClock final : public Clock {
 public:
  Instant now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  }
};

/// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start = {}) : now_(start) {}
  Instant now() const override { return now_; }
  void set(Instant t) { now_ = t; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  Instant now_;
};

}  // namespace herald
