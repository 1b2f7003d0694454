// `herald status`, `herald scheduled` and retention (service issue, items 6 and 7), against a
// real Redis: on notifications the daemon itself recorded, on a large synthetic schedule, and on
// streams holding entries older than the retention period.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstdio>
#include <set>

#include "herald/core/time_format.hpp"
#include "service_support.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

std::int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(std::int64_t ms) {
  return format_rfc3339(Instant{milliseconds{ms}});
}

// An event of case `case_ref` (personal data in it); `anytime` sends it at any hour.
std::string event(const std::string& id, const std::string& case_ref,
                  const std::string& occurred_at, bool anytime) {
  return R"({"id":")" + id + R"(","case_ref":")" + case_ref +
         R"(","status":"case_update","occurred_at":")" + occurred_at +
         R"(","recipient":{"name":"Siobhan Featherstonehaugh","email":"siobhan.f@example.org")" +
         (anytime ? R"(,"contact_anytime":true)" : "") + "}}";
}

void expect_no_personal_data(const std::string& text) {
  for (const char* personal : {"Siobhan", "Featherstonehaugh", "siobhan.f@"})
    EXPECT_EQ(text.find(personal), std::string::npos) << personal << " in\n" << text;
}

// A contact window of one hour, six hours from now (UTC): what is not `contact_anytime` is
// deferred to its start, which this returns.
struct Window {
  std::string yaml;
  std::int64_t next_start_ms;
};
Window window_away_from_now() {
  const std::int64_t now = now_ms();
  const std::int64_t today = now / kDay * kDay;
  const int hour = static_cast<int>((now - today) / kHour);
  const int start = (hour + 6) % 24;
  char text[96];
  std::snprintf(text, sizeof text, "  window: { start: \"%02d:00\", end: \"%02d:00\" }\n", start,
                start + 1);
  const std::int64_t start_ms = today + start * kHour;
  return {text, start_ms > now ? start_ms : start_ms + kDay};
}

std::string config_with_window(const RedisServer& redis, const Window& window) {
  auto text = service_config(redis, "{ type: file, directory: outbox }");
  const std::string contact = "contact:\n  timezone: Europe/London\n";
  text.replace(text.find(contact), contact.size(), "contact:\n  timezone: Etc/UTC\n" + window.yaml);
  return text;
}

long long xlen(RedisServer& redis, const std::string& key) {
  return redis.command({"XLEN", key}).integer;
}

