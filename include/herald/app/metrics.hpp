#pragma once
/// herald's Prometheus metrics (CONTRACT.md section 9), kept with prometheus-cpp's core and
/// served by MetricsServer on the event loop (prometheus-cpp's own exposer would add civetweb
/// threads to a single-threaded daemon).
#include <memory>
#include <string>
#include <string_view>

#include "herald/core/channel.hpp"
#include "herald/store/outcome.hpp"

namespace prometheus {
class Registry;
}

namespace herald {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// An event read from the stream, by result: `accepted` or `invalid`.
  void event(std::string_view result);
  /// A decision about a notification (herald_notifications_total{channel,result}).
  void notification(Channel channel, OutcomeResult result);
  /// A gateway request: `code` is the HTTP status, or "timeout", "connect", "error".
  void gateway_request(std::string_view gateway, std::string_view code, double seconds);
  void dead_letter();
  void redis_reconnect();
  void set_scheduled(double count);
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
