// The `gateways` section (issue 4): each channel's gateway, its type's keys, secrets from the
// environment or credential files, request headers, provider ids and Notify template ids.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "config_reader.hpp"

namespace herald::config_detail {
namespace {

// Headers the webhook gateway sets itself; a configured value would contradict it.
constexpr std::string_view kReservedHeaders[] = {"content-type", "content-length",
                                                 "idempotency-key", "host", "transfer-encoding"};

constexpr std::string_view kGatewayTypes[] = {"webhook", "file", "govuk_notify", "twilio",
                                              "sendgrid"};

// Every key a gateway may have; which apply depends on its type (gateway_keys_for).
// clang-format off
constexpr std::string_view kGatewayKeys[] = {
    "type", "name",
    "url", "headers", "headers_file",                                  // webhook
    "directory",                                                       // file
    "timeout_ms", "connect_timeout_ms", "max_in_flight", "ca_file",    // HTTP gateways
    "rate_per_second", "rate_per_minute", "burst", "circuit_breaker",
    "base_url", "api_key", "api_key_file",                             // providers
    "templates", "email_reply_to_id", "sms_sender_id",                 // govuk_notify
    "account_sid", "auth_token", "auth_token_file", "from", "messaging_service_sid",  // twilio
    "status_callback",
    "from_email", "from_name", "reply_to", "event_webhook_key"};       // sendgrid
// clang-format on

constexpr std::string_view kHttpKeys[] = {"timeout_ms", "connect_timeout_ms", "max_in_flight",
                                          "ca_file",    "rate_per_second",    "rate_per_minute",
                                          "burst",      "circuit_breaker"};

// herald's languages (templating's kLanguages): a Notify template id is needed for each.
constexpr std::string_view kLanguageNames[] = {"en", "cy"};

constexpr std::string_view kNotifyBaseUrl = "https://api.notifications.service.gov.uk";
constexpr std::string_view kTwilioBaseUrl = "https://api.twilio.com";
constexpr std::string_view kSendgridBaseUrl = "https://api.sendgrid.com";
// GOV.UK Notify's own limit for a live key: 3,000 requests per 60 seconds.
constexpr double kNotifyRatePerSecond = 3000.0 / 60.0;
// A secret file is one line; anything bigger is the wrong file.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

bool gateway_key_applies(std::string_view type, std::string_view key) {
  if (key == "type" || key == "name") return true;
  if (type == "file") return key == "directory" || key == "max_in_flight";
  if (contains(kHttpKeys, key)) return true;
  if (type == "webhook") return key == "url" || key == "headers" || key == "headers_file";
  if (type == "govuk_notify")
    return key == "base_url" || key == "api_key" || key == "api_key_file" || key == "templates" ||
           key == "email_reply_to_id" || key == "sms_sender_id";
  if (type == "twilio")
    return key == "base_url" || key == "account_sid" || key == "auth_token" ||
           key == "auth_token_file" || key == "from" || key == "messaging_service_sid" ||
           key == "status_callback";
  if (type == "sendgrid")
    return key == "base_url" || key == "api_key" || key == "api_key_file" || key == "from_email" ||
           key == "from_name" || key == "reply_to" || key == "event_webhook_key";
  return false;
}

}  // namespace

void Loader::read_gateway(const YAML::Node& node, const std::string& path, Channel channel,
                          GatewayConfig& gateway) {
  gateway_name_lines_[channel] = line_of(node);
  // Collected first: which keys apply, and how some are read (secrets), depends on the type.
  GatewayEntries entries;
  each_entry(node, path, std::span<const std::string_view>(kGatewayKeys),
             [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
               entries[name] = {value, key_path};
             });
  if (!node.IsMap()) return;
  auto has = [&](const char* key) { return entries.count(key) != 0; };
  auto missing = [&](const std::string& key, const std::string& why) {
    problem(node, join(path, key), "required key missing " + why);
  };

  bool type_ok = false;
  if (auto it = entries.find("type"); it != entries.end()) {
    if (read_string(it->second.value, it->second.path, gateway.type)) {
      type_ok = contains(kGatewayTypes, gateway.type);
      if (!type_ok) {
        problem(it->second.value, it->second.path, "must be one of: " + list(kGatewayTypes));
      } else if (gateway.type == "twilio" && channel != Channel::sms) {
        problem(it->second.value, it->second.path,
                "twilio sends text messages only: use it as gateways.sms");
        type_ok = false;
      } else if (gateway.type == "sendgrid" && channel != Channel::email) {
        problem(it->second.value, it->second.path,
                "sendgrid sends email only: use it as gateways.email");
        type_ok = false;
      }
    }
  } else {
    missing("type", "(one of: " + list(kGatewayTypes) + ")");
  }

  for (const auto& [name, entry] : entries) {
    if (name == "type") continue;
    if (type_ok && !gateway_key_applies(gateway.type, name)) {
      problem(line_of(entry.value), entry.path, "does not apply to a " + gateway.type + " gateway");
      continue;
    }
    // Secrets are read below, and only for a gateway that takes them. Headers too: their values
    // may be secrets, and a header given in both maps is one problem.
    const bool secret = name == "api_key" || name == "auth_token" || name == "api_key_file" ||
                        name == "auth_token_file" || name == "headers" || name == "headers_file";
    if (secret) continue;
    read_gateway_value(name, entry, channel, gateway);
  }
  if (!type_ok || gateway.type == "webhook") read_headers(entries, gateway.headers);
  if (!type_ok) return;

  const std::string& type = gateway.type;
  if (gateway.name.empty()) gateway.name = type;
  if (type == "webhook" && !has("url")) missing("url", "for a webhook gateway");
  if (type == "file" && !has("directory")) missing("directory", "for a file gateway");
  if (type == "govuk_notify") {
    if (gateway.base_url.empty()) gateway.base_url = kNotifyBaseUrl;
    if (!has("rate_per_second") && !has("rate_per_minute"))
      gateway.rate_per_second = kNotifyRatePerSecond;
    if (auto key = read_secret(entries, "api_key", node, path)) {
      if (!is_notify_api_key(key->reveal()))
        problem(line_of(entries.count("api_key") ? entries.at("api_key").value
                                                 : entries.at("api_key_file").value),
                join(path, entries.count("api_key") ? "api_key" : "api_key_file"),
                "is not a GOV.UK Notify API key ({key name}-{service id}-{secret key}, as Notify "
                "shows it when it is created)");
      else
        gateway.api_key = std::move(*key);
    }
    if (!has("templates"))
      missing("templates",
              "for a govuk_notify gateway (the Notify template id of each herald "
              "template and language)");
    if (has("email_reply_to_id") && channel != Channel::email)
      problem(line_of(entries.at("email_reply_to_id").value), join(path, "email_reply_to_id"),
              "applies to gateways.email only");
    if (has("sms_sender_id") && channel != Channel::sms)
      problem(line_of(entries.at("sms_sender_id").value), join(path, "sms_sender_id"),
              "applies to gateways.sms only");
  } else if (type == "twilio") {
    if (gateway.base_url.empty()) gateway.base_url = kTwilioBaseUrl;
    if (!has("account_sid")) missing("account_sid", "for a twilio gateway");
    if (auto token = read_secret(entries, "auth_token", node, path))
      gateway.auth_token = std::move(*token);
    if (has("from") && has("messaging_service_sid"))
      problem(line_of(entries.at("messaging_service_sid").value),
              join(path, "messaging_service_sid"), "give from or messaging_service_sid, not both");
    else if (!has("from") && !has("messaging_service_sid"))
      missing("from", "for a twilio gateway (or messaging_service_sid)");
  } else if (type == "sendgrid") {
    if (gateway.base_url.empty()) gateway.base_url = kSendgridBaseUrl;
    if (auto key = read_secret(entries, "api_key", node, path)) gateway.api_key = std::move(*key);
    if (!has("from_email")) missing("from_email", "for a sendgrid gateway");
  }
  if (has("rate_per_second") && has("rate_per_minute"))
    problem(line_of(entries.at("rate_per_minute").value), join(path, "rate_per_minute"),
            "give rate_per_second or rate_per_minute, not both");
  if (has("burst") && gateway.rate_per_second == 0)
    problem(line_of(entries.at("burst").value), join(path, "burst"),
            "applies only with rate_per_second or rate_per_minute");
}

void Loader::read_gateway_value(const std::string& name, const GatewayEntry& entry, Channel channel,
                                GatewayConfig& gateway) {
  const YAML::Node& value = entry.value;
  const std::string& key_path = entry.path;
  if (name == "name") {
    gateway_name_lines_[channel] = line_of(value);
    if (read_string(value, key_path, gateway.name) && !is_plain_name(gateway.name)) {
      problem(value, key_path, "must be 1-128 characters of A-Z, a-z, 0-9, _ and -");
      gateway.name.clear();
    }
  } else if (name == "url") {
    if (!read_string(value, key_path, gateway.url)) return;
    if (!is_http_url(gateway.url))
      problem(value, key_path, "must be an http:// or https:// URL with a host");
    else if (authority_of(gateway.url).find('@') != std::string_view::npos)
      // curl would send it as Basic auth: a credential written in the config, which check-config
      // refuses everywhere else.
      problem(value, key_path,
              "must not carry a user or password (user:password@host): give the credential as "
              "headers.Authorization: \"Basic ${VAR}\" from the environment or a file");
  } else if (name == "directory") {
    std::string directory;
    if (read_string(value, key_path, directory)) gateway.directory = resolve(directory);
  } else if (name == "timeout_ms") {
    read_ms(value, key_path, gateway.timeout);
  } else if (name == "connect_timeout_ms") {
    read_ms(value, key_path, gateway.connect_timeout);
  } else if (name == "max_in_flight") {
    read_size(value, key_path, gateway.max_in_flight, kMaxBatch);
  } else if (name == "base_url") {
    read_base_url(value, key_path, gateway.base_url);
  } else if (name == "ca_file") {
    std::string text;
    if (!read_string(value, key_path, text)) return;
    auto file = resolve(text);
    if (auto why = not_a_regular_file(file); !why.empty()) {
      problem(value, key_path, "cannot read " + file.string() + ": " + why);
      return;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in)
      problem(value, key_path, "cannot read " + file.string() + ": " + std::strerror(errno));
    else
      gateway.ca_file = file;
  } else if (name == "rate_per_second" || name == "rate_per_minute") {
    double rate = 0;
    if (read_double(value, key_path, rate, 1e-3, 1e6))
      gateway.rate_per_second = name == "rate_per_second" ? rate : rate / 60.0;
  } else if (name == "burst") {
    read_size(value, key_path, gateway.burst, 1000000);
  } else if (name == "circuit_breaker") {
    each_entry(value, key_path, {"failures", "cool_down_ms"},
               [&](const std::string& key, const YAML::Node& v, const std::string& p) {
                 if (key == "failures") read_int(v, p, gateway.circuit_breaker.failures, 0, 1000);
                 if (key == "cool_down_ms") read_ms(v, p, gateway.circuit_breaker.cool_down);
               });
  } else if (name == "templates") {
    read_notify_templates(value, key_path, channel, gateway);
  } else if (name == "email_reply_to_id" || name == "sms_sender_id") {
    std::string id;
    if (!read_string(value, key_path, id)) return;
    if (!is_uuid(id))
      problem(value, key_path, "must be a Notify id (a UUID, as the service settings show it)");
    else
      (name == "email_reply_to_id" ? gateway.email_reply_to_id : gateway.sms_sender_id) = id;
  } else if (name == "account_sid") {
    if (!read_string(value, key_path, gateway.account_sid)) return;
    if (!is_twilio_sid(gateway.account_sid, "AC"))
      problem(value, key_path, "must be a Twilio account SID (AC and 32 hexadecimal digits)");
  } else if (name == "messaging_service_sid") {
    if (!read_string(value, key_path, gateway.messaging_service_sid)) return;
    if (!is_twilio_sid(gateway.messaging_service_sid, "MG"))
      problem(value, key_path,
              "must be a Twilio messaging service SID (MG and 32 hexadecimal digits)");
  } else if (name == "from") {
    if (!read_string(value, key_path, gateway.from)) return;
    if (!is_sms_sender(gateway.from))
      problem(value, key_path,
              "must be an E.164 number (+447700900000), a short code or an alphanumeric sender "
              "id of up to 11 letters, digits and spaces");
  } else if (name == "status_callback") {
    status_callback_lines_[channel] = line_of(value);
    if (!read_string(value, key_path, gateway.status_callback)) return;
    if (!is_http_url(gateway.status_callback))
      problem(value, key_path, "must be an http:// or https:// URL with a host");
    else if (gateway.status_callback.starts_with("http://") &&
             !is_loopback_url(gateway.status_callback))
      // Twilio's callbacks carry the recipient's number.
      problem(value, key_path, "must be https:// (http:// only to this machine)");
  } else if (name == "from_email" || name == "reply_to") {
    std::string& out = name == "from_email" ? gateway.from_email : gateway.reply_to;
    if (read_string(value, key_path, out) && !is_email_address(out)) {
      problem(value, key_path, "must be one email address (name@example.gov.uk)");
      out.clear();
    }
  } else if (name == "event_webhook_key") {
    // The Signed Event Webhook's verification key, as SendGrid's mail settings show it: base64 of
    // a DER P-256 public key, which always begins with the same 36 characters and has 124.
    // (check_gateways reads it as a key.)
    event_webhook_key_line_ = line_of(value);
    constexpr std::string_view kP256KeyPrefix = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE";
    std::string key;
    if (!read_string(value, key_path, key)) return;
    const bool base64 = key.find_first_not_of(
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
                        std::string::npos;
    if (!base64 || key.size() != 124 || !key.starts_with(kP256KeyPrefix))
      problem(value, key_path,
              "must be the Signed Event Webhook's verification key as SendGrid shows it: 124 "
              "characters of base64, beginning " +
                  std::string(kP256KeyPrefix));
    else
      gateway.event_webhook_key = std::move(key);
  } else if (name == "from_name") {
    // One name, or one per language ({en: ..., cy: ...}): a Welsh message comes from the
    // service's Welsh name.
    if (!value.IsMap()) {
      read_string(value, key_path, gateway.from_name);
      return;
    }
    each_entry(value, key_path, std::span<const std::string_view>(kLanguageNames),
               [&](const std::string& language, const YAML::Node& v, const std::string& p) {
                 std::string text;
                 if (!read_string(v, p, text)) return;
                 if (language == "en")
                   gateway.from_name = std::move(text);
                 else
                   gateway.from_name_in[language] = std::move(text);
               });
    if (gateway.from_name.empty())
      problem(value, join(key_path, "en"),
              "required: the sender name for English, and for a language without one");
  }
}

void Loader::read_base_url(const YAML::Node& node, const std::string& path, std::string& out) {
  std::string url;
  if (!read_string(node, path, url)) return;
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  if (!is_http_url(url) || url.find_first_of("?#") != std::string::npos ||
      url.find('@') != std::string::npos) {
    problem(node, path,
            "must be an http:// or https:// URL with a host, and no query, fragment or "
            "credentials");
    return;
  }
  // The API key, and every recipient's address or number, would cross the network in clear.
  if (url.starts_with("http://") && !is_loopback_url(url)) {
    problem(node, path, "must be https:// (http:// only to this machine: 127.0.0.1, localhost)");
    return;
  }
  out = url;
}

std::optional<std::string> Loader::secret_from_env(const YAML::Node& node,
                                                   const std::string& path) {
  if (!expect_scalar(node, path, "\"${ENV_VAR}\"")) return std::nullopt;
  // Never echo the value: it may be the secret itself, written where it must not be.
  const std::string& text = node.Scalar();
  const auto file_key = path.substr(path.rfind('.') + 1) + "_file";
  if (text.size() < 4 || !text.starts_with("${") || text.back() != '}' ||
      !is_env_name(std::string_view(text).substr(2, text.size() - 3))) {
    problem(node, path,
            "a secret is never written in the config: give \"${ENV_VAR}\" (an environment "
            "variable) or " +
                file_key + " (a file; relative names are looked up in $CREDENTIALS_DIRECTORY)");
    return std::nullopt;
  }
  return env_value(node, path, text.substr(2, text.size() - 3));
}

std::optional<std::string> Loader::env_value(const YAML::Node& node, const std::string& path,
                                             const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) {
    problem(node, path, "environment variable " + name + " is not set");
    return std::nullopt;
  }
  std::string secret = trim_space(value);
  if (secret.empty()) {
    problem(node, path, "environment variable " + name + " is empty");
    return std::nullopt;
  }
  if (has_control_char(secret, false)) {
    problem(node, path,
            "environment variable " + name + " must be one line without control characters");
    return std::nullopt;
  }
  return secret;
}

std::optional<std::string> Loader::expand_env(const YAML::Node& node, const std::string& path) {
  // Never echo the text around a reference either: "Bearer ${TOKEN" may be followed by the token.
  const std::string& text = node.Scalar();
  std::string out;
  bool ok = true;
  std::size_t from = 0;
  for (auto open = text.find("${"); open != std::string::npos; open = text.find("${", from)) {
    out.append(text, from, open - from);
    const auto close = text.find('}', open + 2);
    if (close == std::string::npos) {
      problem(node, path, "unterminated \"${\": write ${ENV_VAR}");
      return std::nullopt;
    }
    const std::string name = text.substr(open + 2, close - open - 2);
    if (!is_env_name(name)) {
      problem(node, path,
              "\"${...}\" must name an environment variable (letters, digits and _, not "
              "starting with a digit)");
      ok = false;
    } else if (auto value = env_value(node, path, name)) {
      out += *value;
    } else {
      ok = false;
    }
    from = close + 1;
  }
  out.append(text, from);
  if (!ok) return std::nullopt;
  return out;
}

void Loader::read_headers(const GatewayEntries& entries, std::map<std::string, Secret>& headers) {
  // By lower-cased name (HTTP header names ignore case): where it was first given
  // ("headers.Authorization").
  std::map<std::string, std::string> seen;
  for (const std::string map_key : {"headers", "headers_file"}) {
    auto it = entries.find(map_key);
    if (it == entries.end()) continue;
    const bool from_file = map_key == "headers_file";
    const YAML::Node& node = it->second.value;
    const std::string& path = it->second.path;
    if (!expect_map(node, path)) continue;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar() || !is_header_name(key.Scalar())) {
        problem(key, path, "a header name must be an HTTP token (letters, digits, - and the like)");
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string key_path = join(path, name);
      const std::string lowered = lower(name);
      const std::string short_path = map_key + "." + name;
      if (auto [before, inserted] = seen.emplace(lowered, short_path); !inserted) {
        problem(key, key_path,
                before->second.starts_with(map_key + ".")
                    ? std::string("repeated header")
                    : "give " + before->second + " or " + short_path + ", not both");
        continue;
      }
      if (contains(kReservedHeaders, lowered)) {
        problem(key, key_path, "is set by herald itself");
        continue;
      }
      const YAML::Node& value = entry.second;
      std::optional<std::string> text;
      if (from_file) {
        text = secret_from_file(value, key_path);
      } else {
        if (!expect_scalar(value, key_path, "a string")) continue;
        // Never echo the value: it may be the secret itself, written where it must not be.
        if (has_control_char(value.Scalar(), true)) {
          problem(value, key_path, "must not contain line breaks or control characters");
          continue;
        }
        if (is_credential_header(name) && value.Scalar().find("${") == std::string::npos) {
          problem(value, key_path,
                  "a secret is never written in the config: give the credential as \"${ENV_VAR}\" "
                  "(an environment variable, \"Bearer ${HOOK_TOKEN}\") or the whole value as "
                  "headers_file." +
                      name + " (a file; relative names are looked up in $CREDENTIALS_DIRECTORY)");
          continue;
        }
        text = expand_env(value, key_path);
      }
      if (text) headers[name] = Secret(std::move(*text));
    }
  }
}

