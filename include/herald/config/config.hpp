#pragma once
/// herald's configuration as plain structs with their defaults (CONTRACT.md section 7).
/// Loading and validation live in config_loader.hpp; nothing here does I/O.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "herald/core/channel.hpp"

namespace herald {

/// A daily contact window in local wall-clock time, [start, end), minutes after midnight.
struct ContactWindow {
  std::chrono::minutes start{9 * 60};  ///< default 09:00
  std::chrono::minutes end{20 * 60};   ///< default 20:00; 24:00 allowed
};

struct RedisConfig {
  std::string url = "redis://127.0.0.1:6379/0";  ///< redis://[:password@]host[:port][/db]
  std::string stream = "herald:events";          ///< events in
  std::string group = "herald";                  ///< consumer group, created if missing
  std::string consumer;  ///< consumer name; default: the host name (stable across restarts)
  std::string outcomes_stream = "herald:outcomes";
  std::string dead_stream = "herald:dead";
  std::string key_prefix = "herald:";     ///< prefix of herald's own keys (records, schedule)
  std::chrono::milliseconds block{1000};  ///< XREADGROUP BLOCK
  std::chrono::milliseconds command_timeout{2000};  ///< deadline on every command
  std::size_t batch_size = 128;                     ///< entries per XREADGROUP / XAUTOCLAIM
  std::chrono::milliseconds claim_idle{60000};  ///< reclaim other consumers' entries idle this long
  std::chrono::milliseconds reconnect_min{100};  ///< first reconnect delay, doubled up to max
  std::chrono::milliseconds reconnect_max{5000};
};

struct ContactConfig {
  std::string timezone = "Europe/London";            ///< for recipients without one
  ContactWindow window;                              ///< default for every channel
  std::map<Channel, ContactWindow> channel_windows;  ///< per-channel override (contact.windows.sms)
  int max_attempts_per_day = 3;
  int max_days = 3;

  /// The window for `channel`: its override, else `window`.
  const ContactWindow& window_for(Channel channel) const {
    auto it = channel_windows.find(channel);
    return it == channel_windows.end() ? window : it->second;
  }
};

struct TemplatesConfig {
  std::filesystem::path dir = "templates";  ///< resolved against the config file's directory
};

struct Rule {
  std::string status;
  std::string template_name;      ///< YAML key `template`
  std::vector<Channel> channels;  ///< default: [email, sms]
  bool final = false;             ///< the case is finished: nothing more is sent for it
};

/// One gateway. Which keys apply depends on `type`.
struct GatewayConfig {
  std::string type;                 ///< "file" or "webhook"
  std::string url;                  ///< webhook: http(s) URL
  std::filesystem::path directory;  ///< file: outbox directory (relative to the config file)
  std::chrono::milliseconds timeout{10000};         ///< whole request, webhook
  std::chrono::milliseconds connect_timeout{3000};  ///< webhook
  std::size_t max_in_flight = 64;                   ///< concurrent requests to this gateway
  std::map<std::string, std::string> headers;       ///< extra request headers (webhook)
};

struct RetryConfig {
  std::chrono::milliseconds initial{1000};  ///< first backoff after a transient gateway failure
  std::chrono::milliseconds max{300000};    ///< backoff cap
  double multiplier = 2.0;
};

struct ScheduleConfig {
  std::chrono::milliseconds poll_interval{500};  ///< how often due notifications are looked for
  std::chrono::milliseconds lease{60000};        ///< how long a claimed notification is ours
  std::size_t batch_size = 100;                  ///< due notifications claimed per round trip
};

struct LimitsConfig {
  std::size_t max_event_bytes = 64 * 1024;
  std::size_t max_in_flight = 256;  ///< events being processed at once
};

struct LogConfig {
  std::string level = "info";  ///< trace, debug, info, warn, error, critical, off
  /// `auto` (the journal when stderr is connected to it, as under systemd; else stderr),
  /// `journal` or `stderr`.
  std::string target = "auto";
};

/// What `herald run` does on SIGTERM (service issue).
struct ShutdownConfig {
  /// How long work in flight may take to finish after SIGTERM; what is not finished by then is
  /// left unacknowledged (or leased) and picked up after the restart. Default 10 s; keep it
  /// below the unit's TimeoutStopSec.
  std::chrono::milliseconds drain_timeout{10000};
};

struct MetricsConfig {
  std::string listen;  ///< host:port for /metrics and /healthz; empty disables
};

struct Config {
  std::filesystem::path source;  ///< the file this was loaded from
  RedisConfig redis;
  ContactConfig contact;
  TemplatesConfig templates;
  std::vector<Rule> rules;
  std::map<Channel, GatewayConfig> gateways;  ///< YAML keys `email`, `sms`
  RetryConfig retry;
  ScheduleConfig schedule;
  LimitsConfig limits;
  LogConfig log;
  MetricsConfig metrics;
  ShutdownConfig shutdown;

  /// The rule for `status`, or nullptr.
  const Rule* rule_for(std::string_view status) const {
    for (const auto& r : rules)
      if (r.status == status) return &r;
    return nullptr;
  }
};

}  // namespace herald
