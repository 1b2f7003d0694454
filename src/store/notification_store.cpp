#include "herald/store/notification_store.hpp"

#include <charconv>

#include <boost/asio/error.hpp>
#include <boost/json.hpp>

#include "herald/core/time_format.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/redis_error.hpp"
#include "store_scripts.hpp"

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

std::string instants_csv(const std::vector<Instant>& list) {
  std::string out;
  for (auto t : list) {
    if (!out.empty()) out += ',';
    out += ms(t);
  }
  return out;
}

std::vector<Instant> parse_instants(const std::string& csv) {
  std::vector<Instant> out;
  std::size_t start = 0;
  while (start < csv.size()) {
    auto comma = csv.find(',', start);
    if (comma == std::string::npos) comma = csv.size();
    if (comma > start)
      out.push_back(Instant{std::chrono::milliseconds{to_int(csv.substr(start, comma - start))}});
    start = comma + 1;
  }
  return out;
}

// A reply of a shape the caller does not expect (a bug, or a script of another version).
error_code fault() {
  return make_error_code(asio::error::fault);
}

// An error reply (OOM, READONLY, MISCONF, a script's error ...) as a failure that carries Redis's
// words: the callers log error_code::message().
result<RedisReply> refused_as_error(result<RedisReply> r) {
  if (r && r->is_error()) return redis_error(r->str);
  return r;
}

// A reply that is an error, or a connection failure, as an error_code for callers that only need
// to know whether the write happened.
error_code as_error(const result<RedisReply>& r) {
  if (!r) return r.error();
  if (r->is_error()) return redis_error(r->str);
  return {};
}

// An event as the accept script (and a fallback) takes it.
boost::json::object event_object(const NewEvent& e) {
  boost::json::array notifications;
  for (const auto& n : e.notifications) {
    std::string out = n.outcome ? outcome_json(*n.outcome) : std::string();
    notifications.push_back(boost::json::object{{"nid", n.id},
                                                {"ch", to_string(n.channel)},
                                                {"st", n.send_now ? "sending" : "deferred"},
                                                {"score", ms(n.score)},
                                                {"why", n.why},
                                                {"out", std::move(out)},
                                                {"fb", n.replayed_fallback ? "1" : "0"}});
  }
  return boost::json::object{{"entry", e.entry},         {"id", e.event_id},
                             {"case", e.case_ref},       {"status", e.status},
                             {"occ", ms(e.occurred_at)}, {"final", e.final ? "1" : "0"},
                             {"event", e.event_json},    {"n", std::move(notifications)}};
}

// The inverse of to_string(AcceptResult): the scripts answer with those words.
std::optional<AcceptResult> accept_result(std::string_view text) {
  for (auto a : {AcceptResult::created, AcceptResult::redelivered, AcceptResult::duplicate,
                 AcceptResult::stale, AcceptResult::final_case})
    if (to_string(a) == text) return a;
  return std::nullopt;
}

// A hostile entry must not be able to make its own dead letter fail (Lua's unpack has a stack
// limit; a multi-megabyte value would be copied whole): keep a bounded copy. The event itself is
// kept whole up to the size events may have (limits.max_event_bytes), since replaying the dead
// letter publishes it again.
constexpr std::size_t kMaxDeadFields = 64;
constexpr std::size_t kMaxDeadValueBytes = 256 * 1024;

// A dead letter's fields as script arguments, bounded as above; `reason` and `truncated` are
// herald's own. A value cut short is named in `truncated` (comma-separated field names), and
// `herald dead replay` refuses a letter whose event was cut: publishing part of it would lose
// the rest for good.
void append_dead_fields(StreamFields fields, std::size_t event_bytes,
                        std::vector<std::string>& args) {
  std::size_t n = 0;
  std::string truncated;
  for (auto& [k, v] : fields) {
    if (++n > kMaxDeadFields || k == "reason" || k == kTruncatedField) continue;
    const std::size_t most =
        k == "event" ? std::max(event_bytes, kMaxDeadValueBytes) : kMaxDeadValueBytes;
    std::string name = k.substr(0, 256);
    if (v.size() > most) {
      v.resize(most);
      truncated += (truncated.empty() ? "" : ",") + name;
    }
    args.push_back(std::move(name));
    args.push_back(std::move(v));
  }
  if (!truncated.empty()) {
    args.emplace_back(kTruncatedField);
    args.push_back(std::move(truncated));
  }
}

}  // namespace

