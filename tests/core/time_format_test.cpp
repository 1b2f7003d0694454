#include "herald/core/time_format.hpp"

#include <gtest/gtest.h>

#include <date/date.h>

namespace herald {
namespace {

using namespace std::chrono;
using namespace date::literals;

Instant utc(date::year_month_day d, hours h, minutes m = 0min, seconds s = 0s) {
  return Instant{duration_cast<milliseconds>(date::sys_days{d}.time_since_epoch() + h + m + s)};
}

TEST(Rfc3339, ParsesUtcWithZ) {
  EXPECT_EQ(parse_rfc3339("2026-11-22T10:15:00Z"), utc(2026_y / 11 / 22, 10h, 15min));
}

TEST(Rfc3339, AppliesNumericOffsets) {
  EXPECT_EQ(parse_rfc3339("2026-11-22T10:15:00+01:00"), utc(2026_y / 11 / 22, 9h, 15min));
  EXPECT_EQ(parse_rfc3339("2026-11-22T10:15:00-05:45"), utc(2026_y / 11 / 22, 16h, 0min));
}

TEST(Rfc3339, KeepsMilliseconds) {
  EXPECT_EQ(parse_rfc3339("2026-11-22T10:15:00.25Z"), utc(2026_y / 11 / 22, 10h, 15min) + 250ms);
  EXPECT_EQ(parse_rfc3339("2026-11-22T10:15:00.123456789Z"),
            utc(2026_y / 11 / 22, 10h, 15min) + 123ms);
}

TEST(Rfc3339, RefusesWhatIsNotRfc3339) {
  for (auto bad : {"", "2026-11-22", "2026-11-22T10:15:00", "2026-11-22T10:15Z",
                   "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z",
                   "2026-11-22T10:15:00+0100", "2026-11-22T10:15:00Zjunk", "2026-11-22T10:15:00.Z",
                   "20261122T101500Z", "2026-11-22T10:15:00+24:00", " 2026-11-22T10:15:00Z"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(Rfc3339, FormatsInUtcAndRoundTrips) {
  EXPECT_EQ(format_rfc3339(utc(2026_y / 11 / 23, 9h)), "2026-11-23T09:00:00Z");
  EXPECT_EQ(format_rfc3339(utc(2026_y / 11 / 23, 9h) + 250ms), "2026-11-23T09:00:00.250Z");
  auto t = parse_rfc3339("2026-03-29T00:59:59.001+00:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(parse_rfc3339(format_rfc3339(*t)), t);
}

TEST(Rfc3339, FormatsAsTheDateLibraryDoes) {
  // Written by hand for speed: the same text as date::format("%FT%TZ") across leap days, the
  // epoch, times before it, the turn of a year and odd milliseconds.
  const Instant from = utc(1969_y / 12 / 31, 23h, 59min, 58s);
  std::vector<Instant> samples;
  for (auto t = from; t < from + 3s; t += 1ms) samples.push_back(t);
  for (auto d : {2024_y / 2 / 29, 2000_y / 1 / 1, 1999_y / 12 / 31, 9999_y / 12 / 31, 1_y / 1 / 1})
    for (auto ms : {0ms, 1ms, 10ms, 999ms}) samples.push_back(utc(d, 23h, 59min, 59s) + ms);
  for (std::int64_t i = 0, x = 88172645463325252; i < 20000; ++i) {  // spread over 1970-2100
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    samples.push_back(Instant{milliseconds{(x & 0x7fffffffffff) % 4102444800000}});
  }
  for (auto t : samples) {
    const auto secs = floor<seconds>(t);
    const std::string expected =
        secs == t ? date::format("%FT%TZ", secs) : date::format("%FT%TZ", t);
    ASSERT_EQ(format_rfc3339(t), expected) << t.time_since_epoch().count();
  }
}

}  // namespace
}  // namespace herald
