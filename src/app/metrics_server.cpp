#include "herald/app/metrics_server.hpp"

#include "herald/app/metrics.hpp"

namespace herald {
namespace {

HttpServerLimits metrics_limits() {
  HttpServerLimits limits;
  limits.max_body_bytes = 4096;  // GET and HEAD only
  limits.max_connections = MetricsServer::kMaxConnections;
  limits.descriptor_share = 16;
  return limits;
}

}  // namespace

MetricsServer::MetricsServer(boost::asio::any_io_executor executor, const std::string& listen,
                             const Metrics& metrics, std::function<bool()> healthy)
    : metrics_(metrics),
      healthy_(std::move(healthy)),
      server_(std::move(executor), listen, "metrics.listen", *this, metrics_limits()) {}

boost::asio::awaitable<ServerResponse> MetricsServer::handle(ServerRequest request) {
  ServerResponse response;
  if (request.body_too_large) {
    response.status = 413;
    response.body = "request body too large\n";
  } else if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.headers.emplace_back("Allow", "GET, HEAD");
  } else if (request.target == "/metrics") {
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = metrics_.serialize();
  } else if (request.target == "/healthz") {
    const bool ok = healthy_();
    response.status = ok ? 200 : 503;
    response.body = ok ? "ok\n" : "unavailable: Redis is not connected\n";
  } else {
    response.status = 404;
    response.body = "not found\n";
  }
  co_return response;
}

}  // namespace herald
