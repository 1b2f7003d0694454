// herald under faults, as a child process against a real redis-server and real HTTP gateways:
// killed mid-run, Redis restarted, a gateway refusing or hanging, two instances on one stream.
// Each test is a few hundred events and a few seconds.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <iostream>

#include "fault_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

std::string ids_of(const std::set<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += id + " ";
  return out;
}

// Every request carries its notification id as the Idempotency-Key, so a gateway can tell a
// repeat from a new message.
void expect_idempotency_keys(const Gateway& gateway) {
  for (const auto& a : gateway.arrivals())
    EXPECT_EQ(a.idempotency_key, a.id) << "a request without its notification id as the key";
}

void expect_each_sent_once(RedisServer& redis, const std::vector<std::string>& ids) {
  const auto sent = sent_outcomes(redis);
  for (const auto& id : ids) {
    auto it = sent.find(id);
    EXPECT_TRUE(it != sent.end() && it->second == 1)
        << id << " has " << (it == sent.end() ? 0 : it->second) << " sent outcomes";
  }
  EXPECT_EQ(sent.size(), ids.size());
}

// The end of a long log: where a failure shows (the start is only the sends before it).
std::string tail(const std::string& text, std::size_t n) {
  return text.size() > n ? "...\n" + text.substr(text.size() - n) : text;
}

TEST(Faults, SigkillTwiceMidRunLosesNothingAndRepeatsOnlyWhatWasInFlight) {
  constexpr int kEvents = 300;
  constexpr int kGatewayInFlight = 8;
  RedisServer redis;
  Gateway gateway;
  gateway.set_delay(20ms);  // keeps requests in flight when the kill comes
  HeraldSettings settings;
  settings.email_url = gateway.url();
  settings.sms_url = gateway.url();
  settings.max_in_flight = kGatewayInFlight;
  HeraldHome home(redis, settings);
  std::vector<std::string> ids;
  for (int i = 0; i < kEvents; ++i) {
    publish(redis, valid_event("evt-k-" + std::to_string(i), {"email"}));
    ids.push_back("evt-k-" + std::to_string(i) + ":email");
  }

  // In flight at a kill: requests the gateway received from the killed process whose `sent` was
  // not recorded, whether still unanswered or answered but not yet recorded. Only these may be
  // sent again after the restart. (An id in flight at the first kill may still wait for its lease
  // at the second; it is counted with the first.)
  std::set<std::string> in_flight_at_kills;
  std::size_t in_flight_total = 0;
  for (std::size_t kill_at : {kEvents / 5, kEvents / 2}) {
    const std::size_t arrived_before = gateway.request_count();
    HeraldProcess herald(home.run_args());
    ASSERT_TRUE(wait_until([&] { return gateway.counts().size() >= kill_at; }, 60s))
        << herald.log();
    herald.kill();
    // Requests already on the wire arrive: wait until none has for a while.
    for (std::size_t seen = 0; seen != gateway.request_count();) {
      seen = gateway.request_count();
      std::this_thread::sleep_for(300ms);
    }
    const auto sent = sent_outcomes(redis);
    const auto arrivals = gateway.arrivals();
    std::set<std::string> unrecorded;
    for (std::size_t i = arrived_before; i < arrivals.size(); ++i)
      if (!sent.contains(arrivals[i].id)) unrecorded.insert(arrivals[i].id);
    in_flight_at_kills.insert(unrecorded.begin(), unrecorded.end());
    in_flight_total += unrecorded.size();
  }
  HeraldProcess herald(home.run_args());
  ASSERT_TRUE(wait_until([&] { return sent_outcomes(redis).size() == ids.size(); }, 60s))
      << sent_outcomes(redis).size() << " of " << ids.size() << " sent\n"
      << herald.log();
  ASSERT_TRUE(wait_until([&] { return pending(redis) == 0 && scheduled(redis) == 0; }, 20s));
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(20s), 0) << herald.log();

  expect_each_sent_once(redis, ids);
  expect_idempotency_keys(gateway);
  std::size_t repeats = 0;
  std::set<std::string> repeated;
  for (const auto& [id, n] : gateway.counts()) {
    if (n == 1) continue;
    repeats += static_cast<std::size_t>(n - 1);
    repeated.insert(id);
    EXPECT_TRUE(in_flight_at_kills.contains(id)) << id << " was repeated but not in flight";
  }
  EXPECT_LE(repeats, in_flight_total) << "repeated: " << ids_of(repeated);
  // herald never had more requests out than the gateway's max_in_flight, kills or not. (More may
  // be unrecorded at a kill: answered, their `sent` not yet written.)
  EXPECT_LE(gateway.max_concurrent_requests(), static_cast<std::size_t>(kGatewayInFlight));
  std::cout << "[ info ] in flight at the kills: " << in_flight_total
            << ", requests repeated after restart: " << repeats << "\n";
  EXPECT_EQ(gateway.accepted_ids().size(), ids.size());
}

