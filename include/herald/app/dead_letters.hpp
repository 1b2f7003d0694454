#pragma once
/// The dead-letter stream, read and replayed by operators (`herald dead list|replay`).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "herald/config/config.hpp"
#include "herald/core/clock.hpp"
#include "herald/redis/redis_client.hpp"
#include "herald/store/notification_store.hpp"

namespace herald {

/// One entry of the dead-letter stream: the original entry's fields plus `reason`.
struct DeadLetter {
  std::string id;  ///< the dead-letter stream's entry id ("1763891234567-0")
  Instant time;    ///< when it was dead-lettered (the id's milliseconds)
  std::string reason;
  /// The event's `id` when the `event` field is a JSON object with a string `id` that follows
  /// the event parser's rule for ids (is_valid_event_id), as the daemon's log has it; else empty.
  /// What `herald dead list` prints: an id that breaks the rule may hold personal data.
  std::string event_id;
  /// The event was cut short in the letter (its `truncated` field names it): replay refuses it.
  bool event_cut = false;
  StreamFields fields;  ///< the stored entry as it is, personal data included
};

/// What a replay did.
enum class ReplayStatus {
  replayed,   ///< published again to the events stream; the dead letter is gone
  not_found,  ///< no dead letter has this id (already replayed, or never was)
  no_event,   ///< the entry has no `event` field: nothing to publish; it is kept
  cut_short,  ///< the event was cut short in the dead letter (over limits.max_event_bytes); kept
};

struct ReplayResult {
  ReplayStatus status = ReplayStatus::not_found;
  std::string entry_id;  ///< replayed: the new entry's id in the events stream
};

/// `redis.dead_stream` and `redis.stream` of `config`, through `redis`.
class DeadLetters {
 public:
  DeadLetters(RedisClient& redis, RedisConfig config);

  /// Up to `count` dead letters after `after` (exclusive; "" for the first), oldest first.
  boost::asio::awaitable<boost::system::result<std::vector<DeadLetter>>> list(std::string after,
                                                                              std::size_t count);

  /// The id of the newest dead letter, or "" when there is none.
  boost::asio::awaitable<boost::system::result<std::string>> last_id();

  /// Publishes the dead letter's `event` field to the events stream and deletes the dead letter,
  /// in one Lua script: a replay is never lost (published but not deleted is impossible) nor
  /// doubled (a second replay of the same id finds nothing). A letter's `notification_id` goes
  /// with the event, for the daemon to make that notification only (Dispatcher::accept).
  boost::asio::awaitable<boost::system::result<ReplayResult>> replay(std::string id);

 private:
  RedisClient& redis_;
  RedisConfig config_;
};

/// True when `id` is a stream entry id ("1763891234567-0").
bool is_stream_id(std::string_view id);

/// The dead letter's fields as a DeadLetter (time from the id, event id from the event JSON when
/// it is a valid event id).
DeadLetter make_dead_letter(std::string id, StreamFields fields);

}  // namespace herald
