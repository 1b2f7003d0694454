#include "herald/source/stream_source.hpp"

#include <boost/asio/error.hpp>

#include "herald/core/logging.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/redis_error.hpp"

namespace herald {
namespace {
namespace asio = boost::asio;
using boost::system::error_code;
using boost::system::result;
}  // namespace

const std::string* StreamEntry::field(std::string_view name) const {
  for (const auto& [k, v] : fields)
    if (k == name) return &v;
  return nullptr;
}

std::vector<StreamEntry> parse_stream_entries(const RedisReply& entries) {
  std::vector<StreamEntry> out;
  if (entries.type != RedisReply::Type::array) return out;
  out.reserve(entries.elements.size());
  for (const auto& e : entries.elements) {
    if (e.type != RedisReply::Type::array || e.elements.empty()) continue;
    StreamEntry entry;
    entry.id = e.elements[0].str;
    // A pending entry trimmed away by XTRIM/MAXLEN comes back with a nil body
    // (redis/redis#6199): it must become a dead letter, not a crash.
    if (e.elements.size() < 2 || e.elements[1].type != RedisReply::Type::array) {
      entry.trimmed = true;
    } else {
      const auto& kv = e.elements[1].elements;
      for (std::size_t i = 0; i + 1 < kv.size(); i += 2)
        entry.fields.emplace_back(kv[i].str, kv[i + 1].str);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

StreamSource::StreamSource(RedisClient& reader, const RedisConfig& config, std::string stream)
    : reader_(reader), config_(config), stream_(std::move(stream)) {}

asio::awaitable<error_code> StreamSource::ensure_group() {
  auto reply = co_await reader_.command(
      redis_args("XGROUP", "CREATE", stream_, config_.group, "0", "MKSTREAM"),
      config_.command_timeout);
  if (!reply) co_return reply.error();
  if (reply->is_error() && !reply->str.starts_with("BUSYGROUP")) {
    logger("source")->error("msg=\"cannot create consumer group\" stream={} group={} error={}",
                            log_value(stream_), log_value(config_.group), log_value(reply->str));
    co_return redis_error(reply->str);
  }
  if (!reply->is_error())
    logger("source")->info("msg=\"created consumer group\" stream={} group={}", log_value(stream_),
                           log_value(config_.group));
  co_return error_code{};
}

asio::awaitable<result<std::vector<StreamEntry>>> StreamSource::read(
    std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  auto reply = co_await reader_.command(std::move(argv), timeout);
  if (!reply) co_return reply.error();
  if (reply->is_error()) {
    logger("source")->error("msg=\"stream read refused\" error={}", log_value(reply->str));
    // The group or stream was deleted under us: create it again on the next round.
    if (reply->str.starts_with("NOGROUP")) co_await ensure_group();
    co_return redis_error(reply->str);
  }
  if (reply->is_nil() || reply->type != RedisReply::Type::array || reply->elements.empty())
    co_return std::vector<StreamEntry>{};
  // [[stream, entries]]
  const auto& stream = reply->elements[0];
  if (stream.type != RedisReply::Type::array || stream.elements.size() < 2)
    co_return std::vector<StreamEntry>{};
  co_return parse_stream_entries(stream.elements[1]);
}

asio::awaitable<result<std::vector<StreamEntry>>> StreamSource::next_batch() {
  const auto count = std::to_string(config_.batch_size);
  const auto timeout = config_.command_timeout;

  // 1. Our own pending entries, oldest first, until there are none left.
  if (pending_cursor_) {
    auto batch = co_await read(redis_args("XREADGROUP", "GROUP", config_.group, config_.consumer,
                                          "COUNT", count, "STREAMS", stream_, *pending_cursor_),
                               timeout);
    if (!batch) co_return batch;
    if (!batch->empty()) {
      pending_cursor_ = batch->back().id;
      co_return batch;
    }
    pending_cursor_.reset();
  }

  // 2. Entries of consumers that died, idle for longer than claim_idle.
  auto now = std::chrono::steady_clock::now();
  if (now >= next_claim_) {
    auto reply = co_await reader_.command(
        redis_args("XAUTOCLAIM", stream_, config_.group, config_.consumer,
                   std::to_string(config_.claim_idle.count()), claim_cursor_, "COUNT", count),
        timeout);
    if (!reply) co_return reply.error();
    if (reply->type == RedisReply::Type::array && reply->elements.size() >= 2) {
      claim_cursor_ = reply->elements[0].str;
      // A full scan is done when the cursor comes back to 0-0; look again after half the idle time.
      if (claim_cursor_ == "0-0") next_claim_ = now + config_.claim_idle / 2;
      auto claimed = parse_stream_entries(reply->elements[1]);
      // Redis 7 drops from the pending list the claimed entries that were deleted from the
      // stream (trimmed before anyone handled them) and names them in a third element: they are
      // dead letters, like a trimmed entry of our own (the XACK they get is a no-op).
      if (reply->elements.size() >= 3 && reply->elements[2].type == RedisReply::Type::array) {
        for (const auto& id : reply->elements[2].elements) {
          StreamEntry gone;
          gone.id = id.str;
          gone.trimmed = true;
          claimed.push_back(std::move(gone));
        }
      }
      if (!claimed.empty()) {
        logger("source")->info("msg=\"reclaimed idle entries\" count={}", claimed.size());
        co_return claimed;
      }
    } else {
      next_claim_ = now + config_.claim_idle / 2;
    }
  }

  // 3. New entries.
  co_return co_await read(
      redis_args("XREADGROUP", "GROUP", config_.group, config_.consumer, "COUNT", count, "BLOCK",
                 std::to_string(config_.block.count()), "STREAMS", stream_, ">"),
      config_.block + timeout);
}

}  // namespace herald
