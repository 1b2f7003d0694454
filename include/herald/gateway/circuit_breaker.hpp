#pragma once
/// A circuit breaker for a gateway, as a pure state machine of time and results.
#include <chrono>
#include <string_view>

namespace herald {

/// Stops calling a provider that is down, and probes it back.
///
/// closed: every request goes; `failure_threshold` transient failures in a row open it.
/// open: nothing goes (callers fail fast and are told to come back when the cool-down ends).
/// half-open: once the cool-down has passed, the next request goes as the one probe; others
/// still fail fast. The probe's success closes the breaker; its failure opens it again for a
/// whole cool-down; a probe that ends without an answer (cancelled) lets the next request probe.
///
/// Only requests admitted while closed, and the probe, report results; a late result of a
/// request admitted before the breaker opened changes nothing.
class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;

  /// Numbered as herald_gateway_breaker_state reports them.
  enum class State { closed = 0, half_open = 1, open = 2 };

  /// What admit() decided.
  struct Admission {
    bool allowed = true;
    bool probe = false;             ///< this request is the half-open probe
    Clock::duration retry_after{};  ///< when refused: how long until a probe may go
  };

  /// `failure_threshold` >= 1.
  CircuitBreaker(int failure_threshold, Clock::duration cool_down);

  /// Whether a request may go now; moves open to half-open when the cool-down has passed.
  Admission admit(Clock::time_point now);

  /// Whether a request admitted earlier and held since (waiting for a connection slot or its
  /// turn under the rate limit) may still go now: the probe may, any other only while the
  /// breaker is closed. Other requests' failures may have opened it meanwhile, and what was
  /// queued then must fail fast as a new request would, not call a provider that is down.
  Admission recheck(bool probe, Clock::time_point now) const;

  /// The provider answered (accepted, or refused the message itself: it is up).
  void record_success(bool probe);
  /// A transient failure (5xx, 429, timeout, connection failure).
  void record_failure(bool probe, Clock::time_point now);
  /// The probe ended without an answer: the next request may probe instead.
  void abandon_probe(Clock::time_point now);

  State state() const { return state_; }
  int consecutive_failures() const { return failures_; }

 private:
  void open(Clock::time_point now);

  int threshold_;
  Clock::duration cool_down_;
  State state_ = State::closed;
  int failures_ = 0;
  Clock::time_point open_until_{};
  bool probing_ = false;
};

/// "closed", "half_open" or "open".
std::string_view to_string(CircuitBreaker::State state);

}  // namespace herald
