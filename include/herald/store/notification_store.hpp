#pragma once
/// herald's durable state in Redis: notification records, the schedule, cases, outcomes, dead
/// letters and acknowledgements, changed atomically by Lua scripts (src/store/store_scripts.cpp).
///
/// Keys (P = redis.key_prefix, default "{herald}:", whose hash tag keeps them in one slot):
///   P n:<notification id>   hash: state, event (JSON, kept while it may still be sent), entry,
///                           event_id, case, status, occ, channel, attempt, retries, failed,
///                           failing_since, sent_at, gw_id, send_since, why; ended (the
///                           last lease that finished or rescheduled it) and fallback (what
///                           became of an SMS's fallback email), so that a call asked again
///                           after its answer was lost is told it was done
///   P schedule:<channel>    zset: notification id -> due time, or lease expiry while leased
///                           (P schedule alone: herald 0.1.0's, for both channels)
///   P schedule:why          hash: reason -> notifications in the schedule for it
///   P case:<case_ref>       hash: occ, entry, event, status of the latest event; final
///   P case:<case_ref>:n     set: the case's notifications not finished yet
///   P case:<case_ref>:log   list: the case's timeline (outcomes and receipts, JSON)
///   P gw:<gateway msg id>   string: "<notification id> <attempt>", to match receipts
/// A notification in the schedule with a score in the past is due; claiming it moves its score to
/// `now + lease`, so a sender that dies while holding it loses nothing: the lease runs out and the
/// notification is due again. The lease expiry doubles as the lease's token: only the holder of
/// the current lease may finish or reschedule the notification (or ask again, with the same
/// lease, after a finish or reschedule it made).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "herald/config/config.hpp"
#include "herald/core/channel.hpp"
#include "herald/core/clock.hpp"
#include "herald/redis/redis_client.hpp"
#include "herald/store/outcome.hpp"

namespace herald {

/// Where a notification stands.
enum class NotificationState {
  deferred,    ///< in the schedule, waiting for its time
  sending,     ///< leased by a sender
  sent,        ///< accepted by the gateway; a receipt may still say the attempt failed
  delivered,   ///< a receipt said so
  rejected,    ///< refused for good (gateway or receipt)
  failed,      ///< given up after the permitted attempts
  suppressed,  ///< superseded, case final, or duplicate
  invalid,     ///< could no longer be rendered or sent as configured
};
std::string_view to_string(NotificationState state);
std::optional<NotificationState> notification_state_from_string(std::string_view text);

/// A notification's durable record.
struct NotificationRecord {
  std::string id;  ///< `<event id>:<channel>`
  NotificationState state = NotificationState::deferred;
  std::string entry;  ///< stream entry id the notification came from
  std::string event_id;
  std::string case_ref;
  std::string status;
  std::string event_json;  ///< the event, kept until the notification is finished
  Channel channel = Channel::email;
  int attempt = 1;              ///< contact attempt under way (1-based)
  int retries = 0;              ///< transient gateway failures of this attempt
  std::vector<Instant> failed;  ///< when earlier contact attempts were made that failed
  /// When the current run of transient failures (`retries`) began; gateway trouble is given up
  /// on after contact.max_days of it. Records written by earlier builds kept `first_try` (when
  /// the notification was first handled), which stands in for it.
  std::optional<Instant> failing_since;
  std::optional<Instant> sent_at;  ///< when the current attempt was accepted by the gateway
  std::string gateway_message_id;
  /// When the send under way became due, if a receipt asked for it (the next attempt, or the
  /// same one again after a technical failure); none for the first send, and in records of
  /// earlier builds. No request of it was made before: a failure receipt timed earlier is about
  /// an earlier send.
  std::optional<Instant> send_since;
};

/// The fields of one stream entry.
using StreamFields = std::vector<std::pair<std::string, std::string>>;

/// A dead letter's field naming its values that were cut short (comma-separated field names).
inline constexpr std::string_view kTruncatedField = "truncated";

/// One new notification of an event being accepted.
struct NewNotification {
  std::string id;
  Channel channel = Channel::email;
  bool send_now = false;           ///< leased at once (state sending) rather than deferred
  Instant score;                   ///< lease expiry when sending now, else the due time
  std::string why;                 ///< schedule reason: "sending", "window", "unavailable"
  std::optional<Outcome> outcome;  ///< the `deferred` outcome, when deferred
  /// A replayed dead letter's email the recipient did not choose (an SMS's fallback): made only
  /// while the event's SMS stands refused or given up on, as when it first fell back.
  bool replayed_fallback = false;
};

/// A valid event and the notifications it asks for.
struct NewEvent {
  std::string entry;  ///< stream entry id
  std::string event_id;
  std::string case_ref;
  std::string status;
  Instant occurred_at;
  bool final = false;  ///< the rule says the case is finished
  std::string event_json;
  std::vector<NewNotification> notifications;
};

/// What became of one notification of an accepted event.
enum class AcceptResult {
  created,      ///< recorded: leased to the caller (send_now) or scheduled
  redelivered,  ///< recorded before from this same entry: its fate is already in hand
  duplicate,    ///< the event id was published before: suppressed, never sent twice
  stale,        ///< a newer status of the case came in first: suppressed
  final_case,   ///< the case had already reached a final status: suppressed
};
std::string_view to_string(AcceptResult result);

/// What start_send found.
struct StartSend {
  enum class Kind { ok, lost, gone, suppressed } kind = Kind::ok;
  std::optional<NotificationRecord> record;  ///< when ok and asked for
  std::string reason;                        ///< when suppressed
  Channel channel = Channel::email;          ///< when suppressed
};

/// How a receipt was applied.
enum class ReceiptApplied {
  applied,
  unknown,
  duplicate,
  early,  ///< its attempt is being sent, or waits to be sent again: nothing changed, not yet
};

/// What apply_receipt did: the receipt, and the fallback email it was given, if any.
struct AppliedReceipt {
  ReceiptApplied result = ReceiptApplied::applied;
  std::optional<AcceptResult> fallback;  ///< when applied with a fallback
};

/// What a receipt does to the notification it is for (decided by the caller from the receipt
/// and the contact rules; applied only if the notification is still the sent attempt it names).
struct ReceiptAction {
  enum class Kind { delivered, rejected, failed, next_attempt, resend } kind = Kind::delivered;
  Instant due;      ///< next_attempt, resend
  int attempt = 1;  ///< the attempt number from now on
  int retries = 0;
  std::optional<Instant> failing_since;  ///< see NotificationRecord; none when retries is 0
  std::vector<Instant> failed;  ///< failed attempts, this one included for next_attempt/failed
  std::optional<Outcome> outcome;
  std::string timeline_json;  ///< the receipt as the case timeline shows it
  /// rejected or failed: the email an SMS that cannot reach its recipient falls back to (an
  /// event with that one notification), recorded with the SMS's end.
  std::optional<NewEvent> fallback;
};

class NotificationStore {
 public:
  NotificationStore(RedisClient& redis, const RedisConfig& redis_config,
                    const RetentionConfig& retention);

