#pragma once
/// An asynchronous HTTP client on the event loop (libcurl multi_socket underneath; curl itself is
/// only included in src/http/).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace herald {

/// Header fields in order, as `{"Name", "value"}` pairs.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// One request. GET and HEAD send no body; any other method sends `body` (possibly empty).
struct HttpRequest {
  std::string method = "POST";
  std::string url;      ///< http:// or https:// only
  HttpHeaders headers;  ///< "Name", "value"
  std::string body;
  std::chrono::milliseconds timeout{10000};  ///< whole transfer, including waiting for a connection
  std::chrono::milliseconds connect_timeout{3000};  ///< TCP and TLS handshakes
  /// PEM CA bundle to verify the server against instead of the client's (per gateway); "" = the
  /// client's. Connections are only reused between requests with the same one.
  std::string ca_file;
};

/// What came back, or why nothing did. Errors are values, never exceptions.
struct HttpResponse {
  enum class Error {
    none,     ///< a complete HTTP response arrived (whatever its status)
    connect,  ///< could not resolve the host or connect to it (TCP and TLS) in time
    timeout,  ///< `timeout` ran out after the request was sent
    other,    ///< anything else: TLS, protocol, cancelled ("cancelled"), client destroyed
  };
  Error error = Error::none;
  std::string error_message;  ///< curl's words when error != none (no URL credentials in it)
  long status = 0;            ///< HTTP status when error == none
  HttpHeaders headers;        ///< response headers, names lower-cased
  std::string body;
  /// The body was larger than `max_response_bytes`: the transfer stopped there and `body` is
  /// empty, but the status line and headers had arrived, so `error` is none. A provider's 2xx
  /// is an acceptance however long its answer; treating it as a failure would send again.
  bool body_dropped = false;

  /// The value of header `name` (compared case-insensitively), or "".
  std::string header(std::string_view name) const;
};

/// Settings of one client (one connection cache).
struct HttpClientOptions {
  /// Connections per host; 0 = no limit. Requests over the limit wait inside libcurl with their
  /// timeout already running, so a caller that bounds its own requests (as each of herald's
  /// gateways does, with its max_in_flight) leaves it at 0.
  std::size_t max_host_connections = 0;
  std::size_t max_idle_connections = 256;    ///< kept open for reuse after a burst
  std::string ca_file;                       ///< CA bundle instead of the system's; "" = system
  bool verify_tls = true;                    ///< false only for tests against self-signed servers
  std::size_t max_response_bytes = 1 << 20;  ///< larger bodies are dropped (`body_dropped`)
};

/// Many requests in flight at once over reused connections (HTTP/2 multiplexing where a TLS
/// server offers it). Single-threaded: use from the executor's thread only. Destroying the client
/// aborts every request in flight; their awaiting coroutines resume with error `other`.
class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Performs `request`; completes when the response is complete, or with an error. Cancelling
  /// the awaiting coroutine (its cancellation slot) aborts the transfer: the response then has
  /// error `other` and error_message "cancelled". Completes through the executor, never inline.
  boost::asio::awaitable<HttpResponse> perform(HttpRequest request);

  /// Requests currently in flight.
  std::size_t in_flight() const;

  /// The executor everything runs on.
  boost::asio::any_io_executor get_executor() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald
