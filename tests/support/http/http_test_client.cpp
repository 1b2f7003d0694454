#include "support/http/http_test_client.hpp"

#include <cctype>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace herald::test {

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout) {
  namespace http = boost::beast::http;
  using boost::beast::error_code;
  // Asynchronous operations, so that the stream's deadline holds (Beast's synchronous ones
  // ignore it): a herald whose loop is stuck must fail the test, not hang it.
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  bool done = false;
  stream.expires_after(timeout);
  stream.async_connect({boost::asio::ip::make_address("127.0.0.1"), port}, [&](error_code ec) {
    if (ec) return;
    http::async_write(stream, request, [&](error_code ec, std::size_t) {
      if (ec) return;
      http::async_read(stream, buffer, response, [&](error_code ec, std::size_t) { done = !ec; });
    });
  });
  io.run();
  if (!done) return {};
  HttpReply reply{static_cast<int>(response.result_int()), response.body(), {}};
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  return reply;
}

std::pair<int, std::string> http_get(unsigned short port, const std::string& target,
                                     std::chrono::milliseconds timeout) {
  auto reply = http_request(port, "GET", target, "", {}, timeout);
  return {reply.status, std::move(reply.body)};
}

}  // namespace herald::test
