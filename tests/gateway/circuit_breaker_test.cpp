#include "herald/gateway/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;
using Clock = CircuitBreaker::Clock;
using State = CircuitBreaker::State;

const Clock::time_point t0{std::chrono::hours(1)};

void fail(CircuitBreaker& breaker, int times, Clock::time_point now) {
  for (int i = 0; i < times; ++i) {
    auto admission = breaker.admit(now);
    ASSERT_TRUE(admission.allowed);
    breaker.record_failure(admission.probe, now);
  }
}

TEST(CircuitBreaker, OpensAfterTheConfiguredFailuresInARow) {
  CircuitBreaker breaker(3, 30s);
  fail(breaker, 2, t0);
  EXPECT_EQ(breaker.state(), State::closed);
  fail(breaker, 1, t0);
  EXPECT_EQ(breaker.state(), State::open);
  auto refused = breaker.admit(t0 + 10s);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 20s) << "told when the cool-down ends";
}

TEST(CircuitBreaker, ASuccessResetsTheCount) {
  CircuitBreaker breaker(3, 30s);
  fail(breaker, 2, t0);
  breaker.admit(t0);
  breaker.record_success(false);
  fail(breaker, 2, t0);
  EXPECT_EQ(breaker.state(), State::closed);
}

TEST(CircuitBreaker, LetsOneProbeThroughAfterTheCoolDownAndClosesOnItsSuccess) {
  CircuitBreaker breaker(1, 30s);
  fail(breaker, 1, t0);
  auto probe = breaker.admit(t0 + 30s);
  EXPECT_TRUE(probe.allowed);
  EXPECT_TRUE(probe.probe);
  EXPECT_EQ(breaker.state(), State::half_open);
  auto other = breaker.admit(t0 + 31s);
  EXPECT_FALSE(other.allowed) << "one probe at a time";
  EXPECT_EQ(other.retry_after, 30s);
  breaker.record_success(true);
  EXPECT_EQ(breaker.state(), State::closed);
  EXPECT_TRUE(breaker.admit(t0 + 32s).allowed);
}

TEST(CircuitBreaker, AFailedProbeOpensItForAnotherCoolDown) {
  CircuitBreaker breaker(1, 30s);
  fail(breaker, 1, t0);
  auto probe = breaker.admit(t0 + 40s);
  breaker.record_failure(probe.probe, t0 + 41s);
  EXPECT_EQ(breaker.state(), State::open);
  EXPECT_EQ(breaker.admit(t0 + 50s).retry_after, 21s);
  EXPECT_TRUE(breaker.admit(t0 + 71s).probe);
}

TEST(CircuitBreaker, AnAbandonedProbeLetsTheNextRequestProbe) {
  CircuitBreaker breaker(1, 30s);
  fail(breaker, 1, t0);
  EXPECT_TRUE(breaker.admit(t0 + 30s).probe);
  breaker.abandon_probe(t0 + 31s);
  auto next = breaker.admit(t0 + 31s);
  EXPECT_TRUE(next.allowed);
  EXPECT_TRUE(next.probe);
}

TEST(CircuitBreaker, IgnoresLateResultsOfRequestsAdmittedBeforeItOpened) {
  CircuitBreaker breaker(2, 30s);
  breaker.admit(t0);  // a slow request, still under way
  fail(breaker, 2, t0);
  EXPECT_EQ(breaker.state(), State::open);
  breaker.record_success(false);  // the slow one answers at last
  EXPECT_EQ(breaker.state(), State::open);
}

}  // namespace
}  // namespace herald
