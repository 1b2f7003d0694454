// The schedule in Redis shared by several herald processes (issue 3, item 6): due notifications
// are claimed atomically with a lease, so two instances never send the same notification, and a
// process killed while holding leases loses none: its leases run out and another takes them.
#include <gtest/gtest.h>

#include <time.h>

#include <algorithm>

#include "fault_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

// RFC 3339, whole seconds, UTC.
std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// A valid email-only event whose recipient is away until `until`: deferred, due then.
std::string away_until(const std::string& id, std::chrono::system_clock::time_point until) {
  auto event = boost::json::parse(valid_event(id, {"email"})).as_object();
  event["recipient"].as_object()["unavailable"] = boost::json::array{
      boost::json::object{{"from", rfc3339(until - 1h)}, {"to", rfc3339(until)}}};
  return boost::json::serialize(event);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SharedSchedule, TwoInstancesShareTenThousandScheduledNotificationsAndSendEachOnce) {
  constexpr int kNotifications = 10000;
  RedisServer redis;
  Gateway gateway;
  HeraldSettings a, b;
  a.email_url = a.sms_url = b.email_url = b.sms_url = gateway.url();
  a.consumer = "instance-a";
  b.consumer = "instance-b";
  HeraldHome home_a(redis, a), home_b(redis, b);
  // All due at one instant, a few seconds from now: both instances are running by then.
  const auto due = std::chrono::system_clock::now() + 12s;
  for (int i = 0; i < kNotifications; ++i)
    publish(redis, away_until("evt-sh-" + std::to_string(i), due));

  HeraldProcess herald_a(home_a.run_args());
  HeraldProcess herald_b(home_b.run_args());
  ASSERT_TRUE(wait_until([&] { return gateway.accepted_ids().size() == kNotifications; }, 180s))
      << gateway.accepted_ids().size() << " of " << kNotifications << " sent\n"
      << herald_a.log().substr(0, 4000);
  ASSERT_TRUE(wait_until([&] { return scheduled(redis) == 0 && pending(redis) == 0; }, 30s));
  std::this_thread::sleep_for(500ms);  // anything sent twice would have arrived by now

  // Exactly once at the gateway, and one `sent` outcome each.
  std::size_t twice = 0;
  for (const auto& [id, n] : gateway.counts()) twice += n != 1;
  EXPECT_EQ(twice, 0u) << "notifications requested more than once";
  EXPECT_EQ(gateway.request_count(), static_cast<std::size_t>(kNotifications));
  const auto sent = sent_outcomes(redis);
  EXPECT_EQ(sent.size(), static_cast<std::size_t>(kNotifications));
  EXPECT_TRUE(std::all_of(sent.begin(), sent.end(), [](const auto& s) { return s.second == 1; }));
  // Nothing went out before the recipient was back.
  const auto system_now = std::chrono::system_clock::now();
  const auto steady_now = std::chrono::steady_clock::now();
  std::size_t early = 0;
  for (const auto& arrival : gateway.arrivals())
    early += system_now - (steady_now - arrival.at) < due - 1s;  // `to` is whole seconds
  EXPECT_EQ(early, 0u) << "requests before the recipient was back";
  // Both shared the work.
  const auto by_a = count_of(herald_a.log(), "msg=sent "),
             by_b = count_of(herald_b.log(), "msg=sent ");
  EXPECT_GT(by_a, 0u);
  EXPECT_GT(by_b, 0u);
  EXPECT_EQ(by_a + by_b, static_cast<std::size_t>(kNotifications));
}

TEST(SharedSchedule, AProcessKilledWhileHoldingLeasesLosesNothing) {
  constexpr int kNotifications = 300;
  RedisServer redis;
  Gateway gateway;
  gateway.set_mode(Gateway::Mode::hang);  // the first instance's requests never come back
  HeraldSettings settings;
  settings.email_url = settings.sms_url = gateway.url();
  settings.email_timeout_ms = 60000;
  HeraldHome home(redis, settings);
  const auto due = std::chrono::system_clock::now() + 3s;
  for (int i = 0; i < kNotifications; ++i)
    publish(redis, away_until("evt-kl-" + std::to_string(i), due));

  {
    HeraldProcess first(home.run_args());
    // It claimed due notifications (leases in Redis) and is sending them when it dies.
    ASSERT_TRUE(wait_until([&] { return gateway.request_count() >= 32; }, 60s)) << first.log();
    first.kill();
  }
  EXPECT_GT(scheduled(redis), 0) << "the killed process's leased notifications are still there";
  gateway.set_mode(Gateway::Mode::accept);
  HeraldProcess second(home.run_args());
  // The leases (2 s) run out and the second instance sends everything.
  ASSERT_TRUE(wait_until([&] { return gateway.accepted_ids().size() == kNotifications; }, 60s))
      << gateway.accepted_ids().size() << " of " << kNotifications << "\n"
      << second.log();
  ASSERT_TRUE(wait_until([&] { return scheduled(redis) == 0; }, 20s));
  const auto sent = sent_outcomes(redis);
  EXPECT_EQ(sent.size(), static_cast<std::size_t>(kNotifications));
  EXPECT_TRUE(std::all_of(sent.begin(), sent.end(), [](const auto& s) { return s.second == 1; }));
  // Repeated requests are only those the killed process had in flight, with the same key.
  for (const auto& a : gateway.arrivals()) EXPECT_EQ(a.idempotency_key, a.id);
}

TEST(SharedSchedule, ASendSlowerThanTheLeaseKeepsItsLeaseAndGoesOnce) {
  // Each answer takes 5 s; the lease is 2 s. Were the lease not renewed while the request is
  // under way, the schedule would offer the notification again and it would be sent twice.
  constexpr int kNotifications = 20;
  RedisServer redis;
  Gateway gateway;
  gateway.set_delay(5s);
  HeraldSettings settings;
  settings.email_url = settings.sms_url = gateway.url();
  settings.email_timeout_ms = 20000;
  HeraldHome home(redis, settings);
  for (int i = 0; i < kNotifications; ++i)
    publish(redis, valid_event("evt-slow-" + std::to_string(i), {"email"}));
  HeraldProcess herald(home.run_args());
  ASSERT_TRUE(wait_until([&] { return sent_outcomes(redis).size() == kNotifications; }, 60s))
      << herald.log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(gateway.request_count(), static_cast<std::size_t>(kNotifications)) << herald.log();
  EXPECT_EQ(herald.log().find("lease lost"), std::string::npos) << herald.log();
}

}  // namespace
}  // namespace herald::test
