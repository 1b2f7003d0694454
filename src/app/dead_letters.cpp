#include "herald/app/dead_letters.hpp"

#include <algorithm>
#include <charconv>

#include <boost/asio/error.hpp>
#include <boost/json.hpp>

#include "herald/event/event_parser.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/redis_error.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Atomic: the XADD and the XDEL happen together or not at all, and a second replay of the same
// id finds nothing to replay. A letter whose event was cut short (see `truncated`,
// NotificationStore::dead_letter) is refused and kept: the part would be dead-lettered again,
// and the whole lost. A letter of one notification (`notification_id`: it fell due and could not
// be sent, or an SMS's fallback email could not be rendered) passes the id on with the event,
// for herald to make that notification again (Dispatcher::accept).
constexpr const char* kReplayLua = R"lua(
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entries == 0 then return {0, ''} end
local fields = entries[1][2]
local event, nid
for i = 1, #fields, 2 do
  if fields[i] == 'truncated' then
    for name in string.gmatch(fields[i + 1], '[^,]+') do
      if name == 'event' or name == 'notification_id' then return {3, ''} end
    end
  elseif fields[i] == 'event' and not event then
    event = fields[i + 1]
  elseif fields[i] == 'notification_id' and not nid then
    nid = fields[i + 1]
  end
end
if not event then return {2, ''} end
local id
if nid then
  id = redis.call('XADD', KEYS[2], '*', 'event', event, 'notification_id', nid)
else
  id = redis.call('XADD', KEYS[2], '*', 'event', event)
end
redis.call('XDEL', KEYS[1], ARGV[1])
return {1, id}
)lua";

error_code protocol_error() {
  return asio::error::make_error_code(asio::error::fault);
}

}  // namespace

bool is_stream_id(std::string_view id) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size()) return false;
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return id.size() <= 41 && digits(id.substr(0, dash)) && digits(id.substr(dash + 1));
}

DeadLetter make_dead_letter(std::string id, StreamFields fields) {
  DeadLetter d;
  std::int64_t ms = 0;
  std::from_chars(id.data(), id.data() + id.find('-'), ms);
  d.time = Instant{std::chrono::milliseconds{ms}};
  d.id = std::move(id);
  for (const auto& [k, v] : fields) {
    if (k == "reason") d.reason = v;
    if (k == kTruncatedField) {
      // Comma-separated field names, as NotificationStore::dead_letter writes them.
      for (std::string_view rest = v; !rest.empty();) {
        const auto comma = rest.find(',');
        if (rest.substr(0, comma) == "event") d.event_cut = true;
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
    if (k != "event") continue;
    boost::system::error_code ec;
    auto json = boost::json::parse(v, ec);
    if (ec || !json.is_object()) continue;
    // Only an id the daemon would log (the event parser's rule): one that breaks it may be a
    // name or a number, and `dead list` prints this.
    if (auto* event_id = json.as_object().if_contains("id");
        event_id && event_id->is_string() && is_valid_event_id(event_id->as_string()))
      d.event_id = std::string(event_id->as_string());
  }
  d.fields = std::move(fields);
  return d;
}

DeadLetters::DeadLetters(RedisClient& redis, RedisConfig config)
    : redis_(redis), config_(std::move(config)) {}

asio::awaitable<boost::system::result<std::vector<DeadLetter>>> DeadLetters::list(
    std::string after, std::size_t count) {
  std::string start = after.empty() ? "-" : "(" + after;
  auto reply = co_await redis_.command(
      redis_args("XRANGE", config_.dead_stream, start, "+", "COUNT", std::to_string(count)),
      config_.command_timeout);
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return redis_error(reply->str);
  if (reply->type != RedisReply::Type::array) co_return protocol_error();
  std::vector<DeadLetter> out;
  for (const auto& entry : reply->elements) {
    if (entry.elements.size() != 2) co_return protocol_error();
    StreamFields fields;
    const auto& values = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < values.size(); i += 2)
      fields.emplace_back(values[i].str, values[i + 1].str);
    out.push_back(make_dead_letter(entry.elements[0].str, std::move(fields)));
  }
  co_return out;
}

asio::awaitable<boost::system::result<std::string>> DeadLetters::last_id() {
  auto reply =
      co_await redis_.command(redis_args("XREVRANGE", config_.dead_stream, "+", "-", "COUNT", "1"),
                              config_.command_timeout);
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return redis_error(reply->str);
  if (reply->type != RedisReply::Type::array) co_return protocol_error();
  if (reply->elements.empty()) co_return std::string();
  if (reply->elements[0].elements.empty()) co_return protocol_error();
  co_return reply->elements[0].elements[0].str;
}

asio::awaitable<boost::system::result<ReplayResult>> DeadLetters::replay(std::string id) {
  auto reply = co_await redis_.command(
      redis_args("EVAL", kReplayLua, "2", config_.dead_stream, config_.stream, id),
      config_.command_timeout);
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return redis_error(reply->str);
  if (reply->type != RedisReply::Type::array || reply->elements.size() != 2)
    co_return protocol_error();
  ReplayResult result;
  switch (reply->elements[0].integer) {
    case 1:
      result.status = ReplayStatus::replayed;
      result.entry_id = reply->elements[1].str;
      break;
    case 2:
      result.status = ReplayStatus::no_event;
      break;
    case 3:
      result.status = ReplayStatus::cut_short;
      break;
    default:
      result.status = ReplayStatus::not_found;
  }
  co_return result;
}

}  // namespace herald
