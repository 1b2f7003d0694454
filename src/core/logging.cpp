#include "herald/core/logging.hpp"

#include <map>
#include <optional>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

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

std::string log_value(std::string_view value) {
  constexpr std::size_t kMax = 200;
  bool cut = value.size() > kMax;
  if (cut) value = value.substr(0, kMax);
  bool plain = !value.empty();
  for (unsigned char c : value)
    if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c == 0x7f) plain = false;
  if (plain && !cut) return std::string(value);
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (cut) out += "...";
  out += '"';
  return out;
}

}  // namespace herald
