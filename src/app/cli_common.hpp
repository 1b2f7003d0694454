#pragma once
// What every `herald` command shares: exit codes, usage errors, option parsing. Private to
// src/app: each command lives in its own cli_*.cpp and is dispatched from cli.cpp.
#include <exception>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>

#include "herald/config/config.hpp"
#include "herald/config/redis_url.hpp"
#include "herald/redis/redis_client.hpp"
#include "herald/redis/sigpipe.hpp"

namespace herald::cli {

namespace po = boost::program_options;

constexpr int kOk = 0;
constexpr int kRuntimeFailure = 1;
constexpr int kBadInput = 2;
constexpr const char* kDefaultConfig = "/etc/herald/herald.yaml";

/// A usage error: printed with the command's usage, exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses a command's arguments; a bad one throws UsageError.
po::variables_map parse(int argc, char** argv, const po::options_description& options,
                        const po::positional_options_description& positional);

/// `--help` and `--config FILE` (default /etc/herald/herald.yaml), under `title`.
po::options_description common_options(const char* title, std::string& config, bool& help);

/// `herald dead list|replay` (cli_dead.cpp).
int cmd_dead(int argc, char** argv);

/// `herald status CASE_REF` (cli_status.cpp).
int cmd_status(int argc, char** argv);

/// `herald scheduled` (cli_scheduled.cpp).
int cmd_scheduled(int argc, char** argv);

// ---- Commands that read Redis (dead, status, scheduled) ----

/// A command's answer from Redis, or why Redis could not give it.
template <class T>
struct Answer {
  std::optional<T> value;
  std::string error;
};

/// The config (with HERALD_REDIS_URL) for a command that only talks to Redis; prints every
/// problem to stderr and returns nullopt when there is one.
std::optional<Config> load_for_redis(const std::string& path);

/// Connects first, so that "Redis is down" is told apart from a failed command, then runs `op`.
template <class T, class Op>
boost::asio::awaitable<Answer<T>> connect_then(RedisClient* redis, Op op) {
  auto ec = co_await redis->connect();
  if (ec) {
    Answer<T> failed;
    failed.error = "cannot connect: " + ec.message();
    co_return failed;
  }
  auto answer = co_await op(redis);
  co_return answer;
}

/// Runs `op(RedisClient*)`, a function returning `awaitable<Answer<T>>`, on a fresh loop with one
/// Redis connection. The error, if any, names the (redacted) Redis URL.
template <class T, class Op>
Answer<T> with_redis(const Config& config, Op op) {
  // While it talks to Redis only: printing the answer to a closed pipe (`| head`) still ends
  // the command the usual way.
  SigpipeIgnored sigpipe_ignored;
  boost::asio::io_context io(1);
  auto endpoint = parse_redis_url(config.redis.url).value_or(RedisEndpoint{});
  RedisClientOptions options;
  options.connect_timeout = config.redis.command_timeout;
  options.name = "herald-cli";
  RedisClient redis(io.get_executor(), endpoint, options);
  Answer<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, connect_then<T>(&redis, std::move(op)),
                        [&](std::exception_ptr e, Answer<T> r) {
                          error = e;
                          out = std::move(r);
                          redis.close();  // the connection's pending read would keep io.run() going
                        });
  io.run();
  if (error) std::rethrow_exception(error);
  if (!out.error.empty()) out.error = redacted(endpoint) + ": " + out.error;
  return out;
}

/// Prints `rows` as a table: columns padded to their widest cell, two spaces apart.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

/// `text` with control characters replaced by '?': what Redis holds must not drive the terminal.
std::string printable(std::string text);

}  // namespace herald::cli
