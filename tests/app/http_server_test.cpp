// The HTTP server under herald's listeners (receipts, metrics) on its own: how long a connection
// may stay quiet, what it does when the process has no descriptor left, and how many connections
// a low descriptor limit leaves it. herald's own use of it is in contact_rules_test.cpp (receipts)
// and tests/service/metrics_health_test.cpp (the binary under a low limit).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "herald/app/http_server.hpp"
#include "herald/core/logging.hpp"
#include "support/http/http_test_client.hpp"

namespace herald::test {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Answers with the size of the body it got (413 when the server read none, for its size); a
// request to /slow is answered after 1.5 s.
class EchoHandler : public HttpHandler {
 public:
  asio::awaitable<ServerResponse> handle(ServerRequest request) override {
    if (request.target == "/slow") {
      asio::steady_timer wait(co_await asio::this_coro::executor, 1500ms);
      co_await wait.async_wait(asio::use_awaitable);
    }
    ServerResponse response;
    if (request.body_too_large) response.status = 413;
    response.body = "got " + std::to_string(request.body.size()) + "\n";
    co_return response;
  }
};

// A server on 127.0.0.1, its loop on a thread of its own.
struct RunningServer {
  explicit RunningServer(HttpServerLimits limits)
      : server(io.get_executor(), "127.0.0.1:0", "test.listen", handler, limits) {
    asio::co_spawn(io, server.run(), asio::detached);
    thread = std::thread([this] { io.run(); });
  }
  ~RunningServer() {
    asio::post(io, [this] {
      server.stop();
      io.stop();
    });
    thread.join();
  }
  unsigned short port() const { return server.port(); }

  asio::io_context io{1};
  EchoHandler handler;
  HttpServer server;
  std::thread thread;
};

// Sets this process's soft descriptor limit for as long as it lives; by default to the lowest
// free descriptor, so that no new one can be made at all (socket(), accept(), open()).
class DescriptorLimit {
 public:
  explicit DescriptorLimit(rlim_t to = 0) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    if (to == 0) {
      const int lowest_free = ::fcntl(STDERR_FILENO, F_DUPFD, 0);
      ::close(lowest_free);
      to = static_cast<rlim_t>(lowest_free);
    }
    rlimit lowered = saved_;
    lowered.rlim_cur = to;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

// CPU time (user + system) this process has used so far.
std::chrono::duration<double> cpu_time() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return std::chrono::duration<double>(seconds(usage.ru_utime) + seconds(usage.ru_stime));
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// accept() failing with EMFILE was tried again at once, for ever: a core at 100 % (25,000
// failures a second) and not a word in the log.
TEST(HttpServer, PausesAndSaysOnceWhenItCannotAcceptForWantOfDescriptors) {
#ifdef __SANITIZE_ADDRESS__
  // UBSan's vptr check makes a pipe to see whether it may read a vtable; with no descriptor
  // left it cannot, and reports every virtual call as one on an invalid object.
  GTEST_SKIP() << "the sanitizers need descriptors of their own";
#endif
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  std::chrono::duration<double> used{};
  {
    HttpServerLimits limits;
    limits.descriptor_share = 0;
    RunningServer running(limits);
    // Their descriptors are taken now; once the limit is lowered, none can be made.
    std::vector<RawConnection> clients(3);
    {
      DescriptorLimit none_left;
      ASSERT_TRUE(none_left.ok());
      for (auto& client : clients) ASSERT_TRUE(client.connect(running.port()));
      const auto before = cpu_time();
      std::this_thread::sleep_for(2s);
      used = cpu_time() - before;
    }
    // Descriptors again: the connections waiting in the backlog are taken after the pause.
    ASSERT_TRUE(clients[0].send("GET / HTTP/1.1\r\nHost: herald\r\nConnection: close\r\n\r\n"));
    const std::string answer = clients[0].receive(3s);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  }
  configure_logging({}, "info");
  EXPECT_LT(used.count(), 0.5) << "CPU seconds in 2 s without descriptors";
  const std::string text = log.str();
  EXPECT_EQ(count_of(text, "cannot accept connections"), 1u) << text;
  EXPECT_NE(text.find("listener=test.listen"), std::string::npos) << text;
  EXPECT_NE(text.find("Too many open files"), std::string::npos) << text;
  EXPECT_EQ(count_of(text, "accepting connections again"), 1u) << text;
}

// A connection that sent nothing, or nothing more after an answer (keep-alive), held its
// descriptor for 30 s. Waiting for a header now has its own, shorter, limit; the body keeps a
// longer one.
TEST(HttpServer, ClosesAConnectionThatSendsNoHeaderInTimeButGivesTheBodyLonger) {
  HttpServerLimits limits;
  limits.header_timeout = 300ms;
  limits.body_timeout = 5s;
  RunningServer running(limits);

  RawConnection quiet(running.port());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(quiet.closed_by_peer(3s)) << "a connection that says nothing";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);

  RawConnection kept(running.port());
  ASSERT_TRUE(kept.send("GET / HTTP/1.1\r\nHost: herald\r\n\r\n"));
  start = std::chrono::steady_clock::now();
  const std::string answer = kept.receive(3s);  // until the server closes it
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "kept alive, then idle: closed";

