#pragma once
/// A token bucket: the rate limit of a gateway, as a pure state machine of time.
#include <chrono>
#include <cstddef>

namespace herald {

/// Holds up to `burst` tokens and gains `rate_per_second` of them each second. Each request takes
/// one; when none is left it takes one on credit and is told how long to wait for it, so callers
/// are served in the order they asked and the rate holds however many wait. No clock of its own:
/// every call is given the time.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  /// Starts full. `rate_per_second` > 0; `burst` >= 1.
  TokenBucket(double rate_per_second, std::size_t burst, Clock::time_point now);

  /// Takes a token; returns how long to wait before using it (zero: at once).
  Clock::duration take(Clock::time_point now);
  /// Returns a token taken but not used (its caller gave up waiting).
  void give_back();

  double rate_per_second() const { return rate_; }
  std::size_t burst() const { return static_cast<std::size_t>(capacity_); }

 private:
  void refill(Clock::time_point now);

  double rate_;
  double capacity_;
  double tokens_;  // below zero: tokens promised to waiting callers
  Clock::time_point last_;
};

}  // namespace herald
