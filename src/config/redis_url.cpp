#include "herald/config/redis_url.hpp"

#include <charconv>

namespace herald {
namespace {

constexpr std::string_view kScheme = "redis://";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes the user-info part. NUL is refused: it would truncate the AUTH argument in any
// C string API on the way to the server.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return std::nullopt;
      i += 2;
    } else if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
      return std::nullopt;
    }
    out.push_back(c);
  }
  return out;
}

bool is_host_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool is_ipv6_char(char c) {
  return hex_value(c) >= 0 || c == ':' || c == '.';
}

// A decimal number of at most 5 digits; no sign, no spaces.
std::optional<int> small_number(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

}  // namespace

std::optional<RedisEndpoint> parse_redis_url(std::string_view url) {
  if (url.size() <= kScheme.size() || url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint endpoint;

  // The path (database) starts at the first '/', which cannot appear in the user info unencoded.
  std::string_view authority = rest;
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view user_info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = user_info.find(':');
    // `user@host` without a password is ambiguous between redis clients (some read it as the
    // password); refuse it rather than guess.
    if (colon == std::string_view::npos) return std::nullopt;
    auto user = percent_decode(user_info.substr(0, colon));
    auto password = percent_decode(user_info.substr(colon + 1));
    if (!user || !password) return std::nullopt;
    endpoint.username = std::move(*user);
    endpoint.password = std::move(*password);
  }

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view host = authority.substr(1, close - 1);
    if (host.empty() || host.find(':') == std::string_view::npos) return std::nullopt;
    for (char c : host)
      if (!is_ipv6_char(c)) return std::nullopt;
    endpoint.host = std::string(host);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else {
    std::string_view host = authority;
    if (auto colon = authority.find(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
    if (host.empty()) return std::nullopt;
    for (char c : host)
      if (!is_host_name_char(c)) return std::nullopt;
    endpoint.host = std::string(host);
  }

  if (!port_text.empty()) {
    auto port = small_number(port_text);
    if (!port || *port < 1 || *port > 65535) return std::nullopt;
    endpoint.port = static_cast<std::uint16_t>(*port);
  }

  if (!path.empty()) {
    auto db = small_number(path);
    if (!db || path.size() > 2 || *db > 15) return std::nullopt;
    endpoint.db = *db;
  }
  return endpoint;
}

std::string redacted(const RedisEndpoint& endpoint) {
  std::string out(kScheme);
  if (!endpoint.username.empty() || !endpoint.password.empty()) {
    out += percent_encode(endpoint.username);
    out += endpoint.password.empty() ? ":@" : ":***@";
  }
  if (endpoint.host.find(':') != std::string::npos)
    out += "[" + endpoint.host + "]";
  else
    out += endpoint.host;
  out += ':' + std::to_string(endpoint.port) + '/' + std::to_string(endpoint.db);
  return out;
}

}  // namespace herald