std::optional<std::string> Loader::secret_from_file(const YAML::Node& node,
                                                    const std::string& path) {
  std::string name;
  if (!read_string(node, path, name)) return std::nullopt;
  // systemd's LoadCredential= puts credentials in $CREDENTIALS_DIRECTORY: a relative name is
  // looked up there when it is set, else next to the config file like every other path.
  std::filesystem::path file(name);
  const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
  if (file.is_relative())
    file = credentials && *credentials
               ? (std::filesystem::path(credentials) / file).lexically_normal()
               : resolve(name);
  if (auto why = not_a_regular_file(file); !why.empty()) {
    problem(node, path, "cannot read " + file.string() + ": " + why);
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    problem(node, path, "cannot read " + file.string() + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::string content(kMaxSecretBytes + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad()) {
    problem(node, path, "cannot read " + file.string());
    return std::nullopt;
  }
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > kMaxSecretBytes) {
    problem(node, path, file.string() + " is too large for a secret (over 64 KiB)");
    return std::nullopt;
  }
  std::string secret = trim_space(std::move(content));
  if (secret.empty()) {
    problem(node, path, file.string() + " is empty");
    return std::nullopt;
  }
  if (has_control_char(secret, false)) {
    problem(node, path, file.string() + " must hold one line without control characters");
    return std::nullopt;
  }
  return secret;
}

std::optional<Secret> Loader::read_secret(const GatewayEntries& entries, const std::string& key,
                                          const YAML::Node& gateway_node, const std::string& path) {
  auto inline_it = entries.find(key);
  auto file_it = entries.find(key + "_file");
  if (inline_it != entries.end() && file_it != entries.end()) {
    problem(file_it->second.value, file_it->second.path,
            "give " + key + " or " + key + "_file, not both");
    return std::nullopt;
  }
  std::optional<std::string> value;
  if (inline_it != entries.end())
    value = secret_from_env(inline_it->second.value, inline_it->second.path);
  else if (file_it != entries.end())
    value = secret_from_file(file_it->second.value, file_it->second.path);
  else
    problem(gateway_node, join(path, key),
            "required key missing: give \"${ENV_VAR}\" or " + key + "_file");
  if (!value) return std::nullopt;
  return Secret(std::move(*value));
}

void Loader::read_notify_templates(const YAML::Node& node, const std::string& path, Channel channel,
                                   GatewayConfig& gateway) {
  notify_template_lines_[channel] = line_of(node);
  if (!expect_map(node, path)) return;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar() || !is_plain_name(key.Scalar())) {
      problem(key, path, "a key must be a herald template name (A-Z, a-z, 0-9, _ and -)");
      continue;
    }
    std::string template_path = join(path, key.Scalar());
    notify_template_key_lines_[channel].emplace(key.Scalar(), line_of(key));
    if (gateway.templates.count(key.Scalar())) {
      problem(key, template_path, "repeated key");
      continue;
    }
    auto& ids = gateway.templates[key.Scalar()];
    each_entry(entry.second, template_path, std::span<const std::string_view>(kLanguageNames),
               [&](const std::string& language, const YAML::Node& v, const std::string& p) {
                 std::string id;
                 if (!read_string(v, p, id)) return;
                 if (!is_uuid(id))
                   problem(v, p, "must be a Notify template id (a UUID, as Notify shows it)");
                 else
                   ids[language] = id;
               });
  }
}

