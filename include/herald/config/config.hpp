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
#include "herald/core/secret.hpp"

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
  std::string receipts_stream =
      "herald:receipts";  ///< delivery receipts in (same JSON as callbacks)
  /// Prefix of herald's own keys (records, schedule, cases). The `{herald}` hash tag keeps them in
  /// one slot, so that one deployment's data can live on one node of a Redis Cluster.
  std::string key_prefix = "{herald}:";
  std::chrono::milliseconds block{1000};            ///< XREADGROUP BLOCK
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

/// A circuit breaker in front of a gateway: after `failures` transient failures in a row the
/// gateway is not called for `cool_down`; then one request probes it, and closes the breaker on
/// success or opens it again on failure.
struct CircuitBreakerConfig {
  int failures = 5;  ///< consecutive transient failures that open it; 0 disables the breaker
  std::chrono::milliseconds cool_down{30000};  ///< how long it stays open before a probe
};

/// One gateway. Which keys apply depends on `type`.
struct GatewayConfig {
  std::string type;                 ///< "file", "webhook", "govuk_notify", "twilio" or "sendgrid"
  std::string url;                  ///< webhook: http(s) URL
  std::filesystem::path directory;  ///< file: outbox directory (relative to the config file)
  std::chrono::milliseconds timeout{10000};         ///< whole request (HTTP gateways)
  std::chrono::milliseconds connect_timeout{3000};  ///< TCP and TLS handshakes (HTTP gateways)
  std::size_t max_in_flight = 64;                   ///< concurrent requests to this gateway
  /// Extra request headers (webhook), by name. Every value is a Secret: an Authorization value
  /// is a credential (from `${ENV_VAR}` or `headers_file`), and none of them ever prints.
  std::map<std::string, Secret> headers;

  // Provider gateways and protection (issue 4).
  /// The gateway's name in logs and metrics (`gateway` label); default: its type. Gateways that
  /// share a name share one rate limit and one circuit breaker (one Notify service for email and
  /// SMS is one account with one rate limit).
  std::string name;
  /// `name`, or `type` where it is unset (a config built in code rather than loaded).
  const std::string& name_or_type() const { return name.empty() ? type : name; }
  /// API root of govuk_notify, twilio and sendgrid; default: the provider's own (tests and
  /// sandboxes point it elsewhere).
  std::string base_url;
  std::filesystem::path ca_file;  ///< PEM CA bundle trusted instead of the system's; "" = system
  /// Token bucket: requests per second (rate_per_second, or rate_per_minute / 60); 0 = no limit.
  /// govuk_notify defaults to 3000 per minute, Notify's own limit.
  double rate_per_second = 0;
  std::size_t burst = 0;  ///< bucket size; 0 = one second's worth (at least 1)
  CircuitBreakerConfig circuit_breaker;

  Secret api_key;  ///< govuk_notify (`{name}-{service id}-{secret}`), sendgrid
  /// govuk_notify: Notify template id by herald template and language ("en", "cy").
  std::map<std::string, std::map<std::string, std::string>> templates;
  std::string email_reply_to_id;  ///< govuk_notify, email: Notify reply-to address id
  std::string sms_sender_id;      ///< govuk_notify, sms: Notify sender id

  std::string account_sid;            ///< twilio: AC...
  Secret auth_token;                  ///< twilio
  std::string from;                   ///< twilio: sender number or alphanumeric sender id
  std::string messaging_service_sid;  ///< twilio: MG..., instead of `from`
  std::string status_callback;        ///< twilio: URL Twilio posts delivery status to

  std::string from_email;  ///< sendgrid: sender address
  std::string from_name;   ///< sendgrid: sender name ("Customer Dispatch"), or its English one
  /// sendgrid: the sender name in another language ("cy"), for messages in that language.
  std::map<std::string, std::string> from_name_in;
  std::string reply_to;  ///< sendgrid: optional reply-to address
  /// sendgrid: the Signed Event Webhook's verification key (base64 of a DER P-256 public key):
  /// herald then takes SendGrid's events on `POST /receipts/sendgrid`.
  std::string event_webhook_key;
};

/// Text messages.
struct SmsConfig {
  /// The most fragments one SMS may take: a template that cannot fit is refused at load, a
  /// rendered message over it is an invalid event (never a silently truncated message).
  std::size_t max_fragments = 3;
  bool international = false;  ///< SMS to numbers outside the UK (+44); when false they get email
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

/// Delivery receipts over HTTP (CONTRACT.md section 6: a receipt decides whether an attempt
/// failed).
struct CallbacksConfig {
  std::string listen;  ///< IP:port for `POST /receipts`; empty disables the endpoint
  /// The bearer token callers must present. Read at start from the environment variable named by
  /// `token_env` or from `token_file` (relative names resolve against $CREDENTIALS_DIRECTORY, then
  /// the config file's directory); never written in the YAML itself.
  Secret token;
  std::string token_source;  ///< where the token came from, for messages ("env HERALD_...")
};

struct RetentionConfig {
  int days = 30;  ///< finished notification records, case timelines and outcomes are kept this long
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
  CallbacksConfig callbacks;
  SmsConfig sms;
  RetentionConfig retention;
  ShutdownConfig shutdown;

  /// The rule for `status`, or nullptr.
  const Rule* rule_for(std::string_view status) const {
    for (const auto& r : rules)
      if (r.status == status) return &r;
    return nullptr;
  }
};

}  // namespace herald
