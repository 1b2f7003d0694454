#pragma once
/// Where Redis is, from a redis:// URL.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// Parsed from `redis://[[user]:password@]host[:port][/db]`.
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  int db = 0;
  std::string username;  ///< empty: none
  std::string password;  ///< empty: no AUTH. Never logged.
};

/// Parses a redis:// URL (percent-decoding user and password); nullopt when malformed.
std::optional<RedisEndpoint> parse_redis_url(std::string_view url);

/// The URL without its password, for logs and errors: "redis://127.0.0.1:6379/0".
std::string redacted(const RedisEndpoint& endpoint);

}  // namespace herald
