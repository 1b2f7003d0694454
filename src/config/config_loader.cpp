#include "herald/config/config_loader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "herald/config/redis_url.hpp"
#include "herald/core/time_zones.hpp"

namespace herald {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using Names = std::initializer_list<std::string_view>;

// The longest duration any setting accepts: every one of them is a timeout, a delay or a lease,
// and a value beyond a day is a typo (seconds given as milliseconds times 1000).
constexpr long long kMaxDurationMs = 24LL * 60 * 60 * 1000;
constexpr long long kMaxBatch = 10000;

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};

// Headers the webhook gateway sets itself; a configured value would contradict it.
constexpr std::string_view kReservedHeaders[] = {"content-type", "content-length",
                                                 "idempotency-key", "host", "transfer-encoding"};

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

template <class Range>
std::string list(const Range& names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

template <class Range>
bool contains(const Range& names, std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

int line_of(const YAML::Node& node) {
  int line = node.Mark().line;
  return line < 0 ? 0 : line + 1;
}

// A quoted scalar ("3") is a string in YAML even when it looks like a number.
bool is_quoted(const YAML::Node& node) {
  return node.Tag() == "!";
}

std::optional<long long> to_integer(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> to_double(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// What a node is, for "expected X, got Y".
std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar: {
      if (is_quoted(node)) return "a string";
      if (to_integer(node.Scalar()) || to_double(node.Scalar())) return "a number";
      bool b;
      if (YAML::convert<bool>::decode(node, b)) return "a boolean";
      return "a string";
    }
    default:
      return "nothing";
  }
}

// "HH:MM" (00:00 to 24:00) as minutes after midnight.
std::optional<minutes> parse_clock_time(std::string_view text) {
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
    return std::nullopt;
  int h = (text[0] - '0') * 10 + (text[1] - '0');
  int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return minutes{h * 60 + m};
}

bool is_plain_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool is_status_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_header_name(std::string_view name) {
  static constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kTokenPunctuation.find(c) != std::string_view::npos;
  });
}

bool has_control_char(std::string_view text, bool allow_tab) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && !(allow_tab && c == '\t')) || u == 0x7f;
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

bool is_ipv6(std::string_view host) {
  if (host.find(':') == std::string_view::npos) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
  });
}

bool is_port(std::string_view text) {
  auto port = to_integer(text);
  return port && text.front() != '+' && text.front() != '-' && *port >= 1 && *port <= 65535;
}

// A port to listen on: 0 asks the kernel for a free one (tests, side-by-side instances).
bool is_listen_port(std::string_view text) {
  return text == "0" || is_port(text);
}

// "host:port" or "[v6]:port".
// Dotted-quad IPv4 ("127.0.0.1"): listen addresses are bound as they are, never resolved.
bool is_ipv4(std::string_view host) {
  int parts = 0;
  while (!host.empty()) {
    auto dot = host.find('.');
    auto part = host.substr(0, dot);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(part)) > 255)
      return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
    if (host.empty()) return false;
  }
  return parts == 4;
}

bool is_listen_address(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return false;
    return is_ipv6(text.substr(1, close - 1)) && is_listen_port(text.substr(close + 2));
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  return is_ipv4(text.substr(0, colon)) && is_listen_port(text.substr(colon + 1));
}

// http(s)://host[:port][/path...]: enough to know curl will try the host we mean.
bool is_http_url(std::string_view url) {
  std::string_view rest;
  if (url.substr(0, 7) == "http://")
    rest = url.substr(7);
  else if (url.substr(0, 8) == "https://")
    rest = url.substr(8);
  else
    return false;
  if (has_control_char(url, false) || url.find(' ') != std::string_view::npos) return false;
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    authority = authority.substr(authority.rfind('@') + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos || !is_ipv6(authority.substr(1, close - 1))) return false;
    std::string_view after = authority.substr(close + 1);
    return after.empty() || (after.front() == ':' && is_port(after.substr(1)));
  }
  auto colon = authority.find(':');
  if (colon != std::string_view::npos && !is_port(authority.substr(colon + 1))) return false;
  return is_host(authority.substr(0, colon));
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return "herald";
  return buffer;
}

