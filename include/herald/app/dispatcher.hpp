#pragma once
/// The decisions of herald, performed: an event in, its notifications sent, deferred or refused,
/// every decision recorded as an outcome before its entry is acknowledged.
#include <memory>
#include <random>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "herald/app/gateways.hpp"
#include "herald/app/metrics.hpp"
#include "herald/app/prepared_event.hpp"
#include "herald/config/config.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/time_zones.hpp"
#include "herald/event/event_parser.hpp"
#include "herald/rules/contact_plan.hpp"
#include "herald/source/stream_source.hpp"
#include "herald/store/notification_store.hpp"
#include "herald/templating/template_set.hpp"

namespace herald {

/// What the dispatcher works with; a reload swaps the whole set at once.
struct DispatchSettings {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const TemplateSet> templates;
  std::shared_ptr<const Gateways> gateways;
};

/// The events and notifications handled since start, for logs and the systemd status line.
struct DispatchCounters {
  std::uint64_t events = 0;
  std::uint64_t invalid = 0;
  std::uint64_t sent = 0;
  std::uint64_t deferred = 0;
  std::uint64_t rejected = 0;
  std::uint64_t failed = 0;
  std::uint64_t suppressed = 0;
  std::uint64_t transient_failures = 0;
};

class Dispatcher {
 public:
  Dispatcher(const Clock& clock, TimeZones& zones, NotificationStore& store, Metrics& metrics,
             DispatchSettings settings);

  /// Handles one stream entry: an invalid one becomes a dead letter, a valid one's notifications
  /// are sent now or deferred; then the entry is acknowledged. Returns an error (and leaves the
  /// entry unacknowledged, to be read again) only when Redis failed.
  boost::asio::awaitable<boost::system::error_code> handle_entry(const StreamEntry& entry);

  /// Delivers a notification the schedule says is due, leased until `lease_until`.
  boost::asio::awaitable<boost::system::error_code> deliver_due(const std::string& id,
                                                                Instant lease_until);

  /// Swaps config, templates and gateways (reload). Work in progress finishes with the old ones.
  void update(DispatchSettings settings) { settings_ = std::move(settings); }
  const DispatchSettings& settings() const { return settings_; }
  const DispatchCounters& counters() const { return counters_; }

 private:
  boost::asio::awaitable<boost::system::error_code> refuse(const StreamEntry& entry, Instant now,
                                                           const PreparationError& error);
  /// Counts a decision in the counters and the metrics.
  void count(Channel channel, OutcomeResult result);
  boost::asio::awaitable<boost::system::error_code> finish(std::string id, Instant lease_until,
                                                           NotificationState state,
                                                           Outcome outcome);
  boost::asio::awaitable<boost::system::error_code> send_and_record(
      const DispatchSettings& settings, const Message& message, const Event& event,
      NotificationRecord record, Instant lease_until);
  Instant backoff(const RetryConfig& retry, int retries, const SendResult& result, Instant now);

  const Clock& clock_;
  TimeZones& zones_;
  NotificationStore& store_;
  Metrics& metrics_;
  DispatchSettings settings_;
  DispatchCounters counters_;
  std::minstd_rand jitter_{std::random_device{}()};
};

/// Parser options from the config.
EventParserOptions parser_options(const Config& config);

}  // namespace herald
