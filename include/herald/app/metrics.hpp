#pragma once
/// herald's Prometheus metrics (CONTRACT.md section 9), kept with prometheus-cpp's core and
/// served by MetricsServer on the event loop (prometheus-cpp's own exposer would add civetweb
/// threads to a single-threaded daemon).
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "herald/core/channel.hpp"
#include "herald/gateway/gateway_observer.hpp"
#include "herald/store/outcome.hpp"

namespace prometheus {
class Registry;
}

namespace herald {

class Metrics : public GatewayObserver {
 public:
  Metrics();
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// An event read from the stream, by result: `accepted` or `invalid`.
  void event(std::string_view result);
  /// A decision about a notification (herald_notifications_total{channel,result}).
  void notification(Channel channel, OutcomeResult result);
  /// A gateway request: `code` is the HTTP status, or "timeout", "connect", "error" ("ok" for a
  /// file written). herald_gateway_requests_total and herald_gateway_request_duration_seconds.
  void gateway_request(std::string_view gateway, std::string_view code, double seconds) override;
  /// Starts the gateway's rate-limit waits and SMS fragments at zero.
  void gateway_registered(std::string_view gateway) override;
  /// herald_gateway_breaker_state{gateway}: 0 closed, 1 half-open, 2 open.
  void gateway_breaker_state(std::string_view gateway, CircuitBreaker::State state) override;
  /// After a reload: the breaker state of gateways no longer configured (renamed, removed) is
  /// no longer exported, now or when their sends still in flight end; it would stay at its last
  /// value for ever, open perhaps.
  void keep_gateways(const std::set<std::string>& names);
  /// herald_gateway_rate_limit_waits_total{gateway}.
  void gateway_rate_limit_wait(std::string_view gateway) override;
  /// herald_sms_fragments_total{gateway}: fragments of the SMS the gateway accepted.
  void sms_fragments(std::string_view gateway, std::size_t fragments) override;
  void dead_letter();
  void redis_reconnect();
  /// A command of herald's loops (reading the stream, recording events, claiming due
  /// notifications, applying receipts) that Redis refused with an error reply: `error` is its
  /// first word (OOM, READONLY, MISCONF, NOPERM, ...), "other" when it has none.
  void redis_error(std::string_view error);
  /// Notifications in the schedule for `reason` (window, unavailable, next_attempt, retry,
  /// sending).
  void set_scheduled(std::string_view reason, double count);
  /// A delivery receipt applied, by its status.
  void receipt(std::string_view status);
  /// A receipt refused: `why` is unknown, duplicate, early (taken again later), malformed or
  /// unauthorized.
  void receipt_refused(std::string_view why);
  void set_in_flight(double count);

  // Service issue: reloads and restarts, for the alert rules in dashboards/.
  /// A SIGHUP reload by result: `ok`, `invalid` (the new config has problems) or
  /// `restart_required` (it changes keys only a restart applies); also sets
  /// herald_config_last_reload_successful.
  void config_reload(std::string_view result);

  /// The Prometheus text exposition format (version 0.0.4).
  std::string serialize() const;

 private:
  struct Families;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> families_;
};

}  // namespace herald