TEST(Faults, RedisRestartedMidRunLosesNothingAndCountsTheReconnects) {
  constexpr int kEvents = 300;
  RedisServer redis(/*aof=*/true);
  Gateway gateway;
  gateway.set_delay(5ms);
  HeraldSettings settings;
  settings.email_url = gateway.url();
  settings.sms_url = gateway.url();
  settings.metrics_port = free_port();
  HeraldHome home(redis, settings);
  std::vector<std::string> ids;
  for (int i = 0; i < kEvents; ++i) {
    publish(redis, valid_event("evt-r-" + std::to_string(i), {"email"}));
    ids.push_back("evt-r-" + std::to_string(i) + ":email");
  }
  HeraldProcess herald(home.run_args());
  ASSERT_TRUE(wait_until([&] { return gateway.counts().size() >= kEvents / 3; }, 60s))
      << herald.log();
  redis.stop();  // SIGTERM: the AOF is flushed
  // A herald that dies here (it once did, of SIGPIPE) is reported at once, with how it ended.
  ASSERT_TRUE(wait_until(
      [&] { return !herald.running() || http_get(settings.metrics_port, "/healthz").first == 503; },
      30s))
      << "/healthz should say Redis is gone\n"
      << tail(herald.log(), 20000);
  ASSERT_TRUE(herald.running()) << "herald ended with status " << herald.wait_exit(0ms).value_or(-1)
                                << " when Redis went away\n"
                                << tail(herald.log(), 20000);
  std::this_thread::sleep_for(500ms);
  redis.start();

  ASSERT_TRUE(wait_until([&] { return sent_outcomes(redis).size() == ids.size(); }, 60s))
      << sent_outcomes(redis).size() << " of " << ids.size() << " sent\n"
      << herald.log();
  ASSERT_TRUE(wait_until([&] { return pending(redis) == 0 && scheduled(redis) == 0; }, 20s));
  EXPECT_TRUE(herald.running()) << "herald rides out a Redis restart without exiting";
  ASSERT_TRUE(
      wait_until([&] { return http_get(settings.metrics_port, "/healthz").first == 200; }, 10s));
  const auto text = http_get(settings.metrics_port, "/metrics").second;
  // Both connections (the blocking reader and the writer) came back.
  EXPECT_GE(metric(text, "herald_redis_reconnects_total"), 2) << text;
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(20s), 0) << herald.log();

  expect_each_sent_once(redis, ids);
  expect_idempotency_keys(gateway);
  EXPECT_EQ(gateway.accepted_ids().size(), ids.size());
}

