#include "herald/gateway/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace herald {

TokenBucket::TokenBucket(double rate_per_second, std::size_t burst, Clock::time_point now)
    : rate_(rate_per_second),
      capacity_(static_cast<double>(std::max<std::size_t>(burst, 1))),
      tokens_(capacity_),
      last_(now) {}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= last_) return;  // time never runs backwards for us
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(capacity_, tokens_ + elapsed * rate_);
  last_ = now;
}

TokenBucket::Clock::duration TokenBucket::take(Clock::time_point now) {
  refill(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return Clock::duration::zero();
  // The token is ours once the deficit has refilled.
  const double seconds = -tokens_ / rate_;
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(std::ceil(seconds * 1e6) / 1e6));
}

void TokenBucket::give_back() {
  tokens_ = std::min(capacity_, tokens_ + 1);
}

}  // namespace herald
