#pragma once
/// A real HTTP/1.1 server for tests (Boost.Beast), on 127.0.0.1 and a port the OS picks; over
/// TLS when given a certificate (see test_certificate.hpp).
///
/// It runs its own io_context on its own thread, so a test's event loop and the server never
/// block each other. Keep-alive and many concurrent connections are supported. Every method is
/// thread-safe.
///
///     herald::test::HttpTestServer server;
///     server.set_handler([](const auto& request) {
///       return herald::test::HttpTestServer::Response{.status = 202, .body = R"({"id":"gw-1"})"};
///     });
///     ... POST to server.url("/email") ...
///     ASSERT_TRUE(server.wait_for_requests(1, std::chrono::seconds(5)));
///     EXPECT_EQ(server.requests()[0].headers.at("content-type"), "application/json");
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/http/test_certificate.hpp"

namespace herald::test {

class HttpTestServer {
 public:
  /// A request as received.
  struct Request {
    std::string method;                          ///< "POST"
    std::string target;                          ///< path and query: "/email?x=1"
    std::map<std::string, std::string> headers;  ///< names lower-case; repeats joined with ", "
    std::string body;
  };

  /// The answer to one request. The default is an empty 200.
  struct Response {
    int status = 200;
    std::map<std::string, std::string> headers;  ///< "Connection: close" closes after answering
    std::string body;
    std::chrono::milliseconds delay{0};  ///< wait this long before answering (other requests
                                         ///< are served meanwhile)
  };

  /// Computes the response to a request. Runs on the server's thread: guard any data it shares
  /// with the test. An exception becomes a 500.
  using Handler = std::function<Response(const Request&)>;

  /// A handler answering every request with `status` after `delay` (a slow or hanging gateway).
  static Handler answering(int status, std::chrono::milliseconds delay);

  /// Starts listening at once: port() is valid as soon as the constructor returns.
  HttpTestServer();
  explicit HttpTestServer(Handler handler);
  /// An HTTPS server presenting `certificate` (HTTP/1.1 only: it offers no ALPN).
  explicit HttpTestServer(const TestCertificate& certificate);
  /// Stops the server.
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  /// The port the server listens on.
  unsigned short port() const;
  /// "http://127.0.0.1:PORT" + path ("/" when path is empty); "https://" for a TLS server.
  std::string url(std::string_view path = "/") const;

  /// Replaces the handler for the requests that arrive from now on.
  void set_handler(Handler handler);

  /// Copies of every request received so far, in arrival order.
  std::vector<Request> requests() const;
  /// Waits until at least `count` requests have arrived; false on timeout.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const;

  /// TLS handshakes that failed (a client that did not trust the certificate).
  std::size_t failed_handshakes() const;
  /// Waits until at least `count` handshakes have failed; false on timeout. The client learns
  /// of the failure first: the server thread counts it a moment later.
  bool wait_for_failed_handshakes(std::size_t count, std::chrono::milliseconds timeout) const;
  /// TCP connections accepted so far (fewer than requests means connections were reused).
  std::size_t connections_accepted() const;
  /// The most requests that were received but not yet answered at the same moment.
  std::size_t max_concurrent_requests() const;

  /// Closes the listening socket and every connection, and stops the thread. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::test
