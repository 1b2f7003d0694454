#include "herald/config/config_loader.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/depthguard.h>

#include "config_reader.hpp"
#include "herald/config/redis_url.hpp"
#include "herald/core/time_zones.hpp"
#include "herald/core/utf8.hpp"

namespace herald {
namespace config_detail {
namespace {

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return "herald";
  return buffer;
}

std::string error_text(int error) {
  return std::strerror(error);
}

}  // namespace

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
             {"url", "stream", "group", "consumer", "outcomes_stream", "dead_stream",
              "receipts_stream", "key_prefix", "block_ms", "command_timeout_ms", "batch_size",
              "claim_idle_ms", "reconnect_min_ms", "reconnect_max_ms"},
             [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
               if (name == "url") {
                 std::string url;
                 if (!read_string(value, key_path, url)) return;
                 // The URL may hold a password: never echo it.
                 if (url.starts_with("rediss://"))
                   problem(value, key_path,
                           "TLS (rediss://) is not supported: use redis:// to a Redis on this "
                           "machine or a trusted network, or a TLS tunnel (stunnel) to it");
                 else if (!parse_redis_url(url))
                   problem(value, key_path,
                           "not a valid URL (redis://[[user]:password@]host[:port][/db], port "
                           "1-65535, db 0-15)");
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
               } else if (name == "receipts_stream") {
                 if (read_string(value, key_path, redis.receipts_stream))
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
  for (const auto* other : {&redis.stream, &redis.outcomes_stream, &redis.dead_stream})
    if (redis.receipts_stream == *other) {
      problem(line("receipts_stream"), join(path, "receipts_stream"),
              "must differ from the events, outcomes and dead-letter streams");
      break;
    }
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

void Loader::read_callbacks(const YAML::Node& node, const std::string& path,
                            CallbacksConfig& callbacks) {
  std::string token_env, token_file;
  int token_line = line_of(node);
  each_entry(node, path, {"listen", "token", "token_env", "token_file"},
             [&](const std::string& name, const YAML::Node& v, const std::string& p) {
               if (name == "listen") {
                 std::string listen;
                 if (!read_string(v, p, listen, false)) return;
                 if (!listen.empty() && !is_listen_address(listen))
                   problem(v, p,
                           "expected host:port with an IP address as host (\"127.0.0.1:9465\"); "
                           "names are not resolved");
                 else
                   callbacks.listen = listen;
               } else if (name == "token") {
                 // A secret written in the YAML ends up in backups, diffs and tickets.
                 problem(v, p,
                         "the token is never written in the config: use token_env or "
                         "token_file");
               } else if (name == "token_env") {
                 if (read_string(v, p, token_env)) token_line = line_of(v);
               } else if (name == "token_file") {
                 if (read_string(v, p, token_file)) token_line = line_of(v);
               }
             });
  if (callbacks.listen.empty()) return;
  if (!token_env.empty() && !token_file.empty()) {
    problem(token_line, join(path, "token_file"), "give token_env or token_file, not both");
    return;
  }
  if (token_file.empty()) {
    const std::string name = token_env.empty() ? "HERALD_CALLBACK_TOKEN" : token_env;
    const char* value = std::getenv(name.c_str());
    callbacks.token_source = "environment variable " + name;
    if (!value || !*value)
      problem(token_line, join(path, token_env.empty() ? "listen" : "token_env"),
              "the receipts endpoint needs a bearer token: environment variable " + name +
                  " is not set (or set token_file)");
    else
      callbacks.token = Secret(value);
  } else {
    std::filesystem::path file(token_file);
    if (file.is_relative()) {
      const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
      file = credentials && *credentials ? std::filesystem::path(credentials) / file
                                         : resolve(token_file);
    }
    callbacks.token_source = "file " + file.string();
    if (auto why = not_a_regular_file(file); !why.empty()) {
      problem(token_line, join(path, "token_file"), "cannot read " + file.string() + ": " + why);
      return;
    }
    std::ifstream in(file, std::ios::binary);
    std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (!in.good() && !in.eof())
      problem(token_line, join(path, "token_file"), "cannot read " + file.string());
    else if (token.empty())
      problem(token_line, join(path, "token_file"), file.string() + " is missing or empty");
    else
      callbacks.token = Secret(std::move(token));
  }
  const std::string token_key = join(path, token_file.empty() ? "token_env" : "token_file");
  if (!callbacks.token.empty() && callbacks.token.reveal().size() < 16)
    problem(token_line, token_key, "the token must be at least 16 characters");
  // What a bearer token may be (RFC 6750 b64token): a space or a tab at its end, say, passes
  // every other check, but HTTP drops it from the header, so no request could ever match.
  const std::string& token = callbacks.token.reveal();
  for (std::size_t i = 0; i < token.size(); ++i) {
    const char c = token[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-._~+/").find(c) != std::string_view::npos ||
                    (c == '=' && token.find_first_not_of('=', i) == std::string::npos);
    if (!ok) {
      problem(token_line, token_key,
              "the token may hold only letters, digits and - . _ ~ + / (and = at its end), as a "
              "bearer token must; character " +
                  std::to_string(i + 1) + " is not one of them");
      break;
    }
  }
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
       "metrics", "callbacks", "sms", "retention", "shutdown"},
      [&](const std::string& name, const YAML::Node& value, const std::string& path) {
        if (name == "redis") {
          read_redis(value, path, config.redis);
        } else if (scope_ == ConfigScope::redis) {
          return;  // not read, so not checked: gateway secrets exist only inside the service
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
                       // At least 1 KiB: below it every real event would be refused, and
                       // `64` meant as 64 KiB would dead-letter the whole stream.
                       if (key == "max_event_bytes" &&
                           read_size(v, p, config.limits.max_event_bytes, 64LL * 1024 * 1024, 1024))
                         max_event_bytes_line_ = line_of(v);
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
        } else if (name == "sms") {
          each_entry(value, path, {"max_fragments", "international"},
                     [&](const std::string& key, const YAML::Node& v, const std::string& p) {
                       if (key == "max_fragments") {
                         max_fragments_line_ = line_of(v);
                         read_size(v, p, config.sms.max_fragments, 255);
                       } else
                         read_bool(v, p, config.sms.international);
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
        } else if (name == "callbacks") {
          read_callbacks(value, path, config.callbacks);
        } else if (name == "retention") {
          each_entry(value, path, {"days"},
                     [&](const std::string&, const YAML::Node& v, const std::string& p) {
                       retention_days_line_ = line_of(v);
                       read_int(v, p, config.retention.days, 1, 3650);
                     });
        }
      });

  if (!consumer_given_) config.redis.consumer = host_name();
  if (scope_ == ConfigScope::redis) return config;
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
  check_notify_templates(config);
  // What the SMS provider takes at most: a longer text would be refused every time (and fall back
  // to email), so the limit is refused here. Notify: 918 characters, 6 GSM fragments of 153;
  // Twilio: 1,600 characters, 10 GSM fragments (1,530) and 23 UCS-2 ones, so 10.
  if (const auto sms = config.gateways.find(Channel::sms); sms != config.gateways.end()) {
    const std::size_t most = sms->second.type == "govuk_notify" ? 6
                             : sms->second.type == "twilio"     ? 10
                                                                : 255;
    if (config.sms.max_fragments > most)
      problem(max_fragments_line_, "sms.max_fragments",
              "must be at most " + std::to_string(most) + " with a " + sms->second.type +
                  " gateway: it refuses a longer text message");
  }
  // A status_callback naming herald's own endpoint while herald serves none: Twilio's callbacks
  // would find nothing, and each text would stay `sent` for ever, with no retry and no email
  // fallback. (Another path may be a relay writing to the receipts stream: that is fine.)
  for (const auto& [channel, line] : status_callback_lines_) {
    const auto gateway = config.gateways.find(channel);
    if (gateway == config.gateways.end() || !config.callbacks.listen.empty()) continue;
    const std::string& url = gateway->second.status_callback;
    if (!std::string_view(url).substr(0, url.find('?')).ends_with("/receipts/twilio")) continue;
    problem(line, join(join("gateways", to_string(channel)), "status_callback"),
            "names herald's /receipts/twilio, but callbacks.listen is not set, so herald serves "
            "no such endpoint: set callbacks.listen (and its token)");
  }
  // SendGrid's events are taken on callbacks.listen only: with the key but no listener, every
  // email would stay `sent`, bounced or not.
  if (event_webhook_key_line_ != 0 && config.callbacks.listen.empty())
    problem(event_webhook_key_line_, "gateways.email.event_webhook_key",
            "is set, but callbacks.listen is not, so herald serves no /receipts/sendgrid for "
            "SendGrid's events: set callbacks.listen (and its token)");
  // A read holds up to redis.batch_size entries of up to limits.max_event_bytes each in memory
  // at once (and as much again while they are recorded): bounded, so that a burst of the largest
  // entries the config allows cannot take the host's memory.
  constexpr std::size_t kMaxBatchBytes = std::size_t{1} << 30;
  if (config.redis.batch_size * config.limits.max_event_bytes > kMaxBatchBytes)
    problem(max_event_bytes_line_, "limits.max_event_bytes",
            "times redis.batch_size (" + std::to_string(config.redis.batch_size) + ") is " +
                std::to_string(config.redis.batch_size * config.limits.max_event_bytes >> 20) +
                " MiB, over 1024 MiB: a read of the largest entries is held in memory at once; "
                "lower one of them");
  // The case records that make stale and final checks work expire after retention.days: they
  // must outlive every attempt a notification may still have.
  if (config.retention.days <= config.contact.max_days)
    problem(retention_days_line_, "retention.days",
            "must be greater than contact.max_days (" + std::to_string(config.contact.max_days) +
                "): a case's records must outlive its last contact attempt");
  return config;
}

}  // namespace config_detail

using config_detail::error_text;
using config_detail::Loader;
using config_detail::not_a_regular_file;

std::string to_string(const ConfigProblem& problem) {
  std::string out = problem.file.string();
  if (problem.line > 0) out += ":" + std::to_string(problem.line);
  out += ": ";
  if (!problem.key_path.empty()) out += problem.key_path + ": ";
  out += problem.message;
  return out;
}

ConfigLoadResult load_config(const std::filesystem::path& file, ConfigScope scope) {
  ConfigLoadResult result;
  if (auto why = not_a_regular_file(file); !why.empty()) {
    result.problems.push_back({file, "", 0, "cannot read the config file: " + why});
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
  std::error_code ec;
  auto absolute = std::filesystem::absolute(file, ec);
  auto base_dir = ec ? file.parent_path() : absolute.parent_path();
  return load_config_from_string(text.str(), file, base_dir, scope);
}

ConfigLoadResult load_config_from_string(const std::string& yaml, const std::filesystem::path& file,
                                         const std::filesystem::path& base_dir, ConfigScope scope) {
  ConfigLoadResult result;
  // yaml-cpp takes any bytes: a sender name saved as Latin-1 would reach every message garbled.
  if (auto fault = utf8_fault(yaml)) {
    result.problems.push_back({file, "", fault->line, std::move(fault->message)});
    return result;
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::DeepRecursion& e) {  // its own message reads "bad file"
    int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.problems.push_back(
        {file, "", line, "not valid YAML: nested deeper than yaml-cpp reads (2000 levels)"});
    return result;
  } catch (const YAML::Exception& e) {
    int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.problems.push_back({file, "", line, "not valid YAML: " + e.msg});
    return result;
  }
  try {
    Loader loader(file, base_dir, result.problems, scope);
    Config config = loader.load(root);
    if (result.problems.empty())
      result.config = std::move(config);
    else
      result.partial = std::move(config);
  } catch (const YAML::Exception& e) {
    // Only a bug in the walk above could get here; still a problem report, not a crash.
    int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.problems.push_back({file, "", line, "cannot read the config: " + e.msg});
  }
  return result;
}

}  // namespace herald
