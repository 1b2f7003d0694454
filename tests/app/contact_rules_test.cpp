// The contact rules through the whole daemon (issue 3): delivery receipts over HTTP and from the
// receipts stream driving retries until herald gives up, bad receipts refused without changing
// anything, a final status cancelling what is queued, a newer event making an older one stale at
// the moment of sending, overseas numbers getting email, unavailable periods, and the schedule's
// reasons in /metrics. herald runs in-process on a clock the test moves, against a real
// redis-server and a real HTTP server.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "harness.hpp"
#include "herald/core/logging.hpp"
#include "herald/gateway/sendgrid_receipt.hpp"
#include "herald/gateway/twilio_gateway.hpp"
#include "herald/gateway/twilio_receipt.hpp"
#include "support/http/http_test_client.hpp"
#include "support/provider/fake_providers.hpp"
#include "support/provider/sendgrid_signer.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "receipt-token-for-tests-0123456789";

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// "result:channel:attempt" for each outcome, in order.
std::vector<std::string> results(const std::vector<boost::json::object>& outcomes) {
  std::vector<std::string> out;
  for (const auto& o : outcomes) {
    std::string channel =
        o.at("channel").is_string() ? std::string(o.at("channel").as_string()) : "-";
    out.push_back(std::string(o.at("result").as_string()) + ":" + channel + ":" +
                  std::to_string(o.at("attempt").as_int64()));
  }
  return out;
}

// A harness whose config has the receipt endpoint, with the token in the environment as
// systemd's Environment= or a shell would put it.
struct ReceiptHarness : Harness {
  explicit ReceiptHarness(std::string extra = "", std::string sms_gateway = "",
                          std::string gateway_options = "", std::string email_gateway = "")
      : Harness((setenv("HERALD_CALLBACK_TOKEN", kToken, 1),
                 "callbacks:\n  listen: 127.0.0.1:0\n" + extra),
                false, std::move(gateway_options), std::chrono::milliseconds(3000),
                std::move(sms_gateway), std::move(email_gateway)) {}

  unsigned short port() {
    unsigned short p = 0;
    eventually([&] { return (p = daemon().receipts_port()) != 0; });
    return p;
  }

  HttpReply post(const std::string& body, const std::string& token = kToken) {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return http_request(port(), "POST", "/receipts", body, headers);
  }

  std::string state(const std::string& notification_id) {
    return redis.command({"HGET", config->redis.key_prefix + "n:" + notification_id, "state"}).str;
  }
};

std::string receipt(const std::string& id, const std::string& status) {
  return boost::json::serialize(boost::json::object{{"id", id}, {"status", status}});
}

std::string email_only(const std::string& id) {
  return event_json(id, "case_update", {{"channels", boost::json::array{"email"}}});
}

// Answers each of the attempts one local day allows (the default window, 12:00 on the test's
// clock, then every 11h/3 = 3h40m: 15:40, 19:20) with a temporary-failure receipt for `id`,
// which was just sent. Each next attempt waits for its time, then goes out; herald gives up after
// the third.
void fail_every_attempt(ReceiptHarness& h, const std::string& id) {
  const std::vector<Instant> next = {london(15, 40), london(19, 20)};
  for (std::size_t attempt = 1; attempt <= 3; ++attempt) {
    auto reply = h.post(receipt(id, "temporary-failure"));
    ASSERT_EQ(reply.status, 200) << reply.body;
    if (attempt == 3) break;
    ASSERT_TRUE(eventually([&] { return h.state(id) == "deferred"; })) << h.state(id);
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(h.http.requests().size(), attempt) << "nothing before the spacing has passed";
    h.clock.set(next[attempt - 1]);
    ASSERT_TRUE(h.http.wait_for_requests(attempt + 1, 10s));
    ASSERT_TRUE(eventually([&] { return h.state(id) == "sent"; }));
  }
}