/// A Lua script run with EVALSHA, loaded (again) when Redis does not know it: its script cache
/// is empty after a restart.
class NotificationStore::Script {
 public:
  explicit Script(const std::string& (*lua)()) : lua_(lua) {}
  const std::string& lua() const { return lua_(); }
  std::string& sha() const { return sha_; }

 private:
  const std::string& (*lua_)();
  mutable std::string sha_;
};

namespace {
const NotificationStore::Script kAccept{&store_scripts::accept};
const NotificationStore::Script kClaim{&store_scripts::claim};
const NotificationStore::Script kSplitSchedule{&store_scripts::split_schedule};
const NotificationStore::Script kStartSend{&store_scripts::start_send};
const NotificationStore::Script kFinish{&store_scripts::finish};
const NotificationStore::Script kRenew{&store_scripts::renew};
const NotificationStore::Script kReschedule{&store_scripts::reschedule};
const NotificationStore::Script kRelease{&store_scripts::release};
const NotificationStore::Script kReceiptLookup{&store_scripts::receipt_lookup};
const NotificationStore::Script kApplyReceipt{&store_scripts::apply_receipt};
const NotificationStore::Script kDeadLetter{&store_scripts::dead_letter};
const NotificationStore::Script kDeadLetterDue{&store_scripts::dead_letter_due};
}  // namespace

std::string_view to_string(NotificationState state) {
  switch (state) {
    case NotificationState::deferred:
      return "deferred";
    case NotificationState::sending:
      return "sending";
    case NotificationState::sent:
      return "sent";
    case NotificationState::delivered:
      return "delivered";
    case NotificationState::rejected:
      return "rejected";
    case NotificationState::failed:
      return "failed";
    case NotificationState::suppressed:
      return "suppressed";
    case NotificationState::invalid:
      return "invalid";
  }
  return "unknown";
}

