#include "support/http/http_test_server.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace herald::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

struct HttpTestServer::Impl {
  // One connection. Its socket and timer are reachable from stop(), which closes and cancels them
  // so that the session coroutine ends and the io_context runs out of work.
  struct Session {
    explicit Session(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
    tcp::socket socket;  // over TLS: moved into `tls`, which is closed instead
    std::optional<asio::ssl::stream<tcp::socket>> tls;
    asio::steady_timer timer;
    tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }
  };

  Impl() : acceptor(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)) {
    port = acceptor.local_endpoint().port();
  }

  static asio::awaitable<void> accept_loop(Impl* self);
  static asio::awaitable<void> start(Impl* self, std::shared_ptr<Session> session);
  template <class Stream>
  static asio::awaitable<void> serve(Impl* self, std::shared_ptr<Session> session, Stream& stream);
  Response respond(const Request& request);

  asio::io_context io;
  std::optional<asio::ssl::context> ssl;  // set for an HTTPS server
  tcp::acceptor acceptor;
  unsigned short port = 0;
  bool stopping = false;                        // server thread only
  std::set<std::shared_ptr<Session>> sessions;  // server thread only

  mutable std::mutex mutex;
  mutable std::condition_variable arrived;
  Handler handler;
  std::vector<Request> received;
  std::size_t accepted = 0;
  std::size_t failed_handshakes = 0;
  std::size_t active = 0;
  std::size_t max_active = 0;

  std::thread thread;
};

asio::awaitable<void> HttpTestServer::Impl::accept_loop(Impl* self) {
  while (!self->stopping) {
    auto [ec, socket] = co_await self->acceptor.async_accept(kNoThrow);
    if (ec) {
      if (self->stopping || !self->acceptor.is_open()) co_return;
      continue;  // a failed accept (out of fds, say) must not stop the server
    }
    {
      std::lock_guard lock(self->mutex);
      ++self->accepted;
    }
    auto session = std::make_shared<Session>(std::move(socket));
    self->sessions.insert(session);
    asio::co_spawn(self->io, start(self, session), asio::detached);
  }
}

asio::awaitable<void> HttpTestServer::Impl::start(Impl* self, std::shared_ptr<Session> session) {
  if (!self->ssl) co_return co_await serve(self, session, session->socket);
  session->tls.emplace(std::move(session->socket), *self->ssl);
  auto [ec] = co_await session->tls->async_handshake(asio::ssl::stream_base::server, kNoThrow);
  if (ec) {
    {
      std::lock_guard lock(self->mutex);
      ++self->failed_handshakes;
    }
    self->arrived.notify_all();
    boost::system::error_code ignored;
    session->lowest().close(ignored);
    self->sessions.erase(session);
    co_return;
  }
  co_await serve(self, session, *session->tls);
}

HttpTestServer::Response HttpTestServer::Impl::respond(const Request& request) {
  Handler h;
  {
    std::lock_guard lock(mutex);
    h = handler;
  }
  if (!h) return {};
  try {
    return h(request);
  } catch (...) {
    return Response{.status = 500, .body = "test handler threw"};
  }
}

template <class Stream>
asio::awaitable<void> HttpTestServer::Impl::serve(Impl* self, std::shared_ptr<Session> session,
                                                  Stream& stream) {
  boost::beast::flat_buffer buffer;
  while (!self->stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (read_error) break;
    auto message = parser.release();

    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      auto [it, fresh] =
          request.headers.emplace(lower(field.name_string()), std::string(field.value()));
      if (!fresh) it->second += ", " + std::string(field.value());
    }
    request.body = message.body();
    {
      std::lock_guard lock(self->mutex);
      self->received.push_back(request);
      ++self->active;
      self->max_active = std::max(self->max_active, self->active);
    }
    self->arrived.notify_all();

    Response response = self->respond(request);
    if (response.delay.count() > 0) {
      session->timer.expires_after(response.delay);
      co_await session->timer.async_wait(kNoThrow);
    }

    http::response<http::string_body> reply;
    reply.version(11);
    reply.result(static_cast<unsigned>(response.status));
    bool close = !message.keep_alive();
    for (const auto& [name, value] : response.headers) {
      if (lower(name) == "connection" && lower(value) == "close")
        close = true;
      else
        reply.set(name, value);
    }
    reply.body() = std::move(response.body);
    reply.keep_alive(!close);
    reply.prepare_payload();
    {
      // Answered from the server's side before the client can see it: a client that sends its
      // next request on the reply never finds this one still counted.
      std::lock_guard lock(self->mutex);
      --self->active;
    }
    if (self->stopping) break;
    auto [write_error, written] = co_await http::async_write(stream, reply, kNoThrow);
    if (write_error || close) break;
  }
  boost::system::error_code ignored;
  session->lowest().shutdown(tcp::socket::shutdown_both, ignored);
  session->lowest().close(ignored);
  self->sessions.erase(session);
}

HttpTestServer::HttpTestServer() : impl_(std::make_unique<Impl>()) {
  asio::co_spawn(impl_->io, Impl::accept_loop(impl_.get()), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

HttpTestServer::HttpTestServer(Handler handler) : HttpTestServer() {
  set_handler(std::move(handler));
}

HttpTestServer::HttpTestServer(const TestCertificate& certificate)
    : impl_(std::make_unique<Impl>()) {
  auto& ssl = impl_->ssl.emplace(asio::ssl::context::tls_server);
  ssl.use_certificate_chain(
      asio::buffer(certificate.certificate_pem.data(), certificate.certificate_pem.size()));
  ssl.use_private_key(
      asio::buffer(certificate.private_key_pem.data(), certificate.private_key_pem.size()),
      asio::ssl::context::pem);
  asio::co_spawn(impl_->io, Impl::accept_loop(impl_.get()), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

HttpTestServer::~HttpTestServer() {
  stop();
}

unsigned short HttpTestServer::port() const {
  return impl_->port;
}

std::string HttpTestServer::url(std::string_view path) const {
  std::string url =
      std::string(impl_->ssl ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
  if (path.empty() || path.front() != '/') url += '/';
  url += path;
  return url;
}

HttpTestServer::Handler HttpTestServer::answering(int status, std::chrono::milliseconds delay) {
  return [status, delay](const Request&) {
    Response response;
    response.status = status;
    response.delay = delay;
    return response;
  };
}

void HttpTestServer::set_handler(Handler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

std::vector<HttpTestServer::Request> HttpTestServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

bool HttpTestServer::wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->arrived.wait_for(lock, timeout, [&] { return impl_->received.size() >= count; });
}

std::size_t HttpTestServer::connections_accepted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

std::size_t HttpTestServer::failed_handshakes() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->failed_handshakes;
}

bool HttpTestServer::wait_for_failed_handshakes(std::size_t count,
                                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->arrived.wait_for(lock, timeout, [&] { return impl_->failed_handshakes >= count; });
}

std::size_t HttpTestServer::max_concurrent_requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->max_active;
}

void HttpTestServer::stop() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->stopping = true;
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    for (const auto& session : impl->sessions) {
      session->lowest().close(ignored);
      session->timer.cancel();
    }
  });
  // Every coroutine now ends on its own, so run() returns once they have.
  impl_->thread.join();
}

}  // namespace herald::test