// A window as written: either end may be left out and falls back to a default.
struct WindowSpec {
  std::optional<minutes> start;
  std::optional<minutes> end;
  bool ok = true;  // false once a problem was reported inside it
  std::string path;
  int line = 0;
};

class Loader {
 public:
  Loader(std::filesystem::path file, std::filesystem::path base_dir,
         std::vector<ConfigProblem>& problems)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), problems_(problems) {}

  Config load(const YAML::Node& root);

 private:
  void problem(const YAML::Node& node, std::string path, std::string message) {
    problems_.push_back({file_, std::move(path), line_of(node), std::move(message)});
  }
  void problem(int line, std::string path, std::string message) {
    problems_.push_back({file_, std::move(path), line, std::move(message)});
  }

  // True when `node` is a map; a null node (a section left empty) is an empty map.
  bool expect_map(const YAML::Node& node, const std::string& path) {
    if (node.IsMap()) return true;
    if (!node.IsNull()) problem(node, path, "expected a map, got " + kind_of(node));
    return false;
  }

  // Calls `field(name, value, key_path)` for each known key of the map `node` and reports the
  // unknown and repeated ones.
  template <class Field>
  void each_entry(const YAML::Node& node, const std::string& path, Names known, Field&& field) {
    if (!expect_map(node, path)) return;
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) {
        problem(key, path, "a key must be a plain name, got " + kind_of(key));
        continue;
      }
      const std::string& name = key.Scalar();
      std::string key_path = join(path, name);
      if (!contains(known, name)) {
        problem(key, key_path, "unknown key (expected one of: " + list(known) + ")");
      } else if (!seen.insert(name).second) {
        problem(key, key_path, "repeated key");
      } else {
        field(name, entry.second, key_path);
      }
    }
  }

  bool expect_scalar(const YAML::Node& node, const std::string& path, std::string_view what) {
    if (node.IsScalar()) return true;
    problem(node, path, "expected " + std::string(what) + ", got " + kind_of(node));
    return false;
  }

  bool read_string(const YAML::Node& node, const std::string& path, std::string& out,
                   bool non_empty = true) {
    if (!expect_scalar(node, path, "a string")) return false;
    if (non_empty && node.Scalar().empty()) {
      problem(node, path, "must not be empty");
      return false;
    }
    if (has_control_char(node.Scalar(), false)) {
      problem(node, path, "must not contain control characters");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  std::optional<long long> read_integer(const YAML::Node& node, const std::string& path,
                                        long long min, long long max) {
    if (!expect_scalar(node, path, "an integer")) return std::nullopt;
    auto value = is_quoted(node) ? std::nullopt : to_integer(node.Scalar());
    if (!value) {
      problem(node, path, "expected an integer, got " + kind_of(node));
      return std::nullopt;
    }
    if (*value < min || *value > max) {
      problem(node, path,
              "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                  std::to_string(*value) + ")");
      return std::nullopt;
    }
    return value;
  }

  bool read_int(const YAML::Node& node, const std::string& path, int& out, int min, int max) {
    auto value = read_integer(node, path, min, max);
    if (value) out = static_cast<int>(*value);
    return value.has_value();
  }

  bool read_size(const YAML::Node& node, const std::string& path, std::size_t& out, long long max) {
    auto value = read_integer(node, path, 1, max);
    if (value) out = static_cast<std::size_t>(*value);
    return value.has_value();
  }

  bool read_ms(const YAML::Node& node, const std::string& path, milliseconds& out) {
    auto value = read_integer(node, path, 1, kMaxDurationMs);
    if (value) out = milliseconds{*value};
    return value.has_value();
  }

  bool read_double(const YAML::Node& node, const std::string& path, double& out, double min,
                   double max) {
    if (!expect_scalar(node, path, "a number")) return false;
    auto value = is_quoted(node) ? std::nullopt : to_double(node.Scalar());
    if (!value) {
      problem(node, path, "expected a number, got " + kind_of(node));
      return false;
    }
    if (!(*value >= min && *value <= max)) {
      std::ostringstream message;
      message << "must be between " << min << " and " << max;
      problem(node, path, message.str());
      return false;
    }
    out = *value;
    return true;
  }

  bool read_bool(const YAML::Node& node, const std::string& path, bool& out) {
    bool value = false;
    if (!node.IsScalar() || is_quoted(node) || !YAML::convert<bool>::decode(node, value)) {
      problem(node, path, "expected true or false, got " + kind_of(node));
      return false;
    }
    out = value;
    return true;
  }

  std::optional<Channel> read_channel(const YAML::Node& node, const std::string& path) {
    if (!expect_scalar(node, path, "a channel name")) return std::nullopt;
    auto channel = channel_from_string(node.Scalar());
    if (!channel) problem(node, path, "unknown channel (expected email or sms)");
    return channel;
  }

  std::filesystem::path resolve(const std::string& path) const {
    std::filesystem::path p(path);
    return p.is_absolute() ? p.lexically_normal() : (base_dir_ / p).lexically_normal();
  }

  // log.target (service issue): where the log goes.
  void read_log_target(const YAML::Node& node, const std::string& path, std::string& out) {
    static constexpr std::string_view kTargets[] = {"auto", "journal", "stderr"};
    std::string target;
    if (!read_string(node, path, target)) return;
    if (!contains(kTargets, target))
      problem(node, path, "must be one of: " + list(kTargets));
    else
      out = target;
  }

  WindowSpec read_window(const YAML::Node& node, const std::string& path);
  void check_window(const WindowSpec& spec, ContactWindow& out, const ContactWindow& fallback);
  void read_redis(const YAML::Node& node, const std::string& path, RedisConfig& redis);
  void read_contact(const YAML::Node& node, const std::string& path, ContactConfig& contact);
  void read_rules(const YAML::Node& node, const std::string& path, std::vector<Rule>& rules);
  void read_rule(const YAML::Node& node, const std::string& path, Rule& rule);
  void read_gateways(const YAML::Node& node, const std::string& path,
                     std::map<Channel, GatewayConfig>& gateways);
  void read_gateway(const YAML::Node& node, const std::string& path, GatewayConfig& gateway);
  void read_headers(const YAML::Node& node, const std::string& path,
                    std::map<std::string, std::string>& headers);

  std::filesystem::path file_;
  std::filesystem::path base_dir_;
  std::vector<ConfigProblem>& problems_;
  bool consumer_given_ = false;
  bool rules_given_ = false;
  int rules_line_ = 0;
  int gateways_line_ = 0;
  // The line of each rule's `channels` (or of the rule when absent), for "no gateway" problems.
  std::vector<int> rule_lines_;
};

WindowSpec Loader::read_window(const YAML::Node& node, const std::string& path) {
  WindowSpec spec;
  spec.path = path;
  spec.line = line_of(node);
  if (!node.IsMap()) {
    problem(node, path, "expected a map {start: \"HH:MM\", end: \"HH:MM\"}, got " + kind_of(node));
    spec.ok = false;
    return spec;
  }
  each_entry(node, path, {"start", "end"},
             [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
               std::optional<minutes> time;
               if (expect_scalar(value, key_path, "a time \"HH:MM\"")) {
                 time = parse_clock_time(value.Scalar());
                 if (!time)
                   problem(value, key_path, "expected a time HH:MM between 00:00 and 24:00");
               }
               if (!time) spec.ok = false;
               (name == "start" ? spec.start : spec.end) = time;
             });
  return spec;
}

void Loader::check_window(const WindowSpec& spec, ContactWindow& out,
                          const ContactWindow& fallback) {
  if (!spec.ok) return;
  ContactWindow window{spec.start.value_or(fallback.start), spec.end.value_or(fallback.end)};
  if (window.start >= window.end) {
    problem(spec.line, spec.path, "start must be before end");
    return;
  }
  out = window;
}

void Loader::read_redis(const YAML::Node& node, const std::string& path, RedisConfig& redis) {
  std::map<std::string, int> stream_lines;  // key -> line, for cross-key problems
  each_entry(node, path,
             {"url", "stream", "group", "consumer", "outcomes_stream", "dead_stream", "key_prefix",
              "block_ms", "command_timeout_ms", "batch_size", "claim_idle_ms", "reconnect_min_ms",
              "reconnect_max_ms"},
             [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
               if (name == "url") {
                 std::string url;
                 if (!read_string(value, key_path, url)) return;
                 // The URL may hold a password: never echo it.
                 if (!parse_redis_url(url))
                   problem(value, key_path,
                           "not a valid URL (redis://[[user]:password@]host[:port][/db])");
                 else
                   redis.url = url;
               } else if (name == "stream") {
                 if (read_string(value, key_path, redis.stream))
                   stream_lines[name] = line_of(value);
               } else if (name == "outcomes_stream") {
                 if (read_string(value, key_path, redis.outcomes_stream))
                   stream_lines[name] = line_of(value);
               } else if (name == "dead_stream") {
                 if (read_string(value, key_path, redis.dead_stream))
                   stream_lines[name] = line_of(value);
               } else if (name == "group") {
                 read_string(value, key_path, redis.group);
               } else if (name == "consumer") {
                 consumer_given_ = true;
                 read_string(value, key_path, redis.consumer);
               } else if (name == "key_prefix") {
                 read_string(value, key_path, redis.key_prefix, false);
               } else if (name == "block_ms") {
                 read_ms(value, key_path, redis.block);
               } else if (name == "command_timeout_ms") {
                 read_ms(value, key_path, redis.command_timeout);
               } else if (name == "claim_idle_ms") {
                 read_ms(value, key_path, redis.claim_idle);
               } else if (name == "reconnect_min_ms") {
                 if (read_ms(value, key_path, redis.reconnect_min))
                   stream_lines[name] = line_of(value);
               } else if (name == "reconnect_max_ms") {
                 read_ms(value, key_path, redis.reconnect_max);
               } else if (name == "batch_size") {
                 read_size(value, key_path, redis.batch_size, kMaxBatch);
               }
             });
  auto line = [&](const char* key) {
    auto it = stream_lines.find(key);
    return it == stream_lines.end() ? line_of(node) : it->second;
  };
  if (redis.reconnect_min > redis.reconnect_max)
    problem(line("reconnect_min_ms"), join(path, "reconnect_min_ms"),
            "must not be greater than reconnect_max_ms");
  // Writing outcomes into the stream herald reads would feed them back in as events.
  if (redis.outcomes_stream == redis.stream)
    problem(line("outcomes_stream"), join(path, "outcomes_stream"),
            "must differ from redis.stream");
  if (redis.dead_stream == redis.stream)
    problem(line("dead_stream"), join(path, "dead_stream"), "must differ from redis.stream");
  if (redis.dead_stream == redis.outcomes_stream)
    problem(line("dead_stream"), join(path, "dead_stream"),
            "must differ from redis.outcomes_stream");
}

void Loader::read_contact(const YAML::Node& node, const std::string& path, ContactConfig& contact) {
  std::optional<WindowSpec> window;
  std::map<Channel, WindowSpec> channel_windows;
  each_entry(node, path, {"timezone", "window", "windows", "max_attempts_per_day", "max_days"},
             [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
               if (name == "timezone") {
                 std::string zone;
                 if (!read_string(value, key_path, zone)) return;
                 TimeZones zones;
                 if (zones.find(zone) == nullptr)
                   problem(value, key_path, "unknown time zone '" + zone + "'");
                 else
                   contact.timezone = zone;
               } else if (name == "window") {
                 window = read_window(value, key_path);
               } else if (name == "windows") {
                 each_entry(value, key_path, {"email", "sms"},
                            [&](const std::string& channel, const YAML::Node& spec,
                                const std::string& channel_path) {
                              channel_windows[*channel_from_string(channel)] =
                                  read_window(spec, channel_path);
                            });
               } else if (name == "max_attempts_per_day") {
                 read_int(value, key_path, contact.max_attempts_per_day, 1, 24);
               } else if (name == "max_days") {
                 read_int(value, key_path, contact.max_days, 1, 30);
               }
             });
  if (window) check_window(*window, contact.window, ContactWindow{});
  for (const auto& [channel, spec] : channel_windows) {
    ContactWindow resolved = contact.window;
    check_window(spec, resolved, contact.window);
    if (spec.ok) contact.channel_windows[channel] = resolved;
  }
}

void Loader::read_rule(const YAML::Node& node, const std::string& path, Rule& rule) {
  bool has_status = false, has_template = false, has_channels = false;
  rule_lines_.push_back(line_of(node));
  each_entry(node, path, {"status", "template", "channels", "final"},
             [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
               if (name == "status") {
                 has_status = true;
                 if (!read_string(value, key_path, rule.status)) return;
                 if (!is_status_name(rule.status)) {
                   problem(value, key_path, "must be 1-64 characters of a-z, 0-9 and _");
                   rule.status.clear();
                 }
               } else if (name == "template") {
                 has_template = true;
                 if (!read_string(value, key_path, rule.template_name)) return;
                 if (!is_plain_name(rule.template_name))
                   problem(value, key_path,
                           "must be a plain file name of A-Z, a-z, 0-9, _ and - (no path)");
               } else if (name == "channels") {
                 has_channels = true;
                 rule_lines_.back() = line_of(value);
                 if (!value.IsSequence()) {
                   problem(value, key_path, "expected a list of channels, got " + kind_of(value));
                   return;
                 }
                 if (value.size() == 0) problem(value, key_path, "must name at least one channel");
                 for (std::size_t i = 0; i < value.size(); ++i) {
                   auto channel = read_channel(value[i], index(key_path, i));
                   if (!channel) continue;
                   if (std::find(rule.channels.begin(), rule.channels.end(), *channel) !=
                       rule.channels.end())
                     problem(value[i], index(key_path, i), "repeated channel");
                   else
                     rule.channels.push_back(*channel);
                 }
               } else if (name == "final") {
                 read_bool(value, key_path, rule.final);
               }
             });
  if (!node.IsMap()) return;
  if (!has_status) problem(node, join(path, "status"), "required key missing");
  if (!has_template) problem(node, join(path, "template"), "required key missing");
  if (!has_channels) rule.channels.assign(std::begin(kAllChannels), std::end(kAllChannels));
}

void Loader::read_rules(const YAML::Node& node, const std::string& path, std::vector<Rule>& rules) {
  rules_given_ = true;
  rules_line_ = line_of(node);
  if (!node.IsSequence()) {
    problem(node, path, "expected a list of rules, got " + kind_of(node));
    return;
  }
  if (node.size() == 0) problem(node, path, "at least one rule is required");
  std::map<std::string, std::size_t> statuses;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    std::string item_path = index(path, i);
    if (!item.IsMap()) {
      problem(item, item_path,
              "expected a map {status, template, channels, final}, got " + kind_of(item));
      rule_lines_.push_back(line_of(item));
      rules.emplace_back();
      continue;
    }
    Rule rule;
    read_rule(item, item_path, rule);
    if (!rule.status.empty()) {
      auto [it, inserted] = statuses.emplace(rule.status, i);
      if (!inserted)
        problem(
            item, join(item_path, "status"),
            "status '" + rule.status + "' already has a rule (" + index(path, it->second) + ")");
    }
    rules.push_back(std::move(rule));
  }
}

