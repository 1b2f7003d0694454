// Gateway facts through the whole pipe: SMS fragments in outcomes and metrics, the fragment
// limit at run time, the gateway metrics families, and a wide gateway's requests going out at once.
#include <map>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "support/http/http_test_client.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

std::string get_metrics(Harness& h) {
  unsigned short port = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    port = h.daemon().metrics_port();
    if (port == 0) std::this_thread::sleep_for(10ms);
  }
  if (port == 0) throw std::runtime_error("metrics are not served");
  auto [status, body] = http_get(port, "/metrics");
  if (status != 200) throw std::runtime_error("GET /metrics: status " + std::to_string(status));
  return body;
}

const boost::json::object* outcome_for(const std::vector<boost::json::object>& outcomes,
                                       const char* channel) {
  for (const auto& o : outcomes)
    if (o.at("channel").is_string() && o.at("channel").as_string() == channel) return &o;
  return nullptr;
}

TEST(GatewayPipeline, PutsTheFragmentsOfAnSmsInItsOutcomeAndTheMetrics) {
  Harness h("metrics:\n  listen: 127.0.0.1:0\n");
  h.start();
  h.publish(event_json("evt-short"));
  // 152 characters of office name make the SMS 2 fragments (over 160 GSM-7 characters).
  h.publish(in_case(event_json("evt-long", "case_update", {}, {{"office", std::string(152, 'x')}}),
                    "GWF000000002"));
  ASSERT_TRUE(h.wait_for_outcomes(4));
  const std::string metrics = get_metrics(h);
  h.stop();

  std::map<std::string, boost::json::object> sms;
  for (const auto& o : h.outcomes()) {
    if (o.at("channel") == "sms") sms[std::string(o.at("event_id").as_string())] = o;
    if (o.at("channel") == "email") {
      EXPECT_FALSE(o.contains("fragments")) << "SMS only";
    }
  }
  ASSERT_EQ(sms.size(), 2u);
  EXPECT_EQ(sms.at("evt-short").at("result"), "sent");
  EXPECT_EQ(sms.at("evt-short").at("fragments"), 1);
  EXPECT_EQ(sms.at("evt-long").at("fragments"), 2);
  for (const char* line : {"herald_sms_fragments_total{gateway=\"webhook\"} 3",
                           "herald_gateway_breaker_state{gateway=\"webhook\"} 0",
                           "herald_gateway_requests_total{code=\"202\",gateway=\"webhook\"} 4",
                           "herald_gateway_rate_limit_waits_total{gateway=\"webhook\"} 0"})
    EXPECT_NE(metrics.find(line), std::string::npos) << line << " missing from\n" << metrics;
}

TEST(GatewayPipeline, DeadLettersAnEventWhoseSmsIsOverTheFragmentLimit) {
  Harness h("sms:\n  max_fragments: 1\n");
  h.start();
  h.publish(event_json("evt-too-long", "case_update", {}, {{"office", std::string(152, 'x')}}));
  h.publish(event_json("evt-fits"));
  ASSERT_TRUE(h.wait_for_outcomes(3));
  h.stop();

  auto dead = h.dead_letters();
  ASSERT_EQ(dead.size(), 1u);
  std::string reason;
  for (const auto& [k, v] : dead[0])
    if (k == "reason") reason = v;
  EXPECT_EQ(reason,
            "template case_update (sms, en) renders to 2 text message fragments, over "
            "sms.max_fragments (1)");
  auto outcomes = h.outcomes();
  ASSERT_NE(outcome_for(outcomes, "email"), nullptr);
  for (const auto& o : outcomes) {
    if (o.at("event_id") == "evt-too-long") {
      EXPECT_EQ(o.at("result"), "invalid");
    }
  }
  // Nothing of the long event went out, not even its email: no message is half sent.
  for (const auto& r : h.http.requests())
    EXPECT_EQ(r.body.find("evt-too-long"), std::string::npos) << r.target;
}

TEST(GatewayPipeline, AGatewayThatIsDownOpensItsBreakerVisiblyAndIsNoLongerCalled) {
  Harness h("metrics:\n  listen: 127.0.0.1:0\n");
  h.http.set_handler(
      [](const HttpTestServer::Request&) { return HttpTestServer::Response{.status = 503}; });
  h.start();
  // Each event of its own case: a newer event of the same case would supersede the waiting ones.
  for (int i = 0; i < 3; ++i)
    h.publish(
        in_case(event_json("evt-down-" + std::to_string(i)), "GWF00000000" + std::to_string(i)));
  // Email and SMS both go through gateways named "webhook": one breaker, opened by 5 failures.
  std::string metrics;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = get_metrics(h);
    if (metrics.find("herald_gateway_breaker_state{gateway=\"webhook\"} 2") != std::string::npos)
      break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(metrics.find("herald_gateway_breaker_state{gateway=\"webhook\"} 2"), std::string::npos)
      << metrics;
  ASSERT_TRUE(h.http.wait_for_requests(5, 5s));
  const std::size_t made = h.http.requests().size();

  const long long waiting = h.scheduled();
  EXPECT_EQ(waiting, 6) << "the first three events' notifications wait for their retry";
  h.publish(in_case(event_json("evt-while-open"), "GWF000000009"));
  // Its two notifications are handled without a request: they fail fast and wait for a retry.
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (h.scheduled() < waiting + 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(h.scheduled(), waiting + 2);
  while (h.pending() > 0 && std::chrono::steady_clock::now() < until)  // sent, recorded, acked
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(h.pending(), 0);
  EXPECT_EQ(h.http.requests().size(), made) << "an open breaker does not call the gateway";
  h.stop();
}

TEST(GatewayPipeline, RequestsWithinMaxInFlightGoOutAtOnceAndDoNotTimeOutWaitingInside) {
  // Two gateways on one host, 48 requests at once each: 96 to one host. Before, the HTTP client
  // opened at most 64 connections per host and queued the rest inside libcurl, where their
  // timeout was already running: behind a slow (2 s) but healthy provider, the queued third
  // timed out (3 s) after being sent, was retried and arrived twice.
  Harness h("", false, ", max_in_flight: 48, timeout_ms: 3000");
  h.http.set_handler([](const HttpTestServer::Request&) {
    return HttpTestServer::Response{.status = 202, .body = R"({"id":"gw-1"})", .delay = 2000ms};
  });
  h.start();
  for (int i = 0; i < 48; ++i) {
    std::string json = event_json("evt-wide-" + std::to_string(i));
    const std::string ref = "GWF1" + std::to_string(10000000 + i);  // each event its own case
    json.replace(json.find("GWF012345678"), 12, ref);
    h.publish(json);
  }
  ASSERT_TRUE(h.wait_for_outcomes(96, 15s));
  h.stop();
  std::map<std::string, int> requests;
  for (const auto& r : h.http.requests()) ++requests[r.headers.at("idempotency-key")];
  EXPECT_EQ(requests.size(), 96u);
  for (const auto& [key, n] : requests) EXPECT_EQ(n, 1) << key << " arrived more than once";
  std::size_t sent = 0;
  for (const auto& o : h.outcomes()) sent += o.at("result").as_string() == "sent";
  EXPECT_EQ(sent, 96u) << "none waited for a retry";
}

}  // namespace
}  // namespace herald::test