TEST(Receipts, TemporaryFailuresOverHttpScheduleTheNextAttemptsThenHeraldGivesUp) {
  // One local day with attempts: 12:00, then every 11h/3 = 3h40m: 15:40, 19:20, then give up.
  ReceiptHarness h("contact:\n  max_days: 1\n");
  h.start();
  h.publish(email_only("evt-r1"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-r1:email") == "sent"; }));

  ASSERT_NO_FATAL_FAILURE(fail_every_attempt(h, "evt-r1:email"));
  ASSERT_TRUE(eventually([&] { return h.state("evt-r1:email") == "failed"; }))
      << h.state("evt-r1:email");
  h.stop();

  EXPECT_EQ(
      results(h.outcomes()),
      (std::vector<std::string>{"sent:email:1", "retry_scheduled:email:1", "sent:email:2",
                                "retry_scheduled:email:2", "sent:email:3", "failed:email:3"}));
  auto outcomes = h.outcomes();
  EXPECT_EQ(outcomes[1].at("at"), "2026-11-23T15:40:00Z") << "retry_scheduled carries its due time";
  EXPECT_EQ(outcomes[3].at("at"), "2026-11-23T19:20:00Z");
  const auto& requests = h.http.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests)
    EXPECT_EQ(r.headers.at("idempotency-key"), requests[0].headers.at("idempotency-key"));
}

// An SMS for a recipient who chose text only but has an email address (the rule sends email).
std::string sms_only(const std::string& id) {
  return event_json(id, "case_update", {{"channels", boost::json::array{"sms"}}});
}

// The targets of the requests the gateways had, in order.
std::vector<std::string> targets(HttpTestServer& http) {
  std::vector<std::string> out;
  for (const auto& r : http.requests()) out.push_back(r.target);
  return out;
}

TEST(Receipts, AnSmsWhoseAttemptsAllFailedFallsBackToEmail) {
  // Three temporary failures in one local day (max_days: 1): the text cannot reach them, so the
  // message goes by email once the SMS is given up on.
  ReceiptHarness h("contact:\n  max_days: 1\n");
  h.start();
  h.publish(sms_only("evt-rf"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-rf:sms") == "sent"; }));
  ASSERT_NO_FATAL_FAILURE(fail_every_attempt(h, "evt-rf:sms"));
  ASSERT_TRUE(h.http.wait_for_requests(4, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-rf:email") == "sent"; }));
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:sms:1", "retry_scheduled:sms:1", "sent:sms:2",
                                      "retry_scheduled:sms:2", "sent:sms:3", "failed:sms:3",
                                      "sent:email:1"}));
  EXPECT_EQ(targets(h.http), (std::vector<std::string>{"/sms", "/sms", "/sms", "/email"}));
}

TEST(Receipts, AnSmsGivenUpOnWhenItsNextAttemptFallsDueTooLateFallsBackToEmail) {
  // The next attempt was due at 19:20 on the only permitted day (max_days: 1), but herald was
  // not running then: when it falls due the next morning, the SMS is given up on, and the
  // message goes by email.
  ReceiptHarness h("contact:\n  max_days: 1\n");
  h.start();
  h.publish(sms_only("evt-late"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-late:sms") == "sent"; }));
  ASSERT_EQ(h.post(receipt("evt-late:sms", "temporary-failure")).status, 200);
  ASSERT_TRUE(eventually([&] { return h.state("evt-late:sms") == "deferred"; }));
  h.clock.set(london(15, 40));
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-late:sms") == "sent"; }));
  ASSERT_EQ(h.post(receipt("evt-late:sms", "temporary-failure")).status, 200);
  ASSERT_TRUE(eventually([&] { return h.state("evt-late:sms") == "deferred"; }));
  h.clock.set(london(10, 0, 24));
  ASSERT_TRUE(eventually([&] { return h.state("evt-late:email") == "sent"; }))
      << h.state("evt-late:email");
  h.stop();
  EXPECT_EQ(h.state("evt-late:sms"), "failed");
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:sms:1", "retry_scheduled:sms:1", "sent:sms:2",
                                      "retry_scheduled:sms:2", "failed:sms:2", "sent:email:1"}));
  EXPECT_EQ(targets(h.http), (std::vector<std::string>{"/sms", "/sms", "/email"}));
}

TEST(Receipts, TechnicalFailuresAreSentAgainThenGivenUpOnAfterMaxDaysOfThem) {
  ReceiptHarness h("contact:\n  max_days: 1\n");
  h.start();
  h.publish(email_only("evt-tf"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-tf:email") == "sent"; }));
  // The provider failed, not the contact: sent again after the backoff (50-200 ms here).
  ASSERT_EQ(h.post(receipt("evt-tf:email", "technical-failure")).status, 200);
  for (int i = 0; i < 250 && !h.http.wait_for_requests(2, 20ms); ++i) h.clock.advance(1s);
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-tf:email") == "sent"; }));
  // Still failing a day later (max_days: 1), counted from the first of these failures: given up.
  h.clock.set(london(13, 0, 24));
  ASSERT_EQ(h.post(receipt("evt-tf:email", "technical-failure")).status, 200);
  ASSERT_TRUE(eventually([&] { return h.state("evt-tf:email") == "failed"; }))
      << h.state("evt-tf:email");
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:email:1", "sent:email:1", "failed:email:1"}));
  EXPECT_EQ(h.outcomes().back().at("reason"),
            "provider kept failing for 1 day: delivery receipt: technical-failure");
  EXPECT_EQ(h.http.requests().size(), 2u);
}

// A gateway that gives each message an id of its own: gw-1, gw-2, ...
void numbered_ids(Harness& h) {
  auto next = std::make_shared<std::atomic<int>>(0);
  h.http.set_handler([next](const HttpTestServer::Request&) {
    HttpTestServer::Response r;
    r.status = 202;
    r.body = R"({"id":"gw-)" + std::to_string(++*next) + "\"}";
    return r;
  });
}

std::string receipt_for(const std::string& id, const std::string& status, int attempt) {
  return boost::json::serialize(
      boost::json::object{{"id", id}, {"status", status}, {"attempt", attempt}});
}

// A technical-failure makes herald send the attempt again; the provider gives the resend another
// message id. The first send's failure callback, repeated (providers repeat a callback they think
// failed) or replayed, failed the resend each time: one more message every time it came.
TEST(Receipts, AFailureForAnEarlierSendOfTheAttemptIsADuplicateAndSendsNothingMore) {
  ReceiptHarness h("contact:\n  max_days: 1\n");
  numbered_ids(h);
  h.start();
  h.publish(email_only("evt-replay"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-replay:email") == "sent"; }));
  ASSERT_EQ(h.post(receipt("gw-1", "technical-failure")).status, 200);
  for (int i = 0; i < 250 && !h.http.wait_for_requests(2, 20ms); ++i) h.clock.advance(1s);
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-replay:email") == "sent"; }));
  for (const auto* status : {"technical-failure", "temporary-failure", "permanent-failure"})
    EXPECT_EQ(h.post(receipt("gw-1", status)).status, 409) << status;
  std::this_thread::sleep_for(300ms);
  h.clock.advance(10s);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(h.state("evt-replay:email"), "sent");
  EXPECT_EQ(h.http.requests().size(), 2u) << "nothing more was sent";
  // The resend's own receipt still counts.
  EXPECT_EQ(h.post(receipt("gw-2", "delivered")).status, 200);
  EXPECT_TRUE(eventually([&] { return h.state("evt-replay:email") == "delivered"; }));
  h.stop();
}

// "A delivered receipt is applied whatever attempt it is about" (README): one for attempt 1 that
// came after attempt 1 was reported failed was refused as a duplicate, and attempt 2 went out to
// a customer who had the message.
TEST(Receipts, ADeliveredReceiptForAnEarlierAttemptClosesTheNotification) {
  ReceiptHarness h("contact:\n  max_days: 1\n");
  numbered_ids(h);
  h.start();
  h.publish(email_only("evt-late-ok"));
  h.publish(in_case(email_only("evt-late-ok2"), "CASE-LATE-OK2"));
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  ASSERT_TRUE(eventually([&] {
    return h.state("evt-late-ok:email") == "sent" && h.state("evt-late-ok2:email") == "sent";
  }));
  // Attempt 1 of each failed; attempt 2 is due at 15:40.
  ASSERT_EQ(h.post(receipt("evt-late-ok:email", "temporary-failure")).status, 200);
  ASSERT_EQ(h.post(receipt("evt-late-ok2:email", "temporary-failure")).status, 200);
  ASSERT_TRUE(eventually([&] { return h.state("evt-late-ok:email") == "deferred"; }));
  // Then the provider says attempt 1 was delivered after all: by its message id, and by the
  // notification id with the attempt.
  const std::string first_id =
      h.http.requests()[0].body.find("evt-late-ok2") == std::string::npos ? "gw-1" : "gw-2";
  EXPECT_EQ(h.post(receipt(first_id, "delivered")).status, 200);
  EXPECT_EQ(h.post(receipt_for("evt-late-ok2:email", "delivered", 1)).status, 200);
  EXPECT_TRUE(eventually([&] { return h.state("evt-late-ok:email") == "delivered"; }));
  EXPECT_TRUE(eventually([&] { return h.state("evt-late-ok2:email") == "delivered"; }));
  EXPECT_EQ(h.scheduled(), 0) << "attempt 2 is not waiting any more";
  h.clock.set(london(15, 40));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(h.http.requests().size(), 2u) << "no attempt 2";
  // Applied once: the same receipt again is a duplicate.
  EXPECT_EQ(h.post(receipt(first_id, "delivered")).status, 409);
  h.stop();
}

// The gateway accepts, but answers only after `delay`: a provider's callback can come first.
HttpTestServer::Handler slow_gateway(std::chrono::milliseconds delay) {
  return HttpTestServer::answering(202, delay);
}

// A gateway whose first answer takes `delay` and every later one comes at once: a send held in
// flight while a test looks at what waits behind it, then a quick run after a restart.
HttpTestServer::Handler slow_first_answer(std::chrono::milliseconds delay) {
  auto answered = std::make_shared<std::atomic<int>>(0);
  return [answered, delay](const HttpTestServer::Request&) {
    HttpTestServer::Response response;
    response.status = 202;
    if ((*answered)++ == 0) response.delay = delay;
    return response;
  };
}

// The value of one series in /metrics text, or -1 when it is not there.
double metric(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

// A provider can report on a message before herald has recorded its send: here its callback
// beats the gateway's 2xx. The receipt is for the attempt being sent. It was refused as a
// duplicate (409), which providers do not retry: the failed attempt never had a next one.
TEST(Receipts, AReceiptThatBeatsTheGatewaysAnswerIsAnswered503AndAppliedWhenPostedAgain) {
  // The answer takes long enough for the checks below to come before it on a loaded machine.
  ReceiptHarness h("", "", ", timeout_ms: 10000");
  h.http.set_handler(slow_gateway(4s));
  h.start();
  h.publish(email_only("evt-early"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_EQ(h.state("evt-early:email"), "sending");
  auto reply = h.post(receipt("evt-early:email", "temporary-failure"));
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_NE(reply.body.find("\"early\""), std::string::npos) << reply.body;
  EXPECT_EQ(reply.headers["retry-after"], "10");
  EXPECT_EQ(h.state("evt-early:email"), "sending") << "nothing changed yet";

  // The send is recorded; the provider posts the receipt again, as it does after a 5xx.
  ASSERT_TRUE(eventually([&] { return h.state("evt-early:email") == "sent"; }));
  reply = h.post(receipt("evt-early:email", "temporary-failure"));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(h.state("evt-early:email"), "deferred") << "the next attempt is scheduled";
  h.stop();
  auto outcomes = h.outcomes();
  EXPECT_EQ(results(outcomes),
            (std::vector<std::string>{"sent:email:1", "retry_scheduled:email:1"}));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[1].at("at"), "2026-11-23T15:40:00Z");
}

// The same from the receipts stream: the entry is left pending and read again after
// redis.claim_idle_ms, not acknowledged and dropped, and not read again in a hot loop either.
TEST(Receipts, AReceiptFromTheStreamThatBeatsTheGatewaysAnswerIsReadAgainAndApplied) {
  ReceiptHarness h("metrics:\n  listen: 127.0.0.1:0\n", "", ", timeout_ms: 10000");
  auto config = std::make_shared<Config>(*h.config);
  config->redis.claim_idle = 500ms;
  h.config = config;
  h.http.set_handler(slow_gateway(4s));
  h.start();
  h.publish(email_only("evt-early-s"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_EQ(h.state("evt-early-s:email"), "sending");
  h.redis.command({"XADD", "herald:receipts", "*", "receipt",
                   receipt("evt-early-s:email", "temporary-failure")});
  ASSERT_TRUE(eventually([&] { return h.state("evt-early-s:email") == "deferred"; }))
      << h.state("evt-early-s:email");
  ASSERT_TRUE(eventually([&] {
    auto pending = h.redis.command({"XPENDING", "herald:receipts", "herald"});
    return !pending.elements.empty() && pending.elements[0].integer == 0;
  })) << "acknowledged once applied";
  const auto metrics = http_request(h.daemon().metrics_port(), "GET", "/metrics").body;
  const double early = metric(metrics, "herald_receipts_refused_total{why=\"early\"}");
  EXPECT_GE(early, 1) << metrics;
  EXPECT_LE(early, 12) << "read again every claim_idle, for about 4 s here";
  EXPECT_EQ(metric(metrics, "herald_receipts_total{status=\"temporary-failure\"}"), 1);
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:email:1", "retry_scheduled:email:1"}));
}

// Redis refusing to apply receipts (here: an ACL without scripts; equally out of memory or a
// read-only replica) left them waiting in the stream and retried, with not a line in the log:
// nothing told an operator why deliveries and failed attempts stopped being applied. It is said
// once, in Redis's words, and once more when receipts are applied again.
TEST(Receipts, LogsOnceThatItCannotApplyReceiptsWithRedisWordsAndOnceWhenItCanAgain) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  {
    ReceiptHarness h;
    h.start();
    h.publish(email_only("evt-refused"));
    ASSERT_TRUE(eventually([&] { return h.state("evt-refused:email") == "sent"; }));
    h.redis.command({"ACL", "SETUSER", "default", "-evalsha"});
    h.redis.command(
        {"XADD", "herald:receipts", "*", "receipt", receipt("evt-refused:email", "delivered")});
    std::this_thread::sleep_for(1500ms);  // several tries, each refused
    EXPECT_EQ(h.state("evt-refused:email"), "sent");
    h.redis.command({"ACL", "SETUSER", "default", "+evalsha"});
    ASSERT_TRUE(eventually([&] { return h.state("evt-refused:email") == "delivered"; }, 15s))
        << h.state("evt-refused:email");
    h.stop();
  }
  configure_logging({}, "info");
  const auto text = log.str();
  EXPECT_EQ(count_of(text, "cannot apply receipts"), 1u) << text;
  EXPECT_NE(text.find("NOPERM"), std::string::npos) << text;
  EXPECT_EQ(count_of(text, "applying receipts again"), 1u) << text;
}

// herald's request times out, but the provider had it: the same attempt waits to be sent again
// (same Idempotency-Key) when its receipt comes. It belongs to that attempt, and is applied to it
// once the resend is recorded.
TEST(Receipts, AReceiptForARequestThatTimedOutIsAppliedToThatAttemptOnceItIsSentAgain) {
  ReceiptHarness h;
  h.http.set_handler(slow_gateway(2500ms));  // the gateways' timeout_ms is 2000
  h.start();
  h.publish(email_only("evt-timeout"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-timeout:email") == "deferred"; }))
      << h.state("evt-timeout:email");
  // The resend waits for its backoff (on herald's clock, which the test holds still).
  auto reply = h.post(receipt("evt-timeout:email", "temporary-failure"));
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(h.state("evt-timeout:email"), "deferred");
  EXPECT_EQ(
      h.redis.command({"HGET", h.config->redis.key_prefix + "n:evt-timeout:email", "attempt"}).str,
      "1");

  h.http.set_handler(slow_gateway(0ms));
  h.clock.advance(1s);
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-timeout:email") == "sent"; }));
  reply = h.post(receipt("evt-timeout:email", "temporary-failure"));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(h.state("evt-timeout:email"), "deferred");
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:email:1", "retry_scheduled:email:1"}));
  const auto requests = h.http.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].headers.at("idempotency-key"), requests[0].headers.at("idempotency-key"));
}

// A receipt naming the notification id was applied to whatever attempt was under way: a late or
// repeated failure receipt of attempt 1, arriving after attempt 2 was sent, failed attempt 2 as
// well, and one more message went out. The receipt's `attempt` or its time `at` tells.
TEST(Receipts, ALateReceiptOfAnEarlierAttemptByNotificationIdDoesNotFailTheNextOne) {
  ReceiptHarness h;
  h.start();
  h.publish(email_only("evt-late"));
  ASSERT_TRUE(eventually([&] { return h.state("evt-late:email") == "sent"; }));
  auto with = [](const std::string& status, boost::json::object extra) {
    extra["id"] = "evt-late:email";
    extra["status"] = status;
    return boost::json::serialize(extra);
  };
  // Attempt 1 failed at 12:00:05 by the provider's clock: attempt 2 is due at 15:40.
  const auto first = with("temporary-failure", {{"at", "2026-11-23T12:00:05Z"}});
  ASSERT_EQ(h.post(first).status, 200);
  ASSERT_TRUE(eventually([&] { return h.state("evt-late:email") == "deferred"; }));
  h.clock.set(london(15, 40));
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-late:email") == "sent"; }));

  // The same receipt again, after attempt 2 was sent; the same with its attempt instead of its
  // time; a permanent failure of attempt 1. None is about attempt 2.
  EXPECT_EQ(h.post(first).status, 409);
  EXPECT_EQ(h.post(with("temporary-failure", {{"attempt", 1}})).status, 409);
  EXPECT_EQ(h.post(with("permanent-failure", {{"at", "2026-11-23T12:01:00Z"}})).status, 409);
  EXPECT_EQ(h.post(with("temporary-failure", {{"attempt", 3}})).status, 404) << "not made";
  EXPECT_EQ(h.post(with("temporary-failure", {{"attempt", 0}})).status, 400);
  EXPECT_EQ(h.post(with("temporary-failure", {{"at", "at noon"}})).status, 400);
  EXPECT_EQ(h.state("evt-late:email"), "sent") << "attempt 2 still awaits its own receipt";
  EXPECT_EQ(h.http.requests().size(), 2u);

  // Attempt 2's own receipt is applied, named either way.
  EXPECT_EQ(
      h.post(with("temporary-failure", {{"at", "2026-11-23T15:40:09Z"}, {"attempt", 2}})).status,
      200);
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:email:1", "retry_scheduled:email:1", "sent:email:2",
                                      "retry_scheduled:email:2"}));
}

TEST(Receipts, FromTheStreamTooWithDeliveredPermanentAndFallbackToEmail) {
  ReceiptHarness h;
  h.start();
  h.publish(event_json("evt-s1"));  // email and SMS
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  ASSERT_TRUE(eventually(
      [&] { return h.state("evt-s1:email") == "sent" && h.state("evt-s1:sms") == "sent"; }));
  // The email was delivered; the network refused the SMS for good. Email is already sent, so
  // the fallback has nothing more to send (never a second email).
  h.redis.command(
      {"XADD", "herald:receipts", "*", "receipt", receipt("evt-s1:email", "delivered")});
  h.redis.command(
      {"XADD", "herald:receipts", "*", "receipt", receipt("evt-s1:sms", "permanent-failure")});
  ASSERT_TRUE(eventually([&] {
    return h.state("evt-s1:email") == "delivered" && h.state("evt-s1:sms") == "rejected";
  })) << h.state("evt-s1:email")
      << " " << h.state("evt-s1:sms");

  // An SMS-only recipient whose SMS is refused gets the message by email instead.
  h.publish(event_json("evt-s2", "case_update", {{"channels", boost::json::array{"sms"}}}));
  ASSERT_TRUE(h.http.wait_for_requests(3, 10s));
  ASSERT_TRUE(eventually([&] { return h.state("evt-s2:sms") == "sent"; }));
  h.redis.command(
      {"XADD", "herald:receipts", "*", "receipt", receipt("evt-s2:sms", "permanent-failure")});
  ASSERT_TRUE(h.http.wait_for_requests(4, 10s));
  EXPECT_EQ(h.http.requests().back().target, "/email");
  ASSERT_TRUE(eventually([&] { return h.state("evt-s2:email") == "sent"; }));
  // Every receipt entry was handled and acknowledged.
  ASSERT_TRUE(eventually([&] {
    auto reply = h.redis.command({"XPENDING", "herald:receipts", "herald"});
    return !reply.elements.empty() && reply.elements[0].integer == 0;
  }));
  h.stop();
  const auto r = results(h.outcomes());
  EXPECT_NE(std::find(r.begin(), r.end(), "rejected:sms:1"), r.end());
  EXPECT_EQ(std::count(r.begin(), r.end(), "sent:email:1"), 2) << "evt-s1 and the fallback";
}

TEST(Receipts, APermanentFailureIsRecordedWithItsFallbackEmailOrNotAtAll) {
  // The receipt that refuses an SMS and the email it falls back to are recorded in one step. If
  // the email cannot be written (a value of the wrong type in its place stands in for a failing
  // write), the receipt is not applied and the provider is told to try again; before, the
  // rejection was kept, the retried receipt was a duplicate and the email was never sent.
  ReceiptHarness h;
  h.start();
  h.publish(event_json("evt-fa", "case_update", {{"channels", boost::json::array{"sms"}}}));
  ASSERT_TRUE(eventually([&] { return h.state("evt-fa:sms") == "sent"; }));
  const std::string email_key = h.config->redis.key_prefix + "n:evt-fa:email";
  h.redis.command({"SET", email_key, "in the way"});
  EXPECT_EQ(h.post(receipt("evt-fa:sms", "permanent-failure")).status, 503);
  EXPECT_EQ(h.state("evt-fa:sms"), "sent");
  h.redis.command({"DEL", email_key});
  EXPECT_EQ(h.post(receipt("evt-fa:sms", "permanent-failure")).status, 200);
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  EXPECT_EQ(h.http.requests().back().target, "/email");
  ASSERT_TRUE(eventually([&] { return h.state("evt-fa:email") == "sent"; }));
  EXPECT_EQ(h.state("evt-fa:sms"), "rejected");
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:sms:1", "rejected:sms:1", "sent:email:1"}));
}

TEST(Receipts, BadReceiptsAreRefusedWithAClearStatusAndChangeNothing) {
  ReceiptHarness h("metrics:\n  listen: 127.0.0.1:0\n");
  h.start();
  h.publish(email_only("evt-b1"));
  ASSERT_TRUE(eventually([&] { return h.state("evt-b1:email") == "sent"; }));
  const auto outcomes_before = h.outcomes().size();

  EXPECT_EQ(h.post(receipt("evt-b1:email", "delivered"), "").status, 401) << "no token";
  EXPECT_EQ(h.post(receipt("evt-b1:email", "delivered"), "wrong-token-wrong-token").status, 401);
  EXPECT_EQ(h.post("{\"id\": \"evt-b1:email\"").status, 400) << "not JSON";
  EXPECT_EQ(h.post(receipt("evt-b1:email", "read")).status, 400) << "unknown status";
  EXPECT_EQ(h.post(R"({"status": "delivered"})").status, 400) << "no id";
  EXPECT_EQ(h.post(R"({"id": "x", "id": "evt-b1:email", "status": "delivered"})").status, 400)
      << "a repeated key";
  EXPECT_EQ(h.post(receipt("evt-nope:email", "delivered")).status, 404) << "unknown id";
  EXPECT_EQ(http_request(h.port(), "GET", "/receipts").status, 405);
  EXPECT_EQ(h.post(receipt("evt-b1:email", std::string(20000, 'x'))).status, 413) << "too large";
  EXPECT_EQ(h.state("evt-b1:email"), "sent") << "nothing changed";

  // The scheme's name in any case (RFC 9110 section 11.1), as some HTTP clients send it.
  EXPECT_EQ(http_request(h.port(), "POST", "/receipts", receipt("evt-b1:email", "delivered"),
                         {{"Content-Type", "application/json"},
                          {"Authorization", std::string("bearer ") + kToken}})
                .status,
            200);
  EXPECT_EQ(h.post(receipt("evt-b1:email", "delivered")).status, 409) << "duplicate";
  EXPECT_EQ(h.post(receipt("evt-b1:email", "temporary-failure")).status, 409) << "too late";
  EXPECT_EQ(h.state("evt-b1:email"), "delivered");
  EXPECT_EQ(h.outcomes().size(), outcomes_before) << "refused receipts publish nothing";

  const auto metrics = http_request(h.daemon().metrics_port(), "GET", "/metrics").body;
  for (const char* line : {"herald_receipts_refused_total{why=\"unauthorized\"} 2",
                           "herald_receipts_refused_total{why=\"malformed\"} 5",
                           "herald_receipts_refused_total{why=\"unknown\"} 1",
                           "herald_receipts_refused_total{why=\"duplicate\"} 2",
                           "herald_receipts_total{status=\"delivered\"} 1"})
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
  h.stop();
}

// Idle connections held open on /receipts took a descriptor each until herald had none left for
// anything else (gateways, Redis, sd_notify): the endpoint now serves at most its cap at once,
// and the rest wait in the kernel's backlog, unaccepted, until some close.
TEST(Receipts, IdleConnectionsBeyondTheCapWaitUnservedWhileHeraldSendsAndAnswersHealthChecks) {
  ReceiptHarness h("metrics:\n  listen: 127.0.0.1:0\n");
  h.start();
  const unsigned short port = h.port();
  const std::size_t cap = h.daemon().receipts_max_connections();
  ASSERT_GT(cap, 0u);
  // The cap, then 49 more, then one with a request in it: 50 beyond the cap.
  std::vector<RawConnection> idle;
  for (std::size_t i = 0; i < cap + 49; ++i) idle.emplace_back(port);
  RawConnection last(port);
  ASSERT_TRUE(last.send("GET /receipts HTTP/1.1\r\nHost: herald\r\nConnection: close\r\n\r\n"));

  const auto published = std::chrono::steady_clock::now();
  h.publish(email_only("evt-idle"));
  EXPECT_TRUE(eventually([&] { return h.state("evt-idle:email") == "sent"; }, 5s))
      << "herald still sends";
  EXPECT_LT(std::chrono::steady_clock::now() - published, 3s) << "and promptly";
  EXPECT_EQ(http_request(h.daemon().metrics_port(), "GET", "/healthz").status, 200);

  EXPECT_FALSE(last.readable(300ms)) << "a connection beyond the cap is not served";
  for (std::size_t i = 0; i < 49; ++i) idle[i].close();
  EXPECT_FALSE(last.readable(300ms)) << "49 closed: the 49 before it in the backlog are taken";
  idle[49].close();
  const std::string answer = last.receive(3s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 405")) << "one more closed: it is served\n" << answer;
  h.stop();
}

// Every refusal of a request with a missing or wrong bearer token wrote a warning: four
// connections pipelining such requests wrote 1.8 million lines in 20 s, enough for journald's
// rate limit to drop herald's real lines. Each is still counted; the log says it once a minute.
TEST(Receipts, RefusalsForAWrongTokenAreEachCountedButLoggedAtMostOnceAMinute) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  {
    ReceiptHarness h("metrics:\n  listen: 127.0.0.1:0\n");
    h.start();
    const std::string body = receipt("evt-nobody:email", "delivered");
    std::string request =
        "POST /receipts HTTP/1.1\r\nHost: herald\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer wrong-token-wrong-token\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string batch;
    for (int i = 0; i < 100; ++i) batch += request;
    RawConnection connection(h.port());
    for (int round = 0; round < 20; ++round) {  // 2,000 requests, pipelined 100 at a time
      ASSERT_TRUE(connection.send(batch));
      std::string answers;
      while (count_of(answers, "HTTP/1.1 401") < 100) {
        auto more = connection.read_some(5s);
        ASSERT_FALSE(more.empty()) << "round " << round << ": " << answers;
        answers += more;
      }
    }
    const auto metrics = http_request(h.daemon().metrics_port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("herald_receipts_refused_total{why=\"unauthorized\"} 2000\n"),
              std::string::npos)
        << metrics;
    h.stop();
  }
  configure_logging({}, "info");
  const std::string text = log.str();
  EXPECT_GE(count_of(text, "missing or wrong bearer token"), 1u) << "still said\n" << text;
  EXPECT_LE(count_of(text, "receipt refused"), 2u) << text;
}

// /receipts/twilio answered a body that is not a form 400 and logged it as malformed before it
// looked at the signature: anyone could write those warnings. No signature covers such a body:
// it is refused as unsigned (403, counted as unauthorized), logged at most once a minute.
TEST(Receipts, AnUnsignedTwilioCallbackThatIsNotAFormIsRefusedAsUnauthenticatedAndLoggedOnce) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  {
    setenv("HERALD_TEST_TWILIO_TOKEN", "twilio-auth-token-for-tests-0123", 1);
    ReceiptHarness h("metrics:\n  listen: 127.0.0.1:0\n",
                     "{ type: twilio, base_url: \"@HTTP@\", account_sid: "
                     "AC0123456789abcdef0123456789abcdef, auth_token: "
                     "\"${HERALD_TEST_TWILIO_TOKEN}\", from: \"+447700900000\", "
                     "status_callback: \"https://herald.example.gov.uk/receipts/twilio\" }");
    h.start();
    const std::vector<std::pair<std::string, std::string>> form{
        {"Content-Type", "application/x-www-form-urlencoded"}};
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(http_request(h.port(), "POST", "/receipts/twilio", "%zz=%", form).status, 403)
          << "not a form";
      EXPECT_EQ(
          http_request(h.port(), "POST", "/receipts/twilio", "MessageSid=SMx&MessageStatus=sent",
                       {{"Content-Type", "application/x-www-form-urlencoded"},
                        {"X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl"}})
              .status,
          403)
          << "a form, wrongly signed";
    }
    const auto metrics = http_request(h.daemon().metrics_port(), "GET", "/metrics").body;
    for (const char* line : {"herald_receipts_refused_total{why=\"unauthorized\"} 100\n",
                             "herald_receipts_refused_total{why=\"malformed\"} 0\n"})
      EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
    h.stop();
  }
  configure_logging({}, "info");
  const std::string text = log.str();
  EXPECT_EQ(count_of(text, "malformed"), 0u) << text;
  EXPECT_EQ(count_of(text, "receipt refused"), 1u) << text;
}

// A receipt herald cannot place is logged by its id, so that it can be traced; but a relay that
// maps the wrong field sends an address or a number as the id, and that went into the log as it
// was, one line per receipt.
TEST(Receipts, AnUnknownReceiptIdThatIsAnAddressOrANumberIsNotLogged) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  {
    ReceiptHarness h;
    h.start();
    for (const char* id : {"katie.pii@example.org", "Katie McNally +447700900123", "447700900124"})
      EXPECT_EQ(h.post(receipt(id, "delivered")).status, 404) << id;
    h.redis.command({"XADD", "herald:receipts", "*", "receipt",
                     receipt("rhys.pii@example.org", "temporary-failure")});
    const std::string sid = "SM0123456789abcdef0123456789abcdef";
    EXPECT_EQ(h.post(receipt(sid, "delivered")).status, 404);
    ASSERT_TRUE(eventually([&] { return count_of(log.str(), "unknown notification") == 5; }))
        << log.str();
    h.stop();
  }
  configure_logging({}, "info");
  const auto text = log.str();
  for (const char* personal : {"pii@", "McNally", "447700900123", "447700900124"})
    EXPECT_EQ(text.find(personal), std::string::npos) << personal << "\n" << text;
  EXPECT_NE(text.find("id=SM0123456789abcdef0123456789abcdef"), std::string::npos)
      << "an id a provider issued is logged\n"
      << text;
}

// Twilio reports on a text through the status_callback herald gave it: a form, signed with the
// account's auth token over that URL, whose MessageSid is the sid Twilio answered the send with.
TEST(Receipts, TwilioStatusCallbacksAreCheckedByTheirSignatureAndApplied) {
  const std::string account = "AC0123456789abcdef0123456789abcdef";
  const std::string auth_token = "twilio-auth-token-for-tests-0123";
  const std::string callback = "https://herald.example.gov.uk/receipts/twilio";
  setenv("HERALD_TEST_TWILIO_TOKEN", auth_token.c_str(), 1);
  ReceiptHarness h("metrics:\n  listen: 127.0.0.1:0\n",
                   "{ type: twilio, base_url: \"@HTTP@\", account_sid: " + account +
                       ", auth_token: \"${HERALD_TEST_TWILIO_TOKEN}\", from: \"+447700900000\", "
                       "status_callback: \"" +
                       callback + "\" }");
  h.http.set_handler(FakeTwilio{account, auth_token});
  h.start();
  h.publish(event_json("evt-tw", "case_update", {{"channels", boost::json::array{"sms"}}}));
  ASSERT_TRUE(eventually([&] { return h.state("evt-tw:sms") == "sent"; }));
  ASSERT_EQ(h.http.requests().size(), 1u);
  EXPECT_EQ(form_decode(h.http.requests()[0].body)["StatusCallback"], callback);
  const std::string sid = "SM1f0e8ae6ade43cb3c0ce4525424e404f";  // FakeTwilio's answer

  auto post = [&](const std::string& status, const std::string& signature_of = "") {
    FormFields fields{{"AccountSid", account},   {"ApiVersion", "2010-04-01"},
                      {"From", "+447700900000"}, {"MessageSid", sid},
                      {"MessageStatus", status}, {"SmsSid", sid},
                      {"SmsStatus", status},     {"To", "+447700900123"}};
    if (status == "undelivered") fields.emplace_back("ErrorCode", "30003");
    const std::string signature =
        twilio_signature(signature_of.empty() ? auth_token : signature_of, callback, fields);
    return http_request(
        h.port(), "POST", "/receipts/twilio", form_encode(fields),
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", signature}});
  };

  auto reply = post("sent");
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.body.find("interim"), std::string::npos) << reply.body;
  EXPECT_EQ(post("undelivered", "not-the-auth-token").status, 403);
  EXPECT_EQ(http_request(h.port(), "POST", "/receipts/twilio",
                         "MessageSid=" + sid + "&MessageStatus=undelivered",
                         {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            403)
      << "unsigned";
  EXPECT_EQ(http_request(h.port(), "POST", "/receipts/twilio", "%zz=%",
                         {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            403)
      << "unsigned, and not a form";
  EXPECT_EQ(h.state("evt-tw:sms"), "sent") << "nothing changed";

  // Phone off (30003): a failed attempt, the next one scheduled.
  reply = post("undelivered");
  EXPECT_EQ(reply.status, 200) << reply.body;
  ASSERT_TRUE(eventually([&] { return h.state("evt-tw:sms") == "deferred"; }))
      << h.state("evt-tw:sms");
  EXPECT_EQ(post("undelivered").status, 409) << "a repeated callback changes nothing";

  const auto metrics = http_request(h.daemon().metrics_port(), "GET", "/metrics").body;
  for (const char* line : {"herald_receipts_refused_total{why=\"unauthorized\"} 3",
                           "herald_receipts_total{status=\"temporary-failure\"} 1"})
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:sms:1", "retry_scheduled:sms:1"}));
}

// SendGrid reports on its emails through the account's Event Webhook: JSON batches signed with
// ECDSA, whose events carry the custom argument `notification_id` herald sent with each email.
struct SendgridHarness : ReceiptHarness {
  explicit SendgridHarness(const test::SendgridSigner& signer)
      : ReceiptHarness((setenv("HERALD_TEST_SENDGRID_KEY", kSendgridKey, 1),
                        "metrics:\n  listen: 127.0.0.1:0\n"),
                       "", "",
                       "{ type: sendgrid, base_url: \"@HTTP@\", api_key: "
                       "\"${HERALD_TEST_SENDGRID_KEY}\", from_email: dispatch@example.gov.uk, "
                       "event_webhook_key: \"" +
                           signer.verification_key() + "\", timeout_ms: 5000 }"),
        signer_(signer) {
    http.set_handler([this](const HttpTestServer::Request& request) {
      auto response = test::FakeSendgrid{kSendgridKey}(request);
      if (request.body.find(slow_) != std::string::npos) response.delay = 1500ms;
      return response;
    });
  }

  // Posts `events` as SendGrid would, signed (or with `signature` instead).
  HttpReply post_events(const boost::json::array& events, const std::string& signature = "") {
    const std::string body = boost::json::serialize(events);
    const std::string timestamp = std::to_string(std::time(nullptr));
    return http_request(port(), "POST", "/receipts/sendgrid", body,
                        {{"Content-Type", "application/json"},
                         {"X-Twilio-Email-Event-Webhook-Timestamp", timestamp},
                         {"X-Twilio-Email-Event-Webhook-Signature",
                          signature.empty() ? signer_.sign(timestamp, body) : signature}});
  }

  static constexpr const char* kSendgridKey = "SG.test-key-for-herald-tests.0123456789abcdef";
  std::string slow_ = "no email is slow";  // an email whose body holds this is answered late

 private:
  const test::SendgridSigner& signer_;
};

boost::json::object sendgrid_event(const std::string& event, const std::string& notification_id,
                                   const std::string& type = "") {
  boost::json::object o{{"email", "katie.pii@example.org"},
                        {"timestamp", std::time(nullptr)},
                        {"event", event},
                        {"sg_event_id", "ev-" + event},
                        {"sg_message_id", "W6A2Yv3kQKe4wJ5rZtW2dQ.filter0001"}};
  if (!notification_id.empty()) o["notification_id"] = notification_id;
  if (!type.empty()) o["type"] = type;
  return o;
}

TEST(Receipts, SendgridEventBatchesAreCheckedByTheirSignatureAndApplied) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "debug");
  test::SendgridSigner sendgrid;
  SendgridHarness h(sendgrid);
  h.start();
  for (const char* id : {"evt-sg1", "evt-sg2", "evt-sg3"})
    h.publish(in_case(email_only(id), std::string("GWF0000000") + id[6] + "0"));
  for (const char* id : {"evt-sg1:email", "evt-sg2:email", "evt-sg3:email"})
    ASSERT_TRUE(eventually([&] { return h.state(id) == "sent"; })) << id << " " << h.state(id);

  const boost::json::array batch{
      sendgrid_event("processed", "evt-sg1:email"),
      sendgrid_event("delivered", "evt-sg1:email"),
      sendgrid_event("bounce", "evt-sg2:email", "bounce"),   // no such mailbox
      sendgrid_event("bounce", "evt-sg3:email", "blocked"),  // refused for now
      sendgrid_event("delivered", ""),                       // another system's email
      sendgrid_event("dropped", "evt-nobody:email"),
  };
  test::SendgridSigner stranger;
  EXPECT_EQ(h.post_events(batch, stranger.sign("1764072000", "[]")).status, 403);
  EXPECT_EQ(http_request(h.port(), "POST", "/receipts/sendgrid", boost::json::serialize(batch),
                         {{"Content-Type", "application/json"}})
                .status,
            403)
      << "unsigned";
  EXPECT_EQ(http_request(h.port(), "GET", "/receipts/sendgrid").status, 405);
  EXPECT_EQ(h.state("evt-sg2:email"), "sent") << "nothing changed";

  auto reply = h.post_events(batch);
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto counts = boost::json::parse(reply.body).as_object();
  EXPECT_EQ(counts["result"], "applied");
  EXPECT_EQ(counts["applied"], 3) << reply.body;
  EXPECT_EQ(counts["unknown"], 1) << reply.body;
  EXPECT_EQ(counts["interim"], 1) << reply.body;
  EXPECT_EQ(counts["not_herald"], 1) << reply.body;
  EXPECT_EQ(h.state("evt-sg1:email"), "delivered");
  EXPECT_EQ(h.state("evt-sg2:email"), "rejected");
  EXPECT_EQ(h.state("evt-sg3:email"), "deferred") << "the next attempt waits for its time";

  // SendGrid posts a batch again after an error answer, or twice: nothing changes.
  reply = h.post_events(batch);
  ASSERT_EQ(reply.status, 200) << reply.body;
  counts = boost::json::parse(reply.body).as_object();
  EXPECT_EQ(counts["applied"], 0) << reply.body;
  EXPECT_EQ(counts["duplicate"], 3) << reply.body;

  const auto metrics = http_request(h.daemon().metrics_port(), "GET", "/metrics").body;
  for (const char* line : {"herald_receipts_refused_total{why=\"unauthorized\"} 2\n",
                           "herald_receipts_total{status=\"delivered\"} 1\n",
                           "herald_receipts_total{status=\"permanent-failure\"} 1\n",
                           "herald_receipts_total{status=\"temporary-failure\"} 1\n"})
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"sent:email:1", "sent:email:1", "sent:email:1",
                                      "rejected:email:1", "retry_scheduled:email:1"}))
      << "a delivery is in the state and the case's timeline, not an outcome";
  configure_logging({}, "info");
  // Each of SendGrid's events carries the recipient's address: never logged.
  EXPECT_EQ(log.str().find("pii@"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("receipt applied"), std::string::npos) << log.str();
}

// A batch with an event about an email whose send is not recorded yet (SendGrid's callback beat
// its own 202) is answered 503: SendGrid posts it again, and then the event is applied.
TEST(Receipts, ASendgridBatchWithAnEventBeforeItsSendIsRecordedIsAskedForAgain) {
  test::SendgridSigner sendgrid;
  SendgridHarness h(sendgrid);
  h.slow_ = "GWF000000020";
  h.start();
  h.publish(in_case(email_only("evt-sg1"), "GWF000000010"));
  ASSERT_TRUE(eventually([&] { return h.state("evt-sg1:email") == "sent"; }));
  h.publish(in_case(email_only("evt-sg2"), "GWF000000020"));
  ASSERT_TRUE(eventually([&] { return h.http.requests().size() == 2; }));
  const boost::json::array batch{sendgrid_event("delivered", "evt-sg1:email"),
                                 sendgrid_event("dropped", "evt-sg2:email")};
  auto reply = h.post_events(batch);
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_NE(reply.body.find("\"early\":1"), std::string::npos) << reply.body;
  EXPECT_EQ(h.state("evt-sg1:email"), "delivered") << "the event that could be applied was";
  ASSERT_TRUE(eventually([&] { return h.state("evt-sg2:email") == "sent"; }));
  reply = h.post_events(batch);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(h.state("evt-sg2:email"), "rejected");
  h.stop();
}

// The endpoint is there only for a SendGrid gateway with a verification key; a batch over its
// limit is refused before it is read, as SendGrid's never are.
TEST(Receipts, SendgridEventsNeedTheKeyAndABatchOfAReasonableSize) {
  {
    ReceiptHarness h;
    h.start();
    EXPECT_EQ(http_request(h.port(), "POST", "/receipts/sendgrid", "[]").status, 404);
    h.stop();
  }
  test::SendgridSigner sendgrid;
  SendgridHarness h(sendgrid);
  h.start();
  const std::string huge(kMaxSendgridBatchBytes + 1, ' ');
  EXPECT_EQ(http_request(h.port(), "POST", "/receipts/sendgrid", huge).status, 413);
  // A batch over /receipts' own 16 KiB limit is read here.
  boost::json::array many;
  for (int i = 0; i < 200; ++i) many.push_back(sendgrid_event("processed", "evt-x:email"));
  ASSERT_GT(boost::json::serialize(many).size(), kMaxReceiptBytes);
  auto reply = h.post_events(many);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.body.find("\"interim\":200"), std::string::npos) << reply.body;
  h.stop();
}

