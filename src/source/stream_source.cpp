#include "herald/source/stream_source.hpp"

#include <charconv>
#include <cstdint>
#include <utility>

#include <boost/asio/error.hpp>

#include "herald/core/logging.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/redis_error.hpp"

namespace herald {
namespace {
namespace asio = boost::asio;
using boost::system::error_code;
using boost::system::result;

// A stream entry id, "<ms>-<seq>", as numbers to order it by; {0, 0} when it is not one.
std::pair<std::uint64_t, std::uint64_t> id_order(std::string_view id) {
  std::uint64_t ms = 0, seq = 0;
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return {0, 0};
  std::from_chars(id.data(), id.data() + dash, ms);
  std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return {ms, seq};
}
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
  std::string from = "0";  // a named local: see DEVELOPERS.md on GCC 12 and coroutine arguments
  co_return co_await create_group(std::move(from), false);
}

asio::awaitable<error_code> StreamSource::create_group(std::string from, bool again) {
  auto reply = co_await reader_.command(
      redis_args("XGROUP", "CREATE", stream_, config_.group, from, "MKSTREAM"),
      config_.command_timeout);
  if (!reply) co_return reply.error();
  auto log = logger("source");
  // BUSYGROUP: it exists (another instance created it first, when it vanished): that is fine.
  const bool created = !reply->is_error();
  if (!created && !reply->str.starts_with("BUSYGROUP")) {
    log->error("msg=\"cannot create consumer group\" stream={} group={} error={}",
               log_value(stream_), log_value(config_.group), log_value(reply->str));
    co_return redis_error(reply->str);
  }
  if (again && created && from == "$")
    log->warn(
        "msg=\"consumer group was deleted while running; created it again at the stream's end "
        "(no entry was read here yet), not from its start\" stream={} group={}",
        log_value(stream_), log_value(config_.group));
  else if (again && created)
    log->warn(
        "msg=\"consumer group was deleted while running; created it again after the last entry "
        "read here, not from the stream's start, so older entries are not handled again\" "
        "stream={} group={} from={}",
        log_value(stream_), log_value(config_.group), log_value(from));
  else if (again)
    log->warn(
        "msg=\"consumer group was deleted while running; another instance created it again\" "
        "stream={} group={}",
        log_value(stream_), log_value(config_.group));
  else if (created)
    log->info("msg=\"created consumer group\" stream={} group={}", log_value(stream_),
              log_value(config_.group));
  co_return error_code{};
}

void StreamSource::note_read(const std::vector<StreamEntry>& entries) {
  for (const auto& e : entries)
    if (last_read_.empty() || id_order(last_read_) < id_order(e.id)) last_read_ = e.id;
}

asio::awaitable<result<std::vector<StreamEntry>>> StreamSource::read(
    std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  auto reply = co_await reader_.command(std::move(argv), timeout);
  if (!reply) co_return reply.error();
  if (reply->is_error()) {
    logger("source")->error("msg=\"stream read refused\" error={}", log_value(reply->str));
    // The group (or the stream) was deleted under us: create it again for the next round, but
    // not from the stream's start, which would handle every old entry again (dead letters
    // written twice; events sent again once their records have expired). After the last entry
    // read here; the stream's end if none was.
    if (reply->str.starts_with("NOGROUP")) {
      std::string from = last_read_.empty() ? std::string("$") : last_read_;
      co_await create_group(std::move(from), true);
    }
    co_return redis_error(reply->str);
  }
  if (reply->is_nil() || reply->type != RedisReply::Type::array || reply->elements.empty())
    co_return std::vector<StreamEntry>{};
  // [[stream, entries]]
  const auto& stream = reply->elements[0];
  if (stream.type != RedisReply::Type::array || stream.elements.size() < 2)
    co_return std::vector<StreamEntry>{};
  auto entries = parse_stream_entries(stream.elements[1]);
  note_read(entries);
  co_return entries;
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
      note_read(claimed);
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
