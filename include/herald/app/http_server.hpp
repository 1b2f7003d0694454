#pragma once
/// A small HTTP/1.1 server on the event loop (Boost.Beast), for herald's own endpoints:
/// /metrics and /healthz, and the delivery-receipt callbacks.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/status.hpp>

#include "herald/core/async_semaphore.hpp"

namespace herald {

/// A request as a handler sees it.
struct ServerRequest {
  std::string method;                                        ///< "GET", "POST"
  std::string target;                                        ///< the path, without the query
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;
  /// The body was over the server's `max_body_bytes`: not read (`body` is empty), and the
  /// connection closes after the answer. The handler decides the answer (413, usually).
  bool body_too_large = false;

  /// The value of header `name` (lower case), or "".
  std::string_view header(std::string_view name) const {
    for (const auto& [key, value] : headers)
      if (key == name) return value;
    return {};
  }
};

/// A handler's answer.
struct ServerResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Answers requests. Runs on the loop; may co_await (Redis).
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual boost::asio::awaitable<ServerResponse> handle(ServerRequest request) = 0;
};

/// What one server allows. Both listeners face the internet (receipts) or at least a network
/// (metrics): every connection holds a file descriptor, and herald's descriptors are shared with
/// everything else it does (gateway requests, Redis, sd_notify), so connections are bounded in
/// number and in time.
struct HttpServerLimits {
  /// A body over this is not read: the handler gets the request with `body_too_large` set.
  std::size_t max_body_bytes = 64 * 1024;
  /// Paths whose bodies may be larger (SendGrid's event batches), each with its own limit. A
  /// body over `max_body_bytes` is read for at most `large_bodies_at_once` requests at a time, so
  /// that connections nobody authenticated yet cannot hold `max_connections` times the largest
  /// limit in memory; one more is answered 503 with `Retry-After`, unread, and closed.
  std::vector<std::pair<std::string, std::size_t>> large_body_paths;
  std::size_t large_bodies_at_once = 4;
  /// Connections served at once. At the cap the server stops accepting until one closes; new
  /// connections wait in the kernel's listen backlog meanwhile (or are refused when it is full).
  std::size_t max_connections = 32;
  /// The cap is also at most this fraction (1/n) of the process's descriptor limit
  /// (RLIMIT_NOFILE), so that a low limit still leaves descriptors for the rest; 0: no such bound.
  std::size_t descriptor_share = 16;
  /// How long a connection may wait for, or take to send, a request's header: an idle keep-alive
  /// connection, or one that opened and says nothing, is closed after this.
  std::chrono::milliseconds header_timeout{10'000};
  /// How long the body may take to arrive once the header is in.
  std::chrono::milliseconds body_timeout{30'000};
  /// How long writing the answer may take.
  std::chrono::milliseconds write_timeout{30'000};
};

class HttpServer {
 public:
  /// Binds `listen` ("127.0.0.1:9464", "[::1]:9464"); throws std::runtime_error naming
  /// `config_key` when it cannot.
  HttpServer(boost::asio::any_io_executor executor, const std::string& listen,
             const std::string& config_key, HttpHandler& handler, HttpServerLimits limits = {});
  ~HttpServer();

  /// Accepts and serves connections until stop(). When accepting fails for want of resources
  /// (descriptors, memory), it waits before trying again (100 ms, doubling to 1 s) and logs it at
  /// most once a minute.
  boost::asio::awaitable<void> run();
  /// Stops accepting; connections in progress finish their request.
  void stop();
  /// The port actually bound (useful with port 0).
  unsigned short port() const;
  /// The connection cap in force: `max_connections`, lowered by `descriptor_share`.
  std::size_t max_connections() const { return max_connections_; }

 private:
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> drain(boost::beast::tcp_stream& stream);
  /// Answers a request that could not be parsed, or not now, with `status`, and closes.
  boost::asio::awaitable<void> refuse(boost::beast::tcp_stream& stream,
                                      boost::beast::http::status status,
                                      std::string_view retry_after = {});
  /// The body limit of requests to `target` (a path, maybe with a query), and of any path.
  std::size_t body_limit(std::string_view target) const;
  std::size_t largest_body_limit() const;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string config_key_;
  HttpHandler& handler_;
  HttpServerLimits limits_;
  std::size_t max_connections_;
  AsyncSemaphore connections_;  // a unit per connection being served
  // Bodies over max_body_bytes read or held now; shared with the connections, whose frames may
  // outlive the server when the loop is destroyed at exit.
  std::shared_ptr<std::size_t> large_bodies_ = std::make_shared<std::size_t>(0);
  boost::asio::steady_timer backoff_;  // the pause after a failed accept
};

/// Splits "host:port" / "[v6]:port"; false when malformed.
bool split_host_port(const std::string& listen, std::string& host, unsigned short& port);

}  // namespace herald
