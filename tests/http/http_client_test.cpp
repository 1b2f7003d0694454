// HttpClient against a real HTTP server on 127.0.0.1 (no mock of curl).
#include "herald/http/http_client.hpp"

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/http/http_test_server.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Server = test::HttpTestServer;
using Clock = std::chrono::steady_clock;

class HttpClientTest : public ::testing::Test {
 protected:
  // Runs the loop until `done()` or `limit` passes.
  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline) {
      io.run_one_for(10ms);
      if (io.stopped()) io.restart();
    }
  }

  // Spawns `task` and runs the loop until it completes.
  HttpResponse perform(HttpClient& client, HttpRequest request) {
    std::optional<HttpResponse> result;
    asio::co_spawn(io, client.perform(std::move(request)),
                   [&](std::exception_ptr, HttpResponse r) { result = std::move(r); });
    run_until([&] { return result.has_value(); });
    if (!result) ADD_FAILURE() << "request did not complete";
    return result.value_or(HttpResponse{});
  }

  static HttpRequest get(std::string url) {
    HttpRequest r;
    r.method = "GET";
    r.url = std::move(url);
    return r;
  }

  asio::io_context io;
  Server server;
};

TEST_F(HttpClientTest, PostsBodyAndHeadersAndReadsTheWholeResponse) {
  server.set_handler([](const Server::Request& request) {
    return Server::Response{.status = 201,
                            .headers = {{"X-Reply", "yes"}, {"Content-Type", "text/plain"}},
                            .body = "got " + request.body};
  });
  HttpClient client(io.get_executor());
  HttpRequest request;
  request.url = server.url("/hooks/email?x=1");
  request.headers = {{"Content-Type", "application/json"}, {"X-Test", "one"}};
  request.body = R"({"a":1})";

  HttpResponse response = perform(client, request);

  EXPECT_EQ(response.error, HttpResponse::Error::none) << response.error_message;
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, R"(got {"a":1})");
  EXPECT_EQ(response.header("x-reply"), "yes");
  EXPECT_EQ(response.header("Content-Type"), "text/plain");
  bool lower_case = false;
  for (const auto& [name, value] : response.headers) lower_case |= name == "x-reply";
  EXPECT_TRUE(lower_case) << "header names are lower-cased";

  auto received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].target, "/hooks/email?x=1");
  EXPECT_EQ(received[0].headers["content-type"], "application/json");
  EXPECT_EQ(received[0].headers["x-test"], "one");
  EXPECT_EQ(received[0].headers.count("expect"), 0u);
  EXPECT_EQ(received[0].body, R"({"a":1})");
}

TEST_F(HttpClientTest, GetsWithoutABody) {
  server.set_handler([](const Server::Request&) { return Server::Response{.body = "hello"}; });
  HttpClient client(io.get_executor());

  HttpResponse response = perform(client, get(server.url("/ping")));

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  auto received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "GET");
  EXPECT_EQ(received[0].body, "");
}