TEST(Faults, AGatewayOutageIsRetriedWithBackoffAndNothingIsLost) {
  constexpr int kEvents = 50;
  RedisServer redis;
  Gateway gateway;
  gateway.set_mode(Gateway::Mode::unavailable);
  HeraldSettings settings;
  settings.email_url = gateway.url();
  settings.sms_url = gateway.url();
  settings.metrics_port = free_port();
  // 200 ms doubling up to 1.6 s (each delay jittered to between half and all of it).
  settings.retry_initial_ms = 200;
  settings.retry_max_ms = 1600;
  HeraldHome home(redis, settings);
  std::vector<std::string> ids;
  for (int i = 0; i < kEvents; ++i) {
    publish(redis, valid_event("evt-o-" + std::to_string(i), {"email"}));
    ids.push_back("evt-o-" + std::to_string(i) + ":email");
  }
  HeraldProcess herald(home.run_args());
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  const auto outage = 3s;
  std::this_thread::sleep_for(outage);
  gateway.set_mode(Gateway::Mode::accept);
  ASSERT_TRUE(wait_until([&] { return sent_outcomes(redis).size() == ids.size(); }, 60s))
      << sent_outcomes(redis).size() << " of " << ids.size() << " sent\n"
      << herald.log();
  ASSERT_TRUE(wait_until([&] { return pending(redis) == 0 && scheduled(redis) == 0; }, 20s));
  const auto text = http_get(settings.metrics_port, "/metrics").second;
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(20s), 0) << herald.log();

  expect_each_sent_once(redis, ids);
  expect_idempotency_keys(gateway);
  // The breaker opened during the outage and closed once the gateway answered again.
  const auto log = herald.log();
  EXPECT_NE(log.find("msg=\"circuit breaker open"), std::string::npos) << log;
  EXPECT_NE(log.find("msg=\"circuit breaker closed"), std::string::npos) << log;
  EXPECT_EQ(metric(text, R"(herald_gateway_breaker_state{gateway="email"})"), 0) << text;
  // Backoff: each notification was refused a few times, at growing intervals, not hammered.
  std::map<std::string, std::vector<Gateway::Arrival>> by_id;
  std::size_t refused = 0;
  for (const auto& a : gateway.arrivals()) {
    by_id[a.id].push_back(a);
    if (a.status == 503) ++refused;
  }
  for (const auto& [id, arrivals] : by_id) {
    ASSERT_GE(arrivals.size(), 2u) << id << " was never refused: the outage did not happen";
    // 3 s of outage with delays of at least 100, 200, 400, 800, 800 ms: at most 6 tries in it.
    EXPECT_LE(arrivals.size(), 8u) << id << " was retried without backing off";
    for (std::size_t k = 1; k < arrivals.size(); ++k) {
      const auto gap = arrivals[k].at - arrivals[k - 1].at;
      const auto floor = std::chrono::milliseconds(std::min(200 << (k - 1), 1600) / 2);
      EXPECT_GE(gap, floor - 20ms) << id << ": try " << k + 1 << " came too soon";
    }
    EXPECT_EQ(arrivals.back().status, 202);
  }
  EXPECT_EQ(metric(text, R"(herald_gateway_requests_total{code="503",gateway="email"})"),
            static_cast<double>(refused))
      << text;
  EXPECT_EQ(metric(text, R"(herald_notifications_total{channel="email",result="sent"})"),
            static_cast<double>(kEvents))
      << text;
  EXPECT_NE(log.find("transient gateway failure, retrying"), std::string::npos);
  // "a gateway hiccup does not use up a contact attempt": every send is attempt 1.
  for (const auto& o : outcomes(redis))
    if (o.at("result") == "sent") {
      EXPECT_EQ(o.at("attempt"), 1);
    }
}

TEST(Faults, AHangingGatewayTimesOutWithoutStallingTheLoopOrTheOtherChannel) {
  constexpr int kEvents = 40;
  RedisServer redis;
  Gateway email, sms;
  email.set_mode(Gateway::Mode::hang);
  HeraldSettings settings;
  settings.email_url = email.url();
  settings.sms_url = sms.url();
  settings.metrics_port = free_port();
  settings.email_timeout_ms = 500;
  HeraldHome home(redis, settings);
  std::vector<std::string> email_ids, sms_ids;
  for (int i = 0; i < kEvents; ++i) {
    const auto e = "evt-he-" + std::to_string(i), s = "evt-hs-" + std::to_string(i);
    publish(redis, valid_event(e, {"email"}));
    publish(redis, valid_event(s, {"sms"}));
    email_ids.push_back(e + ":email");
    sms_ids.push_back(s + ":sms");
  }
  NotifySocket notify;
  HeraldProcess herald(home.run_args(),
                       {{"NOTIFY_SOCKET", notify.path()}, {"WATCHDOG_USEC", "400000"}});
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  const auto hang_began = std::chrono::steady_clock::now();

  // SMS goes out while every email request hangs.
  ASSERT_TRUE(wait_until([&] { return sms.accepted_ids().size() == sms_ids.size(); }, 30s))
      << sms.accepted_ids().size() << " of " << sms_ids.size() << " sms sent\n"
      << herald.log();
  // The hung requests time out and are tried again later.
  ASSERT_TRUE(wait_until(
      [&] {
        auto counts = email.counts();
        return std::any_of(counts.begin(), counts.end(), [](auto& c) { return c.second >= 2; });
      },
      30s))
      << "no email request was retried after its timeout\n"
      << herald.log();
  // The loop is not stuck: /healthz answers, and the watchdog keeps being fed.
  EXPECT_EQ(http_get(settings.metrics_port, "/healthz").first, 200);
  std::this_thread::sleep_for(1s);
  const auto text = http_get(settings.metrics_port, "/metrics").second;
  EXPECT_GE(metric(text, R"(herald_gateway_requests_total{code="timeout",gateway="email"})"), 1)
      << text;
  std::size_t pings = 0;
  for (const auto& [at, message] : notify.messages())
    if (at > hang_began && message.find("WATCHDOG=1") != std::string::npos) ++pings;
  EXPECT_GE(pings, 2u) << "the watchdog was not fed while the gateway hung";
  for (const auto& a : email.arrivals()) EXPECT_EQ(a.status, 0) << "email answered during hang";

  email.set_mode(Gateway::Mode::accept);
  ASSERT_TRUE(wait_until([&] { return sent_outcomes(redis).size() == 2 * kEvents; }, 60s))
      << sent_outcomes(redis).size() << " of " << 2 * kEvents << " sent\n"
      << herald.log();
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(20s), 0) << herald.log();
  auto all = email_ids;
  all.insert(all.end(), sms_ids.begin(), sms_ids.end());
  expect_each_sent_once(redis, all);
  expect_idempotency_keys(email);
  for (const auto& [id, n] : sms.counts()) EXPECT_EQ(n, 1) << id;
}