void Loader::read_gateways(const YAML::Node& node, const std::string& path,
                           std::map<Channel, GatewayConfig>& gateways) {
  gateways_line_ = line_of(node);
  each_entry(node, path, {"email", "sms"},
             [&](const std::string& name, const YAML::Node& value, const std::string& key_path) {
               Channel channel = *channel_from_string(name);
               read_gateway(value, key_path, channel, gateways[channel]);
             });
  check_gateway_names(gateways);
}

// Gateways that share a name share one rate limit and one circuit breaker, so they must agree on
// what those are (and be the same kind of gateway).
void Loader::check_gateway_names(const std::map<Channel, GatewayConfig>& gateways) {
  for (auto a = gateways.begin(); a != gateways.end(); ++a) {
    for (auto b = std::next(a); b != gateways.end(); ++b) {
      const GatewayConfig& x = a->second;
      const GatewayConfig& y = b->second;
      if (x.name.empty() || x.name != y.name) continue;
      const std::string other = join("gateways", to_string(a->first));
      std::string what;
      if (x.type != y.type)
        what = "type";
      else if (x.rate_per_second != y.rate_per_second || x.burst != y.burst)
        what = "rate limit";
      else if (x.circuit_breaker.failures != y.circuit_breaker.failures ||
               x.circuit_breaker.cool_down != y.circuit_breaker.cool_down)
        what = "circuit_breaker";
      if (what.empty()) continue;
      problem(gateway_name_lines_[b->first], join(join("gateways", to_string(b->first)), "name"),
              "shares the name '" + y.name + "' with " + other +
                  " (one rate limit and circuit "
                  "breaker for both) but not its " +
                  what +
                  "; give them the same settings or "
                  "different names");
    }
  }
}

