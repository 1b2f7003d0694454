#include "herald/store/store_inspector.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <boost/asio/error.hpp>

#include "herald/core/channel.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/redis_error.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using boost::system::result;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::size_t kTimelinePage = 1000;

boost::system::error_code fault() {
  return asio::error::make_error_code(asio::error::fault);
}

std::int64_t to_int(const std::string& s, std::int64_t fallback = 0) {
  std::int64_t v = fallback;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// A sorted-set score as Redis sends it ("1795467600000", or "1.7954676e+12" for odd values).
std::int64_t score_ms(const std::string& s) {
  return static_cast<std::int64_t>(std::llround(std::strtod(s.c_str(), nullptr)));
}

Instant instant_ms(std::int64_t ms) {
  return Instant{std::chrono::milliseconds{ms}};
}

std::int64_t floor_hour(std::int64_t ms) {
  std::int64_t h = ms / kHourMs;
  if (ms < 0 && ms % kHourMs != 0) --h;
  return h * kHourMs;
}

const std::string* text(const RedisReply& r) {
  return r.type == RedisReply::Type::string ? &r.str : nullptr;
}

}  // namespace

StoreInspector::StoreInspector(RedisClient& redis, RedisConfig config)
    : redis_(redis), config_(std::move(config)) {}

asio::awaitable<result<RedisReply>> StoreInspector::call(std::vector<std::string> args) {
  auto reply = co_await redis_.command(std::move(args), config_.command_timeout);
  if (reply && reply->is_error()) co_return redis_error(reply->str);
  co_return reply;
}

asio::awaitable<result<CaseStatus>> StoreInspector::case_status(std::string case_ref) {
  const std::string case_key = config_.key_prefix + "case:" + case_ref;
  CaseStatus status;

  auto head = co_await call(redis_args("HMGET", case_key, "occ", "event", "status", "final"));
  if (!head) co_return head.error();
  if (head->elements.size() != 4) co_return fault();
  if (const auto* event = text(head->elements[1])) {
    CaseStatus::Latest latest;
    latest.event_id = *event;
    if (const auto* occ = text(head->elements[0])) latest.occurred_at = instant_ms(to_int(*occ));
    if (const auto* s = text(head->elements[2])) latest.status = *s;
    const auto* final_event = text(head->elements[3]);
    latest.final = final_event && !final_event->empty();
    status.latest = std::move(latest);
  }

  for (std::size_t start = 0;; start += kTimelinePage) {
    auto page = co_await call(redis_args("LRANGE", case_key + ":log", std::to_string(start),
                                         std::to_string(start + kTimelinePage - 1)));
    if (!page) co_return page.error();
    for (auto& entry : page->elements)
      if (entry.type == RedisReply::Type::string) status.timeline.push_back(std::move(entry.str));
    if (page->elements.size() < kTimelinePage) break;
  }

  auto members = co_await call(redis_args("SMEMBERS", case_key + ":n"));
  if (!members) co_return members.error();
  std::vector<std::string> ids;
  for (auto& m : members->elements)
    if (m.type == RedisReply::Type::string) ids.push_back(std::move(m.str));
  std::sort(ids.begin(), ids.end());
  const std::string schedule_key = config_.key_prefix + "schedule";
  for (auto& id : ids) {
    // Field by field: the record's `event` (personal data) is never read.
    auto r = co_await call(redis_args("HMGET", config_.key_prefix + "n:" + id, "state", "event_id",
                                      "status", "channel", "attempt", "retries", "why", "sent_at"));
    if (!r) co_return r.error();
    if (r->elements.size() != 8) co_return fault();
    if (!text(r->elements[0])) continue;  // expired since: nothing to show
    auto field = [&](std::size_t i) {
      const auto* s = text(r->elements[i]);
      return s ? *s : std::string();
    };
    OpenNotification n;
    n.state = field(0);
    n.event_id = field(1);
    n.status = field(2);
    n.channel = field(3);
    n.attempt = static_cast<int>(to_int(field(4), 1));
    n.retries = static_cast<int>(to_int(field(5)));
    n.why = field(6);
    if (auto sent = field(7); !sent.empty()) n.sent_at = instant_ms(to_int(sent));
    // The schedule of the channel the id ends with, as the store's scripts find it.
    const std::string due_key = schedule_key + ":" + id.substr(id.rfind(':') + 1);
    auto score = co_await call(redis_args("ZSCORE", due_key, id));
    if (!score) co_return score.error();
    if (const auto* s = text(*score)) n.due = instant_ms(score_ms(*s));
    n.id = std::move(id);
    status.open.push_back(std::move(n));
  }
  co_return status;
}

