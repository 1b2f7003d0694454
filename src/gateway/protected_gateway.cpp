#include "herald/gateway/protected_gateway.hpp"

#include <cmath>
#include <iterator>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "herald/core/logging.hpp"

namespace herald {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::size_t default_burst(double rate_per_second, std::size_t burst) {
  if (burst > 0) return burst;
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(rate_per_second)));
}

// Holds the half-open probe of a breaker until its result is recorded. A send that ends any
// other way (cancelled, no request made, or its frame destroyed at shutdown) gives the probe up,
// so that the next request probes. That is done silently: at shutdown the observer (the metrics)
// may be gone already, and the gauge's "half-open" still says what the breaker will do next.
class ProbeHold {
 public:
  ProbeHold(std::optional<CircuitBreaker>& breaker, bool active)
      : breaker_(breaker), active_(active) {}
  ~ProbeHold() {
    if (active_ && breaker_) breaker_->abandon_probe(Clock::now());
  }
  ProbeHold(const ProbeHold&) = delete;
  ProbeHold& operator=(const ProbeHold&) = delete;
  bool active() const { return active_; }
  void release() { active_ = false; }

 private:
  std::optional<CircuitBreaker>& breaker_;
  bool active_;
};

}  // namespace

GatewayGuard::GatewayGuard(std::string name, double rate_per_second, std::size_t burst,
                           CircuitBreakerConfig breaker, GatewayObserver* observer)
    : name_(std::move(name)),
      rate_per_second_(rate_per_second),
      burst_(burst),
      breaker_config_(breaker),
      observer_(observer) {
  if (rate_per_second > 0)
    bucket_.emplace(rate_per_second, default_burst(rate_per_second, burst), Clock::now());
  if (breaker.failures > 0) breaker_.emplace(breaker.failures, breaker.cool_down);
  if (observer_) {
    observer_->gateway_registered(name_);
    observer_->gateway_breaker_state(name_, breaker_state());
  }
}

GatewayGuard::GatewayGuard(const GatewayConfig& config, GatewayObserver* observer)
    : GatewayGuard(config.name_or_type(), config.rate_per_second, config.burst,
                   config.circuit_breaker, observer) {}

bool GatewayGuard::serves(const GatewayConfig& config) const {
  return config.name_or_type() == name_ && config.rate_per_second == rate_per_second_ &&
         config.burst == burst_ && config.circuit_breaker.failures == breaker_config_.failures &&
         config.circuit_breaker.cool_down == breaker_config_.cool_down;
}

CircuitBreaker::State GatewayGuard::breaker_state() const {
  return breaker_ ? breaker_->state() : CircuitBreaker::State::closed;
}

void GatewayGuard::breaker_changed(CircuitBreaker::State before) {
  const auto now = breaker_state();
  if (now == before) return;
  if (observer_) observer_->gateway_breaker_state(name_, now);
  // What waits for its turn under the rate limit was admitted while the breaker was closed:
  // woken now, it fails fast (Turn::refused) instead of waiting for a turn it may not use.
  if (now == CircuitBreaker::State::open)
    for (auto* timer : waiting_) timer->cancel();
  auto log = logger("gateway");
  switch (now) {
    case CircuitBreaker::State::open:
      log->warn(
          "msg=\"circuit breaker open: gateway not called until the cool-down ends\" gateway={} "
          "failures={} cool_down_ms={}",
          log_value(name_), breaker_->consecutive_failures(), breaker_config_.cool_down.count());
      break;
    case CircuitBreaker::State::half_open:
      log->info("msg=\"circuit breaker half-open: probing the gateway\" gateway={}",
                log_value(name_));
      break;
    case CircuitBreaker::State::closed:
      log->info("msg=\"circuit breaker closed: gateway answers again\" gateway={}",
                log_value(name_));
      break;
  }
}

asio::awaitable<GatewayGuard::Turn> GatewayGuard::wait_for_turn() {
  if (!bucket_) co_return Turn::taken;
  const auto wait = bucket_->take(Clock::now());
  if (wait <= Clock::duration::zero()) co_return Turn::taken;
  if (stopped_) {
    bucket_->give_back();
    co_return Turn::stopped;
  }
  if (observer_) observer_->gateway_rate_limit_wait(name_);
  asio::steady_timer timer(co_await asio::this_coro::executor, wait);
  // Listed for stop() while it waits, and unlisted however the wait ends (a frame destroyed
  // at shutdown included).
  struct Listed {
    std::list<asio::steady_timer*>& list;
    std::list<asio::steady_timer*>::iterator at;
    ~Listed() { list.erase(at); }
  };
  waiting_.push_back(&timer);
  const Listed listed{waiting_, std::prev(waiting_.end())};
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_return Turn::taken;
  bucket_->give_back();
  if (stopped_) co_return Turn::stopped;
  if (breaker_ && breaker_->state() == CircuitBreaker::State::open) co_return Turn::refused;
  co_return Turn::cancelled;
}

void GatewayGuard::stop() {
  stopped_ = true;
  for (auto* timer : waiting_) timer->cancel();
}

