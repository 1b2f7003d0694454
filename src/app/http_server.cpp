#include "herald/app/http_server.hpp"

#include <charconv>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace herald {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
}  // namespace

bool split_host_port(const std::string& listen, std::string& host, unsigned short& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto p = std::string_view(listen).substr(colon + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  return ec == std::errc{} && end == p.data() + p.size() && !host.empty();
}

HttpServer::HttpServer(asio::any_io_executor executor, const std::string& listen,
                       const std::string& config_key, HttpHandler& handler,
                       std::size_t max_body_bytes)
    : acceptor_(executor), handler_(handler), max_body_bytes_(max_body_bytes) {
  std::string host;
  unsigned short port = 0;
  if (!split_host_port(listen, host, port))
    throw std::runtime_error(config_key + ": '" + listen + "' is not host:port");
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error(config_key + ": '" + host + "' is not an IP address");
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::runtime_error(config_key + ": cannot bind " + listen + ": " + ec.message());
  acceptor_.listen();
}

HttpServer::~HttpServer() = default;

unsigned short HttpServer::port() const {
  return acceptor_.local_endpoint().port();
}

void HttpServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> HttpServer::run() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
      continue;
    }
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
  boost::beast::tcp_stream stream(std::move(socket));
  boost::beast::flat_buffer buffer;
  for (;;) {
    // A client that stops talking must not hold the connection for ever.
    stream.expires_after(std::chrono::seconds(30));
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes_);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    http::response<http::string_body> response;
    bool keep_alive = false;
    if (ec == http::error::body_limit) {
      response.result(http::status::payload_too_large);
      response.set(http::field::content_type, "text/plain; charset=utf-8");
      response.body() = "request body too large\n";
    } else if (ec) {
      break;
    } else {
      auto& request = parser.get();
      keep_alive = request.keep_alive();
      ServerRequest in;
      in.method = std::string(request.method_string());
      in.target = std::string(request.target());
      if (auto q = in.target.find('?'); q != std::string::npos) in.target.resize(q);
      in.authorization = std::string(request[http::field::authorization]);
      in.body = std::move(request.body());
      stream.expires_never();  // the handler has its own deadlines (Redis commands)
      ServerResponse out = co_await handler_.handle(std::move(in));
      response.version(request.version());
      response.result(static_cast<http::status>(out.status));
      response.set(http::field::content_type, out.content_type);
      for (auto& [name, value] : out.headers) response.set(name, value);
      if (request.method() != http::verb::head) response.body() = std::move(out.body);
    }
    response.keep_alive(keep_alive);
    response.prepare_payload();
    stream.expires_after(std::chrono::seconds(30));
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace herald