// Every template a rule sends through a Notify gateway needs a Notify template id in every
// language, and every id given must be for a template some rule sends there.
void Loader::check_notify_templates(const Config& config) {
  for (const auto& [channel, gateway] : config.gateways) {
    if (gateway.type != "govuk_notify" || !notify_template_lines_.count(channel)) continue;
    const std::string path = join(join("gateways", to_string(channel)), "templates");
    const auto& key_lines = notify_template_key_lines_[channel];
    // Captured by value: clang (the fuzz build) does not let a lambda name a structured binding.
    const auto templates_line = notify_template_lines_[channel];
    auto line_for = [&key_lines, templates_line](const std::string& name) {
      auto it = key_lines.find(name);
      return it == key_lines.end() ? templates_line : it->second;
    };
    std::set<std::string> used;
    for (std::size_t i = 0; i < config.rules.size(); ++i) {
      const Rule& rule = config.rules[i];
      if (rule.template_name.empty() ||
          std::find(rule.channels.begin(), rule.channels.end(), channel) == rule.channels.end())
        continue;
      if (!used.insert(rule.template_name).second) continue;
      auto ids = gateway.templates.find(rule.template_name);
      for (std::string_view language : kLanguageNames) {
        if (ids != gateway.templates.end() && ids->second.count(std::string(language))) continue;
        problem(line_for(rule.template_name), join(join(path, rule.template_name), language),
                "no Notify template id for template " + rule.template_name + " in " +
                    std::string(language) + " (" + index("rules", i) + " sends it by " +
                    std::string(to_string(channel)) + ")");
      }
    }
    for (const auto& [name, ids] : gateway.templates)
      if (!used.count(name))
        problem(line_for(name), join(path, name),
                "unknown template: no rule sends template " + name + " by " +
                    std::string(to_string(channel)));
  }
}

}  // namespace herald::config_detail
