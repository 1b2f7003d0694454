// log.target: journal where no journald runs (a container, CI): the lines are not lost, they go
// to stderr.
#include <gtest/gtest.h>

#include <signal.h>

#include "service_support.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

TEST(JournalTarget, FallsBackToStderrWhenNoJournalTakesTheLines) {
  if (std::filesystem::exists("/run/systemd/journal/socket"))
    GTEST_SKIP() << "journald runs here: the lines go to the journal, not to stderr";
  RedisServer redis;
  TestDir dir;
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox }",
                                          "log:\n  target: journal\n"));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
  ASSERT_TRUE(herald.wait_for_log("module=app msg=started", 20s)) << herald.log();
  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-j1")});
  EXPECT_TRUE(herald.wait_for_log("msg=sent event_id=evt-j1", 20s)) << herald.log();
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
}

}  // namespace
}  // namespace herald::test
