// SIGHUP: a good config is applied whole, a broken one is refused and the old one keeps running.
#include <gtest/gtest.h>

#include <signal.h>

#include "service_support.hpp"
#include "support/http/http_test_server.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

bool exists(const TestDir& dir, const std::string& relative) {
  return std::filesystem::exists(dir.root() / relative);
}

TEST(Reload, AppliesAGoodConfigAndRefusesABrokenOneWhileTheOldOneKeepsRunning) {
  RedisServer redis;
  TestDir dir;
  const std::string metrics = "metrics:\n  listen: 127.0.0.1:0\n";
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox-a }", metrics));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-r1")});
  ASSERT_TRUE(eventually([&] { return exists(dir, "outbox-a/evt-r1%3Aemail.json"); }, 20s));

  // A good new config: the next message goes to the new outbox.
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox-b }", metrics));
  herald.signal(SIGHUP);
  ASSERT_TRUE(herald.wait_for_log("msg=reloaded", 20s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-r2")});
  ASSERT_TRUE(eventually([&] { return exists(dir, "outbox-b/evt-r2%3Aemail.json"); }, 20s));

  // A broken one (two problems, and a template that does not parse): refused, every problem
  // logged, and the running config (outbox-b) still in force.
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox-c }",
                                          metrics + "contact:\n  max_days: 0\nbogus: 1\n"));
  herald.signal(SIGHUP);
  ASSERT_TRUE(herald.wait_for_log("msg=\"reload refused; the running configuration stays", 20s))
      << herald.log();
  for (const char* problem : {"contact", "bogus"})
    EXPECT_NE(herald.log().find(problem), std::string::npos) << problem << "\n" << herald.log();
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox-c }", metrics));
  dir.write("templates/case_update.yaml", "email:\n  en: { subject: \"{{#x}}\" }\n");
  herald.signal(SIGHUP);
  ASSERT_TRUE(herald.wait_for_log("msg=\"reload refused; the running configuration stays", 20s, 2))
      << herald.log();
  EXPECT_NE(herald.log().find("case_update.yaml"), std::string::npos) << herald.log();
  dir.write("templates/case_update.yaml", kEmailTemplate);

  // A key only a restart can change: refused, naming it.
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox-c }",
                                          metrics + "schedule:\n  lease_ms: 5000\n"));
  herald.signal(SIGHUP);
  ASSERT_TRUE(herald.wait_for_log("msg=\"reload refused; the running configuration stays", 20s, 3))
      << herald.log();
  EXPECT_NE(herald.log().find("keys=schedule.lease_ms"), std::string::npos) << herald.log();

  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-r3")});
  ASSERT_TRUE(eventually([&] { return exists(dir, "outbox-b/evt-r3%3Aemail.json"); }, 20s))
      << herald.log();
  EXPECT_FALSE(exists(dir, "outbox-c/evt-r3%3Aemail.json"));

  const auto port = metrics_port(herald);
  ASSERT_NE(port, 0) << herald.log();
  const auto text = http_get(port, "/metrics").second;
  for (const char* line : {"herald_config_reloads_total{result=\"ok\"} 1",
                           "herald_config_reloads_total{result=\"invalid\"} 2",
                           "herald_config_reloads_total{result=\"restart_required\"} 1",
                           "herald_config_last_reload_successful 0"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;

  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
}

TEST(Reload, KeepsAnOpenCircuitBreakerOpenWhenItsSettingsDoNotChange) {
  // A provider is down and the breaker open; the operator reloads to change the log level. The
  // breaker must stay open: a fresh one would send everything waiting straight at the provider.
  RedisServer redis;
  HttpTestServer provider;
  provider.set_handler(
      [](const HttpTestServer::Request&) { return HttpTestServer::Response{.status = 503}; });
  TestDir dir;
  const std::string gateway = "{ type: webhook, url: \"" + provider.url("/email") +
                              "\", circuit_breaker: { failures: 2, cool_down_ms: 600000 } }";
  const std::string metrics = "metrics:\n  listen: 127.0.0.1:0\n";
  dir.write("herald.yaml", service_config(redis, gateway, metrics));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  for (const char* id : {"evt-b1", "evt-b2"})
    redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event(id)});
  const auto port = metrics_port(herald);
  ASSERT_NE(port, 0) << herald.log();
  const auto breaker_open = [&] {
    return http_get(port, "/metrics")
               .second.find("herald_gateway_breaker_state{gateway=\"webhook\"} 2") !=
           std::string::npos;
  };
  ASSERT_TRUE(eventually(breaker_open, 20s)) << herald.log();
  const auto made = provider.requests().size();

  dir.write("herald.yaml", service_config(redis, gateway, metrics + "log:\n  level: debug\n"));
  herald.signal(SIGHUP);
  ASSERT_TRUE(herald.wait_for_log("msg=reloaded", 20s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-b3")});
  ASSERT_TRUE(herald.wait_for_log(
      "msg=\"transient gateway failure, retrying\" event_id=evt-b3 notification_id=evt-b3:email "
      "gateway=webhook retries=1",
      20s))
      << herald.log();
  EXPECT_NE(herald.log().find("reason=\"circuit breaker open\""), std::string::npos);
  EXPECT_EQ(provider.requests().size(), made) << "no request while the breaker is open";
  EXPECT_TRUE(breaker_open());

  // Renamed, the gateway has a breaker of its own; the old name's series goes, rather than
  // staying at "open" for ever.
  std::string renamed = gateway;
  renamed.replace(renamed.find("type: webhook"), 13, "type: webhook, name: mail");
  dir.write("herald.yaml", service_config(redis, renamed, metrics));
  herald.signal(SIGHUP);
  // Reloaded a second time: the first and the last "reloaded" lines differ.
  ASSERT_TRUE(eventually(
      [&] { return herald.log().find("msg=reloaded") != herald.log().rfind("msg=reloaded"); }, 20s))
      << herald.log();
  const auto text = http_get(port, "/metrics").second;
  EXPECT_EQ(text.find("herald_gateway_breaker_state{gateway=\"webhook\"}"), std::string::npos)
      << text;
  EXPECT_NE(text.find("herald_gateway_breaker_state{gateway=\"mail\"} 0"), std::string::npos)
      << text;

  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
}

TEST(Reload, KeepsCountingRequestsUnderWayAgainstMaxInFlight) {
  // A slow provider, two requests at most at once; the operator reloads while two are under way
  // and two more wait. The new gateway must count the old one's requests: a fresh bound would
  // put four at the provider.
  RedisServer redis;
  HttpTestServer provider([](const HttpTestServer::Request&) {
    return HttpTestServer::Response{.status = 202, .delay = 1s};
  });
  TestDir dir;
  const std::string gateway =
      "{ type: webhook, url: \"" + provider.url("/email") + "\", max_in_flight: 2 }";
  dir.write("herald.yaml", service_config(redis, gateway, ""));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  for (const char* id : {"evt-m1", "evt-m2", "evt-m3", "evt-m4"})
    redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event(id)});
  ASSERT_TRUE(provider.wait_for_requests(2, 20s));

  dir.write("herald.yaml", service_config(redis, gateway, "log:\n  level: debug\n"));
  herald.signal(SIGHUP);
  ASSERT_TRUE(herald.wait_for_log("msg=reloaded", 20s)) << herald.log();
  for (const char* id : {"evt-m5", "evt-m6", "evt-m7", "evt-m8"})
    redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event(id)});
  ASSERT_TRUE(herald.wait_for_log("msg=sent", 30s, 8)) << herald.log();
  EXPECT_EQ(provider.max_concurrent_requests(), 2u);

  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
}

