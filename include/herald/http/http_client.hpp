#pragma once
/// An asynchronous HTTP client on the event loop (libcurl multi_socket underneath; curl itself is
/// only included in src/http/).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace herald {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  HttpHeaders headers;  ///< "Name", "value"
  std::string body;
  std::chrono::milliseconds timeout{10000};         ///< whole transfer
  std::chrono::milliseconds connect_timeout{3000};
};

/// What came back, or why nothing did. Errors are values, never exceptions.
struct HttpResponse {
  enum class Error { none, connect, timeout, other };
  Error error = Error::none;
  std::string error_message;  ///< curl's words when error != none (no URL credentials in it)
  long status = 0;            ///< HTTP status when error == none
  HttpHeaders headers;        ///< response headers, names lower-cased
  std::string body;

  /// The value of header `name` (lower-case), or "".
  std::string header(std::string_view name) const;
};

struct HttpClientOptions {
  std::size_t max_host_connections = 64;  ///< connections per host; more requests queue
  std::size_t max_total_connections = 256;
  std::string ca_file;                    ///< extra CA bundle; "" = system default
  bool verify_tls = true;
};

/// Many requests in flight at once over reused connections. Single-threaded: use from the
/// executor's thread only.
class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Performs `request`; completes when the response is complete, or with an error. Cancelling
  /// the awaiting coroutine (its cancellation slot) aborts the transfer.
  boost::asio::awaitable<HttpResponse> perform(HttpRequest request);

  /// Requests currently in flight.
  std::size_t in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald
