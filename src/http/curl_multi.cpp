#include "curl_multi.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include "herald/core/logging.hpp"

namespace herald::http_detail {

namespace asio = boost::asio;

bool curl_global_ready() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

// What we know about one of curl's sockets. Curl owns the fd: the descriptor only watches it and
// is released, never closed. Wait handlers hold a shared_ptr and check `alive`, because curl may
// close the socket (and reuse the fd number) while a wait on it is still queued.
struct CurlMulti::Socket {
  Socket(const asio::any_io_executor& executor, curl_socket_t fd_)
      : descriptor(executor), fd(fd_) {}
  ~Socket() { release(); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  void release() {
    alive = false;
    if (descriptor.is_open()) descriptor.release();  // cancels the waits; does not close
  }

  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd;
  int want = CURL_POLL_NONE;  // what curl last asked for
  bool reading = false;       // a wait_read is outstanding
  bool writing = false;       // a wait_write is outstanding
  bool alive = true;
};

CurlMulti::CurlMulti(asio::any_io_executor executor, long max_host_connections,
                     long max_idle_connections, DoneHandler on_done)
    : executor_(std::move(executor)),
      on_done_(std::move(on_done)),
      timer_(executor_),
      multi_(curl_global_ready() ? curl_multi_init() : nullptr) {
  if (!multi_) throw std::runtime_error("libcurl: cannot create a multi handle");
  CURLM* m = multi_.get();
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &CurlMulti::on_socket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &CurlMulti::on_timer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, max_host_connections);
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, max_idle_connections);
}

CurlMulti::~CurlMulti() {
  alive_.reset();
  timer_.cancel();
  // Cleanup closes the cached connections and may still call on_socket: keep sockets_ until then.
  multi_.reset();
  for (auto& [fd, socket] : sockets_) socket->release();
  sockets_.clear();
}

CURLMcode CurlMulti::add(CURL* easy) {
  return curl_multi_add_handle(multi_.get(), easy);
}

void CurlMulti::remove(CURL* easy) {
  curl_multi_remove_handle(multi_.get(), easy);
}

int CurlMulti::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
  // Inside curl: only update our own bookkeeping and arm waits, never call curl.
  auto* multi = static_cast<CurlMulti*>(self);
  if (what == CURL_POLL_REMOVE)
    multi->forget(fd);
  else
    multi->watch(fd, what);
  return 0;
}

int CurlMulti::on_timer(CURLM*, long timeout_ms, void* self) {
  // Inside curl: arm the timer and act from its handler. Re-arming cancels the previous wait.
  auto* multi = static_cast<CurlMulti*>(self);
  if (timeout_ms < 0) {
    multi->timer_.cancel();
    return 0;
  }
  if (timeout_ms == 0) {
    // "Act at once", which curl asks for after every curl_multi_add_handle: post one action
    // instead of arming the timer. Arming a timer that is the earliest due reprograms the
    // reactor's timerfd (a system call); under load that was a tenth of herald's CPU time
    // (BENCHMARKS.md). Several requests before the action runs share it.
    multi->timer_.cancel();
    if (!multi->timeout_posted_) {
      multi->timeout_posted_ = true;
      asio::post(multi->executor_, [multi, alive = std::weak_ptr<bool>(multi->alive_)] {
        if (alive.expired()) return;
        multi->timeout_posted_ = false;
        multi->action(CURL_SOCKET_TIMEOUT, 0);
      });
    }
    return 0;
  }
  multi->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  multi->timer_.async_wait(
      [multi, alive = std::weak_ptr<bool>(multi->alive_)](boost::system::error_code ec) {
        // A handler already queued when the timer was re-armed still runs with success: a
        // spurious timeout is harmless to curl, but a dead CurlMulti is not.
        if (ec || alive.expired()) return;
        multi->action(CURL_SOCKET_TIMEOUT, 0);
      });
  return 0;
}

void CurlMulti::watch(curl_socket_t fd, int what) {
  auto& socket = sockets_[fd];
  if (!socket) {
    // Sockets curl opens itself (the threaded resolver's, for one) arrive here unannounced.
    socket = std::make_shared<Socket>(executor_, fd);
    boost::system::error_code ec;
    socket->descriptor.assign(fd, ec);
    if (ec) {
      // The transfer will then end on its own timeout rather than hang.
      logger("http")->error("msg=\"cannot watch curl socket\" fd={} error={}", fd,
                            log_value(ec.message()));
      sockets_.erase(fd);
      return;
    }
  }
  socket->want = what;
  arm(socket);
}

void CurlMulti::forget(curl_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  it->second->release();
  sockets_.erase(it);
}

void CurlMulti::arm(const std::shared_ptr<Socket>& socket) {
  using Wait = asio::posix::stream_descriptor::wait_type;
  if ((socket->want & CURL_POLL_IN) && !socket->reading) {
    socket->reading = true;
    socket->descriptor.async_wait(Wait::wait_read, [this, socket](boost::system::error_code ec) {
      socket->reading = false;
      on_ready(socket, CURL_CSELECT_IN, ec);
    });
  }
  if ((socket->want & CURL_POLL_OUT) && !socket->writing) {
    socket->writing = true;
    socket->descriptor.async_wait(Wait::wait_write, [this, socket](boost::system::error_code ec) {
      socket->writing = false;
      on_ready(socket, CURL_CSELECT_OUT, ec);
    });
  }
}

void CurlMulti::on_ready(const std::shared_ptr<Socket>& socket, int direction,
                         boost::system::error_code ec) {
  // `alive` goes false on CURL_POLL_REMOVE and in our destructor: then `this` may be gone too.
  if (!socket->alive || ec == asio::error::operation_aborted) return;
  const int wanted = direction == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
  if (!(socket->want & wanted)) return;  // curl changed its mind while the wait was queued
  action(socket->fd, direction | (ec ? CURL_CSELECT_ERR : 0));
  // curl may have removed the socket, or still want this direction: then wait again. Not after
  // an error, which would only repeat at once: curl fails or re-announces the socket instead.
  if (socket->alive && !ec) arm(socket);
}

void CurlMulti::action(curl_socket_t fd, int events) {
  int running = 0;
  CURLMcode rc = curl_multi_socket_action(multi_.get(), fd, events, &running);
  if (rc != CURLM_OK && rc != CURLM_BAD_SOCKET)
    logger("http")->warn("msg=\"curl_multi_socket_action failed\" error={}",
                         log_value(curl_multi_strerror(rc)));
  drain();
}

void CurlMulti::drain() {
  // Copy the results out first: a message dies with the removal of its easy handle.
  std::vector<std::pair<CURL*, CURLcode>> done;
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
    if (message->msg == CURLMSG_DONE) done.emplace_back(message->easy_handle, message->data.result);
  }
  for (auto [easy, result] : done) {
    curl_multi_remove_handle(multi_.get(), easy);
    on_done_(easy, result);
  }
}

}  // namespace herald::http_detail