std::optional<NotificationState> notification_state_from_string(std::string_view text) {
  for (auto s :
       {NotificationState::deferred, NotificationState::sending, NotificationState::sent,
        NotificationState::delivered, NotificationState::rejected, NotificationState::failed,
        NotificationState::suppressed, NotificationState::invalid})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

std::string_view to_string(AcceptResult result) {
  switch (result) {
    case AcceptResult::created:
      return "created";
    case AcceptResult::redelivered:
      return "redelivered";
    case AcceptResult::duplicate:
      return "duplicate";
    case AcceptResult::stale:
      return "stale";
    case AcceptResult::final_case:
      return "final";
  }
  return "unknown";
}

std::optional<NotificationRecord> parse_record(std::string id,
                                               const std::vector<RedisReply>& fields,
                                               std::size_t from) {
  NotificationRecord r;
  r.id = std::move(id);
  bool state_ok = false, channel_ok = false, has_failing_since = false;
  std::optional<Instant> first_try;  // written by earlier builds instead of failing_since
  for (std::size_t i = from; i + 1 < fields.size(); i += 2) {
    const auto& k = fields[i].str;
    const auto& v = fields[i + 1].str;
    if (k == "state") {
      if (auto s = notification_state_from_string(v)) r.state = *s, state_ok = true;
    } else if (k == "channel") {
      if (auto c = channel_from_string(v)) r.channel = *c, channel_ok = true;
    } else if (k == "entry") {
      r.entry = v;
    } else if (k == "event_id") {
      r.event_id = v;
    } else if (k == "case") {
      r.case_ref = v;
    } else if (k == "status") {
      r.status = v;
    } else if (k == "event") {
      r.event_json = v;
    } else if (k == "attempt") {
      r.attempt = static_cast<int>(to_int(v, 1));
    } else if (k == "retries") {
      r.retries = static_cast<int>(to_int(v));
    } else if (k == "failed") {
      r.failed = parse_instants(v);
    } else if (k == "failing_since") {
      if (!v.empty()) r.failing_since = Instant{std::chrono::milliseconds{to_int(v)}};
      has_failing_since = true;
    } else if (k == "first_try") {
      first_try = Instant{std::chrono::milliseconds{to_int(v)}};
    } else if (k == "sent_at") {
      r.sent_at = Instant{std::chrono::milliseconds{to_int(v)}};
    } else if (k == "gw_id") {
      r.gateway_message_id = v;
    } else if (k == "send_since") {
      if (!v.empty()) r.send_since = Instant{std::chrono::milliseconds{to_int(v)}};
    }
  }
  if (!state_ok || !channel_ok) return std::nullopt;
  if (!has_failing_since && r.retries > 0) r.failing_since = first_try;
  return r;
}

NotificationStore::NotificationStore(RedisClient& redis, const RedisConfig& redis_config,
                                     const RetentionConfig& retention)
    : redis_(redis),
      config_(redis_config),
      retention_(std::chrono::days{retention.days}),
      schedule_key_(redis_config.key_prefix + "schedule"),
      why_key_(redis_config.key_prefix + "schedule:why") {}

std::string NotificationStore::record_key(std::string_view id) const {
  std::string key = config_.key_prefix;
  key += "n:";
  key += id;
  return key;
}

asio::awaitable<result<RedisReply>> NotificationStore::eval(const Script& script,
                                                            std::vector<std::string> keys,
                                                            std::vector<std::string> args,
                                                            Instant now) {
  const auto timeout = config_.command_timeout;
  // The arguments every script starts with (store_scripts.hpp).
  std::vector<std::string> argv{"EVALSHA",     "",       std::to_string(3 + keys.size()),
                                schedule_key_, why_key_, config_.outcomes_stream};
  for (auto& k : keys) argv.push_back(std::move(k));
  argv.push_back(config_.key_prefix);
  argv.push_back(format_rfc3339(now));
  argv.push_back(ms(now));
  argv.push_back(std::to_string(retention_.count()));
  for (auto& a : args) argv.push_back(std::move(a));
  for (int round = 0;; ++round) {
    if (script.sha().empty()) {
      auto load = redis_args("SCRIPT", "LOAD", script.lua());
      auto loaded = co_await redis_.command(std::move(load), timeout);
      if (!loaded) co_return loaded.error();
      if (loaded->is_error()) co_return redis_error(loaded->str);
      if (loaded->type != RedisReply::Type::string) co_return fault();
      script.sha() = loaded->str;
    }
    argv[1] = script.sha();
    auto reply = co_await redis_.command(argv, timeout);
    // Redis forgets scripts when it restarts: load it again, once.
    if (round == 0 && reply && reply->is_error() && reply->str.starts_with("NOSCRIPT")) {
      script.sha().clear();
      continue;
    }
    co_return refused_as_error(std::move(reply));
  }
}

asio::awaitable<result<RedisReply>> NotificationStore::eval(const Script& script,
                                                            std::vector<std::string> args,
                                                            Instant now) {
  std::vector<std::string> no_keys;
  co_return co_await eval(script, std::move(no_keys), std::move(args), now);
}

asio::awaitable<result<std::vector<std::vector<AcceptResult>>>> NotificationStore::accept(
    std::vector<NewEvent> events, Instant now) {
  using Results = std::vector<std::vector<AcceptResult>>;
  Results out;
  out.reserve(events.size());
  // In calls of at most max_accept_bytes of JSON (one event alone may be more): a batch of large
  // events (limits.max_event_bytes allows 64 MiB) in one argument could pass what Redis takes in
  // one (proto-max-bulk-len, 512 MB), and it would be refused, read again and refused for ever.
  // Each call records and acknowledges its own events, as separate batches would.
  std::size_t first = 0;
  while (first < events.size()) {
    std::string batch = "[";
    std::size_t end = first;
    for (; end < events.size(); ++end) {
      std::string one = boost::json::serialize(event_object(events[end]));
      if (end > first && batch.size() + one.size() + 1 > max_accept_bytes) break;
      if (end > first) batch += ',';
      batch += one;
    }
    batch += ']';
    auto keys = redis_args(config_.stream);
    auto args = redis_args(config_.group, std::move(batch));
    auto reply = co_await eval(kAccept, std::move(keys), std::move(args), now);
    if (!reply) co_return reply.error();
    if (reply->type != RedisReply::Type::array || reply->elements.size() != end - first)
      co_return fault();
    for (std::size_t i = first; i < end; ++i) {
      const auto& per_event = reply->elements[i - first];
      // Lua turns an empty table into an empty array and a table with holes into a short one:
      // every notification has a result, so anything else is a fault.
      if (per_event.elements.size() != events[i].notifications.size()) co_return fault();
      auto& results = out.emplace_back();
      for (const auto& r : per_event.elements) {
        auto a = accept_result(r.str);
        if (!a) co_return fault();
        results.push_back(*a);
      }
    }
    first = end;
  }
  co_return out;
}

std::string NotificationStore::schedule_key(Channel channel) const {
  std::string key = schedule_key_;
  key += ':';
  key += to_string(channel);
  return key;
}

asio::awaitable<result<std::vector<std::string>>> NotificationStore::claim_due(Channel channel,
                                                                               Instant now,
                                                                               Instant lease_until,
                                                                               std::size_t limit) {
  auto args = redis_args(ms(lease_until), std::to_string(limit), to_string(channel));
  auto reply = co_await eval(kClaim, std::move(args), now);
  if (!reply) co_return reply.error();
  std::vector<std::string> ids;
  if (reply->type == RedisReply::Type::array)
    for (auto& e : reply->elements) ids.push_back(std::move(e.str));
  else if (!reply->is_nil())
    co_return fault();
  co_return ids;
}

asio::awaitable<result<NotificationStore::Split>> NotificationStore::split_schedule(
    std::size_t limit, Instant now) {
  auto reply = co_await eval(kSplitSchedule, redis_args(std::to_string(limit)), now);
  if (!reply) co_return reply.error();
  if (reply->type != RedisReply::Type::array || reply->elements.size() != 3) co_return fault();
  co_return Split{reply->elements[0].integer, reply->elements[1].integer,
                  reply->elements[2].integer};
}

asio::awaitable<result<StartSend>> NotificationStore::start_send(std::string id,
                                                                 Instant lease_until,
                                                                 Instant new_lease,
                                                                 bool want_record, Instant now) {
  auto args = redis_args(id, ms(lease_until), ms(new_lease), want_record ? "1" : "0");
  auto reply = co_await eval(kStartSend, std::move(args), now);
  if (!reply) co_return reply.error();
  if (reply->type != RedisReply::Type::array || reply->elements.empty()) co_return fault();
  const auto& kind = reply->elements[0].str;
  StartSend out;
  if (kind == "lost") {
    out.kind = StartSend::Kind::lost;
  } else if (kind == "gone") {
    out.kind = StartSend::Kind::gone;
  } else if (kind == "suppressed") {
    out.kind = StartSend::Kind::suppressed;
    if (reply->elements.size() > 2) {
      out.reason = reply->elements[1].str;
      out.channel = channel_from_string(reply->elements[2].str).value_or(Channel::email);
    }
  } else if (kind == "ok") {
    if (want_record) {
      out.record = parse_record(std::move(id), reply->elements, 1);
      if (!out.record) co_return fault();
    }
  } else {
    co_return fault();
  }
  co_return out;
}

asio::awaitable<result<bool>> NotificationStore::renew(std::string id, Instant lease_until,
                                                       std::vector<Instant> unconfirmed,
                                                       Instant new_lease, Instant now) {
  auto args = redis_args(id, ms(lease_until), ms(new_lease));
  for (Instant lease : unconfirmed) args.push_back(ms(lease));
  auto reply = co_await eval(kRenew, std::move(args), now);
  if (!reply) co_return result<bool>(boost::system::in_place_error, reply.error());
  if (reply->type != RedisReply::Type::integer)
    co_return result<bool>(boost::system::in_place_error, fault());
  co_return reply->integer == 1;
}

asio::awaitable<result<bool>> NotificationStore::finish(std::string id, Instant lease_until,
                                                        NotificationState state, Outcome outcome) {
  auto args = redis_args(id, ms(lease_until), to_string(state), outcome_json(outcome),
                         outcome.gateway_message_id);
  auto reply = co_await eval(kFinish, std::move(args), outcome.at);
  if (!reply) co_return result<bool>(boost::system::in_place_error, reply.error());
  if (reply->type != RedisReply::Type::integer)
    co_return result<bool>(boost::system::in_place_error, fault());
  co_return reply->integer == 1;
}

asio::awaitable<result<std::optional<AcceptResult>>> NotificationStore::end_with_fallback(
    std::string id, Instant lease_until, NotificationState state, Outcome outcome,
    NewEvent fallback) {
  auto args =
      redis_args(id, ms(lease_until), to_string(state), outcome_json(outcome),
                 outcome.gateway_message_id, boost::json::serialize(event_object(fallback)));
  auto reply = co_await eval(kFinish, std::move(args), outcome.at);
  if (!reply) co_return reply.error();
  if (reply->type == RedisReply::Type::integer && reply->integer == 0)
    co_return std::optional<AcceptResult>{};  // the lease was lost
  if (reply->type != RedisReply::Type::array || reply->elements.size() != 2) co_return fault();
  auto what = accept_result(reply->elements[1].str);
  if (!what) co_return fault();
  co_return what;
}

asio::awaitable<result<bool>> NotificationStore::reschedule(
    std::string id, Instant lease_until, Instant due, std::string why, int attempt, int retries,
    std::optional<Instant> failing_since, std::optional<Outcome> outcome, Instant now) {
  // Arguments are named locals: GCC 12 miscompiles a `?:` temporary inside a co_await
  // expression (it frees a pointer into the caller's frame).
  std::string outcome_text = outcome ? outcome_json(*outcome) : std::string();
  std::string since = failing_since ? ms(*failing_since) : std::string();
  auto args = redis_args(id, ms(lease_until), ms(due), std::move(why), std::to_string(attempt),
                         std::to_string(retries), std::move(outcome_text), std::move(since));
  auto reply = co_await eval(kReschedule, std::move(args), now);
  if (!reply) co_return result<bool>(boost::system::in_place_error, reply.error());
  if (reply->type != RedisReply::Type::integer)
    co_return result<bool>(boost::system::in_place_error, fault());
  co_return reply->integer == 1;
}

asio::awaitable<result<std::size_t>> NotificationStore::release(
    std::vector<std::pair<std::string, Instant>> leases, std::string why, Instant now) {
  std::vector<std::string> args{std::move(why)};
  for (auto& [id, lease] : leases) {
    args.push_back(std::move(id));
    args.push_back(ms(lease));
  }
  auto reply = co_await eval(kRelease, std::move(args), now);
  if (!reply) co_return reply.error();
  if (reply->type != RedisReply::Type::integer) co_return fault();
  co_return static_cast<std::size_t>(reply->integer);
}

asio::awaitable<result<std::optional<NotificationStore::Lookup>>> NotificationStore::receipt_lookup(
    std::string id, Instant now) {
  auto args = redis_args(std::move(id));
  auto reply = co_await eval(kReceiptLookup, std::move(args), now);
  if (!reply) co_return reply.error();
  if (reply->type != RedisReply::Type::array) co_return fault();
  if (reply->elements.size() < 2) co_return std::optional<Lookup>{};
  auto record = parse_record(reply->elements[0].str, reply->elements, 2);
  if (!record) co_return std::optional<Lookup>{};
  Lookup lookup{std::move(*record), std::nullopt};
  if (!reply->elements[1].str.empty())
    lookup.attempt = static_cast<int>(to_int(reply->elements[1].str, 0));
  co_return std::optional<Lookup>{std::move(lookup)};
}

asio::awaitable<result<AppliedReceipt>> NotificationStore::apply_receipt(std::string id,
                                                                         int attempt,
                                                                         ReceiptAction action,
                                                                         Instant now) {
  std::string kind;
  switch (action.kind) {
    case ReceiptAction::Kind::delivered:
      kind = "delivered";
      break;
    case ReceiptAction::Kind::rejected:
      kind = "rejected";
      break;
    case ReceiptAction::Kind::failed:
      kind = "failed";
      break;
    case ReceiptAction::Kind::next_attempt:
      kind = "next";
      break;
    case ReceiptAction::Kind::resend:
      kind = "resend";
      break;
  }
  std::string outcome_text = action.outcome ? outcome_json(*action.outcome) : std::string();
  std::string since = action.failing_since ? ms(*action.failing_since) : std::string();
  auto args = redis_args(std::move(id), std::to_string(attempt), std::move(kind), ms(action.due),
                         std::to_string(action.attempt), std::to_string(action.retries),
                         instants_csv(action.failed), std::move(outcome_text),
                         std::move(action.timeline_json), std::move(since));
  if (action.fallback) args.push_back(boost::json::serialize(event_object(*action.fallback)));
  auto reply = co_await eval(kApplyReceipt, std::move(args), now);
  if (!reply) co_return reply.error();
  if (reply->type == RedisReply::Type::array && reply->elements.size() == 2 &&
      reply->elements[0].str == "applied") {
    auto what = accept_result(reply->elements[1].str);
    if (!what) co_return fault();
    co_return AppliedReceipt{ReceiptApplied::applied, what};
  }
  if (reply->str == "applied") co_return AppliedReceipt{ReceiptApplied::applied, std::nullopt};
  if (reply->str == "unknown") co_return AppliedReceipt{ReceiptApplied::unknown, std::nullopt};
  if (reply->str == "duplicate") co_return AppliedReceipt{ReceiptApplied::duplicate, std::nullopt};
  if (reply->str == "early") co_return AppliedReceipt{ReceiptApplied::early, std::nullopt};
  co_return fault();
}

asio::awaitable<error_code> NotificationStore::dead_letter(std::string entry_id,
                                                           StreamFields fields, std::string reason,
                                                           Outcome outcome, Instant now,
                                                           std::size_t event_bytes) {
  auto args = redis_args(config_.group, std::move(entry_id), outcome_json(outcome),
                         std::move(reason), outcome.case_ref);
  append_dead_fields(std::move(fields), event_bytes, args);
  auto keys = redis_args(config_.dead_stream, config_.stream);
  co_return as_error(co_await eval(kDeadLetter, std::move(keys), std::move(args), now));
}

asio::awaitable<result<bool>> NotificationStore::dead_letter_due(
    std::string id, Instant lease_until, StreamFields fields, std::string reason, Outcome outcome,
    std::size_t event_bytes) {
  auto args = redis_args(std::move(id), ms(lease_until), outcome_json(outcome), std::move(reason));
  append_dead_fields(std::move(fields), event_bytes, args);
  auto keys = redis_args(config_.dead_stream);
  auto reply = co_await eval(kDeadLetterDue, std::move(keys), std::move(args), outcome.at);
  if (!reply) co_return result<bool>(boost::system::in_place_error, reply.error());
  if (reply->type != RedisReply::Type::integer)
    co_return result<bool>(boost::system::in_place_error, fault());
  co_return reply->integer == 1;
}

asio::awaitable<error_code> NotificationStore::ack(std::string stream,
                                                   std::vector<std::string> entry_ids) {
  if (entry_ids.empty()) co_return error_code{};
  auto argv = redis_args("XACK", std::move(stream), config_.group);
  for (auto& id : entry_ids) argv.push_back(std::move(id));
  co_return as_error(co_await redis_.command(std::move(argv), config_.command_timeout));
}

asio::awaitable<result<std::optional<NotificationRecord>>> NotificationStore::load(std::string id) {
  auto answer =
      co_await redis_.command(redis_args("HGETALL", record_key(id)), config_.command_timeout);
  auto reply = refused_as_error(std::move(answer));
  if (!reply) co_return reply.error();
  if (reply->type != RedisReply::Type::array) co_return fault();
  if (reply->elements.empty()) co_return std::optional<NotificationRecord>{};
  auto record = parse_record(std::move(id), reply->elements);
  if (!record) co_return fault();
  co_return record;
}

asio::awaitable<result<std::map<std::string, std::int64_t>>>
NotificationStore::scheduled_by_reason() {
  auto answer = co_await redis_.command(redis_args("HGETALL", why_key_), config_.command_timeout);
  auto reply = refused_as_error(std::move(answer));
  if (!reply) co_return reply.error();
  if (reply->type != RedisReply::Type::array) co_return fault();
  std::map<std::string, std::int64_t> out;
  for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2)
    out[reply->elements[i].str] = to_int(reply->elements[i + 1].str);
  co_return out;
}

}  // namespace herald
