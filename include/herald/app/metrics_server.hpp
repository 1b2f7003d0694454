#pragma once
/// `GET /metrics` and `GET /healthz` on the event loop (Boost.Beast).
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace herald {

class Metrics;

class MetricsServer {
 public:
  /// Binds `listen` ("127.0.0.1:9464", "[::1]:9464"); throws std::runtime_error when it cannot.
  /// `healthy` answers /healthz: 200 when true, 503 otherwise.
  MetricsServer(boost::asio::any_io_executor executor, const std::string& listen,
                const Metrics& metrics, std::function<bool()> healthy);
  ~MetricsServer();

  /// Accepts and serves connections until stop().
  boost::asio::awaitable<void> run();
  void stop();
  /// The port actually bound (useful with port 0).
  unsigned short port() const;

 private:
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  boost::asio::ip::tcp::acceptor acceptor_;
  const Metrics& metrics_;
  std::function<bool()> healthy_;
};

/// Splits "host:port" / "[v6]:port"; false when malformed.
bool split_host_port(const std::string& listen, std::string& host, unsigned short& port);

}  // namespace herald