TEST(ContactRules, AFinalStatusCancelsWhatIsQueuedAndNothingMoreIsSentForTheCase) {
  Harness h;
  h.clock.set(london(21, 0));
  h.start();
  h.publish(event_json("evt-q1"));  // deferred to 09:00
  ASSERT_TRUE(h.wait_for_outcomes(2));
  EXPECT_EQ(h.scheduled(), 2);
  // The case is closed (a final status, email only), later that evening: deferred as well, and
  // the queued update is cancelled at once.
  auto closed = boost::json::parse(event_json("evt-q2", "case_closed")).as_object();
  closed["occurred_at"] = "2026-11-23T21:05:00Z";
  h.publish(boost::json::serialize(closed));
  ASSERT_TRUE(h.wait_for_outcomes(5));
  EXPECT_EQ(h.scheduled(), 1) << "only the final message waits";
  // An event for the closed case arriving afterwards is suppressed on arrival.
  auto after = boost::json::parse(event_json("evt-q3")).as_object();
  after["occurred_at"] = "2026-11-23T21:10:00Z";
  h.publish(boost::json::serialize(after));
  ASSERT_TRUE(h.wait_for_outcomes(7));

  h.clock.set(london(9, 0, 24));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(h.wait_for_outcomes(8));
  std::this_thread::sleep_for(300ms);
  h.stop();
  ASSERT_EQ(h.http.requests().size(), 1u);
  EXPECT_NE(h.http.requests()[0].body.find("evt-q2:email"), std::string::npos);
  auto r = results(h.outcomes());
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<std::string>{"deferred:email:1", "deferred:email:1", "deferred:sms:1",
                                         "sent:email:1", "suppressed:email:0", "suppressed:email:1",
                                         "suppressed:sms:0", "suppressed:sms:1"}))
      << "the queued ones keep the attempt they waited for; those after the final made none";
  for (const auto& o : h.outcomes()) {
    if (o.at("result") == "suppressed") {
      EXPECT_NE(std::string(o.at("reason").as_string()).find("final"), std::string::npos)
          << o.at("reason");
    }
  }
  EXPECT_EQ(h.scheduled(), 0);
}

