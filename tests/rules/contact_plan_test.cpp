// CONTRACT.md section 5, table by table, then as properties over random zones, dates and configs.
#include "herald/rules/contact_plan.hpp"

#include <map>
#include <random>
#include <set>

#include <date/tz.h>
#include <gtest/gtest.h>

#include "herald/core/time_format.hpp"

namespace herald {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// "2026-11-23T12:00" (UTC) as an instant.
Instant utc(const std::string& text) {
  auto t = parse_rfc3339(text + ":00Z");
  if (!t) throw std::invalid_argument("bad test time " + text);
  return *t;
}

ContactPolicy policy(const std::string& zone, ContactWindow window = {}, int per_day = 3,
                     int days = 3) {
  ContactPolicy p;
  p.timezone = date::locate_zone(zone);
  p.window = window;
  p.max_attempts_per_day = per_day;
  p.max_days = days;
  return p;
}

std::string at_text(const PlanDecision& d) {
  return d.at ? format_rfc3339(*d.at) : "-";
}

// ---------------------------------------------------------------------------------------------
// First attempts: now if the window is open on the recipient's local date, else the next start.

struct FirstAttemptCase {
  const char* zone;
  const char* now;       // UTC
  const char* expected;  // UTC instant of the attempt, "now" for send
};

class FirstAttempt : public ::testing::TestWithParam<FirstAttemptCase> {};

TEST_P(FirstAttempt, GoesNowInsideTheWindowElseAtTheNextWindowStart) {
  const auto& c = GetParam();
  const auto now = utc(c.now);
  const auto d = plan_attempt(now, policy(c.zone), {});
  if (std::string(c.expected) == "now") {
    EXPECT_EQ(d.action, PlanAction::send) << d.reason;
    EXPECT_EQ(at_text(d), format_rfc3339(now));
  } else {
    EXPECT_EQ(d.action, PlanAction::defer) << d.reason;
    EXPECT_EQ(at_text(d), format_rfc3339(utc(c.expected))) << d.reason;
  }
  EXPECT_FALSE(d.reason.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Zones, FirstAttempt,
    ::testing::Values(
        // London in winter (GMT) and summer (BST).
        FirstAttemptCase{"Europe/London", "2026-11-23T12:00", "now"},
        FirstAttemptCase{"Europe/London", "2026-11-23T09:00", "now"},
        FirstAttemptCase{"Europe/London", "2026-11-23T08:59", "2026-11-23T09:00"},
        FirstAttemptCase{"Europe/London", "2026-11-23T19:59", "now"},
        FirstAttemptCase{"Europe/London", "2026-11-23T20:00", "2026-11-24T09:00"},
        FirstAttemptCase{"Europe/London", "2026-11-23T21:30", "2026-11-24T09:00"},
        FirstAttemptCase{"Europe/London", "2026-11-23T23:59", "2026-11-24T09:00"},
        FirstAttemptCase{"Europe/London", "2026-11-24T00:00", "2026-11-24T09:00"},
        FirstAttemptCase{"Europe/London", "2026-07-01T07:30", "2026-07-01T08:00"},
        FirstAttemptCase{"Europe/London", "2026-07-01T18:59", "now"},
        FirstAttemptCase{"Europe/London", "2026-07-01T19:00", "2026-07-02T08:00"},
        // London's DST days: 09:00 is 08:00Z from 29 March, 09:00Z again from 25 October.
        FirstAttemptCase{"Europe/London", "2026-03-29T00:30", "2026-03-29T08:00"},
        FirstAttemptCase{"Europe/London", "2026-03-28T20:30", "2026-03-29T08:00"},
        FirstAttemptCase{"Europe/London", "2026-10-25T00:30", "2026-10-25T09:00"},
        FirstAttemptCase{"Europe/London", "2026-10-24T19:30", "2026-10-25T09:00"},
        // Nepal, +05:45.
        FirstAttemptCase{"Asia/Kathmandu", "2026-11-23T03:15", "now"},
        FirstAttemptCase{"Asia/Kathmandu", "2026-11-23T03:14", "2026-11-23T03:15"},
        FirstAttemptCase{"Asia/Kathmandu", "2026-11-23T14:14", "now"},
        FirstAttemptCase{"Asia/Kathmandu", "2026-11-23T14:15", "2026-11-24T03:15"},
        // Chatham Islands, +13:45 in their summer, +12:45 in winter.
        FirstAttemptCase{"Pacific/Chatham", "2026-11-23T12:00", "2026-11-23T19:15"},
        FirstAttemptCase{"Pacific/Chatham", "2026-11-23T19:15", "now"},
        FirstAttemptCase{"Pacific/Chatham", "2026-07-01T12:00", "2026-07-01T20:15"},
        // Chatham's DST days (5 April 2026 ends it, 27 September starts it).
        FirstAttemptCase{"Pacific/Chatham", "2026-04-04T12:00", "2026-04-04T20:15"},
        FirstAttemptCase{"Pacific/Chatham", "2026-09-26T12:00", "2026-09-26T19:15"},
        // Lord Howe Island: a half-hour DST shift, +11 in summer, +10:30 in winter.
        FirstAttemptCase{"Australia/Lord_Howe", "2026-11-23T12:00", "2026-11-23T22:00"},
        FirstAttemptCase{"Australia/Lord_Howe", "2026-07-01T12:00", "2026-07-01T22:30"},
        FirstAttemptCase{"Australia/Lord_Howe", "2026-04-04T12:00", "2026-04-04T22:30"},
        FirstAttemptCase{"Australia/Lord_Howe", "2026-10-03T12:00", "2026-10-03T22:00"},
        // Kiritimati, +14: the recipient is already on tomorrow's date.
        FirstAttemptCase{"Pacific/Kiritimati", "2026-11-23T12:00", "2026-11-23T19:00"},
        FirstAttemptCase{"Pacific/Kiritimati", "2026-11-23T19:00", "now"},
        FirstAttemptCase{"Pacific/Kiritimati", "2026-11-24T05:59", "now"},
        FirstAttemptCase{"Pacific/Kiritimati", "2026-11-24T06:00", "2026-11-24T19:00"},
        // Newfoundland, -03:30 in winter, -02:30 in summer.
        FirstAttemptCase{"America/St_Johns", "2026-11-23T12:00", "2026-11-23T12:30"},
        FirstAttemptCase{"America/St_Johns", "2026-11-23T12:30", "now"},
        FirstAttemptCase{"America/St_Johns", "2026-07-01T11:00", "2026-07-01T11:30"},
        // Sydney: southern-hemisphere DST (ends 5 April, starts 4 October 2026).
        FirstAttemptCase{"Australia/Sydney", "2026-11-23T09:30", "2026-11-23T22:00"},
        FirstAttemptCase{"Australia/Sydney", "2026-04-04T12:00", "2026-04-04T23:00"},
        FirstAttemptCase{"Australia/Sydney", "2026-10-03T12:00", "2026-10-03T22:00"},
        // New York's DST days.
        FirstAttemptCase{"America/New_York", "2026-03-08T05:00", "2026-03-08T13:00"},
        FirstAttemptCase{"America/New_York", "2026-11-01T05:00", "2026-11-01T14:00"},
        // Samoa, +13, and Honolulu, -10: either side of the date line.
        FirstAttemptCase{"Pacific/Apia", "2026-11-23T19:59", "2026-11-23T20:00"},
        FirstAttemptCase{"Pacific/Honolulu", "2026-11-23T19:00", "now"},
        FirstAttemptCase{"Pacific/Honolulu", "2026-11-24T06:00", "2026-11-24T19:00"}));

TEST(FirstAttempt, ContactAnytimeSendsAtAnyHour) {
  auto p = policy("Europe/London");
  p.contact_anytime = true;
  for (auto t : {"2026-11-23T03:00", "2026-11-23T23:59", "2026-03-29T01:00"}) {
    const auto d = plan_attempt(utc(t), p, {});
    EXPECT_EQ(d.action, PlanAction::send) << t;
  }
}

TEST(FirstAttempt, PerChannelWindowIsHonoured) {
  const auto p = policy("Europe/London", {10h, 18h});
  EXPECT_EQ(at_text(plan_attempt(utc("2026-11-23T09:30"), p, {})), "2026-11-23T10:00:00Z");
  EXPECT_EQ(at_text(plan_attempt(utc("2026-11-23T18:00"), p, {})), "2026-11-24T10:00:00Z");
}

TEST(FirstAttempt, WindowStartInsideADstGapIsTheFirstInstantAfterTheGap) {
  // 01:30 does not exist in London on 29 March 2026 (01:00 GMT jumps to 02:00 BST = 01:00Z).
  const auto p = policy("Europe/London", {90min, 20h});
  EXPECT_EQ(at_text(plan_attempt(utc("2026-03-29T00:10"), p, {})), "2026-03-29T01:00:00Z");
}

TEST(FirstAttempt, AWindowSwallowedByADstGapMovesToTheNextDay) {
  // 01:00-01:45 local does not exist in London on 29 March 2026.
  const auto p = policy("Europe/London", {60min, 105min});
  const auto d = plan_attempt(utc("2026-03-28T23:00"), p, {});
  EXPECT_EQ(at_text(d), "2026-03-30T00:00:00Z") << d.reason;  // 01:00 BST on the 30th
}

TEST(FirstAttempt, WindowStartInAnOverlapIsItsFirstOccurrence) {
  // 01:30 happens twice in London on 25 October 2026: 00:30Z (BST) and 01:30Z (GMT).
  const auto p = policy("Europe/London", {90min, 20h});
  EXPECT_EQ(at_text(plan_attempt(utc("2026-10-25T00:00"), p, {})), "2026-10-25T00:30:00Z");
}

TEST(FirstAttempt, ReasonCarriesNoDataButTheRule) {
  const auto d = plan_attempt(utc("2026-11-23T21:30"), policy("Europe/London"), {});
  EXPECT_NE(d.reason.find("09:00-20:00 Europe/London"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("2026-11-24T09:00"), std::string::npos) << d.reason;
}

// ---------------------------------------------------------------------------------------------
// Later attempts: last failure + spacing, the daily cap, giving up.

struct RetryCase {
  const char* name;
  const char* zone;
  std::vector<const char*> failures;  // UTC
  const char* now;                    // UTC
  const char* expected;               // UTC, "now", or "give_up"
  int per_day = 3;
  int days = 3;
};

class Retry : public ::testing::TestWithParam<RetryCase> {};

TEST_P(Retry, FollowsSection5) {
  const auto& c = GetParam();
  std::vector<Instant> failed;
  for (auto f : c.failures) failed.push_back(utc(f));
  const auto now = utc(c.now);
  const auto d = plan_attempt(now, policy(c.zone, {}, c.per_day, c.days), failed);
  const std::string expected = c.expected;
  if (expected == "give_up") {
    EXPECT_EQ(d.action, PlanAction::give_up) << d.reason;
    EXPECT_FALSE(d.at);
  } else if (expected == "now") {
    EXPECT_EQ(d.action, PlanAction::send) << d.reason;
    EXPECT_EQ(at_text(d), format_rfc3339(now));
  } else {
    EXPECT_EQ(d.action, PlanAction::defer) << d.reason;
    EXPECT_EQ(at_text(d), format_rfc3339(utc(c.expected))) << d.reason;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Section5, Retry,
    ::testing::Values(
        RetryCase{"second_at_spacing",
                  "Europe/London",
                  {"2026-11-23T09:00"},
                  "2026-11-23T09:01",
                  "2026-11-23T12:40"},
        RetryCase{"third_at_spacing",
                  "Europe/London",
                  {"2026-11-23T09:00", "2026-11-23T12:40"},
                  "2026-11-23T12:41",
                  "2026-11-23T16:20"},
        RetryCase{"cap_reached_next_day",
                  "Europe/London",
                  {"2026-11-23T09:00", "2026-11-23T12:40", "2026-11-23T16:20"},
                  "2026-11-23T16:21",
                  "2026-11-24T09:00"},
        RetryCase{"spacing_past_window_end",
                  "Europe/London",
                  {"2026-11-23T17:00"},
                  "2026-11-23T17:01",
                  "2026-11-24T09:00"},
        RetryCase{"spacing_exactly_at_window_end",
                  "Europe/London",
                  {"2026-11-23T16:20"},
                  "2026-11-23T16:21",
                  "2026-11-24T09:00"},
        RetryCase{"overdue_goes_now_when_open",
                  "Europe/London",
                  {"2026-11-23T09:00"},
                  "2026-11-23T15:00",
                  "now"},
        RetryCase{"overdue_after_hours_waits_for_window",
                  "Europe/London",
                  {"2026-11-23T09:00"},
                  "2026-11-23T22:00",
                  "2026-11-24T09:00"},
        RetryCase{"daemon_down_for_two_days",
                  "Europe/London",
                  {"2026-11-23T09:00"},
                  "2026-11-25T11:00",
                  "now"},
        RetryCase{"give_up_after_three_full_days",
                  "Europe/London",
                  {"2026-11-23T09:00", "2026-11-23T12:40", "2026-11-23T16:20", "2026-11-24T09:00",
                   "2026-11-24T12:40", "2026-11-24T16:20", "2026-11-25T09:00", "2026-11-25T12:40",
                   "2026-11-25T16:20"},
                  "2026-11-25T16:21",
                  "give_up"},
        RetryCase{"give_up_when_late_failures_push_past_the_last_day",
                  "Europe/London",
                  {"2026-11-23T17:00", "2026-11-24T17:00", "2026-11-25T17:00"},
                  "2026-11-25T17:01",
                  "give_up"},
        RetryCase{"third_day_not_finished",
                  "Europe/London",
                  {"2026-11-23T17:00", "2026-11-24T17:00", "2026-11-25T09:00"},
                  "2026-11-25T09:01",
                  "2026-11-25T12:40"},
        RetryCase{"one_day_only",
                  "Europe/London",
                  {"2026-11-23T09:00", "2026-11-23T12:40", "2026-11-23T16:20"},
                  "2026-11-23T16:21",
                  "give_up",
                  3,
                  1},
        RetryCase{"one_attempt_a_day",
                  "Europe/London",
                  {"2026-11-23T09:00"},
                  "2026-11-23T09:01",
                  "2026-11-24T09:00",
                  1,
                  3},
        RetryCase{"five_a_day_spacing_2h12",
                  "Europe/London",
                  {"2026-11-23T09:00"},
                  "2026-11-23T09:01",
                  "2026-11-23T11:12",
                  5,
                  3},
        // Across London's spring-forward: the next window opens at 09:00 BST, 08:00Z.
        RetryCase{"cap_reached_before_spring_forward",
                  "Europe/London",
                  {"2026-03-28T09:00", "2026-03-28T12:40", "2026-03-28T16:20"},
                  "2026-03-28T16:21",
                  "2026-03-29T08:00"},
        RetryCase{"spacing_on_spring_forward_day",
                  "Europe/London",
                  {"2026-03-29T08:00"},
                  "2026-03-29T08:01",
                  "2026-03-29T11:40"},
        // Across Sydney's autumn DST end: 16:20 AEDT is 05:20Z; the next 09:00 is AEST, 23:00Z.
        RetryCase{"cap_reached_before_sydney_dst_end",
                  "Australia/Sydney",
                  {"2026-04-03T22:00", "2026-04-04T01:40", "2026-04-04T05:20"},
                  "2026-04-04T05:21",
                  "2026-04-04T23:00"},
        // Kathmandu: 09:00 is 03:15Z, spacing 3h40.
        RetryCase{"kathmandu_second",
                  "Asia/Kathmandu",
                  {"2026-11-23T03:15"},
                  "2026-11-23T03:16",
                  "2026-11-23T06:55"},
        // Chatham (+13:45): a failure at 18:45 local (05:00Z) plus 3h40 is past 20:00, so the
        // next attempt is 09:00 on the next local day, which is still the 23rd in UTC.
        RetryCase{"chatham_late_failure",
                  "Pacific/Chatham",
                  {"2026-11-23T05:00"},
                  "2026-11-23T05:01",
                  "2026-11-23T19:15"},
        // Kiritimati: days counted on the recipient's date, not UTC's.
        RetryCase{"kiritimati_cap_by_local_day",
                  "Pacific/Kiritimati",
                  {"2026-11-23T19:00", "2026-11-23T22:40", "2026-11-24T02:20"},
                  "2026-11-24T02:21",
                  "2026-11-24T19:00"},
        // Lord Howe spring-forward by 30 minutes (4 October 2026): 09:00 is 22:00Z from then.
        RetryCase{"lord_howe_across_dst_start",
                  "Australia/Lord_Howe",
                  {"2026-10-02T22:30", "2026-10-03T02:10", "2026-10-03T05:50"},
                  "2026-10-03T05:51",
                  "2026-10-03T22:00"},
        // St John's: the first attempt at 12:30Z, the third at 19:50Z, then the next day.
        RetryCase{"st_johns_cap",
                  "America/St_Johns",
                  {"2026-11-23T12:30", "2026-11-23T16:10", "2026-11-23T19:50"},
                  "2026-11-23T19:51",
                  "2026-11-24T12:30"},
        // CONTRACT.md section 5 to the letter: last failure + spacing outside that day's window
        // means the next day's window start, also when it falls before the window opened (an
        // attempt made under an earlier, wider window, before a reload).
        RetryCase{"failure_before_the_window_waits_for_the_next_days_window",
                  "Europe/London",
                  {"2026-11-23T04:00"},
                  "2026-11-23T04:01",
                  "2026-11-24T09:00"},
        // Failures given out of order are sorted.
        RetryCase{"unsorted_failures",
                  "Europe/London",
                  {"2026-11-23T12:40", "2026-11-23T09:00"},
                  "2026-11-23T12:41",
                  "2026-11-23T16:20"}),
    [](const ::testing::TestParamInfo<RetryCase>& info) { return std::string(info.param.name); });

// Consent to contact at any hour makes the window the whole day. A failure at 20:00 plus the
// 8-hour spacing is past that day's window, so by CONTRACT.md section 5 the next attempt is the
// next day's window start: midnight.
TEST(Retry, ContactAnytimeRetriesALateFailureAtTheNextDaysStart) {
  auto p = policy("Europe/London");
  p.contact_anytime = true;
  const std::vector<Instant> failed{utc("2026-11-23T20:00")};
  const auto d = plan_attempt(utc("2026-11-23T20:01"), p, failed);
  EXPECT_EQ(d.action, PlanAction::defer) << d.reason;
  EXPECT_EQ(at_text(d), format_rfc3339(utc("2026-11-24T00:00"))) << d.reason;
}

TEST(Retry, GiveUpReasonCountsAttemptsAndDays) {
  std::vector<Instant> failed{utc("2026-11-23T17:00"), utc("2026-11-24T17:00"),
                              utc("2026-11-25T17:00")};
  const auto d = plan_attempt(utc("2026-11-25T17:01"), policy("Europe/London"), failed);
  ASSERT_EQ(d.action, PlanAction::give_up);
  EXPECT_EQ(d.reason, "gave up: 3 failed attempts over 3 local days");
}

// ---------------------------------------------------------------------------------------------
// Unavailable periods.

TEST(Unavailable, NoAttemptInsideAPeriod) {
  auto p = policy("Europe/London");
  std::vector<UnavailablePeriod> periods{{utc("2026-11-23T10:00"), utc("2026-11-23T14:00")}};
  p.unavailable = periods;
  const auto d = plan_attempt(utc("2026-11-23T12:00"), p, {});
  EXPECT_EQ(d.action, PlanAction::defer);
  EXPECT_EQ(at_text(d), "2026-11-23T14:00:00Z");
  EXPECT_NE(d.reason.find("unavailable"), std::string::npos) << d.reason;
}

// The reason said the end twice, and to the minute only: "until 2026-11-23T14:24 local
// (2026-11-23T14:24 local)" for a period ending at 14:24:29.
TEST(Unavailable, TheReasonGivesTheEndOnceAndToTheSecond) {
  auto p = policy("Europe/London");
  std::vector<UnavailablePeriod> periods{
      {utc("2026-11-23T10:00"), utc("2026-11-23T14:24") + std::chrono::seconds{29}}};
  p.unavailable = periods;
  auto d = plan_attempt(utc("2026-11-23T12:00"), p, {});
  EXPECT_EQ(d.reason, "recipient unavailable until 2026-11-23T14:24:29 local");
  // Ending out of hours: the wait goes on to the window, which the reason adds.
  periods = {{utc("2026-11-23T10:00"), utc("2026-11-23T21:00")}};
  p.unavailable = periods;
  d = plan_attempt(utc("2026-11-23T12:00"), p, {});
  EXPECT_EQ(d.reason,
            "recipient unavailable until 2026-11-23T21:00 local (2026-11-24T09:00 local)");
}

TEST(Unavailable, PeriodEndingOutOfHoursWaitsForTheWindow) {
  auto p = policy("Europe/London");
  std::vector<UnavailablePeriod> periods{{utc("2026-11-23T10:00"), utc("2026-11-25T00:00")}};
  p.unavailable = periods;
  EXPECT_EQ(at_text(plan_attempt(utc("2026-11-23T12:00"), p, {})), "2026-11-25T09:00:00Z");
}

TEST(Unavailable, ChainedPeriodsAreAllSkipped) {
  auto p = policy("Europe/London");
  std::vector<UnavailablePeriod> periods{{utc("2026-11-23T13:00"), utc("2026-11-23T15:00")},
                                         {utc("2026-11-23T11:00"), utc("2026-11-23T13:00")}};
  p.unavailable = periods;
  EXPECT_EQ(at_text(plan_attempt(utc("2026-11-23T12:00"), p, {})), "2026-11-23T15:00:00Z");
}

TEST(Unavailable, APeriodInThePastChangesNothing) {
  auto p = policy("Europe/London");
  std::vector<UnavailablePeriod> periods{{utc("2026-11-20T10:00"), utc("2026-11-21T10:00")}};
  p.unavailable = periods;
  EXPECT_EQ(plan_attempt(utc("2026-11-23T12:00"), p, {}).action, PlanAction::send);
}

// ---------------------------------------------------------------------------------------------
// Properties over random zones, dates, windows and caps: a notification that keeps failing is
// never tried out of its window, never more than the daily cap, never before now, never in an
// unavailable period, and is always given up in the end.

// The recipient's local time of day at `t`, computed independently of the planner.
minutes local_time_of_day(const date::time_zone* tz, Instant t) {
  auto local = date::make_zoned(tz, date::floor<seconds>(t)).get_local_time();
  return date::floor<minutes>(local - date::floor<date::days>(local));
}

date::local_days local_day(const date::time_zone* tz, Instant t) {
  return date::floor<date::days>(date::make_zoned(tz, date::floor<seconds>(t)).get_local_time());
}

TEST(Properties, RepeatedFailuresRespectEveryRuleAndEnd) {
  const std::vector<std::string> zones{
      "Europe/London",    "America/New_York",    "Australia/Sydney",   "Asia/Kathmandu",
      "Pacific/Chatham",  "Australia/Lord_Howe", "Pacific/Kiritimati", "America/St_Johns",
      "Pacific/Apia",     "Asia/Kolkata",        "Europe/Dublin",      "Africa/Casablanca",
      "Antarctica/Troll", "America/Santiago",    "Pacific/Honolulu",   "UTC"};
  std::mt19937_64 rng(20261122);
  auto uniform = [&](long long lo, long long hi) {
    return std::uniform_int_distribution<long long>(lo, hi)(rng);
  };
  const Instant year_start = utc("2026-01-01T00:00");

  for (int scenario = 0; scenario < 3000; ++scenario) {
    ContactPolicy p;
    const auto& zone = zones[uniform(0, static_cast<long long>(zones.size()) - 1)];
    p.timezone = date::locate_zone(zone);
    // Realistic windows: opening 06:00-12:00, closing 15:00-24:00, in quarter hours.
    p.window.start = minutes{uniform(24, 48) * 15};
    p.window.end = minutes{uniform(60, 96) * 15};
    p.contact_anytime = uniform(0, 9) == 0;
    p.max_attempts_per_day = static_cast<int>(uniform(1, 5));
    p.max_days = static_cast<int>(uniform(1, 4));
    Instant now = year_start + milliseconds{uniform(0, 365LL * 86400 * 1000)};
    std::vector<UnavailablePeriod> periods;
    if (uniform(0, 2) == 0) {
      const Instant from = now + minutes{uniform(0, 3 * 24 * 60)};
      periods.push_back({from, from + minutes{uniform(1, 2 * 24 * 60)}});
    }
    p.unavailable = periods;
    const minutes start = p.contact_anytime ? 0min : p.window.start;
    const minutes end = p.contact_anytime ? minutes{24 * 60} : p.window.end;

    SCOPED_TRACE(zone + " now=" + format_rfc3339(now) + " window=" + std::to_string(start.count()) +
                 "-" + std::to_string(end.count()) + " cap=" +
                 std::to_string(p.max_attempts_per_day) + " days=" + std::to_string(p.max_days));

    std::vector<Instant> attempts;
    std::map<date::local_days, int> per_day;
    bool gave_up = false;
    const int limit = p.max_attempts_per_day * p.max_days + 1;
    for (int step = 0; step <= limit && !gave_up; ++step) {
      const auto d = plan_attempt(now, p, attempts);
      if (d.action == PlanAction::give_up) {
        gave_up = true;
        EXPECT_FALSE(attempts.empty()) << "gave up before the first attempt";
        EXPECT_EQ(static_cast<int>(per_day.size()), p.max_days) << d.reason;
        break;
      }
      ASSERT_TRUE(d.at) << d.reason;
      const Instant at = *d.at;
      ASSERT_GE(at, now) << d.reason;
      if (d.action == PlanAction::send) {
        EXPECT_EQ(at, now);
      } else if (d.action == PlanAction::defer) {
        EXPECT_GT(at, now);
      }
      const auto tod = local_time_of_day(p.timezone, at);
      EXPECT_GE(tod, start) << format_rfc3339(at) << " " << d.reason;
      EXPECT_LT(tod, end) << format_rfc3339(at) << " " << d.reason;
      for (const auto& u : periods) {
        EXPECT_FALSE(u.from <= at && at < u.to) << format_rfc3339(at) << " " << d.reason;
      }
      if (!attempts.empty()) {
        EXPECT_GT(at, attempts.back());
      }
      const auto day = local_day(p.timezone, at);
      EXPECT_LE(++per_day[day], p.max_attempts_per_day) << format_rfc3339(at) << " " << d.reason;
      EXPECT_LE(static_cast<int>(per_day.size()), p.max_days);
      attempts.push_back(at);
      // The attempt fails; herald hears of it up to two hours later (or was down meanwhile).
      now = at + milliseconds{uniform(0, 2 * 3600 * 1000)};
    }
    EXPECT_TRUE(gave_up) << "still trying after " << attempts.size() << " attempts";
    if (HasFailure()) break;  // one scenario's trace is enough to debug
  }
}

TEST(Properties, FirstAttemptAtEveryMinuteOfADstDayIsInWindow) {
  // Every minute of the days around both of London's and Sydney's 2026 DST changes.
  for (auto [zone, from] : {std::pair{"Europe/London", "2026-03-28T00:00"},
                            std::pair{"Europe/London", "2026-10-24T00:00"},
                            std::pair{"Australia/Sydney", "2026-04-03T12:00"},
                            std::pair{"Australia/Sydney", "2026-10-02T12:00"},
                            std::pair{"Australia/Lord_Howe", "2026-10-02T12:00"}}) {
    const auto p = policy(zone);
    for (Instant now = utc(from), stop = now + 72h; now < stop; now += 1min) {
      const auto d = plan_attempt(now, p, {});
      ASSERT_TRUE(d.at);
      ASSERT_GE(*d.at, now);
      const auto tod = local_time_of_day(p.timezone, *d.at);
      ASSERT_TRUE(tod >= 9h && tod < 20h) << zone << " " << format_rfc3339(now);
      // Sending now is right exactly when now is in the window.
      const auto now_tod = local_time_of_day(p.timezone, now);
      ASSERT_EQ(d.action == PlanAction::send, now_tod >= 9h && now_tod < 20h)
          << zone << " " << format_rfc3339(now);
      // Deferred: to 09:00 exactly, and no 09:00 is skipped.
      if (d.action == PlanAction::defer) {
        ASSERT_EQ(tod, 9h);
        ASSERT_LE(*d.at - now, 24h) << zone << " " << format_rfc3339(now);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Channels and policy.

Event event_with(std::optional<std::string> email, std::optional<std::string> phone,
                 std::vector<Channel> chosen = {}) {
  Event e;
  e.recipient.email = std::move(email);
  e.recipient.phone = std::move(phone);
  e.recipient.channels = std::move(chosen);
  e.recipient.timezone = date::locate_zone("Europe/London");
  return e;
}

std::vector<Channel> channels(const Event& e, const Rule& rule, bool international = false) {
  return select_channels(e, rule, SmsConfig{.international = international}).channels;
}

TEST(Channels, RuleChannelsWithTheDetailsPresent) {
  Rule rule{"s", "t", {Channel::email, Channel::sms}, false};
  using V = std::vector<Channel>;
  EXPECT_EQ(channels(event_with("a@example.org", "+447700900123"), rule),
            (V{Channel::email, Channel::sms}));
  EXPECT_EQ(channels(event_with("a@example.org", std::nullopt), rule), V{Channel::email});
  EXPECT_EQ(channels(event_with(std::nullopt, "+447700900123"), rule), V{Channel::sms});
  EXPECT_EQ(channels(event_with(std::nullopt, std::nullopt), rule), V{});
}

TEST(Channels, RecipientChoiceNarrowsButNeverWidens) {
  using V = std::vector<Channel>;
  Rule both{"s", "t", {Channel::email, Channel::sms}, false};
  Rule email_only{"s", "t", {Channel::email}, false};
  EXPECT_EQ(channels(event_with("a@example.org", "+447700900123", {Channel::sms}), both),
            V{Channel::sms});
  EXPECT_EQ(channels(event_with("a@example.org", "+447700900123", {Channel::sms}), email_only),
            V{});
  EXPECT_EQ(
      channels(event_with("a@example.org", "+447700900123", {Channel::sms, Channel::email}), both),
      (V{Channel::email, Channel::sms}));
}

TEST(Channels, OverseasNumbersGetEmailInsteadOfSmsByDefault) {
  using V = std::vector<Channel>;
  Rule both{"s", "t", {Channel::email, Channel::sms}, false};
  // A French mobile, a recipient who chose SMS only: email instead, with the reason kept.
  auto overseas = event_with("a@example.org", "+33612345678", {Channel::sms});
  auto selection = select_channels(overseas, both, SmsConfig{.international = false});
  EXPECT_EQ(selection.channels, V{Channel::email});
  ASSERT_EQ(selection.left_out.size(), 1u);
  EXPECT_EQ(selection.left_out[0].first, Channel::sms);
  EXPECT_NE(selection.left_out[0].second.find("outside the UK"), std::string::npos);
  // Allowed by config: SMS as chosen.
  EXPECT_EQ(channels(overseas, both, true), V{Channel::sms});
  // UK numbers, Crown Dependencies included, are not overseas.
  EXPECT_EQ(channels(event_with(std::nullopt, "+447797900123"), both), V{Channel::sms});
  // No email address or a rule without email: nothing to send instead, and the reason says so.
  auto no_email = select_channels(event_with(std::nullopt, "+33612345678"), both, SmsConfig{});
  EXPECT_EQ(no_email.channels, V{});
  EXPECT_NE(no_email.left_out[0].second.find("no email"), std::string::npos);
  Rule sms_only{"s", "t", {Channel::sms}, false};
  EXPECT_EQ(channels(overseas, sms_only), V{});
}

TEST(Channels, ARefusedSmsFallsBackToEmailOnlyWhereTheRuleAndRecipientAllowIt) {
  Rule both{"s", "t", {Channel::email, Channel::sms}, false};
  Rule sms_only{"s", "t", {Channel::sms}, false};
  auto with_email = event_with("a@example.org", "+447700900123", {Channel::sms});
  EXPECT_EQ(fallback_channel(with_email, both, Channel::sms), Channel::email);
  EXPECT_EQ(fallback_channel(with_email, sms_only, Channel::sms), std::nullopt);
  EXPECT_EQ(fallback_channel(event_with(std::nullopt, "+447700900123"), both, Channel::sms),
            std::nullopt);
  EXPECT_EQ(fallback_channel(with_email, both, Channel::email), std::nullopt)
      << "email has nothing to fall back to";
}

TEST(PlanCauses, SayWhyADecisionWaits) {
  ContactPolicy p;
  p.timezone = date::locate_zone("Europe/London");
  EXPECT_EQ(plan_attempt(utc("2026-11-23T12:00"), p, {}).cause, PlanCause::open);
  EXPECT_EQ(plan_attempt(utc("2026-11-23T21:00"), p, {}).cause, PlanCause::window);
  std::vector<UnavailablePeriod> away{{utc("2026-11-23T10:00"), utc("2026-11-23T15:00")}};
  p.unavailable = away;
  EXPECT_EQ(plan_attempt(utc("2026-11-23T12:00"), p, {}).cause, PlanCause::unavailable);
  p.unavailable = {};
  std::vector<Instant> failed{utc("2026-11-23T09:00")};
  EXPECT_EQ(plan_attempt(utc("2026-11-23T10:00"), p, failed).cause, PlanCause::next_attempt);
  std::vector<Instant> many;
  for (int d = 23; d <= 25; ++d)
    for (const char* t : {"T09:00", "T12:40", "T16:20"})
      many.push_back(utc("2026-11-" + std::to_string(d) + t));
  EXPECT_EQ(plan_attempt(utc("2026-11-25T17:00"), p, many).cause, PlanCause::gave_up);
}

TEST(Policy, TakesTheChannelWindowAndTheRecipient) {
  ContactConfig contact;
  contact.channel_windows[Channel::sms] = {10h, 18h};
  contact.max_attempts_per_day = 2;
  contact.max_days = 5;
  auto e = event_with("a@example.org", "+447700900123");
  e.recipient.contact_anytime = true;
  e.recipient.unavailable.push_back({utc("2026-11-23T10:00"), utc("2026-11-23T11:00")});
  const auto sms = contact_policy(e, Channel::sms, contact);
  EXPECT_EQ(sms.window.start, 10h);
  EXPECT_EQ(sms.window.end, 18h);
  EXPECT_TRUE(sms.contact_anytime);
  EXPECT_EQ(sms.max_attempts_per_day, 2);
  EXPECT_EQ(sms.max_days, 5);
  EXPECT_EQ(sms.unavailable.size(), 1u);
  EXPECT_EQ(sms.timezone, e.recipient.timezone);
  const auto email = contact_policy(e, Channel::email, contact);
  EXPECT_EQ(email.window.start, 9h);
  EXPECT_EQ(email.window.end, 20h);
}

}  // namespace
}  // namespace herald
