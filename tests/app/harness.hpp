#pragma once
// A herald daemon in the test process, on its own thread, against a real redis-server and a real
// HTTP server on 127.0.0.1, with a clock the test moves.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "herald/app/daemon.hpp"
#include "herald/config/config_loader.hpp"
#include "support/http/http_test_server.hpp"
#include "support/redis/redis_server.hpp"

namespace herald::test {

/// 2026-11-23 (a Monday) at hh:mm UTC, which is London time in November.
Instant london(int hour, int minute = 0, int day = 23);

/// An event JSON for the test template, with overrides merged into the recipient.
std::string event_json(const std::string& id, const std::string& status = "case_update",
                       boost::json::object recipient = {},
                       boost::json::object data = {{"office", "London"}});

/// `json` (from event_json) for case `ref` instead of the shared GWF012345678: events of one
/// case supersede each other, so independent events need cases of their own.
std::string in_case(std::string json, const std::string& ref);

/// How many times `what` occurs in `text` (a captured log).
std::size_t count_of(const std::string& text, const std::string& what);

class Harness {
 public:
  /// `extra_yaml` is appended to the config (to override schedule, retry ... sections);
  /// `gateway_options` goes into both gateways' maps (", rate_per_second: 20"); timeout_ms is
  /// 2000 unless it names one.
  /// `lease` is schedule.lease_ms (short, so that tests of expiry need not wait).
  /// `sms_gateway` and `email_gateway`, when given, are that gateway's map instead of the
  /// webhook's; `@HTTP@` in them stands for the test HTTP server's base URL
  /// ("http://127.0.0.1:PORT").
  explicit Harness(std::string extra_yaml = "", bool redis_aof = false,
                   std::string gateway_options = "",
                   std::chrono::milliseconds lease = std::chrono::milliseconds(3000),
                   std::string sms_gateway = "", std::string email_gateway = "");
  ~Harness();

  /// The config in force (loaded from YAML, as the daemon does).
  std::shared_ptr<const Config> config;
  std::shared_ptr<const TemplateSet> templates;
  ManualClock clock{london(12)};
  RedisServer redis;
  HttpTestServer http;

  void start();  ///< starts a daemon (again, after stop: a restart)
  void stop();   ///< stops it as SIGTERM would, and waits for it to exit
  bool running() const { return thread_.joinable(); }
  Daemon& daemon() { return *daemon_; }

  std::string publish(const std::string& event_json);  ///< XADD; returns the entry id
  std::vector<boost::json::object> outcomes();
  std::vector<std::vector<std::pair<std::string, std::string>>> dead_letters();
  bool wait_for_outcomes(std::size_t n,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  long long pending();    ///< entries delivered but not acknowledged
  long long scheduled();  ///< ZCARD of the schedule

 private:
  std::string yaml_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<Daemon> daemon_;
  std::thread thread_;
};

}  // namespace herald::test
