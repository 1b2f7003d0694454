#pragma once
// Private to src/http: libcurl's multi_socket interface driven by a Boost.Asio executor
// (the pattern of curl's asiohiper.cpp; see PITFALLS.md "libcurl 7.88 multi_socket").
#include <functional>
#include <memory>
#include <unordered_map>

#include <curl/curl.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace herald::http_detail {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
/// An owned easy handle.
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
/// An owned curl string list (request headers).
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

/// Initialises libcurl once per process (thread-safe); false if that failed.
bool curl_global_ready();

/// One multi handle whose sockets and timer are watched by the executor. Finished transfers are
/// removed from the multi handle and reported to `on_done`, which is never called from inside a
/// curl callback. Single-threaded: use from the executor's thread only.
class CurlMulti {
 public:
  /// Called once per finished transfer, after the easy handle has left the multi handle.
  using DoneHandler = std::function<void(CURL* easy, CURLcode result)>;

  CurlMulti(boost::asio::any_io_executor executor, long max_host_connections,
            long max_idle_connections, DoneHandler on_done);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  /// Starts `easy` (curl asks for a 0 ms timeout, so the work begins from the executor).
  CURLMcode add(CURL* easy);
  /// Stops `easy` without reporting it to `on_done`.
  void remove(CURL* easy);

 private:
  struct Socket;
  struct MultiDeleter {
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
  };

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);

  void watch(curl_socket_t fd, int what);
  void forget(curl_socket_t fd);
  void arm(const std::shared_ptr<Socket>& socket);
  void on_ready(const std::shared_ptr<Socket>& socket, int direction, boost::system::error_code ec);
  void action(curl_socket_t fd, int events);
  void drain();

  boost::asio::any_io_executor executor_;
  DoneHandler on_done_;
  boost::asio::steady_timer timer_;
  // Handlers queued on the executor check this before touching `this` (it dies with us).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // An action for curl's 0 ms timeout is queued on the executor and has not run yet.
  bool timeout_posted_ = false;
  std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
  std::unique_ptr<CURLM, MultiDeleter> multi_;
};

}  // namespace herald::http_detail
