#pragma once
/// Redis on the event loop: hiredis async underneath (only src/redis/ includes hiredis).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "herald/config/redis_url.hpp"
#include "herald/redis/redis_reply.hpp"

namespace herald {

struct RedisClientOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_min{100};  ///< first retry delay, doubled up to max
  std::chrono::milliseconds reconnect_max{5000};
  std::string name = "herald";  ///< CLIENT SETNAME, to tell connections apart in CLIENT LIST
};

/// One Redis connection that reconnects by itself. Commands are pipelined: many may be in flight
/// at once. Every command has a deadline; when one passes, the connection is dropped (its
/// replies can no longer be matched to requests) and every command in flight on it fails with
/// `boost::asio::error::timed_out`; the next command reconnects, with backoff. Commands fail
/// fast with `boost::asio::error::not_connected` while Redis is unreachable.
/// Single-threaded: use from the executor's thread only. Hold a SigpipeIgnored (sigpipe.hpp)
/// while it runs: hiredis's writes raise SIGPIPE when Redis closes a connection under them.
class RedisClient {
 public:
  RedisClient(boost::asio::any_io_executor executor, RedisEndpoint endpoint,
              RedisClientOptions options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// Runs one command (binary-safe arguments). A Redis error reply is a value
  /// (RedisReply::Type::error), not a failure; failures are connection problems and timeouts.
  boost::asio::awaitable<boost::system::result<RedisReply>> command(
      std::vector<std::string> args, std::chrono::milliseconds timeout);

  /// Connects now if not connected (with the connect timeout); used at start-up to fail early.
  boost::asio::awaitable<boost::system::error_code> connect();

  /// True while a connection is established.
  bool connected() const;

  /// Called after every successful reconnection (not the first connection): for metrics.
  void on_reconnect(std::function<void()> callback);

  /// Drops the connection; commands in flight fail with operation_aborted.
  void close();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace herald
