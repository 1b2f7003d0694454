#pragma once
/// `GET /metrics` and `GET /healthz` on the event loop.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "herald/app/http_server.hpp"

namespace herald {

class Metrics;

class MetricsServer : public HttpHandler {
 public:
  /// Connections served at once (fewer under a low descriptor limit: a sixteenth of it): a
  /// Prometheus or two and a health check need a handful.
  static constexpr std::size_t kMaxConnections = 32;

  /// Binds `listen` ("127.0.0.1:9464", "[::1]:9464"); throws std::runtime_error when it cannot.
  /// `healthy` answers /healthz: 200 when true, 503 otherwise.
  MetricsServer(boost::asio::any_io_executor executor, const std::string& listen,
                const Metrics& metrics, std::function<bool()> healthy);

  /// Accepts and serves connections until stop().
  boost::asio::awaitable<void> run() { return server_.run(); }
  void stop() { server_.stop(); }
  /// The port actually bound (useful with port 0).
  unsigned short port() const { return server_.port(); }
  /// The connection cap in force (kMaxConnections, or lower under a low descriptor limit).
  std::size_t max_connections() const { return server_.max_connections(); }

  boost::asio::awaitable<ServerResponse> handle(ServerRequest request) override;

 private:
  const Metrics& metrics_;
  std::function<bool()> healthy_;
  HttpServer server_;
};

}  // namespace herald