  RawConnection slow(running.port());
  ASSERT_TRUE(slow.send("POST / HTTP/1.1\r\nHost: herald\r\nContent-Length: 10\r\n\r\nhello"));
  std::this_thread::sleep_for(600ms);  // past the header's limit, within the body's
  ASSERT_TRUE(slow.send("world"));
  const std::string slow_answer = slow.receive(1s);
  EXPECT_TRUE(slow_answer.starts_with("HTTP/1.1 200")) << slow_answer;
  EXPECT_NE(slow_answer.find("got 10"), std::string::npos) << slow_answer;
}

// A request the parser refuses got no answer at all: the connection was just closed, which a
// client (a provider's callback, a scraper) sees as a network fault and tries again.
TEST(HttpServer, AnswersARequestItCannotParseAndClosesTheConnection) {
  RunningServer running(HttpServerLimits{});
  auto answer_to = [&](const std::string& request) {
    RawConnection client(running.port());
    EXPECT_TRUE(client.send(request));
    return client.receive(3s);  // until the server closes it
  };
  const std::string big_header =
      "GET / HTTP/1.1\r\nHost: herald\r\nX-Padding: " + std::string(10000, 'a') + "\r\n\r\n";
  EXPECT_TRUE(answer_to(big_header).starts_with("HTTP/1.1 431 ")) << answer_to(big_header);
  EXPECT_TRUE(answer_to("NOT HTTP AT ALL\r\n\r\n").starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(answer_to("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").starts_with("HTTP/1.1 400 "))
      << "an HTTP/2 preface";
  const std::string both = answer_to(
      "POST / HTTP/1.1\r\nHost: herald\r\nContent-Length: 5\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(both.starts_with("HTTP/1.1 400 ")) << both;
  // The server still serves the next connection.
  EXPECT_TRUE(answer_to("GET / HTTP/1.1\r\nHost: herald\r\nConnection: close\r\n\r\n")
                  .starts_with("HTTP/1.1 200 "));
}

// HEAD answered Content-Length: 0, though a GET of the same target has a body.
TEST(HttpServer, AnswersHeadWithTheLengthAGetWouldHaveAndNoBody) {
  RunningServer running(HttpServerLimits{});
  RawConnection client(running.port());
  ASSERT_TRUE(client.send("HEAD / HTTP/1.1\r\nHost: herald\r\nConnection: close\r\n\r\n"));
  const std::string answer = client.receive(3s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 ")) << answer;
  EXPECT_NE(answer.find("Content-Length: 6\r\n"), std::string::npos) << answer;  // "got 0\n"
  EXPECT_TRUE(answer.ends_with("\r\n\r\n")) << "no body: " << answer;
}

// SendGrid's batches are larger than any other body herald takes: their path has its own limit,
// and only a few such bodies are held at once, so that connections nobody authenticated cannot
// make the server hold its connection cap times the largest limit.
TEST(HttpServer, ReadsLargerBodiesOnlyOnTheirPathsAndOnlyAFewAtOnce) {
  HttpServerLimits limits;
  limits.max_body_bytes = 1024;
  limits.large_body_paths = {{"/big", 64 * 1024}, {"/slow", 64 * 1024}};
  limits.large_bodies_at_once = 1;
  RunningServer running(limits);
  const std::string ten_k(10 * 1024, 'x');
  EXPECT_EQ(http_request(running.port(), "POST", "/big", ten_k).body, "got 10240\n");
  EXPECT_EQ(http_request(running.port(), "POST", "/big?x=1", ten_k).body, "got 10240\n");
  EXPECT_EQ(http_request(running.port(), "POST", "/other", ten_k).status, 413);
  EXPECT_EQ(http_request(running.port(), "POST", "/big", std::string(100 * 1024, 'x')).status, 413);

  HttpReply slow;
  std::thread holder([&] { slow = http_request(running.port(), "POST", "/slow", ten_k); });
  std::this_thread::sleep_for(500ms);  // /slow's body is read and held by its handler
  const auto busy = http_request(running.port(), "POST", "/big", ten_k);
  EXPECT_EQ(busy.status, 503) << busy.body;
  EXPECT_EQ(busy.headers.count("retry-after"), 1u);
  EXPECT_EQ(http_request(running.port(), "POST", "/big", "small").body, "got 5\n")
      << "a body within the usual limit is not one of the few";
  holder.join();
  EXPECT_EQ(slow.body, "got 10240\n");
  EXPECT_EQ(http_request(running.port(), "POST", "/big", ten_k).body, "got 10240\n")
      << "the slot is free again";
}

// Each connection holds a descriptor: under a low limit the cap comes down with it, so that the
// connections one listener holds cannot leave the rest of herald without any.
TEST(HttpServer, HoldsNoMoreConnectionsThanItsShareOfTheDescriptorLimit) {
  asio::io_context io{1};
  EchoHandler handler;
  HttpServerLimits limits;
  limits.max_connections = 256;
  limits.descriptor_share = 4;
  {
    DescriptorLimit low(128);
    ASSERT_TRUE(low.ok());
    HttpServer server(io.get_executor(), "127.0.0.1:0", "test.listen", handler, limits);
    EXPECT_EQ(server.max_connections(), 32u);
  }
  DescriptorLimit ample(1024);
  ASSERT_TRUE(ample.ok());
  HttpServer server(io.get_executor(), "127.0.0.1:0", "test.listen", handler, limits);
  EXPECT_EQ(server.max_connections(), 256u);
}

}  // namespace
}  // namespace herald::test