TEST(ContactRules, ANewerEventMakesAQueuedOlderOneStaleAtTheMomentOfSending) {
  Harness h;
  h.clock.set(london(22, 0));
  h.start();
  // Both arrive at night; the newer one (by occurred_at, though published first) wins.
  auto newer = boost::json::parse(email_only("evt-new")).as_object();
  newer["occurred_at"] = "2026-11-23T21:30:00Z";
  auto older = boost::json::parse(email_only("evt-old")).as_object();
  older["occurred_at"] = "2026-11-23T21:00:00Z";
  h.publish(boost::json::serialize(newer));
  h.publish(boost::json::serialize(older));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.clock.set(london(9, 0, 24));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  std::this_thread::sleep_for(300ms);
  h.stop();
  ASSERT_EQ(h.http.requests().size(), 1u);
  EXPECT_NE(h.http.requests()[0].body.find("evt-new:email"), std::string::npos);
  for (const auto& o : h.outcomes()) {
    if (o.at("event_id") == "evt-old") {
      EXPECT_EQ(o.at("result"), "suppressed");
      EXPECT_NE(std::string(o.at("reason").as_string()).find("newer"), std::string::npos)
          << o.at("reason");
    }
  }
}

TEST(ContactRules, AQueuedNotificationIsCheckedAgainWhenItFallsDue) {
  // The older event is queued first; the newer one arrives while it waits: the older one is
  // not sent when 09:00 comes, even though it was valid when it was queued.
  Harness h;
  h.clock.set(london(22, 0));
  h.start();
  h.publish(email_only("evt-first"));
  ASSERT_TRUE(h.wait_for_outcomes(1));
  auto second = boost::json::parse(email_only("evt-second")).as_object();
  second["occurred_at"] = "2026-11-23T21:00:00Z";
  h.publish(boost::json::serialize(second));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.clock.set(london(9, 0, 24));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  std::this_thread::sleep_for(300ms);
  h.stop();
  ASSERT_EQ(h.http.requests().size(), 1u);
  EXPECT_NE(h.http.requests()[0].body.find("evt-second:email"), std::string::npos);
  EXPECT_EQ(h.scheduled(), 0);
}

