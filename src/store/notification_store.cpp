#include "herald/store/notification_store.hpp"

#include <charconv>

#include <boost/asio/error.hpp>

#include "herald/redis/command.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using boost::system::result;

std::string ms(Instant t) {
  return std::to_string(t.time_since_epoch().count());
}

std::int64_t to_int(const std::string& s, std::int64_t fallback = 0) {
  std::int64_t v = fallback;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// A reply that is an error, or a connection failure, as an error_code for callers that only need
// to know whether the write happened.
error_code as_error(const result<RedisReply>& r) {
  if (!r) return r.error();
  if (r->is_error()) return asio::error::fault;
  return {};
}

// Lua keeps each multi-key change atomic: a crash (of herald or of the connection) between
// "record the outcome" and "change the schedule" can then never lose or duplicate a notification.
constexpr const char* kBeginLua = R"lua(
local entry = redis.call('HGET', KEYS[1], 'entry')
if entry then
  if entry == ARGV[2] then return 'redelivered' end
  return 'duplicate'
end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'entry', ARGV[2], 'event', ARGV[5],
           'channel', ARGV[6], 'attempt', ARGV[7], 'retries', '0', 'first_try', ARGV[8])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
if ARGV[9] ~= '' then redis.call('XADD', KEYS[3], '*', 'outcome', ARGV[9]) end
return 'created'
)lua";

constexpr const char* kFinishLua = R"lua(
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'gw_id', ARGV[5])
redis.call('HDEL', KEYS[1], 'event')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'outcome', ARGV[4])
return 1
)lua";

constexpr const char* kRescheduleLua = R"lua(
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'state', 'deferred', 'attempt', ARGV[4], 'retries', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if ARGV[6] ~= '' then redis.call('XADD', KEYS[3], '*', 'outcome', ARGV[6]) end
return 1
)lua";

// Oldest first; a claimed notification's score becomes its lease expiry.
constexpr const char* kClaimLua = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
)lua";

constexpr const char* kUnscheduleLua = R"lua(
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1
)lua";

constexpr const char* kDeadLua = R"lua(
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
fields[#fields + 1] = 'reason'
fields[#fields + 1] = ARGV[4]
redis.call('XADD', KEYS[1], '*', unpack(fields))
redis.call('XADD', KEYS[2], '*', 'outcome', ARGV[3])
if ARGV[2] ~= '' then redis.call('XACK', KEYS[3], ARGV[1], ARGV[2]) end
return 1
)lua";

// A hostile entry must not be able to make its own dead letter fail (Lua's unpack has a stack
// limit; a multi-megabyte value would be copied whole): keep a bounded copy.
constexpr std::size_t kMaxDeadFields = 64;
constexpr std::size_t kMaxDeadValueBytes = 256 * 1024;

}  // namespace

/// A Lua script run with EVALSHA, loaded (again) when Redis does not know it: its script cache
/// is empty after a restart.
class NotificationStore::Script {
 public:
  explicit Script(const char* lua) : lua_(lua) {}
  const char* lua() const { return lua_; }
  std::string& sha() const { return sha_; }

 private:
  const char* lua_;
  mutable std::string sha_;
};

std::string_view to_string(NotificationState state) {
  switch (state) {
    case NotificationState::deferred:
      return "deferred";
    case NotificationState::sending:
      return "sending";
    case NotificationState::sent:
      return "sent";
    case NotificationState::rejected:
      return "rejected";
    case NotificationState::failed:
      return "failed";
    case NotificationState::invalid:
      return "invalid";
  }
  return "unknown";
}

