// The Metrics registry on its own: what a reload does to gateway series.
#include "herald/app/metrics.hpp"

#include <gtest/gtest.h>

namespace herald::test {
namespace {

using State = CircuitBreaker::State;

// A reload renamed gateway "em" to "em2" while sends of "em" were in flight: they finish later,
// and their failures open em's breaker. Exported again, its series would read "open" for ever.
TEST(Metrics, AGatewayRetiredByAReloadExportsNoBreakerStateEvenWhenItsLastSendsChangeIt) {
  Metrics metrics;
  metrics.gateway_breaker_state("em", State::closed);
  metrics.gateway_breaker_state("sms", State::closed);
  metrics.keep_gateways({"em2", "sms"});
  metrics.gateway_breaker_state("em2", State::closed);
  metrics.gateway_breaker_state("em", State::open);  // a send of the retired gateway failed
  const std::string text = metrics.serialize();
  EXPECT_EQ(text.find("herald_gateway_breaker_state{gateway=\"em\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("herald_gateway_breaker_state{gateway=\"em2\"} 0"), std::string::npos)
      << text;
  EXPECT_NE(text.find("herald_gateway_breaker_state{gateway=\"sms\"} 0"), std::string::npos)
      << text;

  // Named again by a later reload, it is exported again.
  metrics.keep_gateways({"em", "sms"});
  metrics.gateway_breaker_state("em", State::half_open);
  EXPECT_NE(metrics.serialize().find("herald_gateway_breaker_state{gateway=\"em\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace herald::test
