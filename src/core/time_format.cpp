#include "herald/core/time_format.hpp"

#include <charconv>

#include <date/date.h>

namespace herald {
namespace {

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

// Hand-written rather than date::parse: RFC 3339 is a strict subset of what date::parse accepts
// (it takes "%z" without a colon, single-digit fields and trailing garbage), and an event with a
// malformed timestamp must be refused, not guessed at.
std::optional<Instant> parse_rfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, sec))
    return std::nullopt;
  std::size_t pos = 19;
  std::chrono::milliseconds frac{0};
  if (s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    int ms = 0, scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
    frac = std::chrono::milliseconds{ms};
  }
  if (pos >= s.size()) return std::nullopt;
  std::chrono::minutes offset{0};
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = std::chrono::hours{oh} + std::chrono::minutes{om};
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  auto ymd =
      date::year{y} / date::month{static_cast<unsigned>(mo)} / date::day{static_cast<unsigned>(d)};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  if (sec == 60) sec = 59;  // a leap second: the sys_time scale has none
  auto day = date::sys_days{ymd};
  return Instant{std::chrono::duration_cast<std::chrono::milliseconds>(
                     day.time_since_epoch() + std::chrono::hours{h} + std::chrono::minutes{mi} +
                     std::chrono::seconds{sec} - offset) +
                 frac};
}

// The fields are put together by hand rather than with date::format("%FT%TZ"), which builds an
// ostringstream with its locale for every call: a few microseconds, and herald formats a time
// for every outcome it writes (a profile of the throughput benchmark had it at 3 % of herald's
// CPU). The calendar arithmetic is still the date library's.
std::string format_rfc3339(Instant t) {
  const auto day = std::chrono::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // not RFC 3339; as the date library writes it
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    if (secs == t) return date::format("%FT%TZ", secs);
    return date::format("%FT%TZ", t);
  }
  const date::hh_mm_ss<std::chrono::milliseconds> time{t - day};
  const auto ms = static_cast<int>(time.subseconds().count());
  char text[] = "0000-00-00T00:00:00.000Z";
  auto put = [&text](std::size_t at, int value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      text[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  put(8, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  put(11, static_cast<int>(time.hours().count()), 2);
  put(14, static_cast<int>(time.minutes().count()), 2);
  put(17, static_cast<int>(time.seconds().count()), 2);
  if (ms == 0) {
    text[19] = 'Z';
    return std::string(text, 20);
  }
  put(20, ms, 3);
  return std::string(text, sizeof text - 1);
}

}  // namespace herald