TEST(ContactRules, OverseasNumbersGetEmailAndUnavailablePeriodsAreRespected) {
  Harness h("metrics:\n  listen: 127.0.0.1:0\n");
  h.start();
  // A French mobile, SMS chosen: email instead (sms.international is off by default).
  h.publish(event_json("evt-fr", "case_update",
                       {{"phone", "+33612345678"}, {"channels", boost::json::array{"sms"}}}));
  // Away until 14:30 today: the first attempt is then, not now.
  h.publish(in_case(event_json("evt-away", "case_update",
                               {{"channels", boost::json::array{"email"}},
                                {"unavailable", boost::json::array{boost::json::object{
                                                    {"from", "2026-11-20T00:00:00Z"},
                                                    {"to", "2026-11-23T14:30:00Z"}}}}}),
                    "GWF000000002"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  EXPECT_EQ(h.http.requests()[0].target, "/email");
  EXPECT_NE(h.http.requests()[0].body.find("evt-fr:email"), std::string::npos);

  // The gauge is refreshed every second or so.
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    metrics = http_request(h.daemon().metrics_port(), "GET", "/metrics").body;
    return metrics.find("herald_scheduled{reason=\"unavailable\"} 1") != std::string::npos;
  })) << metrics;
  h.clock.set(london(14, 30));
  ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
  h.stop();
  auto outcomes = h.outcomes();
  bool deferred_to_1430 = false;
  for (const auto& o : outcomes)
    if (o.at("event_id") == "evt-away" && o.at("result") == "deferred")
      deferred_to_1430 = o.at("at") == "2026-11-23T14:30:00Z";
  EXPECT_TRUE(deferred_to_1430) << results(outcomes).size();
  for (const auto& r : h.http.requests()) EXPECT_EQ(r.target, "/email");
}

}  // namespace
}  // namespace herald::test