  /// Records the notifications of a batch of events and acknowledges their entries, in one
  /// round trip (in more, each of its own events, past max_accept_bytes). Per event, per
  /// notification, what became of it.
  boost::asio::awaitable<boost::system::result<std::vector<std::vector<AcceptResult>>>> accept(
      std::vector<NewEvent> events, Instant now);

  /// The most of a batch that goes to Redis in one call (its JSON; an event alone may be more).
  std::size_t max_accept_bytes = 32 * 1024 * 1024;

  /// Claims up to `limit` notifications of `channel` due at `now`, leasing each until
  /// `lease_until`. Each channel has its own schedule, so that a backlog of one never stands in
  /// front of the other's.
  boost::asio::awaitable<boost::system::result<std::vector<std::string>>> claim_due(
      Channel channel, Instant now, Instant lease_until, std::size_t limit);

  /// Moves up to `limit` entries of herald 0.1.0's single schedule (both channels in one sorted set
  /// at schedule_key()) to the schedules of their channels, earliest first, due times and leases
  /// as they were: how many moved, and how many are left there. An id that does not end with
  /// ':email' or ':sms' is none of herald's notifications: it is dropped, and counted.
  struct Split {
    std::int64_t moved = 0;
    std::int64_t left = 0;
    std::int64_t dropped = 0;
  };
  boost::asio::awaitable<boost::system::result<Split>> split_schedule(std::size_t limit,
                                                                      Instant now);

  /// Right before a send: checks the lease and that the case has not moved on (else the
  /// notification is suppressed here, with its outcome), and renews the lease to `new_lease`.
  boost::asio::awaitable<boost::system::result<StartSend>> start_send(
      std::string id, Instant lease_until, Instant new_lease, bool want_record, Instant now);

  /// Extends the lease `lease_until` to `new_lease` while the send goes on. `unconfirmed` are
  /// renewals asked for whose answer never came (Redis may have made them): any of them counts
  /// as held too. False when the lease was lost (expired and claimed by another sender).
  boost::asio::awaitable<boost::system::result<bool>> renew(std::string id, Instant lease_until,
                                                            std::vector<Instant> unconfirmed,
                                                            Instant new_lease, Instant now);

  /// Ends a leased notification with its outcome: `sent` keeps the event for receipts, the other
  /// states drop it. False when the lease was lost to another sender; true when asked again after
  /// this lease finished it (the first answer lost: Redis ran it late, after a stall).
  boost::asio::awaitable<boost::system::result<bool>> finish(std::string id, Instant lease_until,
                                                             NotificationState state,
                                                             Outcome outcome);

