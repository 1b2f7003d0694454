#pragma once
/// Rate limit, circuit breaker and metrics in front of any gateway.
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "herald/config/config.hpp"
#include "herald/gateway/circuit_breaker.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/gateway/gateway_observer.hpp"
#include "herald/gateway/token_bucket.hpp"

namespace herald {

/// The rate limit and circuit breaker of one gateway name, shared by every ProtectedGateway of
/// that name (GatewayConfig::name). Single-threaded, like everything on the loop.
class GatewayGuard {
 public:
  /// `rate_per_second` 0: no rate limit; `burst` 0: one second's worth (at least 1);
  /// `breaker.failures` 0: no breaker. `observer` may be null and must outlive the guard.
  GatewayGuard(std::string name, double rate_per_second, std::size_t burst,
               CircuitBreakerConfig breaker, GatewayObserver* observer);
  /// From a gateway's config (its name, rate and breaker settings).
  GatewayGuard(const GatewayConfig& config, GatewayObserver* observer);

  const std::string& name() const { return name_; }
  /// Whether `config` asks for this guard's rate limit and breaker under this name: a reload
  /// keeps such a guard, with its breaker's state and the tokens left in its bucket.
  bool serves(const GatewayConfig& config) const;
  /// The breaker's state; closed when there is no breaker.
  CircuitBreaker::State breaker_state() const;

  /// How a wait for the rate limit's turn ended.
  enum class Turn {
    taken,      ///< the token is the caller's
    cancelled,  ///< the wait was cancelled; the token was given back
    stopped,    ///< herald is stopping (stop()); the token was given back
    refused,    ///< the breaker opened meanwhile; the token was given back
  };
  /// Takes the rate limit's next token, waiting for it when there is none (each wait counted).
  /// At once without a limit.
  boost::asio::awaitable<Turn> wait_for_turn();
  /// For a send admitted by the breaker and held since (for a connection slot, for its turn):
  /// how long until a probe may go when the breaker opened meanwhile; none when it may still
  /// go (the breaker is closed, or this send is the probe, or there is no breaker).
  std::optional<CircuitBreaker::Clock::duration> refuses_held(bool probe) const;
  /// Returns a token taken by wait_for_turn() for a request that was not made after all.
  void give_back_turn();
  /// herald is stopping: the sends waiting for a token stop waiting (Turn::stopped), and so does
  /// any that comes later, so that the drain is not held until their turn. A token that is free
  /// is still taken.
  void stop();

 private:
  friend class ProtectedGateway;
  void breaker_changed(CircuitBreaker::State before);
  /// The transient result of a send the breaker refuses, due again once a probe may go.
  SendResult fail_fast(CircuitBreaker::Clock::duration until_probe);

  std::string name_;
  double rate_per_second_;
  std::size_t burst_;
  std::optional<TokenBucket> bucket_;
  std::optional<CircuitBreaker> breaker_;
  CircuitBreakerConfig breaker_config_;
  GatewayObserver* observer_;
  std::minstd_rand jitter_{std::random_device{}()};
  bool stopped_ = false;
  std::list<boost::asio::steady_timer*> waiting_;  ///< the timers of the waits for a token
};

/// Sends through `inner`, waiting for the guard's rate limit (each wait counted) once the inner
/// gateway has given the send its turn among `max_in_flight` (when it asks its SendCheck): a turn
/// taken sooner, while the provider is slow, would let every queued send out at once when it
/// recovers. Does not send at all while the guard's circuit breaker is open: then it fails fast as
/// transient, reason "circuit breaker open", with a retry_after of the rest of the cool-down (plus
/// a little jitter, so that what failed together does not come back together). Transient answers of
/// requests actually made (SendResult::code set) count as breaker failures; accepted and
/// permanent ones as successes. Reports every request, breaker state and rate-limit wait to the
/// guard's observer, and the fragments of each accepted SMS. type() is the guard's name.
class ProtectedGateway final : public Gateway {
 public:
  ProtectedGateway(std::shared_ptr<Gateway> inner, std::shared_ptr<GatewayGuard> guard);
  using Gateway::send;
  boost::asio::awaitable<SendResult> send(const Message& message, const SendCheck& check) override;
  std::string_view type() const override { return guard_->name(); }
  /// Stops the guard's waits for the rate limit (GatewayGuard::stop).
  void stop() override { guard_->stop(); }

  const Gateway& inner() const { return *inner_; }
  const std::shared_ptr<GatewayGuard>& guard() const { return guard_; }

 private:
  std::shared_ptr<Gateway> inner_;
  std::shared_ptr<GatewayGuard> guard_;
};

}  // namespace herald
