#pragma once
/// Reading a config's YAML: the walk over its maps with every problem collected (Loader), the
/// helpers it shares, and what each section's reader needs. Internal to herald_config:
/// config_loader.cpp reads the sections, config_gateways.cpp the gateways.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config_syntax.hpp"
#include "herald/config/config_loader.hpp"

namespace herald::config_detail {

using std::chrono::milliseconds;
using std::chrono::minutes;
using Names = std::initializer_list<std::string_view>;

// The longest duration any setting accepts: every one of them is a timeout, a delay or a lease,
// and a value beyond a day is a typo (seconds given as milliseconds times 1000).
inline constexpr long long kMaxDurationMs = 24LL * 60 * 60 * 1000;
inline constexpr long long kMaxBatch = 10000;

// Why `file` cannot be read as the config, a secret or a CA file, found without opening it: a
// directory, or anything else that is not a regular file (opening a FIFO blocks until a writer
// comes: check-config hung). "" for a regular file, or one that is not there (opening it says
// so).
inline std::string not_a_regular_file(const std::filesystem::path& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return "";
  if (status.type() == std::filesystem::file_type::directory) return "it is a directory";
  if (status.type() != std::filesystem::file_type::regular) return "it is not a regular file";
  return "";
}

inline std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

inline std::string index(const std::string& path, std::size_t i) {
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

inline int line_of(const YAML::Node& node) {
  int line = node.Mark().line;
  return line < 0 ? 0 : line + 1;
}

// A quoted scalar ("3") is a string in YAML even when it looks like a number.
inline bool is_quoted(const YAML::Node& node) {
  return node.Tag() == "!";
}

// What a node is, for "expected X, got Y".
inline std::string kind_of(const YAML::Node& node) {
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
         std::vector<ConfigProblem>& problems, ConfigScope scope = ConfigScope::all)
      : file_(std::move(file)),
        base_dir_(std::move(base_dir)),
        problems_(problems),
        scope_(scope) {}

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
    each_entry(node, path, std::span<const std::string_view>(known.begin(), known.size()), field);
  }
  template <class Field>
  void each_entry(const YAML::Node& node, const std::string& path,
                  std::span<const std::string_view> known, Field&& field) {
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
      if (name == "<<" && key.Tag() != "!") {
        // yaml-cpp reads a merge key as a plain key named "<<".
        problem(key, key_path, "YAML merge keys (<<) are not supported: write the keys out");
      } else if (!contains(known, name)) {
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

  bool read_size(const YAML::Node& node, const std::string& path, std::size_t& out, long long max,
                 long long min = 1) {
    auto value = read_integer(node, path, min, max);
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
  void read_gateway(const YAML::Node& node, const std::string& path, Channel channel,
                    GatewayConfig& gateway);
  void read_callbacks(const YAML::Node& node, const std::string& path, CallbacksConfig& callbacks);
  // Issue 4: provider gateways.
  struct GatewayEntry {
    YAML::Node value;
    std::string path;
  };
  using GatewayEntries = std::map<std::string, GatewayEntry>;
  void read_headers(const GatewayEntries& entries, std::map<std::string, Secret>& headers);
  std::optional<std::string> expand_env(const YAML::Node& node, const std::string& path);
  std::optional<std::string> env_value(const YAML::Node& node, const std::string& path,
                                       const std::string& name);
  void read_gateway_value(const std::string& name, const GatewayEntry& entry, Channel channel,
                          GatewayConfig& gateway);
  std::optional<Secret> read_secret(const GatewayEntries& entries, const std::string& key,
                                    const YAML::Node& gateway_node, const std::string& path);
  std::optional<std::string> secret_from_env(const YAML::Node& node, const std::string& path);
  std::optional<std::string> secret_from_file(const YAML::Node& node, const std::string& path);
  void read_notify_templates(const YAML::Node& node, const std::string& path, Channel channel,
                             GatewayConfig& gateway);
  void read_base_url(const YAML::Node& node, const std::string& path, std::string& out);
  void check_gateway_names(const std::map<Channel, GatewayConfig>& gateways);
  void check_notify_templates(const Config& config);

  std::filesystem::path file_;
  std::filesystem::path base_dir_;
  std::vector<ConfigProblem>& problems_;
  ConfigScope scope_;
  bool consumer_given_ = false;
  bool rules_given_ = false;
  int rules_line_ = 0;
  int max_fragments_line_ = 0;  // sms.max_fragments, when given
  int gateways_line_ = 0;
  int retention_days_line_ = 0;   // retention.days, when given
  int max_event_bytes_line_ = 0;  // limits.max_event_bytes, when given
  // The line of each rule's `channels` (or of the rule when absent), for "no gateway" problems.
  std::vector<int> rule_lines_;
  // Issue 4: where things were written, for problems found once everything is read.
  std::map<Channel, int> gateway_name_lines_;     // its `name`, or its map
  std::map<Channel, int> status_callback_lines_;  // twilio `status_callback`
  int event_webhook_key_line_ = 0;                // sendgrid `event_webhook_key`, when given
  std::map<Channel, int> notify_template_lines_;  // govuk_notify `templates`
  std::map<Channel, std::map<std::string, int>> notify_template_key_lines_;  // and each key
};

}  // namespace herald::config_detail