void Loader::read_headers(const YAML::Node& node, const std::string& path,
                          std::map<std::string, std::string>& headers) {
  if (!expect_map(node, path)) return;
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar() || !is_header_name(key.Scalar())) {
      problem(key, path, "a header name must be an HTTP token (letters, digits, - and the like)");
      continue;
    }
    std::string key_path = join(path, key.Scalar());
    if (!seen.insert(lower(key.Scalar())).second) {
      problem(key, key_path, "repeated header");
      continue;
    }
    if (contains(kReservedHeaders, lower(key.Scalar()))) {
      problem(key, key_path, "is set by herald itself");
      continue;
    }
    std::string value;
    if (!expect_scalar(entry.second, key_path, "a string")) continue;
    if (has_control_char(entry.second.Scalar(), true)) {
      problem(entry.second, key_path, "must not contain line breaks or control characters");
      continue;
    }
    headers[key.Scalar()] = entry.second.Scalar();
  }
}

void Loader::read_gateway(const YAML::Node& node, const std::string& path, GatewayConfig& gateway) {
  static constexpr std::string_view kWebhookOnly[] = {"url", "timeout_ms", "connect_timeout_ms",
                                                      "headers"};
  static constexpr std::string_view kFileOnly[] = {"directory"};
  std::map<std::string, int> present;  // key -> line
  bool type_ok = false;
  each_entry(
      node, path,
      {"type", "url", "directory", "timeout_ms", "connect_timeout_ms", "max_in_flight", "headers"},
      [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
        present[name] = line_of(value);
        if (name == "type") {
          if (!read_string(value, key_path, gateway.type)) return;
          type_ok = gateway.type == "webhook" || gateway.type == "file";
          if (!type_ok) problem(value, key_path, "must be webhook or file");
        } else if (name == "url") {
          if (!read_string(value, key_path, gateway.url)) return;
          if (!is_http_url(gateway.url))
            problem(value, key_path, "must be an http:// or https:// URL with a host");
        } else if (name == "directory") {
          std::string directory;
          if (read_string(value, key_path, directory)) gateway.directory = resolve(directory);
        } else if (name == "timeout_ms") {
          read_ms(value, key_path, gateway.timeout);
        } else if (name == "connect_timeout_ms") {
          read_ms(value, key_path, gateway.connect_timeout);
        } else if (name == "max_in_flight") {
          read_size(value, key_path, gateway.max_in_flight, kMaxBatch);
        } else if (name == "headers") {
          read_headers(value, key_path, gateway.headers);
        }
      });
  if (!node.IsMap()) return;
  if (!present.count("type")) {
    problem(node, join(path, "type"), "required key missing (webhook or file)");
    return;
  }
  if (!type_ok) return;
  bool webhook = gateway.type == "webhook";
  for (const auto& [key, line] : present) {
    bool applies = webhook ? !contains(kFileOnly, key) : !contains(kWebhookOnly, key);
    if (!applies)
      problem(line, join(path, key), "does not apply to a " + gateway.type + " gateway");
  }
  if (webhook && !present.count("url"))
    problem(node, join(path, "url"), "required key missing for a webhook gateway");
  if (!webhook && !present.count("directory"))
    problem(node, join(path, "directory"), "required key missing for a file gateway");
}

