#pragma once
/// Time as herald sees it: instants in UTC at millisecond resolution, read through an injected
/// clock so that every decision can be tested to the minute.
#include <atomic>
#include <chrono>
#include <cstdint>

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
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
};

/// A clock that only moves when told to. Safe to move from a test thread while the daemon's
/// loop reads it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start = {}) : now_ms_(start.time_since_epoch().count()) {}
  Instant now() const override { return Instant{std::chrono::milliseconds{now_ms_.load()}}; }
  void set(Instant t) { now_ms_ = t.time_since_epoch().count(); }
  void advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace herald
