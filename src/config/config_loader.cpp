#include "herald/config/config_loader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <span>
#include <sstream>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "herald/config/redis_url.hpp"
#include "herald/core/time_zones.hpp"
#include "herald/core/utf8.hpp"

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

// Why `file` cannot be read as the config, a secret or a CA file, found without opening it: a
// directory, or anything else that is not a regular file (opening a FIFO blocks until a writer
// comes: check-config hung). "" for a regular file, or one that is not there (opening it says
// so).
std::string not_a_regular_file(const std::filesystem::path& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return "";
  if (status.type() == std::filesystem::file_type::directory) return "it is a directory";
  if (status.type() != std::filesystem::file_type::regular) return "it is not a regular file";
  return "";
}

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

// A header whose value is a credential by its name: Authorization, X-Api-Key, X-Auth-Token,
// X-AccessToken, X-SecretKey, X-Passwd and the like, judged word by word (words split at - _ .
// and where a capital follows a small letter, or starts a word after a run of capitals:
// "APIKey" is API + Key), so that X-Monkey and X-Keyring are not. Such a value is never written
// in the config itself.
bool is_credential_header(std::string_view name) {
  const auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto is_lower = [](char c) { return c >= 'a' && c <= 'z'; };
  std::vector<std::string> words(1);
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '-' || c == '_' || c == '.') {
      words.emplace_back();
      continue;
    }
    const bool boundary = is_upper(c) && i > 0 &&
                          (is_lower(name[i - 1]) ||
                           (is_upper(name[i - 1]) && i + 1 < name.size() && is_lower(name[i + 1])));
    if (boundary && !words.back().empty()) words.emplace_back();
    words.back() += is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  }
  for (const std::string& word : words) {
    for (std::string_view whole : {"authorization", "auth", "key", "apikey", "accesskey", "passwd",
                                   "credential", "credentials"})
      if (word == whole) return true;
    for (std::string_view ending : {"token", "secret", "password"})
      if (word.ends_with(ending)) return true;
  }
  return false;
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

// The authority of a URL with a scheme: "user:pw@host:port" of "https://user:pw@host:port/x".
std::string_view authority_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  const std::string_view rest =
      scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

// Whether an http(s) URL's host is this machine (127.0.0.0/8, ::1, localhost): a sandbox or a
// test double, the one place a provider's API may be spoken to in clear.
bool is_loopback_url(std::string_view url) {
  std::string_view host = authority_of(url);
  if (host.starts_with("[::1]")) return true;
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.starts_with("127.");
}

// http(s)://host[:port][/path...]: enough to know curl will try the host we mean.
bool is_http_url(std::string_view url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) return false;
  if (has_control_char(url, false) || url.find(' ') != std::string_view::npos) return false;
  std::string_view authority = authority_of(url);
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

// ---- Gateways (issue 4): provider types, secrets, protection ----

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
    "from_email", "from_name", "reply_to"};                            // sendgrid
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
           key == "from_name" || key == "reply_to";
  return false;
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// 8-4-4-4-12 hexadecimal digits.
bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i : {8u, 13u, 18u, 23u})
    if (text[i] != '-') return false;
  return is_hex(text.substr(0, 8)) && is_hex(text.substr(9, 4)) && is_hex(text.substr(14, 4)) &&
         is_hex(text.substr(19, 4)) && is_hex(text.substr(24));
}

// Twilio's resource ids: a two-letter prefix and 32 hexadecimal digits.
bool is_twilio_sid(std::string_view text, std::string_view prefix) {
  return text.size() == 34 && text.substr(0, 2) == prefix && is_hex(text.substr(2));
}

// A Twilio sender: an E.164 number, a short code, or an alphanumeric sender id (1-11 letters,
// digits and spaces with at least one letter).
bool is_sms_sender(std::string_view text) {
  auto digits = [](std::string_view t) {
    return !t.empty() &&
           std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (text.size() >= 8 && text.size() <= 16 && text[0] == '+' && digits(text.substr(1)))
    return true;
  if (text.size() >= 3 && text.size() <= 8 && digits(text)) return true;
  if (text.empty() || text.size() > 11) return false;
  bool letter = false;
  for (char c : text) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    letter = letter || alpha;
    if (!alpha && !(c >= '0' && c <= '9') && c != ' ') return false;
  }
  return letter;
}

// Enough of an address to be sure it is one address: local@domain, no spaces, no controls, no
// brackets or commas that would make a second recipient.
bool is_email_address(std::string_view text) {
  auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= text.size() ||
      text.find('@', at + 1) != std::string_view::npos || text.size() > 254)
    return false;
  if (text.substr(at + 1).find('.') == std::string_view::npos) return false;
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"';
  });
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A GOV.UK Notify API key: `{key name}-{service id}-{secret key}`, both ids UUIDs.
bool is_notify_api_key(std::string_view key) {
  if (key.size() < 75 || key[key.size() - 37] != '-' || key[key.size() - 74] != '-') return false;
  return is_uuid(key.substr(key.size() - 73, 36)) && is_uuid(key.substr(key.size() - 36));
}

std::string trim_space(std::string text) {
  auto last = text.find_last_not_of(" \t\r\n");
  text.erase(last == std::string::npos ? 0 : last + 1);
  auto first = text.find_first_not_of(" \t\r\n");
  text.erase(0, first == std::string::npos ? text.size() : first);
  return text;
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
  int retention_days_line_ = 0;  // retention.days, when given
  // The line of each rule's `channels` (or of the rule when absent), for "no gateway" problems.
  std::vector<int> rule_lines_;
  // Issue 4: where things were written, for problems found once everything is read.
  std::map<Channel, int> gateway_name_lines_;     // its `name`, or its map
  std::map<Channel, int> status_callback_lines_;  // twilio `status_callback`
  std::map<Channel, int> notify_template_lines_;  // govuk_notify `templates`
  std::map<Channel, std::map<std::string, int>> notify_template_key_lines_;  // and each key
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
  } else if (name == "from_name") {
    read_string(value, key_path, gateway.from_name);
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
  // The case records that make stale and final checks work expire after retention.days: they
  // must outlive every attempt a notification may still have.
  if (config.retention.days <= config.contact.max_days)
    problem(retention_days_line_, "retention.days",
            "must be greater than contact.max_days (" + std::to_string(config.contact.max_days) +
                "): a case's records must outlive its last contact attempt");
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
  } catch (const YAML::Exception& e) {
    int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.problems.push_back({file, "", line, "not valid YAML: " + e.msg});
    return result;
  }
  try {
    Loader loader(file, base_dir, result.problems, scope);
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