TEST(OperatorCli, StatusShowsTheTimelineAndOpenNotificationsOfACaseWithoutPersonalData) {
  RedisServer redis;
  TestDir dir;
  const auto window = window_away_from_now();
  dir.write("herald.yaml", config_with_window(redis, window));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  const auto cfg = dir.path("herald.yaml");
  HeraldProcess herald({"run", "--config", cfg});
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();

  // Case 1: sent at once, then a newer status deferred to the window; case 2: deferred.
  redis.command({"XADD", "herald:events", "*", "event",
                 event("evt-s1", "GWF900000101", "2026-11-23T08:00:00Z", true)});
  ASSERT_TRUE(eventually([&] { return outcomes(redis).size() == 1; }, 20s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event",
                 event("evt-s2", "GWF900000101", "2026-11-23T09:00:00Z", false)});
  redis.command({"XADD", "herald:events", "*", "event",
                 event("evt-s3", "GWF900000102", "2026-11-23T09:00:00Z", false)});
  ASSERT_TRUE(eventually([&] { return outcomes(redis).size() == 3; }, 20s)) << herald.log();

  auto json = run_herald({"status", "GWF900000101", "--json", "--config", cfg});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  expect_no_personal_data(json.out);
  const auto doc = boost::json::parse(json.out).as_object();
  EXPECT_EQ(doc.at("case_ref").as_string(), "GWF900000101");
  const auto& latest = doc.at("latest").as_object();
  EXPECT_EQ(latest.at("event_id").as_string(), "evt-s2");
  EXPECT_EQ(latest.at("status").as_string(), "case_update");
  EXPECT_EQ(latest.at("occurred_at").as_string(), "2026-11-23T09:00:00Z");
  EXPECT_FALSE(latest.at("final").as_bool());

  const auto& timeline = doc.at("timeline").as_array();
  ASSERT_EQ(timeline.size(), 2u) << json.out;
  EXPECT_EQ(timeline[0].at("event_id").as_string(), "evt-s1");
  EXPECT_EQ(timeline[0].at("result").as_string(), "sent");
  EXPECT_EQ(timeline[1].at("event_id").as_string(), "evt-s2");
  EXPECT_EQ(timeline[1].at("result").as_string(), "deferred");
  EXPECT_EQ(timeline[1].at("channel").as_string(), "email");

  const auto& open = doc.at("open").as_array();
  ASSERT_EQ(open.size(), 2u) << json.out;
  const auto& sent = open[0].as_object();
  EXPECT_EQ(sent.at("notification_id").as_string(), "evt-s1:email");
  EXPECT_EQ(sent.at("state").as_string(), "sent") << "sent, awaiting a receipt";
  EXPECT_TRUE(sent.at("due").is_null());
  EXPECT_TRUE(sent.at("sent_at").is_string());
  const auto& deferred = open[1].as_object();
  EXPECT_EQ(deferred.at("notification_id").as_string(), "evt-s2:email");
  EXPECT_EQ(deferred.at("event_id").as_string(), "evt-s2");
  EXPECT_EQ(deferred.at("state").as_string(), "deferred");
  EXPECT_EQ(deferred.at("channel").as_string(), "email");
  EXPECT_EQ(deferred.at("attempt").as_int64(), 1);
  EXPECT_EQ(deferred.at("why").as_string(), "window");
  EXPECT_EQ(deferred.at("due").as_string(), rfc3339(window.next_start_ms));

  auto table = run_herald({"status", "GWF900000101", "--config", cfg});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  expect_no_personal_data(table.out);
  for (const std::string& expected :
       std::vector<std::string>{"latest status case_update", "evt-s2:email", "deferred", "window",
                                "evt-s1:email", "awaiting receipt", rfc3339(window.next_start_ms)})
    EXPECT_NE(table.out.find(expected), std::string::npos) << expected << " not in\n" << table.out;
  const auto timeline_at = table.out.find("timeline");
  EXPECT_LT(table.out.find("evt-s1", timeline_at), table.out.find("evt-s2", timeline_at))
      << "oldest first:\n"
      << table.out;

  auto unknown = run_herald({"status", "GWF000000000", "--config", cfg});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("not found"), std::string::npos) << unknown.err;
  EXPECT_TRUE(unknown.out.empty()) << unknown.out;
  EXPECT_EQ(run_herald({"status", "--config", cfg}).exit_code, 2) << "CASE_REF is required";
  // Not a case reference: it would name another of the case's keys (its open set).
  auto other_key = run_herald({"status", "GWF900000101:n", "--config", cfg});
  EXPECT_EQ(other_key.exit_code, 2) << other_key.err;
  EXPECT_NE(other_key.err.find("CASE_REF must be"), std::string::npos) << other_key.err;

  // What is waiting: the two deferred notifications, in the window's first hour.
  auto scheduled = run_herald({"scheduled", "--json", "--config", cfg});
  ASSERT_EQ(scheduled.exit_code, 0) << scheduled.err;
  const auto summary = boost::json::parse(scheduled.out).as_object();
  EXPECT_EQ(summary.at("total").as_int64(), 2);
  EXPECT_EQ(summary.at("overdue").as_int64(), 0);
  EXPECT_TRUE(summary.at("oldest_overdue").is_null());
  EXPECT_EQ(summary.at("by_reason").at("window").as_int64(), 2);
  EXPECT_EQ(summary.at("by_reason").at("sending").as_int64(), 0);
  const auto& hours = summary.at("by_hour").as_array();
  ASSERT_EQ(hours.size(), 1u) << scheduled.out;
  EXPECT_EQ(hours[0].at("hour").as_string(), rfc3339(window.next_start_ms));
  EXPECT_EQ(hours[0].at("count").as_int64(), 2);

  // Every key herald wrote expires, except the schedule and the records still in it.
  const std::set<std::string> kept{"{herald}:schedule:email", "{herald}:schedule:why",
                                   "{herald}:n:evt-s2:email", "{herald}:n:evt-s3:email"};
  std::size_t checked = 0;
  for (const auto& key : redis.command({"KEYS", "{herald}:*"}).elements) {
    const auto ttl = redis.command({"PTTL", key.str}).integer;
    if (kept.count(key.str))
      EXPECT_EQ(ttl, -1) << key.str;
    else
      EXPECT_GT(ttl, 29 * kDay) << key.str << " has no expiry";
    ++checked;
  }
  EXPECT_GE(checked, kept.size() + 4) << "records, case hashes, open sets and timelines";

  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
}

