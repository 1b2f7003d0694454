#pragma once
/// Events in: entries of the Redis Stream, read through the consumer group (CONTRACT.md
/// section 3), at least once.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "herald/config/config.hpp"
#include "herald/redis/redis_client.hpp"
#include "herald/store/notification_store.hpp"

namespace herald {

/// One stream entry.
struct StreamEntry {
  std::string id;
  StreamFields fields;
  bool trimmed = false;  ///< the entry was deleted from the stream after it was delivered

  /// The value of field `name`, or nullptr.
  const std::string* field(std::string_view name) const;
};

/// Reads the stream in the order a restarted consumer must: first its own pending entries
/// (delivered before a crash, never acknowledged), then entries other consumers left idle for
/// `claim_idle` (XAUTOCLAIM), then new entries (`>`, blocking up to `block`).
class StreamSource {
 public:
  /// Reads `stream` (events, or receipts) through `config.group`. `reader` is dedicated to this
  /// source: XREADGROUP ... BLOCK holds its connection.
  StreamSource(RedisClient& reader, const RedisConfig& config, std::string stream);

  const std::string& stream() const { return stream_; }

  /// Creates the consumer group (and the stream) if missing, reading from the stream's start
  /// so that nothing published before herald's first start is lost. For start-up: a group that
  /// disappears later (XGROUP DESTROY) is created again by next_batch() after the last entry
  /// this instance read, so that old entries are not handled, and sent, a second time.
  boost::asio::awaitable<boost::system::error_code> ensure_group();

  /// The next entries to handle; empty when the block timed out with nothing new.
  boost::asio::awaitable<boost::system::result<std::vector<StreamEntry>>> next_batch();

  /// Re-read this consumer's pending entries before new ones: called after a failure left
  /// entries unacknowledged (Redis went away mid-handling).
  void replay_pending() { pending_cursor_ = "0-0"; }

  /// Makes the next call reclaim idle entries of other consumers first.
  void reclaim_now() { next_claim_ = {}; }

 private:
  boost::asio::awaitable<boost::system::result<std::vector<StreamEntry>>> read(
      std::vector<std::string> argv, std::chrono::milliseconds timeout);
  /// XGROUP CREATE ... `from` MKSTREAM; `again` when the group vanished while herald ran.
  boost::asio::awaitable<boost::system::error_code> create_group(std::string from, bool again);
  /// Keeps the greatest id of `entries` in last_read_.
  void note_read(const std::vector<StreamEntry>& entries);

  RedisClient& reader_;
  RedisConfig config_;
  std::string stream_;
  std::optional<std::string> pending_cursor_ = "0-0";  ///< set while replaying own pending
  std::string claim_cursor_ = "0-0";
  std::string last_read_;  ///< greatest entry id read from the stream, "" before the first
  std::chrono::steady_clock::time_point next_claim_{};
};

/// Parses the `[[id, [field, value, ...] | nil], ...]` part of a stream reply.
std::vector<StreamEntry> parse_stream_entries(const RedisReply& entries);

}  // namespace herald