void Loader::read_gateways(const YAML::Node& node, const std::string& path,
                           std::map<Channel, GatewayConfig>& gateways) {
  gateways_line_ = line_of(node);
  each_entry(node, path, {"email", "sms"},
             [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
               read_gateway(value, key_path, gateways[*channel_from_string(name)]);
             });
}

Config Loader::load(const YAML::Node& root) {
  Config config;
  config.source = file_;
  config.templates.dir = resolve(config.templates.dir.string());
  if (!root.IsNull() && !root.IsMap()) {
    problem(root, "", "expected a map of sections, got " + kind_of(root));
    return config;
  }
  each_entry(
      root, "",
      {"redis", "contact", "templates", "rules", "gateways", "retry", "schedule", "limits", "log",
       "metrics", "shutdown"},
      [&](const std::string& name, const YAML::Node& value, const std::string& path) {
        if (name == "redis") {
          read_redis(value, path, config.redis);
        } else if (name == "contact") {
          read_contact(value, path, config.contact);
        } else if (name == "templates") {
          each_entry(value, path, {"dir"},
                     [&](const std::string&, const YAML::Node& dir, const std::string& key_path) {
                       std::string text;
                       if (read_string(dir, key_path, text)) config.templates.dir = resolve(text);
                     });
        } else if (name == "rules") {
          read_rules(value, path, config.rules);
        } else if (name == "gateways") {
          read_gateways(value, path, config.gateways);
        } else if (name == "retry") {
          int max_line = line_of(value);
          each_entry(value, path, {"initial_ms", "max_ms", "multiplier"},
                     [&](const std::string& key, const YAML::Node& v, const std::string& p) {
                       if (key == "initial_ms") read_ms(v, p, config.retry.initial);
                       if (key == "max_ms" && read_ms(v, p, config.retry.max))
                         max_line = line_of(v);
                       if (key == "multiplier") read_double(v, p, config.retry.multiplier, 1, 100);
                     });
          if (config.retry.initial > config.retry.max)
            problem(max_line, join(path, "max_ms"), "must not be less than retry.initial_ms");
        } else if (name == "schedule") {
          each_entry(value, path, {"poll_interval_ms", "lease_ms", "batch_size"},
                     [&](const std::string& key, const YAML::Node& v, const std::string& p) {
                       if (key == "poll_interval_ms") read_ms(v, p, config.schedule.poll_interval);
                       if (key == "lease_ms") read_ms(v, p, config.schedule.lease);
                       if (key == "batch_size")
                         read_size(v, p, config.schedule.batch_size, kMaxBatch);
                     });
        } else if (name == "limits") {
          each_entry(value, path, {"max_event_bytes", "max_in_flight"},
                     [&](const std::string& key, const YAML::Node& v, const std::string& p) {
                       if (key == "max_event_bytes")
                         read_size(v, p, config.limits.max_event_bytes, 64LL * 1024 * 1024);
                       if (key == "max_in_flight")
                         read_size(v, p, config.limits.max_in_flight, 100000);
                     });
        } else if (name == "log") {
          each_entry(value, path, {"level", "target"},
                     [&](const std::string& key, const YAML::Node& v, const std::string& p) {
                       if (key == "target") {
                         read_log_target(v, p, config.log.target);
                         return;
                       }
                       std::string level;
                       if (!read_string(v, p, level)) return;
                       if (!contains(kLogLevels, level))
                         problem(v, p, "must be one of: " + list(kLogLevels));
                       else
                         config.log.level = level;
                     });
        } else if (name == "shutdown") {
          each_entry(value, path, {"drain_timeout_ms"},
                     [&](const std::string&, const YAML::Node& v, const std::string& p) {
                       read_ms(v, p, config.shutdown.drain_timeout);
                     });
        } else if (name == "metrics") {
          each_entry(value, path, {"listen"},
                     [&](const std::string&, const YAML::Node& v, const std::string& p) {
                       std::string listen;
                       if (!read_string(v, p, listen, false)) return;
                       if (!listen.empty() && !is_listen_address(listen))
                         problem(
                             v, p,
                             "expected host:port with an IP address as host (\"127.0.0.1:9464\", "
                             "\"[::1]:9464\"); names are not resolved");
                       else
                         config.metrics.listen = listen;
                     });
        }
      });

  if (!consumer_given_) config.redis.consumer = host_name();
  if (!rules_given_) problem(0, "rules", "at least one rule is required");

  // Every channel some rule can send on needs a gateway; report each once.
  std::set<Channel> reported;
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    for (Channel channel : config.rules[i].channels) {
      if (config.gateways.count(channel) || !reported.insert(channel).second) continue;
      problem(gateways_line_ ? gateways_line_ : rule_lines_[i],
              join("gateways", to_string(channel)),
              "no gateway for channel " + std::string(to_string(channel)) + ", which " +
                  index("rules", i) + " uses");
    }
  }
  return config;
}

