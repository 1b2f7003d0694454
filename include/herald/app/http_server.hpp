#pragma once
/// A small HTTP/1.1 server on the event loop (Boost.Beast), for herald's own endpoints:
/// /metrics and /healthz, and the delivery-receipt callbacks.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

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

class HttpServer {
 public:
  /// Binds `listen` ("127.0.0.1:9464", "[::1]:9464"); throws std::runtime_error naming
  /// `config_key` when it cannot. A body over `max_body_bytes` is not read: the handler gets the
  /// request with `body_too_large` set.
  HttpServer(boost::asio::any_io_executor executor, const std::string& listen,
             const std::string& config_key, HttpHandler& handler,
             std::size_t max_body_bytes = 64 * 1024);
  ~HttpServer();

  /// Accepts and serves connections until stop().
  boost::asio::awaitable<void> run();
  /// Stops accepting; connections in progress finish their request.
  void stop();
  /// The port actually bound (useful with port 0).
  unsigned short port() const;

 private:
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> drain(boost::beast::tcp_stream& stream);
  boost::asio::ip::tcp::acceptor acceptor_;
  HttpHandler& handler_;
  std::size_t max_body_bytes_;
};

/// Splits "host:port" / "[v6]:port"; false when malformed.
bool split_host_port(const std::string& listen, std::string& host, unsigned short& port);

}  // namespace herald
