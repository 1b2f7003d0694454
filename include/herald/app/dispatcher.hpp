#pragma once
/// The decisions of herald, performed: events in, their notifications sent, deferred or refused;
/// due notifications sent when their time comes; delivery receipts applied. Every decision is
/// recorded as an outcome, atomically with the state change it makes.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "herald/app/gateways.hpp"
#include "herald/app/metrics.hpp"
#include "herald/app/prepared_event.hpp"
#include "herald/config/config.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/time_zones.hpp"
#include "herald/event/receipt.hpp"
#include "herald/rules/contact_plan.hpp"
#include "herald/source/stream_source.hpp"
#include "herald/store/notification_store.hpp"
#include "herald/templating/template_set.hpp"

namespace herald {

struct LeaseKeeper;
struct SendGuard;

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
  std::uint64_t retries_scheduled = 0;
  std::uint64_t transient_failures = 0;
  std::uint64_t receipts = 0;
};

/// A notification accepted for sending now, leased until `lease_until`.
struct ReadyToSend {
  std::string id;
  Instant lease_until;
  std::string entry;       ///< the stream entry it came from
  std::string event_json;  ///< the event as received (for a fallback to email)
  Message message;
  std::shared_ptr<const PreparedEvent> prepared;
  DispatchSettings settings;  ///< the settings it was accepted under
};

/// How a receipt was taken: what the callback endpoint answers.
enum class ReceiptResult {
  applied,    ///< the notification's state changed
  unknown,    ///< no notification has that id
  duplicate,  ///< applied before, or for an earlier attempt: nothing changed
  /// For an attempt whose send herald has not recorded yet (the request is in flight, or timed
  /// out and waits to be sent again): nothing changed; to be taken again later.
  early,
};

class Dispatcher {
 public:
  Dispatcher(const Clock& clock, TimeZones& zones, NotificationStore& store, Metrics& metrics,
             DispatchSettings settings);

  /// Takes a batch of stream entries: invalid ones become dead letters; the notifications of
  /// valid ones are recorded (deferred, or leased to be sent now) and every entry acknowledged,
  /// in one round trip. Returns what to send now. An error (Redis failed) leaves the entries
  /// unacknowledged, to be read again.
  boost::asio::awaitable<boost::system::result<std::vector<ReadyToSend>>> accept(
      std::vector<StreamEntry> entries);

  /// Sends a notification `accept` leased for sending now, and records the result.
  boost::asio::awaitable<boost::system::error_code> send(ReadyToSend ready);

  /// Delivers a notification the schedule says is due, leased until `lease_until`.
  boost::asio::awaitable<boost::system::error_code> deliver_due(std::string id,
                                                                Instant lease_until);

  /// Applies a delivery receipt (CONTRACT.md section 6: a receipt decides whether a contact
  /// attempt failed). An error means Redis failed and nothing changed.
  boost::asio::awaitable<boost::system::result<ReceiptResult>> receipt(Receipt receipt);

  /// herald is stopping: a send still waiting for its turn (rate limit, max_in_flight) is not
  /// started; it is made due again at once instead, for the next start. Waits for the rate
  /// limit end now rather than when their token would have come.
  void stop();

  /// Swaps config, templates and gateways (reload). Work in progress finishes with the old ones.
  void update(DispatchSettings settings) { settings_ = std::move(settings); }
  const DispatchSettings& settings() const { return settings_; }
  const DispatchCounters& counters() const { return counters_; }

 private:
  boost::asio::awaitable<boost::system::error_code> refuse(StreamEntry entry, Instant now,
                                                           PreparationError error);
  /// Counts a decision in the counters and the metrics.
  void count(Channel channel, OutcomeResult result);
  boost::asio::awaitable<boost::system::error_code> finish(std::string id, Instant lease_until,
                                                           NotificationState state,
                                                           Outcome outcome);
  boost::asio::awaitable<boost::system::error_code> send_and_record(
      DispatchSettings settings, Message message, std::shared_ptr<const PreparedEvent> prepared,
      NotificationRecord record, Instant lease_until);
  /// Renews the lease `keeper` holds every third of its `length` until the send is over.
  /// Right before the request (the gateway's SendCheck): still within the contact rules, and,
  /// after a wait of kRecheckAfter or more, the case not moved on in Redis.
  boost::asio::awaitable<std::optional<std::string>> check_before_request(SendGuard& guard);
  /// After a send withheld by that check: deferred to the next permitted instant, or given up.
  boost::asio::awaitable<boost::system::error_code> withhold(
      const SendGuard& guard, DispatchSettings settings,
      std::shared_ptr<const PreparedEvent> prepared, Instant lease_until, Instant now);
  /// Ends a leased notification that cannot reach its recipient (`state` rejected, or failed:
  /// given up) with `outcome`. An SMS falls back to email where the rule and the recipient allow
  /// it: the email is recorded in the same step as the SMS's end, due at once or deferred.
  boost::asio::awaitable<boost::system::error_code> end_or_fall_back(
      DispatchSettings settings, std::shared_ptr<const PreparedEvent> prepared,
      NotificationRecord record, Instant lease_until, NotificationState state, Outcome outcome);
  boost::asio::awaitable<void> keep_lease(std::string id, std::shared_ptr<LeaseKeeper> keeper,
                                          std::chrono::milliseconds length);
  /// The email an SMS that cannot reach its recipient goes out as instead, ready to be recorded
  /// with the SMS's end.
  struct Fallback {
    NewEvent event;  ///< the event with that one notification, for the store
    std::shared_ptr<const PreparedEvent> prepared;
    DispatchSettings settings;
  };
  /// The fallback of `refused`, when the rule and the recipient allow one (else nullopt). When
  /// they do but the email cannot be rendered for the event, nullopt with the reason in
  /// `*unrenderable` (when given).
  std::optional<Fallback> plan_fallback(const DispatchSettings& settings,
                                        const PreparedEvent& prepared,
                                        const NotificationRecord& refused, Instant now,
                                        std::optional<std::string>* unrenderable = nullptr);
  /// The email `refused` falls back to cannot be rendered (its template needs a value the SMS's
  /// did not): an `invalid` outcome and a dead letter for it, so that it is followed up.
  boost::asio::awaitable<boost::system::error_code> dead_letter_fallback(NotificationRecord refused,
                                                                         std::string reason);
  /// After the store recorded a fallback (`what` became of it): counts it, and when it was
  /// created to be sent at once, makes it due at once in the email schedule, to be sent under
  /// an email sending slot (not the refused SMS's).
  boost::asio::awaitable<boost::system::error_code> fall_back(Fallback fallback, AcceptResult what);
  Instant backoff(const RetryConfig& retry, int retries,
                  std::optional<std::chrono::milliseconds> retry_after, Instant now);

  const Clock& clock_;
  TimeZones& zones_;
  NotificationStore& store_;
  Metrics& metrics_;
  DispatchSettings settings_;
  DispatchCounters counters_;
  bool stopping_ = false;
  std::minstd_rand jitter_{std::random_device{}()};
};

/// The schedule reason (herald_scheduled{reason}) of a plan decision that waits.
std::string schedule_reason(const PlanDecision& decision);

}  // namespace herald
