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

}  // namespace herald::test
