#include "herald/config/config_diff.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(RestartOnlyChanges, NoneWhenOnlyReloadableKeysDiffer) {
  Config running, next;
  next.contact.window.start = std::chrono::minutes(8 * 60);
  next.log.level = "debug";
  next.rules.push_back(Rule{"case_update", "case_update", {Channel::email}, false});
  next.gateways[Channel::email].url = "http://127.0.0.1:1/other";
  // A rotated webhook token: the gateways are built again on a reload, with the new header.
  running.gateways[Channel::email].headers["Authorization"] = Secret("Bearer old-token");
  next.gateways[Channel::email].headers["Authorization"] = Secret("Bearer new-token");
  next.retry.initial = std::chrono::milliseconds(5);
  next.limits.max_event_bytes = 10;
  next.shutdown.drain_timeout = std::chrono::milliseconds(1);
  EXPECT_TRUE(restart_only_changes(running, next).empty());
}

TEST(RestartOnlyChanges, NamesEveryKeyThatNeedsARestart) {
  Config running, next;
  next.redis.url = "redis://127.0.0.1:6380/0";
  next.redis.stream = "other:events";
  next.redis.group = "other";
  next.metrics.listen = "127.0.0.1:9999";
  next.limits.max_in_flight = 1;
  next.schedule.lease = std::chrono::milliseconds(1);
  next.retention.days = 7;
  EXPECT_EQ(
      restart_only_changes(running, next),
      (std::vector<std::string>{"redis.url", "redis.stream", "redis.group", "metrics.listen",
                                "limits.max_in_flight", "schedule.lease_ms", "retention.days"}));
}

}  // namespace
}  // namespace herald
