#include "herald/gateway/circuit_breaker.hpp"

#include <algorithm>

namespace herald {

CircuitBreaker::CircuitBreaker(int failure_threshold, Clock::duration cool_down)
    : threshold_(std::max(failure_threshold, 1)), cool_down_(cool_down) {}

CircuitBreaker::Admission CircuitBreaker::admit(Clock::time_point now) {
  if (state_ == State::open && now >= open_until_) {
    state_ = State::half_open;
    probing_ = false;
  }
  switch (state_) {
    case State::closed:
      return {};
    case State::open:
      return {false, false, open_until_ - now};
    case State::half_open:
      if (probing_) return {false, false, cool_down_};
      probing_ = true;
      return {true, true, {}};
  }
  return {};
}

CircuitBreaker::Admission CircuitBreaker::recheck(bool probe, Clock::time_point now) const {
  if (probe || state_ == State::closed) return {true, probe, {}};
  if (state_ == State::open) return {false, false, std::max(open_until_ - now, Clock::duration{})};
  return {false, false, cool_down_};  // half-open: another request is the probe
}

void CircuitBreaker::record_success(bool probe) {
  if (probe && state_ == State::half_open) {
    state_ = State::closed;
    probing_ = false;
    failures_ = 0;
  } else if (!probe && state_ == State::closed) {
    failures_ = 0;
  }
}

void CircuitBreaker::record_failure(bool probe, Clock::time_point now) {
  if (probe && state_ == State::half_open) {
    open(now);
  } else if (!probe && state_ == State::closed) {
    if (++failures_ >= threshold_) open(now);
  }
}

void CircuitBreaker::abandon_probe(Clock::time_point now) {
  if (state_ != State::half_open || !probing_) return;
  // Back to open, already cooled down: the next admit() makes a new probe.
  state_ = State::open;
  probing_ = false;
  open_until_ = now;
}

void CircuitBreaker::open(Clock::time_point now) {
  state_ = State::open;
  probing_ = false;
  open_until_ = now + cool_down_;
}

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::closed:
      return "closed";
    case CircuitBreaker::State::half_open:
      return "half_open";
    case CircuitBreaker::State::open:
      return "open";
  }
  return "unknown";
}

}  // namespace herald
