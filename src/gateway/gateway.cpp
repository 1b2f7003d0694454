#include "herald/gateway/gateway.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <vector>

#include <date/date.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace herald {

namespace {

constexpr std::chrono::seconds kMaxRetryAfter{24 * 60 * 60};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool all_alpha(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  return true;
}

int to_int(std::string_view digits) {
  int value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

// 1..12 for an English month abbreviation, else 0.
unsigned month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < kMonths.size(); ++i)
    if (name == kMonths[i]) return i + 1;
  return 0;
}

// The three HTTP-date forms of RFC 9110 5.6.7, by their parts rather than by position:
//   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
//   RFC 850      Sunday, 06-Nov-94 08:49:37 GMT
//   asctime      Sun Nov  6 08:49:37 1994
// Always UTC. No locale, no strptime.
std::optional<date::sys_seconds> parse_http_date(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ' ' || text[i] == ',' || text[i] == '-') {
      if (i > start) parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  int day = -1, year = -1, hour = -1, minute = -1, second = -1;
  unsigned month = 0;
  bool weekday = false;
  for (std::string_view part : parts) {
    if (part == "GMT") continue;
    if (unsigned m = month_number(part); m != 0 && month == 0) {
      month = m;
    } else if (all_alpha(part) && !weekday && month == 0 && day < 0) {
      weekday = true;  // any day name, not checked against the date: senders get it wrong
    } else if (part.size() == 8 && part[2] == ':' && part[5] == ':' && hour < 0 &&
               all_digits(part.substr(0, 2)) && all_digits(part.substr(3, 2)) &&
               all_digits(part.substr(6, 2))) {
      hour = to_int(part.substr(0, 2));
      minute = to_int(part.substr(3, 2));
      second = to_int(part.substr(6, 2));
    } else if (all_digits(part) && part.size() <= 2 && day < 0) {
      day = to_int(part);
    } else if (all_digits(part) && (part.size() == 4 || part.size() == 2) && year < 0 && day >= 0) {
      year = to_int(part);
      // RFC 850's two-digit year: RFC 9110 reads one more than 50 years ahead as the past.
      if (part.size() == 2) year += year < 70 ? 2000 : 1900;
    } else {
      return std::nullopt;
    }
  }
  if (!weekday || month == 0 || day < 0 || year < 0 || hour < 0 || hour > 23 || minute > 59 ||
      second > 60)
    return std::nullopt;
  const date::year_month_day ymd{date::year{year}, date::month{month},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second};
}

}  // namespace

SendResult withheld(std::string reason) {
  SendResult result;
  result.kind = SendResult::Kind::withheld;
  result.reason = std::move(reason);
  return result;
}

std::string_view to_string(SendResult::Kind kind) {
  switch (kind) {
    case SendResult::Kind::accepted:
      return "accepted";
    case SendResult::Kind::transient:
      return "transient";
    case SendResult::Kind::permanent:
      return "permanent";
    case SendResult::Kind::withheld:
      return "withheld";
  }
  return "unknown";
}

SendResult::Kind classify_http_status(long status) {
  if (status >= 200 && status <= 299) return SendResult::Kind::accepted;
  if (status == 408 || status == 425 || status == 429) return SendResult::Kind::transient;
  if (status >= 400 && status <= 499) return SendResult::Kind::permanent;
  return SendResult::Kind::transient;
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (all_digits(value)) {
    std::uint64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range ||
        seconds > static_cast<std::uint64_t>(kMaxRetryAfter.count()))
      return kMaxRetryAfter;
    return std::chrono::seconds{seconds};
  }
  auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
  return std::clamp<std::chrono::milliseconds>(delta, std::chrono::milliseconds{0}, kMaxRetryAfter);
}

std::string message_json(const Message& message) {
  const bool email = message.channel == Channel::email;
  boost::json::object o;
  o["id"] = message.notification_id;
  o["channel"] = to_string(message.channel);
  o["to"] = message.to;
  if (email) o["subject"] = message.subject;
  o["body"] = message.body;
  if (email) o["html"] = message.html;
  o["reference"] = message.case_ref;
  o["event_id"] = message.event_id;
  o["status"] = message.status;
  o["language"] = message.language;
  return boost::json::serialize(o);
}

}  // namespace herald
