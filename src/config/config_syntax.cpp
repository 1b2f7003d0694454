#include "config_syntax.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

namespace herald::config_detail {

using std::chrono::minutes;

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

// "host:port" or "[v6]:port", the host an IP address.
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

}  // namespace herald::config_detail