  /// Ends a leased SMS that cannot reach its recipient (`state` rejected, or failed: given up)
  /// and, in the same step, records the email it falls back to (`fallback`: its event with that
  /// one notification, decided as for accept), so that neither is kept without the other. What
  /// became of the fallback (asked again after this lease ended it: as the first call decided);
  /// nullopt when the lease was lost.
  boost::asio::awaitable<boost::system::result<std::optional<AcceptResult>>> end_with_fallback(
      std::string id, Instant lease_until, NotificationState state, Outcome outcome,
      NewEvent fallback);

  /// Gives a leased notification a new due time (state `deferred`), with an optional outcome.
  /// False when the lease was lost; true when asked again after this lease did it.
  boost::asio::awaitable<boost::system::result<bool>> reschedule(
      std::string id, Instant lease_until, Instant due, std::string why, int attempt, int retries,
      std::optional<Instant> failing_since, std::optional<Outcome> outcome, Instant now);

  /// Sends that were given a lease but never started (herald is stopping; or their channel's
  /// sending slots are all taken): each whose lease (`leases`: notification id, lease held) is
  /// still held is due again at once, for its channel's claims, the next start or another
  /// instance, rather than when its lease runs out, with reason `why` (retry, queued). How many
  /// were released.
  boost::asio::awaitable<boost::system::result<std::size_t>> release(
      std::vector<std::pair<std::string, Instant>> leases, std::string why, Instant now);

  /// The notification a receipt's id names (a notification id or a gateway message id), with
  /// the attempt a gateway message id was given for; nullopt when there is none.
  struct Lookup {
    NotificationRecord record;
    std::optional<int> attempt;
  };
  boost::asio::awaitable<boost::system::result<std::optional<Lookup>>> receipt_lookup(
      std::string id, Instant now);

  /// Applies `action` to notification `id` if it is still sent for attempt `attempt`; `early`
  /// when that attempt's send is not recorded yet (sending, or deferred to be sent again after a
  /// transient failure).
  boost::asio::awaitable<boost::system::result<AppliedReceipt>> apply_receipt(std::string id,
                                                                              int attempt,
                                                                              ReceiptAction action,
                                                                              Instant now);

  /// Writes the dead letter (the entry's fields plus `reason`) and the `invalid` outcome and
  /// acknowledges the entry, atomically. An empty `entry_id` writes without acknowledging.
  /// Values are kept to a bounded size, the `event` field whole up to `event_bytes`
  /// (limits.max_event_bytes); what is cut is named in the field `truncated`.
  boost::asio::awaitable<boost::system::error_code> dead_letter(std::string entry_id,
                                                                StreamFields fields,
                                                                std::string reason, Outcome outcome,
                                                                Instant now,
                                                                std::size_t event_bytes);

  /// A leased notification that cannot be sent when it falls due: writes its dead letter
  /// (`fields` plus `reason`, bounded as by dead_letter()), ends it as `invalid` and publishes
  /// `outcome` once, atomically. False when the lease was lost; true (and still one dead letter)
  /// when asked again after this lease did it.
  boost::asio::awaitable<boost::system::result<bool>> dead_letter_due(
      std::string id, Instant lease_until, StreamFields fields, std::string reason, Outcome outcome,
      std::size_t event_bytes);

  /// Acknowledges entries of `stream` (the receipts stream; events are acknowledged by accept).
  boost::asio::awaitable<boost::system::error_code> ack(std::string stream,
                                                        std::vector<std::string> entry_ids);

  /// The record of `id`, or nullopt when there is none.
  boost::asio::awaitable<boost::system::result<std::optional<NotificationRecord>>> load(
      std::string id);

  /// Notifications in the schedule, by reason (kScheduleReasons).
  boost::asio::awaitable<boost::system::result<std::map<std::string, std::int64_t>>>
  scheduled_by_reason();

  /// The key of the record of `id`.
  std::string record_key(std::string_view id) const;
  /// The base of the schedules' keys: `channel`'s schedule is `<schedule_key()>:<channel>`.
  const std::string& schedule_key() const { return schedule_key_; }
  std::string schedule_key(Channel channel) const;

  /// A Lua script and its SHA once loaded (defined in the .cpp).
  class Script;

 private:
  boost::asio::awaitable<boost::system::result<RedisReply>> eval(const Script& script,
                                                                 std::vector<std::string> keys,
                                                                 std::vector<std::string> args,
                                                                 Instant now);
  /// A script that takes only the common keys.
  boost::asio::awaitable<boost::system::result<RedisReply>> eval(const Script& script,
                                                                 std::vector<std::string> args,
                                                                 Instant now);

  RedisClient& redis_;
  RedisConfig config_;
  std::chrono::milliseconds retention_;
  std::string schedule_key_;
  std::string why_key_;
};

/// Parses HGETALL fields of a record; nullopt when state or channel is missing or unknown.
std::optional<NotificationRecord> parse_record(std::string id,
                                               const std::vector<RedisReply>& fields,
                                               std::size_t from = 0);

}  // namespace herald