TEST(Faults, TwoInstancesOnOneStreamHandleEachEventOnce) {
  constexpr int kEvents = 300;
  RedisServer redis;
  Gateway gateway;
  gateway.set_delay(2ms);
  // Every third event's notifications are refused once: their retries go through the schedule,
  // which both instances claim from.
  gateway.refuse_first_request_when([](const std::string& id) {
    auto n = std::stoi(id.substr(id.rfind('-') + 1));
    return n % 3 == 0;
  });
  HeraldSettings a_settings;
  a_settings.consumer = "instance-a";
  a_settings.email_url = gateway.url();
  a_settings.sms_url = gateway.url();
  a_settings.batch_size = 8;
  HeraldSettings b_settings = a_settings;
  b_settings.consumer = "instance-b";
  HeraldHome a_home(redis, a_settings), b_home(redis, b_settings);
  HeraldProcess a(a_home.run_args()), b(b_home.run_args());
  ASSERT_TRUE(a.wait_for_log("msg=started", 20s)) << a.log();
  ASSERT_TRUE(b.wait_for_log("msg=started", 20s)) << b.log();

  std::vector<std::string> ids;
  for (int i = 0; i < kEvents; ++i) {
    const auto id = "evt-t-" + std::to_string(i);
    publish(redis, valid_event(id));
    ids.push_back(id + ":email");
    ids.push_back(id + ":sms");
    if (i % 20 == 19) std::this_thread::sleep_for(20ms);  // arrivals in bursts, as in life
  }
  ASSERT_TRUE(wait_until([&] { return sent_outcomes(redis).size() == ids.size(); }, 60s))
      << sent_outcomes(redis).size() << " of " << ids.size() << " sent\n"
      << a.log() << b.log();
  ASSERT_TRUE(wait_until([&] { return pending(redis) == 0 && scheduled(redis) == 0; }, 20s));
  std::this_thread::sleep_for(500ms);  // time for a stray second send to show
  a.signal(SIGTERM);
  b.signal(SIGTERM);
  EXPECT_EQ(a.wait_exit(20s), 0) << a.log();
  EXPECT_EQ(b.wait_exit(20s), 0) << b.log();

  expect_each_sent_once(redis, ids);
  expect_idempotency_keys(gateway);
  for (const auto& [id, n] : gateway.counts()) {
    auto event = std::stoi(id.substr(id.rfind('-') + 1));
    EXPECT_EQ(n, event % 3 == 0 ? 2 : 1) << id << " was requested " << n << " times";
  }
  // Both took part (otherwise this would prove nothing about sharing).
  EXPECT_NE(a.log().find("msg=sent"), std::string::npos) << "instance a sent nothing";
  EXPECT_NE(b.log().find("msg=sent"), std::string::npos) << "instance b sent nothing";
}

}  // namespace
}  // namespace herald::test
