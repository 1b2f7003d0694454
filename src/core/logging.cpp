#include "herald/core/logging.hpp"

#include <map>
#include <optional>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "herald/core/utf8.hpp"

namespace herald {
namespace {

struct LogState {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  spdlog::level::level_enum level = spdlog::level::info;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

LogState& state() {
  static LogState s;
  return s;
}

std::unique_ptr<spdlog::formatter> make_formatter() {
  // logfmt: ts=... level=... module=... then the message's own key=value fields.
  return std::make_unique<spdlog::pattern_formatter>(
      "ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l module=%n %v", spdlog::pattern_time_type::utc);
}

void apply(spdlog::logger& log) {
  log.sinks() = state().sinks;
  log.set_level(state().level);
  log.set_formatter(make_formatter());
  log.flush_on(spdlog::level::warn);
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view level) {
  auto l = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to `off`; only "off" itself may mean off.
  if (l == spdlog::level::off && level != "off") return std::nullopt;
  return l;
}

}  // namespace

std::shared_ptr<spdlog::logger> logger(std::string_view module) {
  auto& s = state();
  if (auto it = s.loggers.find(module); it != s.loggers.end()) return it->second;
  auto log = std::make_shared<spdlog::logger>(std::string(module));
  apply(*log);
  s.loggers.emplace(std::string(module), log);
  return log;
}

bool configure_logging(std::vector<spdlog::sink_ptr> sinks, std::string_view level) {
  auto l = parse_level(level);
  if (!l) return false;
  auto& s = state();
  s.sinks = std::move(sinks);
  s.level = *l;
  for (auto& [name, log] : s.loggers) apply(*log);
  return true;
}

bool set_log_level(std::string_view level) {
  auto l = parse_level(level);
  if (!l) return false;
  state().level = *l;
  for (auto& [name, log] : state().loggers) log->set_level(*l);
  return true;
}

namespace {

// Characters that change how the rest of a line reads on a terminal or in a viewer: C1 controls,
// line and paragraph separators, bidirectional overrides and isolates, marks, the BOM.
bool deceptive(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
         cp == 0x200f || cp == 0x061c || cp == 0xfeff;
}

}  // namespace

std::string log_value(std::string_view value) {
  constexpr std::size_t kMax = 200;
  static constexpr char kHex[] = "0123456789abcdef";
  const auto hex = [](std::string& out, unsigned value, int digits) {
    for (int d = digits - 1; d >= 0; --d) out += kHex[(value >> (4 * d)) & 15];
  };
  bool cut = value.size() > kMax;
  if (cut) value = value.substr(0, kMax);
  std::string out = "\"";
  bool plain = !value.empty() && !cut;
  for (std::size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c == 0x7f) plain = false;
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20 || c == 0x7f) {
        out += "\\x";
        hex(out, c, 2);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t n = utf8_char_at(value, i, &cp);
    if (n == 0 && cut && value.size() - i < 4) break;  // a character the cut split
    if (n == 0) {  // not UTF-8: the byte, escaped, so that the line stays valid UTF-8
      out += "\\x";
      hex(out, c, 2);
      plain = false;
      ++i;
    } else if (deceptive(cp)) {
      out += "\\u";
      hex(out, static_cast<unsigned>(cp), 4);
      plain = false;
      i += n;
    } else {
      out.append(value.substr(i, n));
      i += n;
    }
  }
  if (plain) return std::string(value);
  if (cut) out += "...";
  out += '"';
  return out;
}

}  // namespace herald
