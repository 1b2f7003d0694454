// SIGTERM: stop reading, finish the sends in flight, acknowledge them, exit 0; a second SIGTERM
// or SIGINT: exit at once, leaving the rest to the next start.
#include <gtest/gtest.h>

#include <signal.h>

#include <set>
#include <thread>

#include "service_support.hpp"
#include "support/http/http_test_server.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

HttpTestServer::Handler slow(std::chrono::milliseconds delay) {
  return HttpTestServer::answering(202, delay);
}

// Sends `sig`, waits until herald is draining, then sends it again: herald exits within 5 s
// (well before the tests' 20 s drain and their hanging gateway), with the exit code of a drain
// that timed out.
void stop_twice(HeraldProcess& herald, int sig) {
  herald.signal(sig);
  ASSERT_TRUE(herald.wait_for_log("msg=\"stopping: no new work", 5s)) << herald.log();
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(herald.running()) << "still draining: " << herald.log();
  const auto second = std::chrono::steady_clock::now();
  herald.signal(sig);
  EXPECT_EQ(herald.wait_exit(5s), 0) << herald.log();
  EXPECT_LT(std::chrono::steady_clock::now() - second, 5s);
}

std::string webhook(const HttpTestServer& server) {
  return "{ type: webhook, url: \"" + server.url("/email") + "\", timeout_ms: 30000 }";
}

long long pending(RedisServer& redis) {
  return redis.command({"XPENDING", "herald:events", "herald"}).elements.at(0).integer;
}

std::size_t count_result(RedisServer& redis, const std::string& result) {
  std::size_t n = 0;
  for (const auto& o : outcomes(redis))
    if (o.at("result").as_string() == result) ++n;
  return n;
}

// herald, started, gets event `id` published and its request is at `gateway`.
void publish_one_and_wait_for_its_request(HeraldProcess& herald, RedisServer& redis,
                                          HttpTestServer& gateway, const std::string& id) {
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event(id)});
  ASSERT_TRUE(gateway.wait_for_requests(1, 20s)) << herald.log();
}

// herald started again on `config`, with `gateway` answering at once, sends the one event `id`
// whose send the stop cut off, then is stopped with `stop_signal`: every request the gateway had
// was that message.
void expect_sent_after_a_restart(RedisServer& redis, HttpTestServer& gateway,
                                 const std::string& config, const std::string& id,
                                 int stop_signal) {
  gateway.set_handler(slow(0ms));
  HeraldProcess again({"run", "--config", config});
  ASSERT_TRUE(eventually([&] { return count_result(redis, "sent") == 1; }, 30s)) << again.log();
  again.signal(stop_signal);
  EXPECT_EQ(again.wait_exit(30s), 0) << again.log();
  for (const auto& r : gateway.requests())
    EXPECT_EQ(r.headers.at("idempotency-key"), id + ":email") << "the same message, resent";
}

TEST(Shutdown, SigtermLetsSlowSendsFinishAcknowledgesThemAndExitsZero) {
  RedisServer redis;
  HttpTestServer gateway(slow(2s));
  TestDir dir;
  dir.write("herald.yaml",
            service_config(redis, webhook(gateway), "shutdown:\n  drain_timeout_ms: 25000\n"));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  {
    HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
    ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
    for (int i = 1; i <= 4; ++i)
      redis.command({"XADD", "herald:events", "*", "event",
                     contact_anytime_event("evt-s" + std::to_string(i))});
    // All four requests are at the gateway, waiting for its answer, when SIGTERM comes.
    ASSERT_TRUE(gateway.wait_for_requests(4, 20s)) << herald.log();
    herald.signal(SIGTERM);
    EXPECT_EQ(herald.wait_exit(40s), 0) << herald.log();
    EXPECT_NE(herald.log().find("msg=stopped"), std::string::npos) << herald.log();
  }
  EXPECT_EQ(count_result(redis, "sent"), 4u);
  EXPECT_EQ(pending(redis), 0) << "every finished entry is acknowledged";

  // Nothing is sent twice after a restart: the next event is the only new request.
  gateway.set_handler(slow(0ms));
  HeraldProcess again({"run", "--config", dir.path("herald.yaml")});
  ASSERT_TRUE(again.wait_for_log("msg=started", 20s)) << again.log();
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-s5")});
  ASSERT_TRUE(again.wait_for_log("msg=sent event_id=evt-s5", 20s)) << again.log();
  again.signal(SIGTERM);
  EXPECT_EQ(again.wait_exit(30s), 0) << again.log();
  std::multiset<std::string> keys;
  for (const auto& r : gateway.requests()) keys.insert(r.headers.at("idempotency-key"));
  EXPECT_EQ(keys, (std::multiset<std::string>{"evt-s1:email", "evt-s2:email", "evt-s3:email",
                                              "evt-s4:email", "evt-s5:email"}));
}

