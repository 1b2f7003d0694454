#pragma once
/// Rate-limits the log lines of a failure that repeats.
#include <chrono>
#include <cstddef>
#include <optional>
#include <utility>

namespace herald {

/// A failure that repeats for as long as it lasts (every poll, every accept): logged the first
/// time, then at most once per `every`, and once more when it ends, so that an outage makes a
/// few lines. The caller owns the clock (steady time points) and the logging.
class RepeatedFailure {
 public:
  explicit RepeatedFailure(std::chrono::steady_clock::duration every) : every_(every) {}

  /// Counts a failure at `now`; true when this one is to be logged.
  bool failed(std::chrono::steady_clock::time_point now) {
    if (!since_) since_ = now;
    if (++count_ > 1 && now - last_logged_ < every_) {
      ++unlogged_;
      return false;
    }
    last_logged_ = now;
    suppressed_ = std::exchange(unlogged_, 0);
    return true;
  }
  /// When the current run began; none when there is no run.
  std::optional<std::chrono::steady_clock::time_point> since() const { return since_; }
  /// Failures in the current run.
  std::size_t count() const { return count_; }
  /// Once failed() has said to log one: how many were not logged between the previous logged
  /// one and this one.
  std::size_t suppressed() const { return suppressed_; }
  /// Ends the run: how many failures it had (0 when there was none).
  std::size_t ended() {
    unlogged_ = suppressed_ = 0;
    since_.reset();
    return std::exchange(count_, 0);
  }

 private:
  std::chrono::steady_clock::duration every_;
  std::chrono::steady_clock::time_point last_logged_{};
  std::optional<std::chrono::steady_clock::time_point> since_;
  std::size_t count_ = 0;
  std::size_t unlogged_ = 0;
  std::size_t suppressed_ = 0;
};

}  // namespace herald