std::optional<CircuitBreaker::Clock::duration> GatewayGuard::refuses_held(bool probe) const {
  if (!breaker_) return std::nullopt;
  const auto again = breaker_->recheck(probe, Clock::now());
  if (again.allowed) return std::nullopt;
  return again.retry_after;
}

SendResult GatewayGuard::fail_fast(CircuitBreaker::Clock::duration until_probe) {
  // Spread over a tenth of the cool-down, so that what was refused together does not come back
  // together.
  const auto cool_down = std::chrono::duration_cast<milliseconds>(breaker_config_.cool_down);
  std::uniform_int_distribution<long long> spread(0,
                                                  std::max<long long>(cool_down.count() / 10, 1));
  SendResult refused;
  refused.kind = SendResult::Kind::transient;
  refused.reason = "circuit breaker open";
  refused.retry_after =
      std::chrono::ceil<milliseconds>(until_probe) + milliseconds{spread(jitter_)};
  return refused;
}

void GatewayGuard::give_back_turn() {
  if (bucket_) bucket_->give_back();
}

namespace {

struct Turn {
  bool taken = false;      // the rate limit's token is this send's
  bool cancelled = false;  // the wait for it was cancelled
  // The breaker opened while the send waited: how long until a probe may go.
  std::optional<CircuitBreaker::Clock::duration> breaker_open;
};

// The check the inner gateway asks right before its request: first the rate limit's turn, then
// whether the breaker still lets the send go, then the caller's own check.
asio::awaitable<std::optional<std::string>> take_turn(GatewayGuard& guard, const SendCheck& check,
                                                      Turn& turn, bool probe) {
  // The turn is awaited into a local first: `if (!co_await ...) { ... co_return
  // std::string(...); }` died with SIGILL on resumption under GCC 12 (DEVELOPERS.md).
  const GatewayGuard::Turn got = co_await guard.wait_for_turn();
  if (got == GatewayGuard::Turn::cancelled) {
    turn.cancelled = true;
    co_return std::string("cancelled");
  }
  // Stopping: no token, and the caller's check decides what becomes of the send (the
  // dispatcher's makes it due again); without a check it is not sent.
  const bool stopped = got == GatewayGuard::Turn::stopped;
  turn.taken = got == GatewayGuard::Turn::taken;
  if (const auto until_probe = guard.refuses_held(probe)) {
    turn.breaker_open = until_probe;
    co_return std::string("circuit breaker open");
  }
  if (got == GatewayGuard::Turn::refused) {  // without a token: not sent, though it may go now
    turn.breaker_open = CircuitBreaker::Clock::duration{};
    co_return std::string("circuit breaker open");
  }
  std::optional<std::string> reason;
  if (check) reason = co_await check();
  if (stopped && !reason) reason = "herald is stopping";
  co_return reason;
}

}  // namespace

ProtectedGateway::ProtectedGateway(std::shared_ptr<Gateway> inner,
                                   std::shared_ptr<GatewayGuard> guard)
    : inner_(std::move(inner)), guard_(std::move(guard)) {}

asio::awaitable<SendResult> ProtectedGateway::send(const Message& original,
                                                   const SendCheck& check) {
  // Copies: the caller's message, this gateway and its guard must not be needed after a
  // suspension.
  const Message message = original;
  std::shared_ptr<Gateway> inner = inner_;
  std::shared_ptr<GatewayGuard> guard = guard_;
  GatewayGuard& g = *guard;

  CircuitBreaker::Admission admission;
  if (g.breaker_) {
    const auto before = g.breaker_->state();
    admission = g.breaker_->admit(Clock::now());
    g.breaker_changed(before);
    if (!admission.allowed) co_return g.fail_fast(admission.retry_after);
  }
  ProbeHold probe(g.breaker_, admission.probe);

  Turn turn;
  const bool is_probe = admission.probe;
  const SendCheck turn_then_check = [&g, &check, &turn, is_probe] {
    return take_turn(g, check, turn, is_probe);
  };
  SendResult result = co_await inner->send(message, turn_then_check);
  if (turn.cancelled) {
    SendResult cancelled;
    cancelled.kind = SendResult::Kind::transient;
    cancelled.reason = "cancelled";
    co_return cancelled;
  }
  // Not sent after all: the turn it took is given back to the next send.
  if (result.kind == SendResult::Kind::withheld && turn.taken) g.give_back_turn();
  if (result.kind == SendResult::Kind::withheld && turn.breaker_open)
    co_return g.fail_fast(*turn.breaker_open);

  const bool requested = !result.code.empty();
  if (requested && g.observer_)
    g.observer_->gateway_request(g.name_, result.code,
                                 std::chrono::duration<double>(result.duration).count());
  if (g.breaker_ && requested) {
    const auto before = g.breaker_->state();
    if (result.kind == SendResult::Kind::transient)
      g.breaker_->record_failure(probe.active(), Clock::now());
    else
      g.breaker_->record_success(probe.active());
    probe.release();
    g.breaker_changed(before);
  }
  if (result.kind == SendResult::Kind::accepted && message.channel == Channel::sms && g.observer_)
    g.observer_->sms_fragments(g.name_, message.fragments);
  co_return result;
}

}  // namespace herald