namespace herald::test {
namespace {

// A send decided at 19:59 can wait for the rate limit past 20:00: it is asked again when its turn
// comes, and goes to the next morning instead of out of hours.
TEST(ContactRules, TheWindowClosingWhileSendsWaitForTheRateLimitDefersThem) {
  // Burst 1: one at once, then one every 2 s (the clock must jump before the second). Leases
  // outlast the minute the clock jumps.
  Harness h("", false, ", rate_per_minute: 30, burst: 1", 10min);
  h.clock.set(london(19, 59));
  h.start();
  for (int i = 0; i < 6; ++i)
    h.publish(
        in_case(email_only("evt-late-" + std::to_string(i)), "CASE-LATE-" + std::to_string(i)));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  h.clock.set(london(20, 0));
  ASSERT_TRUE(h.wait_for_outcomes(6, 30s));
  std::this_thread::sleep_for(300ms);
  h.stop();
  EXPECT_EQ(h.http.requests().size(), 1u) << "nothing after 20:00";
  int sent = 0;
  int deferred = 0;
  for (const auto& o : h.outcomes()) {
    if (o.at("result") == "sent") ++sent;
    if (o.at("result") == "deferred") {
      ++deferred;
      EXPECT_EQ(o.at("at"), "2026-11-24T09:00:00Z");
      EXPECT_EQ(o.at("attempt"), 1) << "no attempt was made";
    }
  }
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(deferred, 5);
  EXPECT_EQ(h.scheduled(), 5);
}

// Sends still waiting for their turn (the gateway's max_in_flight here) when herald is told to
// stop are not in flight: they were started during the drain anyway, and when the drain ran out
// before their answers came, they were sent again after the restart (twice to the citizen on a
// provider without idempotency). They are now not started, and are due again at once.
TEST(ContactRules, SendsStillWaitingForTheirTurnAreNotStartedWhenHeraldStops) {
  // Leases outlast the test: whatever goes out after the restart was made due, not expired.
  Harness h("", false, ", max_in_flight: 1, timeout_ms: 10000", 10min);
  // The first answer outlasts what the test looks at (within the timeout and the stop's drain).
  h.http.set_handler(slow_first_answer(4s));
  // Published before the start, so that they are read together: published after, they may come
  // in more than one read.
  for (int i = 0; i < 4; ++i)
    h.publish(
        in_case(email_only("evt-stop-" + std::to_string(i)), "CASE-STOP-" + std::to_string(i)));
  h.start();
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  // One in flight, three waiting for its slot.
  ASSERT_TRUE(eventually([&] { return h.scheduled() == 4; }));
  h.stop();  // the one in flight finishes; the three waiting for its slot are not started
  EXPECT_EQ(h.http.requests().size(), 1u) << "nothing started after the stop";
  EXPECT_EQ(h.scheduled(), 3) << "the three are due again";

  h.start();
  ASSERT_TRUE(h.http.wait_for_requests(4, 15s)) << "due at once after the restart";
  ASSERT_TRUE(h.wait_for_outcomes(4, 10s));
  std::this_thread::sleep_for(300ms);
  h.stop();
  std::set<std::string> keys;
  for (const auto& r : h.http.requests()) keys.insert(r.headers.at("idempotency-key"));
  EXPECT_EQ(h.http.requests().size(), 4u);
  EXPECT_EQ(keys.size(), 4u) << "each notification sent once";
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>(4, "sent:email:1")));
}