std::string error_text(int error) {
  return std::strerror(error);
}

}  // namespace

std::string to_string(const ConfigProblem& problem) {
  std::string out = problem.file.string();
  if (problem.line > 0) out += ":" + std::to_string(problem.line);
  out += ": ";
  if (!problem.key_path.empty()) out += problem.key_path + ": ";
  out += problem.message;
  return out;
}

ConfigLoadResult load_config(const std::filesystem::path& file) {
  ConfigLoadResult result;
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    result.problems.push_back({file, "", 0, "cannot read the config file: it is a directory"});
    return result;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    result.problems.push_back({file, "", 0, "cannot read the config file: " + error_text(errno)});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    result.problems.push_back({file, "", 0, "cannot read the config file"});
    return result;
  }
  auto absolute = std::filesystem::absolute(file, ec);
  auto base_dir = ec ? file.parent_path() : absolute.parent_path();
  return load_config_from_string(text.str(), file, base_dir);
}

ConfigLoadResult load_config_from_string(const std::string& yaml, const std::filesystem::path& file,
                                         const std::filesystem::path& base_dir) {
  ConfigLoadResult result;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.problems.push_back({file, "", line, "not valid YAML: " + e.msg});
    return result;
  }
  try {
    Loader loader(file, base_dir, result.problems);
    Config config = loader.load(root);
    if (result.problems.empty()) result.config = std::move(config);
  } catch (const YAML::Exception& e) {
    // Only a bug in the walk above could get here; still a problem report, not a crash.
    int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.problems.push_back({file, "", line, "cannot read the config: " + e.msg});
  }
  return result;
}

}  // namespace herald
