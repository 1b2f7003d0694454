#include "herald/app/http_server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "herald/core/logging.hpp"
#include "herald/core/repeated_failure.hpp"

namespace herald {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kAcceptPauseMin = 100ms, kAcceptPauseMax = 1s;

// `most`, or 1/`share` of the descriptor limit when that is lower (at least 1).
std::size_t connection_cap(std::size_t most, std::size_t share) {
  rlimit limit{};
  if (share == 0 || ::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return std::max<std::size_t>(most, 1);
  return std::clamp<std::size_t>(static_cast<std::size_t>(limit.rlim_cur) / share, 1,
                                 std::max<std::size_t>(most, 1));
}

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
                       const std::string& config_key, HttpHandler& handler, HttpServerLimits limits)
    : acceptor_(executor),
      config_key_(config_key),
      handler_(handler),
      limits_(limits),
      max_connections_(connection_cap(limits.max_connections, limits.descriptor_share)),
      connections_(executor, max_connections_),
      backoff_(executor) {
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
  connections_.cancel_all();
  backoff_.cancel();
}

asio::awaitable<void> HttpServer::run() {
  auto log = logger("app");
  RepeatedFailure failures(1min);
  auto pause = kAcceptPauseMin;
  while (acceptor_.is_open()) {
    // At the cap, accept nothing until a connection closes: new ones wait in the kernel's
    // backlog, and each connection served keeps its descriptor.
    const bool room = co_await connections_.acquire();
    if (!room || !acceptor_.is_open()) break;
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      connections_.release();
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
      // What reaches here is EMFILE, ENFILE, ENOBUFS or ENOMEM (Asio itself retries a client's
      // ECONNABORTED and EPROTO): the connection stays in the backlog, and accepting again at
      // once fails again, in a loop that takes a core. Wait, and say so (at most once a minute):
      // the descriptors or memory are missing for everything else herald does too.
      if (failures.failed(std::chrono::steady_clock::now()))
        log->warn(
            "msg=\"cannot accept connections, pausing\" listener={} error={} failures={} "
            "pause_ms={}",
            config_key_, log_value(ec.message()), failures.count(), pause.count());
      backoff_.expires_after(pause);
      co_await backoff_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      pause = std::min(pause * 2, kAcceptPauseMax);
      continue;
    }
    if (const auto n = failures.ended())
      log->info("msg=\"accepting connections again\" listener={} failures={}", config_key_, n);
    pause = kAcceptPauseMin;
    // The unit is returned when serve() ends, not in its frame: a frame destroyed with the loop
    // at exit must not touch this server, which is gone by then.
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)),
                   [this](std::exception_ptr) { connections_.release(); });
  }
}

// Closing a socket with unread bytes makes the kernel reset the connection, and the reset can
// overtake the answer: a client still sending a body we refused would see no 413 at all. So
// say we are done, then read and drop what still comes, for a little while.
asio::awaitable<void> HttpServer::drain(boost::beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 16 * 1024> scratch;
  std::size_t dropped = 0;
  stream.expires_after(std::chrono::seconds(2));
  while (!ec && dropped < 4 * largest_body_limit() + (1 << 20))
    dropped += co_await stream.async_read_some(asio::buffer(scratch),
                                               asio::redirect_error(asio::use_awaitable, ec));
}

std::size_t HttpServer::largest_body_limit() const {
  std::size_t most = limits_.max_body_bytes;
  for (const auto& [path, limit] : limits_.large_body_paths) most = std::max(most, limit);
  return most;
}

std::size_t HttpServer::body_limit(std::string_view target) const {
  target = target.substr(0, target.find('?'));
  for (const auto& [path, limit] : limits_.large_body_paths)
    if (target == path) return std::max(limit, limits_.max_body_bytes);
  return limits_.max_body_bytes;
}

asio::awaitable<void> HttpServer::refuse(boost::beast::tcp_stream& stream, http::status status,
                                         std::string_view retry_after) {
  http::response<http::string_body> response{status, 11};
  response.set(http::field::content_type, "text/plain");
  if (!retry_after.empty()) response.set(http::field::retry_after, retry_after);
  response.body() = std::string(http::obsolete_reason(status)) + "\n";
  response.keep_alive(false);
  response.prepare_payload();
  boost::system::error_code ec;
  stream.expires_after(limits_.write_timeout);
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await drain(stream);
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
  boost::beast::tcp_stream stream(std::move(socket));
  boost::beast::flat_buffer buffer;
  for (;;) {
    // A client that stops talking must not hold the connection, and its descriptor, for long:
    // idle or sending its header, a short limit; the body, once announced, a longer one.
    stream.expires_after(limits_.header_timeout);
    http::request_parser<http::string_body> parser;
    // Beast checks a Content-Length against the limit as the fields come in, before the path
    // is known to choose one: the largest any path has here, then the path's own.
    parser.body_limit(largest_body_limit());
    boost::system::error_code ec;
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    bool over_path_limit = false;
    bool large = false;  // a body over max_body_bytes, allowed on this path
    if (!ec && !parser.is_done()) {
      const std::size_t limit = body_limit(parser.get().target());
      const auto length = parser.content_length();
      over_path_limit = length && *length > limit;
      large = !over_path_limit && limit > limits_.max_body_bytes &&
              (!length || *length > limits_.max_body_bytes);
      if (large && *large_bodies_ >= limits_.large_bodies_at_once) {
        co_await refuse(stream, http::status::service_unavailable, "5");
        break;
      }
      if (!over_path_limit) {
        if (large) ++*large_bodies_;
        parser.body_limit(limit);
        stream.expires_after(limits_.body_timeout);
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    // Held until the answer is written: the handler works from the body meanwhile.
    struct LargeBody {
      std::shared_ptr<std::size_t> count;
      ~LargeBody() {
        if (count) --*count;
      }
    } large_body{large ? large_bodies_ : nullptr};
    // Beast reports a Content-Length over the limit once the fields are in, before it calls
    // the header done: the request line and fields are there to answer from.
    const bool too_large = ec == http::error::body_limit || over_path_limit;
    if (ec && !too_large) {
      // A request Beast could not parse gets an answer, not a silent close: 431 for a header
      // over its limit, 400 for anything else that is not HTTP/1.x. Closed, since the stream's
      // position is lost; what the client still sends is drained, or it would see a reset.
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        co_await refuse(stream, ec == http::error::header_limit
                                    ? http::status::request_header_fields_too_large
                                    : http::status::bad_request);
      }
      break;
    }
    auto& request = parser.get();
    // A body left unread would be taken for the next request: close after answering.
    const bool keep_alive = !too_large && request.keep_alive();
    ServerRequest in;
    in.method = std::string(request.method_string());
    in.target = std::string(request.target());
    if (auto q = in.target.find('?'); q != std::string::npos) in.target.resize(q);
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      in.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (too_large)
      in.body_too_large = true;
    else
      in.body = std::move(request.body());
    stream.expires_never();  // the handler has its own deadlines (Redis commands)
    ServerResponse out = co_await handler_.handle(std::move(in));
    http::response<http::string_body> response;
    response.version(request.version());
    response.result(static_cast<http::status>(out.status));
    response.set(http::field::content_type, out.content_type);
    for (auto& [name, value] : out.headers) response.set(name, value);
    response.keep_alive(keep_alive);
    if (request.method() == http::verb::head) {
      response.content_length(out.body.size());  // what a GET would get, without the body
    } else {
      response.body() = std::move(out.body);
      response.prepare_payload();
    }
    stream.expires_after(limits_.write_timeout);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && too_large) co_await drain(stream);
    if (ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace herald