std::optional<NotificationState> notification_state_from_string(std::string_view text) {
  for (auto s :
       {NotificationState::deferred, NotificationState::sending, NotificationState::sent,
        NotificationState::rejected, NotificationState::failed, NotificationState::invalid})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

NotificationStore::NotificationStore(RedisClient& redis, const RedisConfig& config)
    : redis_(redis), config_(config), schedule_key_(config.key_prefix + "schedule") {}

std::string NotificationStore::record_key(std::string_view id) const {
  std::string key = config_.key_prefix;
  key += "n:";
  key += id;
  return key;
}

asio::awaitable<result<RedisReply>> NotificationStore::eval(const Script& script,
                                                            std::vector<std::string> keys,
                                                            std::vector<std::string> args) {
  const auto timeout = config_.command_timeout;
  for (int round = 0; round < 2; ++round) {
    if (script.sha().empty()) {
      auto loaded = co_await redis_.command(redis_args("SCRIPT", "LOAD", script.lua()), timeout);
      if (!loaded) co_return loaded.error();
      if (loaded->type != RedisReply::Type::string) co_return make_error_code(asio::error::fault);
      script.sha() = loaded->str;
    }
    auto argv = redis_args("EVALSHA", script.sha(), std::to_string(keys.size()));
    for (auto& k : keys) argv.push_back(k);
    for (auto& a : args) argv.push_back(a);
    auto reply = co_await redis_.command(std::move(argv), timeout);
    if (reply && reply->is_error() && reply->str.starts_with("NOSCRIPT")) {
      script.sha().clear();
      continue;
    }
    co_return reply;
  }
  co_return make_error_code(asio::error::fault);
}

namespace {
const NotificationStore::Script kBegin{kBeginLua};
const NotificationStore::Script kFinish{kFinishLua};
const NotificationStore::Script kReschedule{kRescheduleLua};
const NotificationStore::Script kClaim{kClaimLua};
const NotificationStore::Script kUnschedule{kUnscheduleLua};
const NotificationStore::Script kDead{kDeadLua};
}  // namespace

asio::awaitable<result<NotificationStore::BeginResult>> NotificationStore::begin(
    NotificationRecord r, Instant score, std::optional<Outcome> outcome) {
  // Arguments are named locals: GCC 12 miscompiles a `?:` temporary inside a co_await
  // expression (frees a pointer into the caller's frame).
  std::string outcome_text = outcome ? outcome_json(*outcome) : std::string();
  auto keys = redis_args(record_key(r.id), schedule_key_, config_.outcomes_stream);
  auto args =
      redis_args(r.id, r.entry, to_string(r.state), ms(score), r.event_json, to_string(r.channel),
                 std::to_string(r.attempt), ms(r.first_try), std::move(outcome_text));
  auto reply = co_await eval(kBegin, std::move(keys), std::move(args));
  if (!reply) co_return reply.error();
  if (reply->str == "created") co_return BeginResult::created;
  if (reply->str == "redelivered") co_return BeginResult::redelivered;
  if (reply->str == "duplicate") co_return BeginResult::duplicate;
  co_return make_error_code(asio::error::fault);
}

asio::awaitable<result<bool>> NotificationStore::finish(std::string id, Instant lease_until,
                                                        NotificationState state, Outcome outcome) {
  auto reply =
      co_await eval(kFinish, redis_args(record_key(id), schedule_key_, config_.outcomes_stream),
                    redis_args(id, ms(lease_until), to_string(state), outcome_json(outcome),
                               outcome.gateway_message_id));
  if (!reply) co_return result<bool>(boost::system::in_place_error, reply.error());
  if (reply->type != RedisReply::Type::integer)
    co_return result<bool>(boost::system::in_place_error, make_error_code(asio::error::fault));
  co_return reply->integer == 1;
}

asio::awaitable<result<bool>> NotificationStore::reschedule(std::string id, Instant lease_until,
                                                            Instant due, int attempt, int retries,
                                                            std::optional<Outcome> outcome) {
  std::string outcome_text = outcome ? outcome_json(*outcome) : std::string();  // see begin()
  auto keys = redis_args(record_key(id), schedule_key_, config_.outcomes_stream);
  auto args = redis_args(id, ms(lease_until), ms(due), std::to_string(attempt),
                         std::to_string(retries), std::move(outcome_text));
  auto reply = co_await eval(kReschedule, std::move(keys), std::move(args));
  if (!reply) co_return result<bool>(boost::system::in_place_error, reply.error());
  if (reply->type != RedisReply::Type::integer)
    co_return result<bool>(boost::system::in_place_error, make_error_code(asio::error::fault));
  co_return reply->integer == 1;
}

asio::awaitable<result<std::vector<std::string>>> NotificationStore::claim_due(Instant now,
                                                                               Instant lease_until,
                                                                               std::size_t limit) {
  auto reply = co_await eval(kClaim, redis_args(schedule_key_),
                             redis_args(ms(now), ms(lease_until), std::to_string(limit)));
  if (!reply) co_return reply.error();
  std::vector<std::string> ids;
  if (reply->type == RedisReply::Type::array)
    for (auto& e : reply->elements) ids.push_back(std::move(e.str));
  else if (!reply->is_nil())
    co_return make_error_code(asio::error::fault);
  co_return ids;
}

asio::awaitable<result<std::optional<NotificationRecord>>> NotificationStore::load(std::string id) {
  auto reply =
      co_await redis_.command(redis_args("HGETALL", record_key(id)), config_.command_timeout);
  if (!reply) co_return reply.error();
  if (reply->type != RedisReply::Type::array) co_return make_error_code(asio::error::fault);
  if (reply->elements.empty()) co_return std::optional<NotificationRecord>{};
  NotificationRecord r;
  r.id = id;
  bool state_ok = false, channel_ok = false;
  for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
    const auto& k = reply->elements[i].str;
    auto& v = reply->elements[i + 1].str;
    if (k == "state") {
      if (auto s = notification_state_from_string(v)) r.state = *s, state_ok = true;
    } else if (k == "entry") {
      r.entry = std::move(v);
    } else if (k == "event") {
      r.event_json = std::move(v);
    } else if (k == "channel") {
      if (auto c = channel_from_string(v)) r.channel = *c, channel_ok = true;
    } else if (k == "attempt") {
      r.attempt = static_cast<int>(to_int(v, 1));
    } else if (k == "retries") {
      r.retries = static_cast<int>(to_int(v));
    } else if (k == "first_try") {
      r.first_try = Instant{std::chrono::milliseconds{to_int(v)}};
    }
  }
  if (!state_ok || !channel_ok) co_return make_error_code(asio::error::fault);
  co_return std::optional<NotificationRecord>{std::move(r)};
}