// Adds `count` members of `channel` due within the hour starting at `hour_ms`.
void add_in_hour(RedisServer& redis, std::int64_t hour_ms, int count, const std::string& tag,
                 const std::string& channel) {
  std::vector<std::string> args{"ZADD", "{herald}:schedule:" + channel};
  for (int i = 0; i < count; ++i) {
    args.push_back(std::to_string(hour_ms + (kHour - 1) * i / count));
    args.push_back(tag + std::to_string(i) + ":" + channel);
  }
  redis.command(args);
}

TEST(OperatorCli, ScheduledCountsALargeScheduleByHourAndReason) {
  RedisServer redis;
  TestDir dir;
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox }"));
  const auto cfg = dir.path("herald.yaml");
  const std::int64_t now = now_ms();
  const std::int64_t next_hour = now / kHour * kHour + kHour;
  const std::int64_t oldest = now - 3 * kHour - 5 * 60'000;
  const std::int64_t recent = now - 10 * 60'000;
  add_in_hour(redis, next_hour, 40'000, "a", "email");
  add_in_hour(redis, next_hour, 10'000, "a", "sms");  // each channel has its own schedule
  add_in_hour(redis, next_hour + 2 * kHour, 30'000, "b", "sms");  // an empty hour in between
  add_in_hour(redis, next_hour + 5 * kHour, 20'000, "c", "email");
  redis.command({"ZADD", "{herald}:schedule:email", std::to_string(oldest), "late-1:email"});
  redis.command({"ZADD", "{herald}:schedule:sms", std::to_string(recent), "late-2:sms"});
  redis.command({"HSET", "{herald}:schedule:why", "window", "99990", "retry", "10", "next_attempt",
                 "2", "unavailable", "0"});

  auto json = run_herald({"scheduled", "--json", "--config", cfg});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto doc = boost::json::parse(json.out).as_object();
  EXPECT_EQ(doc.at("total").as_int64(), 100'002);
  EXPECT_EQ(doc.at("overdue").as_int64(), 2);
  const auto& late = doc.at("oldest_overdue").as_object();
  EXPECT_EQ(late.at("due").as_string(), rfc3339(oldest));
  EXPECT_GE(late.at("age_seconds").as_int64(), 3 * 3600 + 5 * 60);
  EXPECT_LT(late.at("age_seconds").as_int64(), 3 * 3600 + 5 * 60 + 600);
  const auto& email = doc.at("by_channel").at("email").as_object();
  EXPECT_EQ(email.at("total").as_int64(), 60'001);
  EXPECT_EQ(email.at("overdue").as_int64(), 1);
  EXPECT_EQ(email.at("oldest_overdue").at("due").as_string(), rfc3339(oldest));
  const auto& sms = doc.at("by_channel").at("sms").as_object();
  EXPECT_EQ(sms.at("total").as_int64(), 40'001);
  EXPECT_EQ(sms.at("overdue").as_int64(), 1);
  EXPECT_EQ(sms.at("oldest_overdue").at("due").as_string(), rfc3339(recent));
  const auto& reasons = doc.at("by_reason").as_object();
  EXPECT_EQ(reasons.at("window").as_int64(), 99'990);
  EXPECT_EQ(reasons.at("retry").as_int64(), 10);
  EXPECT_EQ(reasons.at("next_attempt").as_int64(), 2);
  EXPECT_EQ(reasons.at("unavailable").as_int64(), 0);
  EXPECT_EQ(reasons.at("sending").as_int64(), 0);

  const std::vector<std::pair<std::int64_t, std::int64_t>> expected{
      {oldest / kHour * kHour, 1},
      {recent / kHour * kHour, 1},
      {next_hour, 50'000},
      {next_hour + 2 * kHour, 30'000},
      {next_hour + 5 * kHour, 20'000}};
  const auto& hours = doc.at("by_hour").as_array();
  ASSERT_EQ(hours.size(), expected.size()) << json.out;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(hours[i].at("hour").as_string(), rfc3339(expected[i].first)) << i;
    EXPECT_EQ(hours[i].at("count").as_int64(), expected[i].second) << i;
  }

  auto table = run_herald({"scheduled", "--config", cfg});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const std::string& text : std::vector<std::string>{
           "100002 scheduled", "2 overdue", "the oldest for 3h ",
           rfc3339(next_hour + 5 * kHour) + "  20000", "retry", "email    60001  1        3h "})
    EXPECT_NE(table.out.find(text), std::string::npos) << text << " not in\n" << table.out;

  redis.stop();
  auto down = run_herald({"scheduled", "--config", cfg});
  EXPECT_EQ(down.exit_code, 1) << down.err;
  EXPECT_NE(down.err.find("cannot connect"), std::string::npos) << down.err;
}

// A case reference may start with '-' (as events allow); on the command line it goes after '--',
// and the error for one given without says so.
TEST(OperatorCli, StatusOfACaseRefStartingWithADashIsAskedAfterTwoDashes) {
  RedisServer redis;
  TestDir dir;
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox }"));
  const auto cfg = dir.path("herald.yaml");
  auto plain = run_herald({"status", "-ABC", "--config", cfg});
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_NE(plain.err.find("goes after '--'"), std::string::npos) << plain.err;
  auto dashed = run_herald({"status", "--config", cfg, "--", "-ABC"});
  EXPECT_EQ(dashed.exit_code, 2);
  EXPECT_NE(dashed.err.find("case not found"), std::string::npos) << dashed.err;
  auto option = run_herald({"status", "GWF1", "--no-such-option", "--config", cfg});
  EXPECT_EQ(option.err.find("goes after"), std::string::npos) << "no hint for a long option";
}

// After an upgrade from herald 0.1.0, and before 0.2.0 first starts, the waiting notifications
// are still in the old single schedule: an operator checking what waits is told so, not shown an
// empty schedule.
TEST(OperatorCli, ScheduledNamesWhatWaitsInTheScheduleOfHerald010) {
  RedisServer redis;
  TestDir dir;
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox }"));
  const auto cfg = dir.path("herald.yaml");
  const std::int64_t later = now_ms() + kHour;
  redis.command({"ZADD", "{herald}:schedule", std::to_string(later), "old-1:email",
                 std::to_string(later), "old-2:sms", std::to_string(later), "old-3:email"});
  redis.command({"ZADD", "{herald}:schedule:sms", std::to_string(later), "new-1:sms"});

  auto json = run_herald({"scheduled", "--json", "--config", cfg});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto doc = boost::json::parse(json.out).as_object();
  EXPECT_EQ(doc.at("unmoved").as_int64(), 3);
  EXPECT_EQ(doc.at("total").as_int64(), 1) << "the channels' schedules only";

  auto table = run_herald({"scheduled", "--config", cfg});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("3 more in the schedule of herald 0.1.0"), std::string::npos)
      << table.out;

  redis.command({"DEL", "{herald}:schedule"});
  table = run_herald({"scheduled", "--config", cfg});
  EXPECT_EQ(table.out.find("herald 0.1.0"), std::string::npos) << "said only when there are any";
}

// The production config names its gateway secrets through LoadCredential= or EnvironmentFile=,
// which exist only inside the service. The operator commands, run from a shell with that same
// config, resolved those secrets too and failed with exit 2 ("environment variable ... is not
// set"), so they could not be used at all; they read only Redis, so they read only `redis`.
TEST(OperatorCli, CommandsThatReadOnlyRedisDoNotNeedTheGatewaysSecrets) {
  RedisServer redis;
  TestDir dir;
  ::unsetenv("HERALD_TEST_UNSET_NOTIFY_KEY");
  dir.write("herald.yaml",
            service_config(redis,
                           "{ type: govuk_notify, api_key: \"${HERALD_TEST_UNSET_NOTIFY_KEY}\","
                           " templates: { case_update: { en: abc } } }",
                           "callbacks:\n  listen: 127.0.0.1:0\n  token_file: no-such-token\n"));
  const auto cfg = dir.path("herald.yaml");
  auto check = run_herald({"check-config", "--config", cfg});
  ASSERT_EQ(check.exit_code, 2) << "the config does need its secrets to run";
  EXPECT_NE(check.err.find("HERALD_TEST_UNSET_NOTIFY_KEY is not set"), std::string::npos)
      << check.err;

  redis.command(
      {"ZADD", "{herald}:schedule:email", std::to_string(now_ms() + kHour), "evt-x:email"});
  auto scheduled = run_herald({"scheduled", "--config", cfg});
  EXPECT_EQ(scheduled.exit_code, 0) << scheduled.err;
  EXPECT_NE(scheduled.out.find("1 scheduled"), std::string::npos) << scheduled.out;
  auto dead = run_herald({"dead", "list", "--config", cfg});
  EXPECT_EQ(dead.exit_code, 0) << dead.err;
  auto status = run_herald({"status", "GWF000000001", "--config", cfg});
  EXPECT_EQ(status.err.find("is not set"), std::string::npos) << status.err;
  EXPECT_NE(status.err.find("case not found"), std::string::npos) << status.err;

  // Still checked: what these commands do read.
  dir.write("herald.yaml", "redis:\n  url: not-a-url\n");
  auto bad = run_herald({"scheduled", "--config", cfg});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("redis.url"), std::string::npos) << bad.err;
}

std::vector<std::string> ids(RedisServer& redis, const std::string& stream) {
  std::vector<std::string> out;
  for (const auto& e : redis.command({"XRANGE", stream, "-", "+"}).elements)
    out.push_back(e.elements.at(0).str);
  return out;
}

TEST(OperatorCli, RunTrimsOutcomesAndDeadLettersOlderThanTheRetentionPeriod) {
  RedisServer redis;
  TestDir dir;
  dir.write("templates/case_update.yaml", kEmailTemplate);
  const std::int64_t now = now_ms();
  const std::string days40 = std::to_string(now - 40 * kDay) + "-0";
  const std::string days31 = std::to_string(now - 31 * kDay) + "-0";
  const std::string days29 = std::to_string(now - 29 * kDay) + "-0";
  for (const std::string stream : {"herald:outcomes", "herald:dead"}) {
    for (const auto& id : {days40, days31, days29})
      redis.command({"XADD", stream, id, "outcome", "{}"});
    redis.command({"XADD", stream, "*", "outcome", "{}"});
  }
  const auto recent_outcome = ids(redis, "herald:outcomes").back();
  const auto recent_dead = ids(redis, "herald:dead").back();

  // retention.days 35: only the 40-day-old entries go, at start.
  dir.write("herald.yaml",
            service_config(redis, "{ type: file, directory: outbox }", "retention:\n  days: 35\n"));
  {
    HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
    ASSERT_TRUE(
        herald.wait_for_log("msg=\"trimmed streams past retention\" outcomes=1 "
                            "dead_letters=1 days=35",
                            20s))
        << herald.log();
    EXPECT_EQ(ids(redis, "herald:outcomes"),
              (std::vector<std::string>{days31, days29, recent_outcome}));
    EXPECT_EQ(ids(redis, "herald:dead"), (std::vector<std::string>{days31, days29, recent_dead}));
    herald.signal(SIGTERM);
    EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
  }

  // The default, 30 days: the 31-day-old entries go too; the 29-day-old and recent ones stay.
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox }"));
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  ASSERT_TRUE(herald.wait_for_log("msg=\"trimmed streams past retention\" outcomes=1", 20s))
      << herald.log();
  EXPECT_EQ(ids(redis, "herald:outcomes"), (std::vector<std::string>{days29, recent_outcome}));
  EXPECT_EQ(ids(redis, "herald:dead"), (std::vector<std::string>{days29, recent_dead}));
  // What herald writes now is kept.
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-r1")});
  ASSERT_TRUE(eventually([&] { return xlen(redis, "herald:outcomes") == 3; }, 20s)) << herald.log();
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
}

}  // namespace
}  // namespace herald::test