TEST_F(HttpClientTest, ReusesOneConnectionForSequentialRequests) {
  HttpClient client(io.get_executor());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(perform(client, get(server.url("/"))).status, 200);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST_F(HttpClientTest, ReconnectsWhenTheServerClosesTheConnection) {
  server.set_handler([](const Server::Request&) {
    return Server::Response{.headers = {{"Connection", "close"}}};
  });
  HttpClient client(io.get_executor());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(perform(client, get(server.url("/"))).status, 200);
  EXPECT_EQ(server.connections_accepted(), 3u);
}

TEST_F(HttpClientTest, CompletesHundredConcurrentRequestsOverAtMostEightConnections) {
  server.set_handler([](const Server::Request& request) {
    return Server::Response{.body = request.target, .delay = 2ms};
  });
  HttpClient client(io.get_executor(), {.max_host_connections = 8});
  constexpr int kRequests = 100;
  std::vector<std::optional<HttpResponse>> results(kRequests);
  int completed = 0;
  for (int i = 0; i < kRequests; ++i) {
    asio::co_spawn(io, client.perform(get(server.url("/n/" + std::to_string(i)))),
                   [&, i](std::exception_ptr, HttpResponse r) {
                     results[i] = std::move(r);
                     ++completed;
                   });
  }
  run_until([&] { return completed == kRequests; });

  ASSERT_EQ(completed, kRequests);
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(results[i]->status, 200) << results[i]->error_message;
    EXPECT_EQ(results[i]->body, "/n/" + std::to_string(i));
  }
  EXPECT_EQ(server.requests().size(), static_cast<std::size_t>(kRequests));
  EXPECT_LE(server.connections_accepted(), 8u);
  EXPECT_GT(server.connections_accepted(), 1u) << "requests ran side by side";
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST_F(HttpClientTest, TimesOutPromptlyWhenTheServerIsSlow) {
  server.set_handler([](const Server::Request&) { return Server::Response{.delay = 5s}; });
  HttpClient client(io.get_executor());
  HttpRequest request = get(server.url("/slow"));
  request.timeout = 200ms;

  const auto start = Clock::now();
  HttpResponse response = perform(client, request);

  EXPECT_EQ(response.error, HttpResponse::Error::timeout) << response.error_message;
  EXPECT_EQ(response.status, 0);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(HttpClientTest, ReportsAConnectErrorForAPortNobodyListensOn) {
  // Bound but not listening: connecting is refused, and nobody else can take the port meanwhile.
  asio::ip::tcp::socket unused(io);
  unused.open(asio::ip::tcp::v4());
  unused.bind({asio::ip::make_address_v4("127.0.0.1"), 0});
  HttpClient client(io.get_executor());

  HttpResponse response = perform(
      client, get("http://127.0.0.1:" + std::to_string(unused.local_endpoint().port()) + "/"));

  EXPECT_EQ(response.error, HttpResponse::Error::connect) << response.error_message;
  EXPECT_FALSE(response.error_message.empty());
}

// A TLS handshake that never completes runs into connect_timeout before any request is sent: the
// provider never got it, and the operator is told a connection failed, not that it was slow.
TEST_F(HttpClientTest, ReportsAHandshakeThatNeverCompletesAsAConnectFailure) {
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  std::vector<asio::ip::tcp::socket> held;
  silent.async_accept([&](boost::system::error_code ec, asio::ip::tcp::socket s) {
    if (!ec) held.push_back(std::move(s));  // accepted, and never a byte in answer
  });
  HttpClient client(io.get_executor());
  HttpRequest request =
      get("https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/");
  request.timeout = 5s;
  request.connect_timeout = 200ms;

  const auto start = Clock::now();
  HttpResponse response = perform(client, request);

  EXPECT_EQ(response.error, HttpResponse::Error::connect) << response.error_message;
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST_F(HttpClientTest, RejectsSchemesOtherThanHttp) {
  HttpClient client(io.get_executor());
  HttpResponse response = perform(client, get("file:///etc/passwd"));
  EXPECT_EQ(response.error, HttpResponse::Error::other);
  EXPECT_TRUE(response.body.empty());
}

TEST_F(HttpClientTest, TransfersLargeBodiesBothWays) {
  server.set_handler([](const Server::Request& request) {
    return Server::Response{.body = request.body + request.body};
  });
  HttpClient client(io.get_executor(), {.max_response_bytes = 16 << 20});
  HttpRequest request;
  request.url = server.url("/echo");
  for (int i = 0; request.body.size() < (3 << 20); ++i) request.body += std::to_string(i) + ',';

  HttpResponse response = perform(client, request);

  ASSERT_EQ(response.error, HttpResponse::Error::none) << response.error_message;
  EXPECT_EQ(response.body.size(), 2 * request.body.size());
  EXPECT_TRUE(response.body == request.body + request.body);
}

TEST_F(HttpClientTest, DropsABodyLargerThanTheLimitButKeepsTheStatus) {
  server.set_handler([](const Server::Request&) {
    return Server::Response{.status = 201, .body = std::string(10000, 'x')};
  });
  HttpClient client(io.get_executor(), {.max_response_bytes = 1000});

  HttpResponse response = perform(client, get(server.url("/big")));

  EXPECT_EQ(response.error, HttpResponse::Error::none) << response.error_message;
  EXPECT_EQ(response.status, 201);
  EXPECT_TRUE(response.body_dropped);
  EXPECT_TRUE(response.body.empty());

  // The next request on the same client is unaffected.
  server.set_handler([](const Server::Request&) { return Server::Response{.body = "small"}; });
  HttpResponse next = perform(client, get(server.url("/small")));
  EXPECT_EQ(next.status, 200);
  EXPECT_FALSE(next.body_dropped);
  EXPECT_EQ(next.body, "small");
}

TEST_F(HttpClientTest, CancellingTheAwaitingCoroutineAbortsTheTransfer) {
  server.set_handler([](const Server::Request&) { return Server::Response{.delay = 5s}; });
  HttpClient client(io.get_executor());
  asio::cancellation_signal cancel;
  std::optional<HttpResponse> result;
  const auto start = Clock::now();
  asio::co_spawn(io, client.perform(get(server.url("/slow"))),
                 asio::bind_cancellation_slot(
                     cancel.slot(), [&](std::exception_ptr, HttpResponse r) { result = r; }));
  run_until([&] { return server.requests().size() == 1; });
  ASSERT_EQ(client.in_flight(), 1u);

  cancel.emit(asio::cancellation_type::terminal);
  run_until([&] { return result.has_value(); });

  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->error, HttpResponse::Error::other);
  EXPECT_EQ(result->error_message, "cancelled");
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_LT(Clock::now() - start, 3s);
}

asio::awaitable<std::optional<HttpResponse>> perform_within(HttpClient* client, HttpRequest request,
                                                            std::chrono::milliseconds limit) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, limit);
  auto winner =
      co_await (client->perform(std::move(request)) || timer.async_wait(asio::use_awaitable));
  if (winner.index() == 0) co_return std::get<0>(std::move(winner));
  co_return std::nullopt;
}

