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

std::string format_rfc3339(Instant t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  if (secs == t) return date::format("%FT%TZ", secs);
  return date::format("%FT%TZ", t);
}

}  // namespace herald
