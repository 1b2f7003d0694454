#pragma once
/// `POST /receipts`: delivery receipts from providers (callbacks.listen), authenticated with a
/// bearer token. The same JSON also arrives on the receipts stream (Daemon).
#include <string>

#include <boost/asio/awaitable.hpp>

#include "herald/app/http_server.hpp"

namespace herald {

class Dispatcher;
class Metrics;

class ReceiptEndpoint : public HttpHandler {
 public:
  /// Binds `listen`; throws std::runtime_error when it cannot. `token` is the bearer token
  /// callers must present (never logged).
  ReceiptEndpoint(boost::asio::any_io_executor executor, const std::string& listen,
                  std::string token, Dispatcher& dispatcher, Metrics& metrics);

  boost::asio::awaitable<void> run() { return server_.run(); }
  void stop() { server_.stop(); }
  unsigned short port() const { return server_.port(); }

  /// 200 applied; 400 malformed; 401 no or wrong token; 404 unknown id; 405 not POST; 409
  /// duplicate; 503 Redis unavailable (the provider should try again). Nothing changes state
  /// unless the answer is 200.
  boost::asio::awaitable<ServerResponse> handle(ServerRequest request) override;

 private:
  std::string token_;
  Dispatcher& dispatcher_;
  Metrics& metrics_;
  HttpServer server_;
};

}  // namespace herald