TEST_F(HttpClientTest, LosingARaceAgainstATimerAbortsTheTransfer) {
  server.set_handler([](const Server::Request&) { return Server::Response{.delay = 5s}; });
  HttpClient client(io.get_executor());
  bool done = false;
  std::optional<HttpResponse> result{HttpResponse{}};
  asio::co_spawn(io, perform_within(&client, get(server.url("/slow")), 100ms),
                 [&](std::exception_ptr, std::optional<HttpResponse> r) {
                   result = std::move(r);
                   done = true;
                 });
  run_until([&] { return done; });

  ASSERT_TRUE(done);
  EXPECT_FALSE(result.has_value()) << "the timer won";
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST_F(HttpClientTest, DestroyingTheClientAbortsRequestsInFlight) {
  server.set_handler([](const Server::Request&) { return Server::Response{.delay = 5s}; });
  auto client = std::make_unique<HttpClient>(io.get_executor());
  std::vector<HttpResponse> results;
  for (int i = 0; i < 5; ++i)
    asio::co_spawn(io, client->perform(get(server.url("/slow"))),
                   [&](std::exception_ptr, HttpResponse r) { results.push_back(std::move(r)); });
  run_until([&] { return server.requests().size() == 5; });
  ASSERT_EQ(server.requests().size(), 5u);

  client.reset();
  run_until([&] { return results.size() == 5; });

  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) {
    EXPECT_EQ(r.error, HttpResponse::Error::other);
    EXPECT_EQ(r.error_message, "client destroyed");
  }
}

}  // namespace
}  // namespace herald
