#include "herald/store/stream_retention.hpp"

#include <boost/asio/error.hpp>

#include "herald/redis/command.hpp"
#include "herald/redis/redis_error.hpp"

namespace herald {

namespace asio = boost::asio;
using boost::system::result;

StreamRetention::StreamRetention(RedisClient& redis, const RedisConfig& redis_config,
                                 const RetentionConfig& retention)
    : redis_(redis), config_(redis_config), retention_(std::chrono::days{retention.days}) {}

asio::awaitable<result<TrimmedEntries>> StreamRetention::trim(Instant now) {
  TrimmedEntries trimmed;
  const auto oldest_kept = (now - retention_).time_since_epoch().count();
  if (oldest_kept <= 0) co_return trimmed;
  // Exact, not `~`: an approximate trim only drops whole stream nodes, so entries of a quiet
  // stream (dead letters: a few a week) could outlive the retention period by as long as a node
  // takes to fill. Exact costs little more: Redis still frees whole nodes at once and marks
  // entries deleted only in the one node that straddles the threshold.
  std::int64_t* counts[] = {&trimmed.outcomes, &trimmed.dead_letters};
  const std::string* streams[] = {&config_.outcomes_stream, &config_.dead_stream};
  for (int i = 0; i < 2; ++i) {
    auto reply = co_await redis_.command(
        redis_args("XTRIM", *streams[i], "MINID", std::to_string(oldest_kept)),
        config_.command_timeout);
    if (!reply) co_return reply.error();
    if (reply->is_error()) co_return redis_error(reply->str);
    if (reply->type != RedisReply::Type::integer)
      co_return asio::error::make_error_code(asio::error::fault);
    *counts[i] = reply->integer;
  }
  co_return trimmed;
}

}  // namespace herald