// The same for sends waiting for the rate limit's token: the stop does not wait until their
// token would have come (here 2, 4, 6 and 8 s), which held the drain to its timeout and left the
// later ones leased, to go out only when their lease ran out.
TEST(ContactRules, SendsWaitingForTheRateLimitStopWaitingWhenHeraldStops) {
  Harness h("", false, ", rate_per_minute: 10, burst: 1", 10min);  // one at once, then every 6 s
  h.start();
  for (int i = 0; i < 5; ++i)
    h.publish(in_case(email_only("evt-rate-stop-" + std::to_string(i)),
                      "CASE-RATE-STOP-" + std::to_string(i)));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return h.scheduled() == 4; }));  // the four waiting are leased
  const auto began = std::chrono::steady_clock::now();
  h.stop();
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_LT(took, 3s) << "the drain waited for the rate limit";
  EXPECT_EQ(h.http.requests().size(), 1u) << "nothing started after the stop";
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(h.clock.now().time_since_epoch())
          .count();
  const auto due = h.redis.command({"ZRANGEBYSCORE", h.config->redis.key_prefix + "schedule:email",
                                    "-inf", std::to_string(now_ms)});
  EXPECT_EQ(due.elements.size(), 4u) << "the four are due again at once, not leased";
}

// And for sends waiting for a unit of herald's own limits.max_in_flight: they were left leased,
// to go out after the restart only when their leases ran out.
TEST(ContactRules, SendsWaitingForHeraldsOwnInFlightLimitAreDueAgainAtOnceWhenHeraldStops) {
  Harness h("limits:\n  max_in_flight: 1\n", false, ", timeout_ms: 10000", 10min);
  // The first answer takes long enough for the three leased behind it to be seen on a loaded
  // machine (within the timeout and the stop's drain); after the restart they are answered at
  // once.
  h.http.set_handler(slow_first_answer(4s));
  // Read together (published before the start): one read at a time, the reader would wait for
  // the unit with the second and not read the others.
  for (int i = 0; i < 4; ++i)
    h.publish(in_case(email_only("evt-unit-stop-" + std::to_string(i)),
                      "CASE-UNIT-STOP-" + std::to_string(i)));
  h.start();
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return h.scheduled() == 4; }));  // one in flight, three leased
  h.stop();
  EXPECT_EQ(h.http.requests().size(), 1u) << "nothing started after the stop";
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(h.clock.now().time_since_epoch())
          .count();
  const auto due = h.redis.command({"ZRANGEBYSCORE", h.config->redis.key_prefix + "schedule:email",
                                    "-inf", std::to_string(now_ms)});
  EXPECT_EQ(due.elements.size(), 3u) << "the three are due again at once, not leased";
  for (const auto& id : due.elements)
    EXPECT_EQ(h.redis.command({"HGET", h.config->redis.key_prefix + "n:" + id.str, "state"}).str,
              "deferred");

  h.start();
  ASSERT_TRUE(h.wait_for_outcomes(4, 15s)) << "sent after the restart without waiting for leases";
  h.stop();
  EXPECT_EQ(h.http.requests().size(), 4u);
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>(4, "sent:email:1")));
}

