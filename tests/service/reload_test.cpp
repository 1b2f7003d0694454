// SIGHUP: a good config is applied whole, a broken one is refused and the old one keeps running.
#include <gtest/gtest.h>

#include <signal.h>

#include "service_support.hpp"

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