asio::awaitable<error_code> NotificationStore::unschedule(std::string id, Instant lease_until) {
  co_return as_error(
      co_await eval(kUnschedule, redis_args(schedule_key_), redis_args(id, ms(lease_until))));
}

asio::awaitable<error_code> NotificationStore::dead_letter(std::string entry_id,
                                                           StreamFields fields, std::string reason,
                                                           Outcome outcome) {
  auto args = redis_args(config_.group, entry_id, outcome_json(outcome), reason);
  std::size_t n = 0;
  for (const auto& [k, v] : fields) {
    if (++n > kMaxDeadFields || k == "reason") continue;
    args.push_back(k.substr(0, 256));
    args.push_back(v.size() > kMaxDeadValueBytes ? v.substr(0, kMaxDeadValueBytes) : v);
  }
  co_return as_error(
      co_await eval(kDead, redis_args(config_.dead_stream, config_.outcomes_stream, config_.stream),
                    std::move(args)));
}

asio::awaitable<error_code> NotificationStore::publish(Outcome outcome) {
  co_return as_error(co_await redis_.command(
      redis_args("XADD", config_.outcomes_stream, "*", "outcome", outcome_json(outcome)),
      config_.command_timeout));
}

asio::awaitable<error_code> NotificationStore::ack(std::vector<std::string> entry_ids) {
  if (entry_ids.empty()) co_return error_code{};
  auto argv = redis_args("XACK", config_.stream, config_.group);
  argv.insert(argv.end(), entry_ids.begin(), entry_ids.end());
  co_return as_error(co_await redis_.command(std::move(argv), config_.command_timeout));
}

asio::awaitable<result<std::int64_t>> NotificationStore::scheduled_count() {
  auto reply = co_await redis_.command(redis_args("ZCARD", schedule_key_), config_.command_timeout);
  if (!reply) co_return reply.error();
  if (reply->type != RedisReply::Type::integer) co_return make_error_code(asio::error::fault);
  co_return reply->integer;
}

}  // namespace herald