// A message waiting for the rate limit is not yet handed to the gateway: a final status that comes
// in meanwhile stops it, as it stops a deferred one.
TEST(ContactRules, AFinalStatusStopsAnOlderMessageStillWaitingForTheRateLimit) {
  Harness h("", false, ", rate_per_minute: 15", 60s);  // one at once, then one every 4 s
  h.start();
  auto state = [&](const std::string& id) {
    return h.redis.command({"HGET", h.config->redis.key_prefix + "n:" + id, "state"}).str;
  };
  h.publish(in_case(email_only("evt-wait-1"), "CASE-WAIT-1"));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  // Read on its own (read together with the final event, the stale rule would stop it at once),
  // then waiting for its turn.
  h.publish(in_case(email_only("evt-wait-2"), "CASE-WAIT-2"));
  ASSERT_TRUE(eventually([&] { return state("evt-wait-2:email") == "sending"; }));
  auto closed = boost::json::parse(in_case(event_json("evt-wait-3", "case_closed"), "CASE-WAIT-2"))
                    .as_object();
  closed["occurred_at"] = "2026-11-23T09:00:00Z";
  h.publish(boost::json::serialize(closed));
  ASSERT_TRUE(eventually([&] { return state("evt-wait-3:email") == "sending"; }));
  ASSERT_EQ(h.http.requests().size(), 1u) << "the older message is still waiting";
  h.clock.advance(5s);  // long enough a wait for the case to be asked about again
  ASSERT_TRUE(h.http.wait_for_requests(2, 20s));
  ASSERT_TRUE(h.wait_for_outcomes(3, 10s));
  std::this_thread::sleep_for(300ms);
  h.stop();
  std::vector<std::string> sent_ids;
  for (const auto& r : h.http.requests())
    sent_ids.emplace_back(boost::json::parse(r.body).as_object().at("id").as_string());
  EXPECT_EQ(sent_ids, (std::vector<std::string>{"evt-wait-1:email", "evt-wait-3:email"}));
  bool suppressed = false;
  for (const auto& o : h.outcomes()) {
    if (o.at("event_id") != "evt-wait-2") continue;
    EXPECT_EQ(o.at("result"), "suppressed");
    EXPECT_NE(std::string(o.at("reason").as_string()).find("final"), std::string::npos)
        << o.at("reason");
    suppressed = true;
  }
  EXPECT_TRUE(suppressed);
}

// A send that waited for its turn asks Redis again whether the case moved on, renewing its lease
// on the way. When Redis stalls on that question the request goes ahead, but Redis, woken, still
// renews the lease. herald recorded the send under the lease it knew: refused as "lease lost",
// the outcome was never recorded, and once the renewed lease ran out the message went again.
TEST(ContactRules, ALeaseRenewedByAStalledCheckBeforeTheRequestIsStillTheSenders) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  {
    Harness h("", false, ", rate_per_minute: 15", 60s);  // one at once, then one every 4 s
    h.clock.set(london(21, 30));
    h.start();
    auto state = [&](const std::string& id) {
      return h.redis.command({"HGET", h.config->redis.key_prefix + "n:" + id, "state"}).str;
    };
    // The first goes out when it falls due in the morning: herald has asked Redis this question
    // before (as one running a while has), so the stalled call is the question itself.
    h.publish(in_case(email_only("evt-ask-1"), "CASE-ASK-1"));
    ASSERT_TRUE(h.wait_for_outcomes(1));
    h.clock.set(london(9, 0, 24));
    ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
    const auto first_sent = std::chrono::steady_clock::now();
    ASSERT_TRUE(h.wait_for_outcomes(2));
    h.publish(in_case(email_only("evt-ask-2"), "CASE-ASK-2"));
    ASSERT_TRUE(eventually([&] { return state("evt-ask-2:email") == "sending"; }));
    h.clock.advance(5s);  // long enough a wait for the case to be asked about again
    // Its turn comes 4 s after the first send: Redis stalls just before it asks.
    std::this_thread::sleep_until(first_sent + 3500ms);
    h.redis.pause();
    ASSERT_TRUE(h.http.wait_for_requests(2, 20s)) << "Redis unreachable: the request goes ahead";
    std::this_thread::sleep_until(first_sent + 8s);  // past redis.command_timeout_ms (2 s)
    h.redis.resume();
    ASSERT_TRUE(h.wait_for_outcomes(3, 30s));
    h.clock.advance(2min);  // past any lease: a send left unrecorded is claimed and sent again
    std::this_thread::sleep_for(1500ms);
    h.stop();
    EXPECT_EQ(h.http.requests().size(), 2u);
    std::vector<std::string> results;
    for (const auto& o : h.outcomes()) results.emplace_back(o.at("result").as_string());
    EXPECT_EQ(results, (std::vector<std::string>{"deferred", "sent", "sent"}));
    EXPECT_EQ(h.scheduled(), 0);
  }
  configure_logging({}, "info");
  EXPECT_EQ(count_of(log.str(), "lease lost"), 0u) << log.str();
}

TEST(ContactRules, ABacklogFallingDueAtOnceGoesOutAtTheGatewayRateEarliestDueFirst) {
  // Both gateways are named "webhook": one rate limit of 10 a second, burst 10, for all.
  Harness h("", false, ", rate_per_second: 10");
  h.clock.set(london(1, 0, 24));  // 20:00 in New York, 02:00 in Paris: out of hours for all
  h.start();
  // Ten recipients each in Paris (due 08:00 UTC), London (09:00) and New York (14:00).
  const std::vector<std::string> zones = {"America/New_York", "Europe/London", "Europe/Paris"};
  for (int i = 0; i < 30; ++i) {
    auto event = boost::json::parse(event_json("evt-bl-" + std::to_string(i), "case_update",
                                               {{"channels", boost::json::array{"email"}},
                                                {"timezone", zones[i % 3]}}))
                     .as_object();
    event["case_ref"] = "CASE-BL-" + std::to_string(i);
    h.publish(boost::json::serialize(event));
  }
  ASSERT_TRUE(h.wait_for_outcomes(30));
  EXPECT_EQ(h.scheduled(), 30);
  // herald comes back at 14:00 UTC: everything is due at once, some of it overdue for hours.
  const auto released = std::chrono::steady_clock::now();
  h.clock.set(london(14, 0, 24));
  ASSERT_TRUE(h.http.wait_for_requests(30, 20s));
  const auto took = std::chrono::steady_clock::now() - released;
  h.stop();
  // 10 at once, then 20 more at 10 a second: not a stampede.
  EXPECT_GE(took, 1500ms);
  // Earliest due first: every Paris message before every London one, London before New York.
  auto zone_of = [&](const HttpTestServer::Request& r) {
    auto id = std::string(boost::json::parse(r.body).as_object().at("id").as_string());
    int n = std::stoi(id.substr(std::string("evt-bl-").size()));
    return n % 3;  // 2 Paris, 1 London, 0 New York
  };
  std::vector<int> order;
  for (const auto& r : h.http.requests()) order.push_back(zone_of(r));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end(), std::greater<>())) << [&] {
    std::string text;
    for (int z : order) text += std::to_string(z);
    return text;
  }();
}

}  // namespace
}  // namespace herald::test
