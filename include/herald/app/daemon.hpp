#pragma once
/// `herald run`: the consumer loop, the schedule loop, the receipts loop and their shutdown, on
/// one io_context.
#include <array>
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "herald/app/dispatcher.hpp"
#include "herald/app/metrics.hpp"
#include "herald/app/metrics_server.hpp"
#include "herald/app/receipt_endpoint.hpp"
#include "herald/core/async_semaphore.hpp"
#include "herald/core/repeated_failure.hpp"
#include "herald/http/http_client.hpp"
#include "herald/redis/redis_client.hpp"
#include "herald/store/stream_retention.hpp"

namespace herald {

class Daemon {
 public:
  /// `config` and `templates` have been validated (check-config's rules).
  Daemon(boost::asio::io_context& io, std::shared_ptr<const Config> config,
         std::shared_ptr<const TemplateSet> templates, const Clock& clock);
  ~Daemon();

  /// Runs until stop() and the drain that follows; returns the process exit code.
  boost::asio::awaitable<int> run();

  /// Stops reading new work; what is in flight finishes (up to `drain_timeout`) and is
  /// acknowledged. Safe to call more than once.
  void stop();

  /// Reloads the config file and its templates (SIGHUP): the new config, templates and gateways
  /// are built off to the side and swapped in only when all are valid and no key that needs a
  /// restart (config_diff.hpp) changed; otherwise every problem is logged, the reload is
  /// counted as refused and the running config stays. True when the new config was applied.
  /// Defined in daemon_reload.cpp.
  bool reload();

  /// Dispatcher counters (for the status line and tests).
  const DispatchCounters& counters() const { return dispatcher_->counters(); }

  /// The metrics (also served on metrics.listen when set).
  const Metrics& metrics() const { return metrics_; }
  /// What /healthz reports: true while Redis answers on the connections, and neither reading
  /// events nor claiming due notifications has been refused by Redis (OOM, READONLY after a
  /// failover, MISCONF) for kUnhealthyAfter or longer.
  bool healthy() const;
  static constexpr std::chrono::seconds kUnhealthyAfter{10};
  /// How many entries of herald 0.1.0's schedule split_schedule() moves per script call.
  static constexpr std::size_t kSplitChunk = 1000;
  /// The port /metrics is served on, or 0 when metrics.listen is empty.
  unsigned short metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }
  /// The port /receipts is served on, or 0 when callbacks.listen is empty.
  unsigned short receipts_port() const { return receipts_ ? receipts_->port() : 0; }
  /// The connection cap of /receipts in force, or 0 when callbacks.listen is empty.
  std::size_t receipts_max_connections() const {
    return receipts_ ? receipts_->max_connections() : 0;
  }

  /// False while events or due notifications are being handled (after run(): work the drain
  /// timeout cut off).
  bool idle() const { return busy_ == 0; }
  /// How many events or due notifications are being handled.
  std::size_t in_flight() const { return busy_; }

  /// How long stop() waits for work in flight.
  std::chrono::milliseconds drain_timeout{10000};

 private:
  boost::asio::awaitable<void> consume();
  boost::asio::awaitable<void> consume_receipts();
  /// Claims and sends `channel`'s due notifications: each channel has its own schedule and its
  /// own sending slots, so that a channel behind a slow gateway does not hold back the other.
  boost::asio::awaitable<void> schedule(Channel channel);
  /// Moves what herald 0.1 left in its single schedule to the channels' schedules (at start).
  boost::asio::awaitable<bool> split_schedule();
  /// Publishes the schedule's gauges and the status line, every second.
  boost::asio::awaitable<void> report();
  /// `channel`'s sending slots (limits.max_in_flight each).
  AsyncSemaphore& slots(Channel channel) { return in_flight_[static_cast<std::size_t>(channel)]; }
  boost::asio::awaitable<void> send(ReadyToSend ready);
  boost::asio::awaitable<void> deliver(Channel channel, std::string id, Instant lease_until);
  /// New notifications of a busy channel, on their way to its schedule.
  struct Queued {
    std::vector<std::pair<std::string, Instant>> leases;
    std::array<std::size_t, 2> per_channel{};
  };
  /// Whether a new notification of `channel` goes to its schedule rather than waiting for a
  /// unit: only when `may_queue` (the other channel has work and is not busy), and the channel
  /// is busy (no unit free now, or its claims have not yet taken all it queued before).
  bool queues(Channel channel, bool may_queue);
  /// A unit of `channel`'s sending slots for a new notification, once the channel's claims
  /// have taken all it queued; false when stopping.
  boost::asio::awaitable<bool> take_slot(Channel channel);
  /// New notifications whose channel is busy: due at once in its schedule (reason `queued`).
  boost::asio::awaitable<void> queue(Queued queued);
  /// Stopping: the leased sends that were never started are made due again at once.
  boost::asio::awaitable<void> release(std::vector<std::pair<std::string, Instant>> unstarted);
  boost::asio::awaitable<bool> connect_with_retry(RedisClient& client, const char* role);
  boost::asio::awaitable<bool> ensure_group(StreamSource& source);
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds d);
  boost::asio::awaitable<void> publish_gauges();
  /// Counts a failure of a loop's Redis work (herald_redis_errors_total) when Redis refused it.
  void count_redis_error(const boost::system::error_code& ec);
  void notify_status();
  /// Retention (service issue): trims the outcome and dead-letter streams at start and hourly.
  boost::asio::awaitable<void> trim_streams();

  boost::asio::io_context& io_;
  std::shared_ptr<const Config> config_;
  const Clock& clock_;
  TimeZones zones_;
  Metrics metrics_;
  RedisClient reader_;
  RedisClient receipts_reader_;
  RedisClient writer_;
  HttpClient http_;
  NotificationStore store_;
  StreamSource source_;
  StreamSource receipts_source_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::array<AsyncSemaphore, 2> in_flight_;  ///< per channel, see slots()
  std::array<bool, 2> channel_busy_{};       ///< per channel, see queues()
  std::array<std::size_t, 2> queueing_{};    ///< queued, not yet in the schedule, per channel
  /// When each channel's being busy was last logged (at most once a minute).
  std::array<std::optional<std::chrono::steady_clock::time_point>, 2> busy_logged_{};
  std::size_t busy_ = 0;
  /// Since when reading events has failed without a break; none while it works.
  std::optional<std::chrono::steady_clock::time_point> reading_failing_since_;
  /// The run of failed claims of due notifications, either channel's (logged at most once a
  /// minute): Redis refuses both alike.
  RepeatedFailure claim_failures_{std::chrono::minutes{1}};
  bool stopping_ = false;
  std::string reload_refused_;  ///< why the last reload was refused; empty after a good one
  boost::asio::steady_timer wake_;
  std::unique_ptr<class SystemdNotifier> systemd_;
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<ReceiptEndpoint> receipts_;
  StreamRetention stream_retention_;
};

}  // namespace herald
