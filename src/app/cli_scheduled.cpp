// `herald scheduled [--json]` (service issue, item 6): what is waiting in the schedule, by due
// hour and by reason.
#include <iostream>

#include <boost/json.hpp>

#include "cli_common.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/time_format.hpp"
#include "herald/store/schedule_reasons.hpp"
#include "herald/store/store_inspector.hpp"

namespace herald::cli {
namespace {

namespace asio = boost::asio;

asio::awaitable<Answer<ScheduleSummary>> summary_op(RedisClient* redis, RedisConfig config,
                                                    Instant now) {
  StoreInspector inspector(*redis, std::move(config));
  auto summary = co_await inspector.schedule_summary(now);
  Answer<ScheduleSummary> answer;
  if (summary)
    answer.value = std::move(*summary);
  else
    answer.error = summary.error().message();
  co_return answer;
}

std::map<std::string, std::int64_t> with_every_reason(const ScheduleSummary& s) {
  auto out = s.by_reason;
  // Every reason the store schedules for, shown even at zero so that the output keeps its shape.
  for (const char* r : kScheduleReasons) out.emplace(r, 0);
  return out;
}

std::int64_t age_seconds(Instant now, Instant due) {
  return std::chrono::duration_cast<std::chrono::seconds>(now - due).count();
}

// "3d 4h", "2h 5m", "4m 10s", "12s".
std::string human_age(std::int64_t s) {
  auto two = [](std::int64_t a, const char* ua, std::int64_t b, const char* ub) {
    return std::to_string(a) + ua + " " + std::to_string(b) + ub;
  };
  if (s >= 86400) return two(s / 86400, "d", s % 86400 / 3600, "h");
  if (s >= 3600) return two(s / 3600, "h", s % 3600 / 60, "m");
  if (s >= 60) return two(s / 60, "m", s % 60, "s");
  return std::to_string(s) + "s";
}

boost::json::object summary_json(Instant now, const ScheduleSummary& s) {
  boost::json::object reasons;
  for (const auto& [reason, count] : with_every_reason(s)) reasons[reason] = count;
  boost::json::array hours;
  for (const auto& [hour, count] : s.by_hour)
    hours.push_back(boost::json::object{{"hour", format_rfc3339(hour)}, {"count", count}});
  boost::json::value oldest = nullptr;
  if (s.oldest_overdue)
    oldest = boost::json::object{{"due", format_rfc3339(*s.oldest_overdue)},
                                 {"age_seconds", age_seconds(now, *s.oldest_overdue)}};
  boost::json::object channels;
  for (const auto& [channel, c] : s.by_channel) {
    boost::json::value oldest_of = nullptr;
    if (c.oldest_overdue)
      oldest_of = boost::json::object{{"due", format_rfc3339(*c.oldest_overdue)},
                                      {"age_seconds", age_seconds(now, *c.oldest_overdue)}};
    channels[channel] = boost::json::object{
        {"total", c.total}, {"overdue", c.overdue}, {"oldest_overdue", std::move(oldest_of)}};
  }
  return {{"now", format_rfc3339(now)},          {"total", s.total},
          {"by_channel", std::move(channels)},   {"overdue", s.overdue},
          {"oldest_overdue", std::move(oldest)}, {"by_reason", std::move(reasons)},
          {"by_hour", std::move(hours)},         {"unmoved", s.unmoved}};
}

void print_summary(std::ostream& out, Instant now, const ScheduleSummary& s) {
  out << s.total << " scheduled at " << format_rfc3339(now) << "; " << s.overdue << " overdue";
  if (s.oldest_overdue)
    out << ", the oldest for " << human_age(age_seconds(now, *s.oldest_overdue)) << " (due "
        << format_rfc3339(*s.oldest_overdue) << ")";
  if (s.unmoved > 0)
    out << "\n"
        << s.unmoved
        << " more in the schedule of herald 0.1.0, not counted here: herald moves them to the "
           "channels' schedules when it next starts";
  out << "\n\nby channel (each has its own schedule, claimed on its own):\n";
  std::vector<std::vector<std::string>> rows{{"CHANNEL", "COUNT", "OVERDUE", "OLDEST OVERDUE"}};
  for (const auto& [channel, c] : s.by_channel)
    rows.push_back({channel, std::to_string(c.total), std::to_string(c.overdue),
                    c.oldest_overdue ? human_age(age_seconds(now, *c.oldest_overdue)) : "-"});
  print_table(out, rows);
  out << "\nby reason:\n";
  rows = {{"REASON", "COUNT"}};
  for (const auto& [reason, count] : with_every_reason(s))
    rows.push_back({printable(reason), std::to_string(count)});
  print_table(out, rows);
  out << "\nby due hour (UTC; items being sent count at their lease's end):\n";
  rows = {{"HOUR", "COUNT"}};
  for (const auto& [hour, count] : s.by_hour)
    rows.push_back({format_rfc3339(hour), std::to_string(count)});
  print_table(out, rows);
}

}  // namespace

int cmd_scheduled(int argc, char** argv) {
  std::string config_path;
  bool help = false, json = false;
  auto options = common_options(
      "herald scheduled [--config FILE] [--json]\n\n"
      "Shows what is waiting in the schedule: the total, how many are overdue and for how long\n"
      "the oldest has been, the same per channel, counts by reason (window, unavailable,\n"
      "next_attempt, retry, queued, sending) and by due hour (UTC), and what an upgrade from\n"
      "herald 0.1.0 left in its single schedule until herald next starts. Reads counts only,\n"
      "whatever the schedule's size.\n"
      "Exit 0, or 1 when Redis fails.\n\nOptions",
      config_path, help);
  options.add_options()("json", po::bool_switch(&json), "print a JSON document");
  parse(argc, argv, options, {});
  if (help) return std::cout << options << '\n', kOk;
  auto config = load_for_redis(config_path);
  if (!config) return kBadInput;
  const Instant now = SystemClock{}.now();
  auto answer = with_redis<ScheduleSummary>(
      *config, [&](RedisClient* r) { return summary_op(r, config->redis, now); });
  if (!answer.value) {
    std::cerr << "herald: cannot read the schedule from Redis at " << answer.error << '\n';
    return kRuntimeFailure;
  }
  if (json)
    std::cout << boost::json::serialize(summary_json(now, *answer.value)) << '\n';
  else
    print_summary(std::cout, now, *answer.value);
  return kOk;
}

}  // namespace herald::cli
