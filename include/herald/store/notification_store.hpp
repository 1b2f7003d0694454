#pragma once
/// herald's durable state in Redis: one record per notification, the schedule of notifications
/// that are due later (or leased to a sender right now), outcomes, dead letters, and
/// acknowledgements of stream entries.
///
/// Keys (P = redis.key_prefix, default "herald:"):
///   P n:<notification id>  hash: state, entry, event, channel, attempt, retries, first_try, gw_id
///   P schedule             sorted set: notification id -> due time, or lease expiry while leased
/// A notification in the schedule with a score in the past is due; claiming it moves its score to
/// `now + lease`, so a sender that dies while holding it loses nothing: the lease runs out and the
/// notification is due again. The lease expiry doubles as the lease's token: only the holder of
/// the current lease may finish or reschedule the notification.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "herald/config/config.hpp"
#include "herald/core/clock.hpp"
#include "herald/redis/redis_client.hpp"
#include "herald/store/outcome.hpp"

namespace herald {

/// Where a notification stands.
enum class NotificationState { deferred, sending, sent, rejected, failed, invalid };
std::string_view to_string(NotificationState state);
std::optional<NotificationState> notification_state_from_string(std::string_view text);

/// A notification's durable record.
struct NotificationRecord {
  std::string id;  ///< `<event id>:<channel>`
  NotificationState state = NotificationState::deferred;
  std::string entry;       ///< stream entry id the notification came from
  std::string event_json;  ///< the event, kept until the notification is finished
  Channel channel = Channel::email;
  int attempt = 1;    ///< contact attempt under way (1-based)
  int retries = 0;    ///< transient gateway failures of this attempt
  Instant first_try;  ///< when the notification was first handled
};

/// The fields of one stream entry.
using StreamFields = std::vector<std::pair<std::string, std::string>>;

class NotificationStore {
 public:
  /// How `begin` found the notification.
  enum class BeginResult {
    created,      ///< new: the caller now owns it (sending) or it is scheduled (deferred)
    redelivered,  ///< already recorded from this same stream entry: its fate is in hand
    duplicate,    ///< already recorded from another entry: a re-published event id
  };

  NotificationStore(RedisClient& redis, const RedisConfig& config);

  /// Records a new notification, atomically with its schedule entry and (when given) its
  /// outcome. `score` is the lease expiry for state `sending`, the due time for `deferred`.
  boost::asio::awaitable<boost::system::result<BeginResult>> begin(NotificationRecord record,
                                                                   Instant score,
                                                                   std::optional<Outcome> outcome);

  /// Finishes a leased notification in a final state with its outcome, forgetting the event (no
  /// personal data kept longer than needed). False when the lease was lost to another sender.
  boost::asio::awaitable<boost::system::result<bool>> finish(std::string id, Instant lease_until,
                                                             NotificationState state,
                                                             Outcome outcome);

  /// Gives a leased notification a new due time (state `deferred`), with an optional outcome.
  /// False when the lease was lost.
  boost::asio::awaitable<boost::system::result<bool>> reschedule(std::string id,
                                                                 Instant lease_until, Instant due,
                                                                 int attempt, int retries,
                                                                 std::optional<Outcome> outcome);

  /// Claims up to `limit` notifications due at `now`, leasing each until `lease_until`.
  boost::asio::awaitable<boost::system::result<std::vector<std::string>>> claim_due(
      Instant now, Instant lease_until, std::size_t limit);

  /// The record of `id`, or nullopt when there is none.
  boost::asio::awaitable<boost::system::result<std::optional<NotificationRecord>>> load(
      std::string id);

  /// Removes `id` from the schedule if its lease is still `lease_until` (a finished record
  /// found in the schedule).
  boost::asio::awaitable<boost::system::error_code> unschedule(std::string id, Instant lease_until);

  /// Writes the dead letter (the entry's fields plus `reason`) and the `invalid` outcome and
  /// acknowledges the entry, atomically. An empty `entry_id` writes without acknowledging.
  boost::asio::awaitable<boost::system::error_code> dead_letter(std::string entry_id,
                                                                StreamFields fields,
                                                                std::string reason,
                                                                Outcome outcome);

  /// Publishes an outcome on its own (a duplicate's `suppressed`).
  boost::asio::awaitable<boost::system::error_code> publish(Outcome outcome);

  /// Acknowledges stream entries.
  boost::asio::awaitable<boost::system::error_code> ack(std::vector<std::string> entry_ids);

  /// Notifications in the schedule (deferred, retrying or leased).
  boost::asio::awaitable<boost::system::result<std::int64_t>> scheduled_count();

  /// The key of the record of `id`.
  std::string record_key(std::string_view id) const;
  const std::string& schedule_key() const { return schedule_key_; }

  /// A Lua script and its SHA once loaded (defined in the .cpp).
  class Script;

 private:
  boost::asio::awaitable<boost::system::result<RedisReply>> eval(const Script& script,
                                                                 std::vector<std::string> keys,
                                                                 std::vector<std::string> args);

  RedisClient& redis_;
  RedisConfig config_;
  std::string schedule_key_;
};

}  // namespace herald
