#pragma once
/// What the gateway layer reports for metrics (app's Metrics implements it).
#include <cstddef>
#include <string_view>

#include "herald/gateway/circuit_breaker.hpp"

namespace herald {

/// Receives the facts ProtectedGateway sees, labelled with the gateway's name. Called on the
/// event loop's thread.
class GatewayObserver {
 public:
  virtual ~GatewayObserver() = default;
  /// A gateway of this name exists: its counters start at zero (so that rates can be taken
  /// before the first event).
  virtual void gateway_registered(std::string_view gateway) = 0;
  /// A request went to the provider: `code` as SendResult::code, `seconds` its duration.
  virtual void gateway_request(std::string_view gateway, std::string_view code, double seconds) = 0;
  /// The gateway's circuit breaker is now in `state`.
  virtual void gateway_breaker_state(std::string_view gateway, CircuitBreaker::State state) = 0;
  /// A request waited for the gateway's rate limit.
  virtual void gateway_rate_limit_wait(std::string_view gateway) = 0;
  /// An SMS of `fragments` fragments was accepted by the gateway.
  virtual void sms_fragments(std::string_view gateway, std::size_t fragments) = 0;
};

}  // namespace herald
