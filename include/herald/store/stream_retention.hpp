#pragma once
/// Retention of the streams herald writes (`redis.outcomes_stream`, `redis.dead_stream`):
/// entries older than `retention.days` are deleted. The keys herald writes expire by themselves
/// (PEXPIRE in the store's scripts); streams cannot expire entry by entry, so `herald run` trims
/// them on a timer.
#include <cstdint>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "herald/config/config.hpp"
#include "herald/core/clock.hpp"
#include "herald/redis/redis_client.hpp"

namespace herald {

/// How many entries one trim deleted, per stream.
struct TrimmedEntries {
  std::int64_t outcomes = 0;
  std::int64_t dead_letters = 0;
};

class StreamRetention {
 public:
  StreamRetention(RedisClient& redis, const RedisConfig& redis_config,
                  const RetentionConfig& retention);

  /// Deletes the entries of the outcomes and dead-letter streams whose ids (their time of
  /// writing) are older than `now` minus the retention period (XTRIM MINID, exact).
  boost::asio::awaitable<boost::system::result<TrimmedEntries>> trim(Instant now);

 private:
  RedisClient& redis_;
  RedisConfig config_;
  std::chrono::milliseconds retention_;
};

}  // namespace herald
