// What RedisClient says of its connection, against a real redis-server.
#include "herald/redis/redis_client.hpp"

#include <optional>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "herald/redis/sigpipe.hpp"
#include "support/redis/redis_server.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class RedisClientTest : public ::testing::Test {
 protected:
  RedisClientTest() {
    options.connect_timeout = 300ms;
    options.reconnect_min = 50ms;
    options.reconnect_max = 100ms;
    options.name = "herald-test";
    client.emplace(io.get_executor(), server.endpoint(), options);
    client->on_reconnect([this] { ++reconnects; });
  }
  ~RedisClientTest() override { server.resume(); }  // a stopped server would not stop

  // PING with a short deadline, run to its end.
  bool ping() {
    std::optional<bool> ok;
    asio::co_spawn(io, client->command({"PING"}, 300ms),
                   [&](std::exception_ptr e, boost::system::result<RedisReply> r) {
                     if (e) std::rethrow_exception(e);
                     ok = r.has_value() && !r->is_error();
                   });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!ok && std::chrono::steady_clock::now() < deadline) {
      io.run_one_for(10ms);
      if (io.stopped()) io.restart();
    }
    return ok.value_or(false);
  }

  // Runs the loop for a while (the set-up answers are handled on it).
  void run_for(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
      io.run_one_for(10ms);
      if (io.stopped()) io.restart();
    }
  }

  SigpipeIgnored sigpipe;
  test::RedisServer server;
  asio::io_context io;
  RedisClientOptions options;
  std::optional<RedisClient> client;
  int reconnects = 0;
};

// A stopped or hung redis-server still completes TCP handshakes (the kernel does): that is not
// Redis being back. /healthz and herald_redis_reconnects_total rest on what this tells.
TEST_F(RedisClientTest, IsNotConnectedToAHungRedisAndCountsAReconnectOnlyWhenItAnswers) {
  ASSERT_TRUE(ping());
  run_for(50ms);
  EXPECT_TRUE(client->connected());

  server.pause();
  EXPECT_FALSE(ping()) << "a hung Redis answers nothing";
  // Every attempt from now on gets a TCP connection and no answer.
  const auto paused_until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < paused_until) {
    EXPECT_FALSE(ping());
    run_for(20ms);
    ASSERT_FALSE(client->connected());
  }
  EXPECT_EQ(reconnects, 0) << "nothing answered: no reconnection";

  server.resume();
  bool back = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!back && std::chrono::steady_clock::now() < deadline) {
    back = ping();
    run_for(20ms);
  }
  ASSERT_TRUE(back);
  EXPECT_TRUE(client->connected());
  EXPECT_EQ(reconnects, 1);
}

}  // namespace
}  // namespace herald
