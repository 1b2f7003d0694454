// herald run as operators run it: a child process with a config file, signalled and read back.
#include <gtest/gtest.h>

#include <signal.h>

#include "support/process/herald_process.hpp"
#include "support/redis/redis_server.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

const char* kTemplate = R"(email:
  en: { subject: "Your application {{case_ref}}", body: "Dear {{salutation}}" }
  cy: { subject: "Eich cais {{case_ref}}", body: "Annwyl {{salutation}}" }
)";

std::string config_yaml(const RedisServer& redis) {
  return "redis:\n  url: " + redis.url() +
         "\n  consumer: process-test\n  block_ms: 200\n"
         "contact:\n  timezone: Europe/London\n"
         "rules:\n  - { status: case_update, template: case_update, channels: [email] }\n"
         "gateways:\n  email: { type: file, directory: outbox }\n";
}

std::string event(const std::string& id) {
  return R"({"id":")" + id +
         R"(","case_ref":"GWF1","status":"case_update","occurred_at":"2026-11-23T08:00:00Z",)"
         R"("recipient":{"name":"Jo Bloggs","email":"a@example.org","contact_anytime":true}})";
}

TEST(HeraldProcess, HandlesAnEventAndExitsZeroOnSigterm) {
  RedisServer redis;
  TestDir dir;
  dir.write("herald.yaml", config_yaml(redis));
  dir.write("templates/case_update.yaml", kTemplate);
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  ASSERT_TRUE(herald.wait_for_log("msg=started", 10s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event", event("evt-p1")});
  ASSERT_TRUE(herald.wait_for_log("msg=sent", 10s)) << herald.log();
  EXPECT_TRUE(std::filesystem::exists(dir.root() / "outbox" / "evt-p1%3Aemail.json"));
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(15s), 0) << herald.log();
  EXPECT_NE(herald.log().find("msg=stopped"), std::string::npos);
}

TEST(HeraldProcess, RefusesToStartWithABadConfigListingEveryProblem) {
  TestDir dir;
  dir.write("herald.yaml", "redis:\n  url: nope\ncontact:\n  max_days: 0\nbogus: 1\n");
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  EXPECT_EQ(herald.wait_exit(10s), 2);
  const auto log = herald.log();
  for (const char* key : {"redis.url", "contact.max_days", "bogus", "rules"})
    EXPECT_NE(log.find(key), std::string::npos) << key << " not named in:\n" << log;
}

}  // namespace
}  // namespace herald::test