TEST(Reload, ChangesTheLogLevel) {
  RedisServer redis;
  TestDir dir;
  const std::string gateway = "{ type: file, directory: outbox }";
  const std::string metrics = "metrics:\n  listen: 127.0.0.1:0\n";
  dir.write("herald.yaml", service_config(redis, gateway, metrics + "log:\n  level: info\n"));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-l1")});
  ASSERT_TRUE(herald.wait_for_log("msg=sent event_id=evt-l1", 20s)) << herald.log();
  EXPECT_EQ(herald.log().find("msg=decision"), std::string::npos) << "debug lines at info";

  dir.write("herald.yaml", service_config(redis, gateway, metrics + "log:\n  level: debug\n"));
  herald.signal(SIGHUP);
  ASSERT_TRUE(herald.wait_for_log("msg=reloaded", 20s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-l2")});
  EXPECT_TRUE(herald.wait_for_log("msg=decision event_id=evt-l2", 20s)) << herald.log();

  dir.write("herald.yaml", service_config(redis, gateway, metrics + "log:\n  level: warn\n"));
  herald.signal(SIGHUP);
  // At warn the reload's own info line is not written: its counter says when it is done.
  const auto port = metrics_port(herald);
  ASSERT_NE(port, 0) << herald.log();
  ASSERT_TRUE(eventually(
      [&] {
        return http_get(port, "/metrics")
                   .second.find("herald_config_reloads_total{result=\"ok\"} 2") !=
               std::string::npos;
      },
      20s));
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-l3")});
  ASSERT_TRUE(eventually(
      [&] { return std::filesystem::exists(dir.root() / "outbox" / "evt-l3%3Aemail.json"); }, 20s));
  EXPECT_EQ(herald.log().find("event_id=evt-l3"), std::string::npos) << herald.log();

  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
}

}  // namespace
}  // namespace herald::test
