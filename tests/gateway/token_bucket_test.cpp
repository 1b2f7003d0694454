#include "herald/gateway/token_bucket.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

const Clock::time_point t0{std::chrono::hours(1)};

TEST(TokenBucket, LetsABurstThroughAtOnceThenSpacesRequestsAtTheRate) {
  TokenBucket bucket(10, 3, t0);  // 10 per second: one every 100 ms
  EXPECT_EQ(bucket.take(t0), Clock::duration::zero());
  EXPECT_EQ(bucket.take(t0), Clock::duration::zero());
  EXPECT_EQ(bucket.take(t0), Clock::duration::zero());
  EXPECT_EQ(bucket.take(t0), 100ms);
  EXPECT_EQ(bucket.take(t0), 200ms) << "waiters queue up behind each other";
  EXPECT_EQ(bucket.take(t0), 300ms);
}

TEST(TokenBucket, RefillsWithTimeButNeverBeyondTheBurst) {
  TokenBucket bucket(10, 2, t0);
  bucket.take(t0);
  bucket.take(t0);
  EXPECT_EQ(bucket.take(t0 + 50ms), 50ms);
  // An hour later the bucket holds two tokens, not 36,000.
  const auto later = t0 + 1h;
  EXPECT_EQ(bucket.take(later), Clock::duration::zero());
  EXPECT_EQ(bucket.take(later), Clock::duration::zero());
  EXPECT_EQ(bucket.take(later), 100ms);
}

TEST(TokenBucket, HoldsAPerMinuteRateOverAMinute) {
  TokenBucket bucket(3000.0 / 60.0, 50, t0);  // GOV.UK Notify: 3,000 a minute
  int at_once = 0;
  Clock::duration last{};
  for (int i = 0; i < 3050; ++i) {
    auto wait = bucket.take(t0);
    if (wait == Clock::duration::zero()) ++at_once;
    last = wait;
  }
  EXPECT_EQ(at_once, 50);
  EXPECT_EQ(last, 60s) << "the 3,050th request of an instant waits a minute";
}

TEST(TokenBucket, ATokenGivenBackShortensTheQueue) {
  TokenBucket bucket(10, 1, t0);
  bucket.take(t0);
  EXPECT_EQ(bucket.take(t0), 100ms);
  bucket.give_back();  // that caller gave up
  EXPECT_EQ(bucket.take(t0), 100ms);
}

}  // namespace
}  // namespace herald
