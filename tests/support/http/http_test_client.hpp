#pragma once
// A synchronous HTTP/1.1 client for tests (Boost.Beast): asks herald's own endpoints (/metrics,
// /healthz, /receipts) from the test thread, never through herald's code.
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace herald::test {

struct HttpReply {
  int status = 0;  ///< 0 when no answer came (connection refused, timeout)
  std::string body;
  std::map<std::string, std::string> headers;  ///< names lower-case
};

/// `method` `target` on 127.0.0.1:`port` with `body` and `headers`, within `timeout`.
HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// GET `target` on 127.0.0.1:`port`: the status (0 when no answer came) and the body.
std::pair<int, std::string> http_get(unsigned short port, const std::string& target,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// A plain TCP connection to 127.0.0.1 (a blocking POSIX socket), for tests that hold
/// connections open or write requests by hand; closed when it goes.
class RawConnection {
 public:
  /// A socket, not connected yet (its descriptor is taken now: see connect()).
  RawConnection();
  /// A socket connected to `port`; throws std::runtime_error when it cannot.
  explicit RawConnection(unsigned short port);
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  /// Connects to 127.0.0.1:`port`; true when done. A connection the server has not accepted
  /// yet is done as well: it waits in the server's backlog.
  bool connect(unsigned short port);
  /// Writes all of `bytes`; false on failure.
  bool send(const std::string& bytes);
  /// Waits up to `timeout` for bytes or for the peer closing; false when neither came.
  bool readable(std::chrono::milliseconds timeout);
  /// What the first read within `timeout` brings; "" when nothing came or the peer closed.
  std::string read_some(std::chrono::milliseconds timeout);
  /// What arrives within `timeout`, until the peer closes or `timeout` passes.
  std::string receive(std::chrono::milliseconds timeout);
  /// True when the peer closed the connection (end of stream, or a reset) within `timeout`,
  /// whatever it sent first.
  bool closed_by_peer(std::chrono::milliseconds timeout);
  void close();

 private:
  int fd_ = -1;
};

}  // namespace herald::test