TEST(Shutdown, WorkThatOutlastsTheDrainTimeoutIsFinishedAfterTheRestart) {
  RedisServer redis;
  HttpTestServer gateway(slow(10s));
  TestDir dir;
  dir.write("herald.yaml",
            service_config(redis, webhook(gateway),
                           "shutdown:\n  drain_timeout_ms: 500\nschedule:\n  lease_ms: 2000\n"));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  {
    HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
    ASSERT_NO_FATAL_FAILURE(publish_one_and_wait_for_its_request(herald, redis, gateway, "evt-t1"));
    herald.signal(SIGTERM);
    // Exits 0 after the drain timeout, long before the gateway would have answered.
    EXPECT_EQ(herald.wait_exit(8s), 0) << herald.log();
    EXPECT_NE(herald.log().find("drain timed out"), std::string::npos) << herald.log();
  }
  EXPECT_EQ(count_result(redis, "sent"), 0u);

  expect_sent_after_a_restart(redis, gateway, dir.path("herald.yaml"), "evt-t1", SIGTERM);
  EXPECT_EQ(pending(redis), 0);
}

TEST(Shutdown, ASecondSigtermStopsAtOnceWithoutWaitingForTheDrain) {
  RedisServer redis;
  HttpTestServer gateway(slow(60s));  // hangs for longer than the test
  TestDir dir;
  dir.write("herald.yaml",
            service_config(redis, webhook(gateway),
                           "shutdown:\n  drain_timeout_ms: 20000\nschedule:\n  lease_ms: 2000\n"));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  {
    HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
    ASSERT_NO_FATAL_FAILURE(publish_one_and_wait_for_its_request(herald, redis, gateway, "evt-u1"));
    stop_twice(herald, SIGTERM);
    const auto log = herald.log();
    EXPECT_NE(log.find("msg=\"second signal: stopping now, unfinished work is picked up after "
                       "restart\" signal=15 in_flight=1"),
              std::string::npos)
        << log;
  }
  EXPECT_EQ(count_result(redis, "sent"), 0u);

  // What the second signal cut off is sent after the restart, with the same key.
  expect_sent_after_a_restart(redis, gateway, dir.path("herald.yaml"), "evt-u1", SIGINT);
}

TEST(Shutdown, CtrlCTwiceStopsAtOnce) {
  RedisServer redis;
  HttpTestServer gateway(slow(60s));
  TestDir dir;
  dir.write("herald.yaml",
            service_config(redis, webhook(gateway), "shutdown:\n  drain_timeout_ms: 20000\n"));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  ASSERT_NO_FATAL_FAILURE(publish_one_and_wait_for_its_request(herald, redis, gateway, "evt-v1"));
  stop_twice(herald, SIGINT);
  EXPECT_NE(herald.log().find("msg=\"second signal: stopping now"), std::string::npos)
      << herald.log();
}

}  // namespace
}  // namespace herald::test