asio::awaitable<result<ScheduleSummary>> StoreInspector::schedule_summary(Instant now) {
  const std::string base = config_.key_prefix + "schedule";
  const std::int64_t now_ms = now.time_since_epoch().count();
  ScheduleSummary summary;

  auto why = co_await call(redis_args("HGETALL", base + ":why"));
  if (!why) co_return why.error();
  for (std::size_t i = 0; i + 1 < why->elements.size(); i += 2) {
    const auto count = to_int(why->elements[i + 1].str);
    if (count != 0) summary.by_reason[why->elements[i].str] = count;
  }

  // Each channel's schedule in turn; hours are added up across them.
  std::map<std::int64_t, std::int64_t> by_hour;
  std::optional<std::int64_t> oldest;
  for (Channel channel : kAllChannels) {
    const std::string key = base + ":" + std::string(to_string(channel));
    ChannelSchedule& mine = summary.by_channel[std::string(to_string(channel))];
    auto total = co_await call(redis_args("ZCARD", key));
    if (!total) co_return total.error();
    mine.total = total->integer;
    summary.total += mine.total;

    auto overdue = co_await call(redis_args("ZCOUNT", key, "-inf", std::to_string(now_ms)));
    if (!overdue) co_return overdue.error();
    mine.overdue = overdue->integer;
    summary.overdue += mine.overdue;

    // Hour by hour, jumping over empty hours: ZCOUNT for the hour, then the first score after it
    // tells where the next non-empty hour starts. Two commands per non-empty hour, each O(log n).
    auto first = co_await call(redis_args("ZRANGE", key, "0", "0", "WITHSCORES"));
    if (!first) co_return first.error();
    if (first->elements.size() < 2) continue;
    const std::int64_t earliest = score_ms(first->elements[1].str);
    if (earliest <= now_ms) {
      mine.oldest_overdue = instant_ms(earliest);
      oldest = std::min(oldest.value_or(earliest), earliest);
    }
    std::int64_t hour = floor_hour(earliest);
    for (;;) {
      const std::int64_t next_hour = hour + kHourMs;
      auto count = co_await call(
          redis_args("ZCOUNT", key, std::to_string(hour), "(" + std::to_string(next_hour)));
      if (!count) co_return count.error();
      if (count->integer > 0) by_hour[hour] += count->integer;
      auto next = co_await call(redis_args("ZRANGE", key, std::to_string(next_hour), "+inf",
                                           "BYSCORE", "LIMIT", "0", "1", "WITHSCORES"));
      if (!next) co_return next.error();
      if (next->elements.size() < 2) break;
      hour = std::max(next_hour, floor_hour(score_ms(next->elements[1].str)));
    }
  }
  for (const auto& [hour, count] : by_hour) summary.by_hour.emplace_back(instant_ms(hour), count);
  if (oldest) summary.oldest_overdue = instant_ms(*oldest);

  // An upgrade from 0.1.0 before its first start: the old schedule is still whole.
  auto unmoved = co_await call(redis_args("ZCARD", base));
  if (!unmoved) co_return unmoved.error();
  summary.unmoved = unmoved->integer;
  co_return summary;
}

}  // namespace herald
