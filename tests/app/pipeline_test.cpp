// The whole pipe: events in from a real Redis Stream, requests out to a real HTTP server,
// outcomes and dead letters back in Redis.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <boost/asio/co_spawn.hpp>

#include "harness.hpp"
#include "herald/app/dead_letters.hpp"
#include "herald/core/logging.hpp"
#include "herald/core/time_format.hpp"
#include "support/http/http_test_client.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> results(const std::vector<boost::json::object>& outcomes) {
  std::vector<std::string> out;
  for (const auto& o : outcomes)
    out.push_back(std::string(o.at("result").as_string()) + ":" +
                  (o.at("channel").is_null() ? "-" : std::string(o.at("channel").as_string())));
  std::sort(out.begin(), out.end());
  return out;
}

// The port the daemon's metrics server bound (metrics.listen 127.0.0.1:0); 0 if it never did.
unsigned short metrics_port(Harness& h) {
  for (int i = 0; i < 100; ++i) {
    if (const auto port = h.daemon().metrics_port()) return port;
    std::this_thread::sleep_for(10ms);
  }
  return 0;
}

TEST(Pipeline, SendsEmailAndSmsThroughTheWebhooksAndRecordsOutcomes) {
  Harness h;
  h.start();
  h.publish(event_json("evt-1"));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  h.stop();

  auto requests = h.http.requests();
  ASSERT_EQ(requests.size(), 2u);
  std::map<std::string, boost::json::object> by_target;
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    by_target[r.target] = boost::json::parse(r.body).as_object();
    EXPECT_EQ(r.headers.at("idempotency-key"), by_target[r.target].at("id").as_string());
  }
  const auto& email = by_target.at("/email");
  EXPECT_EQ(email.at("id"), "evt-1:email");
  EXPECT_EQ(email.at("to"), "katie@example.org");
  EXPECT_EQ(email.at("subject"), "Your application GWF012345678");
  EXPECT_NE(std::string(email.at("body").as_string()).find("Dear Ms McNally,"), std::string::npos);
  EXPECT_EQ(email.at("reference"), "GWF012345678");
  const auto& sms = by_target.at("/sms");
  EXPECT_EQ(sms.at("to"), "+447700900123");  // the UK national number, normalised to E.164
  EXPECT_EQ(sms.at("body"), "Application GWF012345678: case_update. London");

  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"sent:email", "sent:sms"}));
  for (const auto& o : h.outcomes()) {
    EXPECT_EQ(o.at("event_id"), "evt-1");
    EXPECT_EQ(o.at("attempt"), 1);
    EXPECT_EQ(o.at("gateway_message_id"), "gw-1");
  }
  EXPECT_EQ(h.pending(), 0);
  EXPECT_EQ(h.scheduled(), 0);
}

TEST(Pipeline, WritesWelshMessagesForWelshRecipients) {
  Harness h;
  h.start();
  h.publish(event_json("evt-cy", "case_update",
                       {{"language", "cy"}, {"title", "Mx"}, {"name", "jo bloggs"}}));
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  h.stop();
  for (const auto& r : h.http.requests()) {
    auto body = boost::json::parse(r.body).as_object();
    EXPECT_EQ(body.at("language"), "cy");
    if (r.target == "/email") {
      EXPECT_EQ(body.at("subject"), "Eich cais GWF012345678");
      // Mx is not an accepted title: first name and surname instead.
      EXPECT_NE(std::string(body.at("body").as_string()).find("Annwyl Jo Bloggs,"),
                std::string::npos);
    }
  }
}

TEST(Pipeline, DefersAnEveningEventToNineNextMorningAndSendsItThen) {
  Harness h;
  h.clock.set(london(21, 30));
  h.start();
  h.publish(event_json("evt-late"));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  auto outcomes = h.outcomes();
  EXPECT_EQ(results(outcomes), (std::vector<std::string>{"deferred:email", "deferred:sms"}));
  for (const auto& o : outcomes) EXPECT_EQ(o.at("at"), "2026-11-24T09:00:00Z");
  EXPECT_EQ(h.scheduled(), 2);
  EXPECT_EQ(h.pending(), 0);  // recorded in the schedule, so the entry is acknowledged

  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(h.http.requests().empty()) << "nothing may go out of hours";

  h.clock.set(london(9, 0, 24));
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  ASSERT_TRUE(h.wait_for_outcomes(4));
  h.stop();
  EXPECT_EQ(h.scheduled(), 0);
  EXPECT_EQ(h.http.requests().size(), 2u);
}

// An SMS gateway of its own (its own rate limit) that allows one text a second.
const char* const kTextsOneASecond =
    "{ type: webhook, name: texts, url: \"@HTTP@/sms\", timeout_ms: 2000, rate_per_second: 1, "
    "burst: 1 }";

// How many emails the test server had received before the `nth` text.
std::size_t emails_before_text(Harness& h, std::size_t nth) {
  std::size_t emails = 0, texts = 0;
  for (const auto& r : h.http.requests()) {
    if (r.target == "/sms" && ++texts == nth) break;
    if (r.target == "/email") ++emails;
  }
  return emails;
}

// A morning backlog of both channels, the SMS gateway allowing one a second: the emails do not
// wait behind the texts. With one schedule and one set of sending slots for both, the texts
// waiting for their turns came to hold every slot, and the emails went one a second too.
TEST(Pipeline, AChannelBehindASlowGatewayDoesNotHoldBackTheOther) {
  Harness h("limits:\n  max_in_flight: 4\n", false, "", std::chrono::milliseconds(3000),
            kTextsOneASecond);
  h.clock.set(london(21, 30));
  h.start();
  constexpr int kEvents = 20;
  for (int i = 0; i < kEvents; ++i)
    h.publish(
        in_case(event_json("evt-slow-" + std::to_string(i)), "CASE-SLOW-" + std::to_string(i)));
  ASSERT_TRUE(h.wait_for_outcomes(2 * kEvents)) << "all deferred to 09:00";
  ASSERT_EQ(h.scheduled(), 2 * kEvents);

  h.clock.set(london(9, 0, 24));
  // Held back, the emails would go one a second too; before the fifth text leaves 4 s of margin
  // for a loaded machine (a sanitizer build beside other tests).
  ASSERT_TRUE(h.http.wait_for_requests(kEvents + 4, 15s));
  EXPECT_EQ(emails_before_text(h, 5), static_cast<std::size_t>(kEvents))
      << "every email went out before the fifth text (the texts go one a second)";
  h.stop();
}

// The same for new events in the window: reading does not wait behind the busy channel. Its
// notifications wait in its schedule instead, and go out from there, once each.
TEST(Pipeline, NewEventsAreNotHeldBackByTheOtherChannelsSlowGateway) {
  Harness h("limits:\n  max_in_flight: 2\n", false, "", std::chrono::milliseconds(3000),
            kTextsOneASecond);
  h.start();
  constexpr int kEvents = 8;
  for (int i = 0; i < kEvents; ++i)
    h.publish(
        in_case(event_json("evt-busy-" + std::to_string(i)), "CASE-BUSY-" + std::to_string(i)));
  ASSERT_TRUE(h.http.wait_for_requests(kEvents + 4, 15s));
  EXPECT_EQ(emails_before_text(h, 5), static_cast<std::size_t>(kEvents))
      << "every email went out before the fifth text (the texts go one a second)";

  ASSERT_TRUE(h.wait_for_outcomes(2 * kEvents, 20s));
  h.stop();
  std::set<std::string> keys;
  for (const auto& r : h.http.requests()) keys.insert(r.headers.at("idempotency-key"));
  EXPECT_EQ(h.http.requests().size(), 2u * kEvents);
  EXPECT_EQ(keys.size(), 2u * kEvents) << "each sent once";
  for (const auto& o : h.outcomes()) EXPECT_EQ(o.at("result"), "sent") << o;
  EXPECT_EQ(h.scheduled(), 0);
  EXPECT_EQ(h.pending(), 0);
}

// What a busy channel queued goes out before what comes after it, whatever the batches: texts
// of later events (here texts only, which the reader does not queue) wait for the queued ones,
// and the queued ones go in the order they were read (their ids sort the other way).
TEST(Pipeline, WhatABusyChannelQueuedIsNotOvertakenByLaterEvents) {
  Harness h("limits:\n  max_in_flight: 1\n", false, "", std::chrono::milliseconds(3000),
            kTextsOneASecond);
  // herald's clock goes on as a real one would: what is queued at different moments is due at
  // different moments.
  struct Ticker {
    explicit Ticker(ManualClock& clock)
        : thread([this, &clock] {
            while (on) {
              clock.advance(1ms);
              std::this_thread::sleep_for(1ms);
            }
          }) {}
    ~Ticker() {
      on = false;
      thread.join();
    }
    std::atomic<bool> on{true};
    std::thread thread;
  } ticker(h.clock);
  h.start();
  std::vector<std::string> expected;
  for (int i = 3; i >= 0; --i) {
    const std::string id = "evt-first-" + std::to_string(i);
    h.publish(in_case(event_json(id), "CASE-FIRST-" + std::to_string(i)));
    expected.push_back(id + ":sms");
  }
  ASSERT_TRUE(h.http.wait_for_requests(4 + 1, 10s)) << "the emails and the first text";
  std::this_thread::sleep_for(200ms);
  for (int i = 0; i < 3; ++i) {
    const std::string id = "evt-later-" + std::to_string(i);
    h.publish(in_case(event_json(id, "case_update", {{"channels", boost::json::array{"sms"}}}),
                      "CASE-LATER-" + std::to_string(i)));
    expected.push_back(id + ":sms");
  }
  ASSERT_TRUE(h.wait_for_outcomes(4 * 2 + 3, 20s));
  h.stop();
  std::vector<std::string> texts, emails;
  for (const auto& r : h.http.requests())
    (r.target == "/sms" ? texts : emails).push_back(r.headers.at("idempotency-key"));
  EXPECT_EQ(texts, expected);
  EXPECT_EQ(emails, (std::vector<std::string>{"evt-first-3:email", "evt-first-2:email",
                                              "evt-first-1:email", "evt-first-0:email"}))
      << "the email channel (one slot) was busy too: its queued ones went in order";
}

// But when only the busy channel has work, nothing is gained by reading on: reading waits, as it
// always did, and nothing is moved to the schedule (the stream is queue enough).
TEST(Pipeline, ABusyChannelAloneSlowsTheReadingInsteadOfQueueingInRedis) {
  Harness h("limits:\n  max_in_flight: 2\n", false, "", std::chrono::milliseconds(3000),
            kTextsOneASecond);
  h.start();
  constexpr int kEvents = 5;
  for (int i = 0; i < kEvents; ++i)
    h.publish(in_case(event_json("evt-texts-" + std::to_string(i), "case_update",
                                 {{"channels", boost::json::array{"sms"}}}),
                      "CASE-TEXTS-" + std::to_string(i)));
  long long most_queued = 0;  // sampled while they go out
  for (int i = 0; i < 1500 && h.outcomes().size() < static_cast<std::size_t>(kEvents); ++i) {
    const auto queued =
        h.redis.command({"HGET", h.config->redis.key_prefix + "schedule:why", "queued"}).str;
    if (!queued.empty()) most_queued = std::max(most_queued, std::stoll(queued));
    std::this_thread::sleep_for(10ms);
  }
  h.stop();
  EXPECT_EQ(results(h.outcomes()), std::vector<std::string>(kEvents, "sent:sms"));
  EXPECT_EQ(h.http.requests().size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(most_queued, 0) << "none went through the schedule";
}

// herald 0.1.0 kept one schedule for both channels: after an upgrade its entries move to the
// channels' schedules at start, due times as they were, and go out when due.
TEST(Pipeline, TheScheduleOfAnEarlierVersionIsMovedToTheChannelsAtStart) {
  Harness h;
  h.clock.set(london(21, 30));
  h.start();
  h.publish(event_json("evt-upgrade"));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.stop();
  const std::string base = h.config->redis.key_prefix + "schedule";
  for (const char* channel : {"email", "sms"}) {
    const std::string key = base + ":" + channel, id = std::string("evt-upgrade:") + channel;
    const auto score = h.redis.command({"ZSCORE", key, id}).str;
    ASSERT_FALSE(score.empty()) << key;
    h.redis.command({"ZADD", base, score, id});
    h.redis.command({"ZREM", key, id});
  }
  ASSERT_EQ(h.scheduled(), 0);

  h.start();
  for (int i = 0; i < 500 && h.scheduled() != 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(h.scheduled(), 2) << "moved, not sent: not due";
  EXPECT_EQ(h.redis.command({"EXISTS", base}).integer, 0);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(h.http.requests().empty()) << "still due at 09:00, not at once";

  h.clock.set(london(9, 0, 24));
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  ASSERT_TRUE(h.wait_for_outcomes(4));
  h.stop();
  EXPECT_EQ(h.scheduled(), 0);
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"deferred:email", "deferred:sms", "sent:email", "sent:sms"}));
}

TEST(Pipeline, SendsOutOfHoursWhenTheRecipientConsentedToAnyTime) {
  Harness h;
  h.clock.set(london(23, 0));
  h.start();
  h.publish(event_json("evt-anytime", "case_update", {{"contact_anytime", true}}));
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"sent:email", "sent:sms"}));
}

TEST(Pipeline, ARestartLosesNoDeferredNotification) {
  Harness h;
  h.clock.set(london(22, 0));
  h.start();
  h.publish(event_json("evt-restart"));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.stop();

  h.clock.set(london(9, 30, 24));
  h.start();
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  ASSERT_TRUE(h.wait_for_outcomes(4));
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"deferred:email", "deferred:sms", "sent:email", "sent:sms"}));
}

TEST(Pipeline, DeadLettersEveryMalformedEventWithItsReasonAndCarriesOn) {
  Harness h;
  h.start();
  struct Bad {
    std::string json;
    std::string reason_mentions;
  };
  std::vector<Bad> bad = {
      {"{not json", "JSON"},
      {event_json("evt-tz", "case_update", {{"timezone", "Mars/Olympus_Mons"}}), "timezone"},
      {event_json("evt-mail", "case_update",
                  {{"email", "a@b.com\r\nBcc: x@y.com"}, {"phone", nullptr}}),
       "email"},
      {event_json("evt-phone", "case_update", {{"phone", "12"}}), "phone"},
      {event_json("evt-rule", "no_such_status"), "no rule"},
      {event_json("evt-var", "case_update", {}, {}), "data.office"},
      {R"({"id":"evt-dup","id":"evt-dup2"})", "repeated key"},
      {std::string(70 * 1024, ' ') + "{}", "limit"},
  };
  // An event whose phone is null has a wrong type; keep the case simple: drop it from the object.
  bad[2].json = event_json("evt-mail", "case_update", {{"email", "a@b.com\r\nBcc: x@y.com"}});
  for (const auto& b : bad) h.publish(b.json);
  h.publish(event_json("evt-good"));
  ASSERT_TRUE(h.wait_for_outcomes(bad.size() + 2));
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  h.stop();

  auto dead = h.dead_letters();
  ASSERT_EQ(dead.size(), bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    std::map<std::string, std::string> fields(dead[i].begin(), dead[i].end());
    EXPECT_EQ(fields.at("event"), bad[i].json) << "the original entry's fields are kept";
    EXPECT_NE(fields.at("reason").find(bad[i].reason_mentions), std::string::npos)
        << "reason '" << fields.at("reason") << "' should mention " << bad[i].reason_mentions;
  }
  std::size_t invalid = 0;
  for (const auto& o : h.outcomes())
    if (o.at("result") == "invalid") ++invalid;
  EXPECT_EQ(invalid, bad.size());
  EXPECT_EQ(h.pending(), 0) << "bad entries are acknowledged too";
}

TEST(Pipeline, AnEventFromTheFutureIsDeadLetteredAndDoesNotSilenceTheCase) {
  Harness h;
  h.start();
  // A typo in the year: taken as the case's newest event, it would make every real one stale.
  auto typo = boost::json::parse(event_json("evt-2062")).as_object();
  typo["occurred_at"] = "2062-11-23T08:00:00Z";
  h.publish(boost::json::serialize(typo));
  // Hours ahead (local time written as UTC) is a clock's error, not a typo: accepted.
  auto ahead = boost::json::parse(event_json("evt-ahead")).as_object();
  ahead["occurred_at"] = "2026-11-23T13:00:00Z";  // the harness's clock: 12:00 UTC
  h.publish(boost::json::serialize(ahead));
  ASSERT_TRUE(h.wait_for_outcomes(3));
  h.stop();
  auto dead = h.dead_letters();
  ASSERT_EQ(dead.size(), 1u);
  std::map<std::string, std::string> fields(dead[0].begin(), dead[0].end());
  EXPECT_EQ(fields.at("reason"),
            "occurred_at is more than a day ahead of herald's clock: 2062-11-23T08:00:00Z");
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"invalid:-", "sent:email", "sent:sms"}));
}

TEST(Pipeline, AnInvalidEventsOutcomeAndTimelineTakeOnlyIdentifiersThatFollowTheEventRules) {
  Harness h;
  h.start();
  // A number in case_ref, an address in status: both break the parser's rules for those fields,
  // and whatever breaks them may be personal data. The id follows its rule and is kept.
  h.publish(
      R"({"id":"idf-1","case_ref":"+447700900123","status":"katie.pii@example.org",)"
      R"("occurred_at":"2026-11-24T10:00:00Z","recipient":{"email":"katie.pii@example.org"}})");
  // Invalid too (its address), but with identifiers that follow the rules: they are kept, and
  // the outcome goes to the case's timeline.
  h.publish(R"({"id":"idf-2","case_ref":"GWF0IDF2","status":"case_update",)"
            R"("occurred_at":"2026-11-24T10:00:00Z","recipient":{"email":"not-an-address"}})");
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.stop();

  auto outcomes = h.outcomes();
  ASSERT_EQ(outcomes.size(), 2u);
  std::map<std::string, boost::json::object> by_id;
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.at("result"), "invalid");
    by_id[std::string(o.at("event_id").as_string())] = o;
  }
  const auto& bad = by_id.at("idf-1");
  EXPECT_TRUE(bad.at("case_ref").is_null()) << boost::json::serialize(bad);
  EXPECT_TRUE(bad.at("status").is_null()) << boost::json::serialize(bad);
  const auto& good = by_id.at("idf-2");
  EXPECT_EQ(good.at("case_ref"), "GWF0IDF2");
  EXPECT_EQ(good.at("status"), "case_update");

  const std::string prefix = h.config->redis.key_prefix;
  EXPECT_EQ(h.redis.command({"LLEN", prefix + "case:GWF0IDF2:log"}).integer, 1);
  for (const auto& key : h.redis.command({"KEYS", "*"}).elements)
    for (const char* personal : {"447700900123", "katie", "example.org"})
      EXPECT_EQ(key.str.find(personal), std::string::npos) << "key " << key.str;
  EXPECT_TRUE(h.redis.command({"KEYS", prefix + "case:+*"}).elements.empty());
}

TEST(Pipeline, ARepublishedEventIdIsSuppressedNotSentTwice) {
  Harness h;
  h.start();
  h.publish(event_json("evt-twice"));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.publish(event_json("evt-twice"));
  ASSERT_TRUE(h.wait_for_outcomes(4));
  std::this_thread::sleep_for(200ms);
  h.stop();
  EXPECT_EQ(h.http.requests().size(), 2u);
  EXPECT_EQ(
      results(h.outcomes()),
      (std::vector<std::string>{"sent:email", "sent:sms", "suppressed:email", "suppressed:sms"}));
}

TEST(Pipeline, ReadsItsOwnPendingEntriesAfterACrashBeforeAnythingNew) {
  Harness h;
  // A previous run of this consumer read the entry and died before handling it.
  h.redis.command(
      {"XGROUP", "CREATE", h.config->redis.stream, h.config->redis.group, "0", "MKSTREAM"});
  h.publish(event_json("evt-crashed"));
  auto read =
      h.redis.command({"XREADGROUP", "GROUP", h.config->redis.group, h.config->redis.consumer,
                       "COUNT", "10", "STREAMS", h.config->redis.stream, ">"});
  ASSERT_EQ(h.pending(), 1);
  h.start();
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.stop();
  EXPECT_EQ(h.pending(), 0);
}

TEST(Pipeline, AConsumerGroupDeletedWhileRunningIsCreatedAgainWithoutHandlingOldEntriesAgain) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  {
    Harness h;
    h.publish("{broken");  // before the first start: the new group reads it (from the start)
    h.start();
    h.publish(event_json("evt-old"));
    ASSERT_TRUE(h.wait_for_outcomes(3));
    ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
    // The records have expired (retention.days) while the entries are still in the stream; then
    // someone deletes the group.
    for (const auto& key : h.redis.command({"KEYS", h.config->redis.key_prefix + "*"}).elements)
      h.redis.command({"DEL", key.str});
    h.redis.command({"XGROUP", "DESTROY", h.config->redis.stream, h.config->redis.group});
    h.publish(in_case(event_json("evt-new"), "GWF000000002"));
    ASSERT_TRUE(h.http.wait_for_requests(4, 10s));
    ASSERT_TRUE(h.wait_for_outcomes(5));
    std::this_thread::sleep_for(500ms);  // time enough to handle the old entries again, if it did
    h.stop();

    EXPECT_EQ(h.dead_letters().size(), 1u) << "the old dead letter is not written again";
    EXPECT_EQ(results(h.outcomes()),
              (std::vector<std::string>{"invalid:-", "sent:email", "sent:email", "sent:sms",
                                        "sent:sms"}));
    std::multiset<std::string> sent;
    for (const auto& r : h.http.requests())
      sent.insert(std::string(boost::json::parse(r.body).as_object().at("id").as_string()));
    EXPECT_EQ(sent, (std::multiset<std::string>{"evt-new:email", "evt-new:sms", "evt-old:email",
                                                "evt-old:sms"}))
        << "nothing is sent again";
    EXPECT_EQ(h.pending(), 0);
  }
  configure_logging({}, "info");
  EXPECT_NE(log.str().find("consumer group was deleted while running"), std::string::npos)
      << log.str();
}

// Entries of other consumers are claimed after 100 ms idle; the group exists before herald starts.
void reclaim_quickly(Harness& h) {
  auto config = std::make_shared<Config>(*h.config);
  config->redis.claim_idle = 100ms;
  h.config = config;
  h.redis.command(
      {"XGROUP", "CREATE", h.config->redis.stream, h.config->redis.group, "0", "MKSTREAM"});
}

// Everything in the stream read (pending) by a consumer that then dies.
void read_by_a_consumer_that_dies(Harness& h) {
  h.redis.command({"XREADGROUP", "GROUP", h.config->redis.group, "consumer-that-died", "COUNT",
                   "10", "STREAMS", h.config->redis.stream, ">"});
}

TEST(Pipeline, ReclaimsEntriesOfADeadConsumer) {
  Harness h("", false);
  reclaim_quickly(h);
  h.publish(event_json("evt-orphan"));
  read_by_a_consumer_that_dies(h);
  std::this_thread::sleep_for(150ms);
  h.start();
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.stop();
  EXPECT_EQ(h.pending(), 0);
}

TEST(Pipeline, AnEntryOfADeadConsumerTrimmedFromTheStreamBecomesADeadLetter) {
  Harness h("", false);
  reclaim_quickly(h);
  auto lost = h.publish(event_json("evt-trimmed"));
  h.publish(event_json("evt-kept"));
  read_by_a_consumer_that_dies(h);
  h.redis.command({"XDEL", h.config->redis.stream, lost});  // trimmed before anyone handled it
  std::this_thread::sleep_for(150ms);
  h.start();
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  ASSERT_TRUE(h.wait_for_outcomes(3));
  h.stop();
  auto dead = h.dead_letters();
  ASSERT_EQ(dead.size(), 1u);
  std::map<std::string, std::string> fields(dead[0].begin(), dead[0].end());
  EXPECT_NE(fields.at("reason").find("deleted from the stream"), std::string::npos)
      << fields.at("reason");
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"invalid:-", "sent:email", "sent:sms"}));
  EXPECT_EQ(h.pending(), 0);
}

TEST(Pipeline, ACrashBetweenRecordAndSendIsSentOnceWhenTheLeaseRunsOut) {
  Harness h;
  // What a crash after "begin" and before the gateway answered leaves behind: the notification
  // recorded as sending with a lease that has run out, and the entry still pending.
  h.redis.command(
      {"XGROUP", "CREATE", h.config->redis.stream, h.config->redis.group, "0", "MKSTREAM"});
  auto json = event_json("evt-midsend", "case_update", {{"channels", boost::json::array{"email"}}});
  auto entry = h.publish(json);
  h.redis.command({"XREADGROUP", "GROUP", h.config->redis.group, h.config->redis.consumer, "COUNT",
                   "10", "STREAMS", h.config->redis.stream, ">"});
  auto lease = std::to_string((h.clock.now() - 1s).time_since_epoch().count());
  h.redis.command({"HSET",      h.config->redis.key_prefix + "n:evt-midsend:email",
                   "state",     "sending",
                   "entry",     entry,
                   "event_id",  "evt-midsend",
                   "event",     json,
                   "case",      "GWF012345678",
                   "status",    "case_update",
                   "occ",       "1795420800000",
                   "channel",   "email",
                   "attempt",   "1",
                   "retries",   "0",
                   "first_try", lease,
                   "failed",    "",
                   "why",       "sending"});
  h.redis.command({"HINCRBY", h.config->redis.key_prefix + "schedule:why", "sending", "1"});
  h.redis.command(
      {"ZADD", h.config->redis.key_prefix + "schedule:email", lease, "evt-midsend:email"});
  h.start();
  ASSERT_TRUE(h.http.wait_for_requests(1, 5s));
  ASSERT_TRUE(h.wait_for_outcomes(1));
  std::this_thread::sleep_for(300ms);
  h.stop();
  auto requests = h.http.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("idempotency-key"), "evt-midsend:email");
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"sent:email"}));
  EXPECT_EQ(h.pending(), 0);
}

TEST(Pipeline, RetriesATransientGatewayFailureWithTheSameIdempotencyKey) {
  Harness h;
  std::atomic<int> calls{0};
  h.http.set_handler([&](const HttpTestServer::Request&) {
    HttpTestServer::Response r;
    r.status = ++calls <= 2 ? 503 : 202;
    return r;
  });
  h.start();
  h.publish(event_json("evt-flaky", "case_update", {{"channels", boost::json::array{"email"}}}));
  // Time passes (a second per look): each backoff (50-200 ms here) runs out.
  for (int i = 0; i < 250 && !h.wait_for_outcomes(1, 20ms); ++i) h.clock.advance(1s);
  ASSERT_TRUE(h.wait_for_outcomes(1));
  h.stop();
  auto requests = h.http.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) EXPECT_EQ(r.headers.at("idempotency-key"), "evt-flaky:email");
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"sent:email"}));
  EXPECT_EQ(h.outcomes()[0].at("attempt"), 1) << "a gateway hiccup is not a contact attempt";
}

TEST(Pipeline, ARetryAfterOfZeroDoesNotCutTheBackoffShort) {
  // A provider answering "Retry-After: 0" (or a date behind herald's clock) to every request:
  // taken as the whole wait, it made a retry each poll for ever. It is the least wait.
  Harness h;
  std::atomic<int> calls{0};
  h.http.set_handler([&](const HttpTestServer::Request&) {
    HttpTestServer::Response r;
    r.status = ++calls <= 1 ? 503 : 202;
    r.headers["Retry-After"] = "0";
    return r;
  });
  h.start();
  h.publish(event_json("evt-eager", "case_update", {{"channels", boost::json::array{"email"}}}));
  // The failure recorded: deferred for its retry.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (h.redis.command({"HGET", "{herald}:n:evt-eager:email", "state"}).str != "deferred" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(calls.load(), 1);
  // 5 ms on: still within the backoff (25-50 ms, retry.initial_ms 50 with its jitter).
  h.clock.advance(5ms);
  std::this_thread::sleep_for(500ms);  // a few polls of the schedule
  EXPECT_EQ(calls.load(), 1) << "retried before the backoff ran out";
  h.clock.advance(1s);
  ASSERT_TRUE(h.wait_for_outcomes(1));
  h.stop();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"sent:email"}));
}

TEST(Pipeline, ANotificationDeferredForDaysIsNotGivenUpOnAtItsFirstGatewayFailure) {
  // Away for five days: the first send is then, and the gateway's first answer is a 503. That is
  // the first failure of a run, not the fifth day of one: retried, not given up on.
  Harness h;
  std::atomic<int> calls{0};
  h.http.set_handler([&](const HttpTestServer::Request&) {
    HttpTestServer::Response r;
    r.status = ++calls == 1 ? 503 : 202;
    return r;
  });
  h.start();
  h.publish(event_json(
      "evt-back-from-leave", "case_update",
      {{"channels", boost::json::array{"email"}},
       {"unavailable", boost::json::array{boost::json::object{{"from", "2026-11-20T00:00:00Z"},
                                                              {"to", "2026-11-28T10:00:00Z"}}}}}));
  ASSERT_TRUE(h.wait_for_outcomes(1));  // deferred
  h.clock.set(london(10, 0, 28));
  for (int i = 0; i < 250 && !h.wait_for_outcomes(2, 20ms); ++i) h.clock.advance(1s);
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.stop();
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"deferred:email", "sent:email"}));
  EXPECT_EQ(h.http.requests().size(), 2u);
}

TEST(Pipeline, AGatewayFailingForMaxDaysIsGivenUpOnCountedFromItsFirstFailure) {
  Harness h;
  h.http.set_handler([](const HttpTestServer::Request&) {
    HttpTestServer::Response r;
    r.status = 503;
    return r;
  });
  h.start();
  h.publish(event_json("evt-down", "case_update", {{"channels", boost::json::array{"email"}}}));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  // Time passes an hour per look: retried inside the window each day, never given up on before
  // three days (contact.max_days) of failures.
  for (int i = 0; i < 24 * 5 && !h.wait_for_outcomes(1, 20ms); ++i) h.clock.advance(1h);
  ASSERT_TRUE(h.wait_for_outcomes(1));
  h.stop();
  auto outcomes = h.outcomes();
  ASSERT_EQ(results(outcomes), (std::vector<std::string>{"failed:email"}));
  // The last failure may be the breaker's (its cool-down runs on the real clock, not the test's).
  EXPECT_EQ(std::string(outcomes[0].at("reason").as_string())
                .rfind("gateway kept failing for 3 days: ", 0),
            0u)
      << outcomes[0].at("reason");
  EXPECT_GT(std::string(outcomes[0].at("at").as_string()), "2026-11-26T12:00:00Z");
  EXPECT_GT(h.http.requests().size(), 3u);
  EXPECT_EQ(h.scheduled(), 0);
}

TEST(Pipeline, AnSmsGivenUpOnAfterDaysOfGatewayFailuresFallsBackToEmail) {
  // The SMS provider is down for days (its own gateway and breaker); the recipient chose SMS
  // only but has an email address, and the rule sends email. A text cannot reach them: once the
  // SMS is given up on, the message goes by email, recorded with the SMS's end.
  Harness h("", false, "", 3000ms,
            "{ type: webhook, name: sms-provider, url: \"@HTTP@/sms\", timeout_ms: 2000 }");
  h.http.set_handler([](const HttpTestServer::Request& request) {
    HttpTestServer::Response r;
    r.status = request.target == "/sms" ? 503 : 202;
    return r;
  });
  h.start();
  h.publish(event_json("evt-sms-down", "case_update", {{"channels", boost::json::array{"sms"}}}));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  for (int i = 0; i < 24 * 5 && !h.wait_for_outcomes(2, 20ms); ++i) h.clock.advance(1h);
  ASSERT_TRUE(h.wait_for_outcomes(2));
  std::this_thread::sleep_for(200ms);
  h.stop();
  auto outcomes = h.outcomes();
  ASSERT_EQ(results(outcomes), (std::vector<std::string>{"failed:sms", "sent:email"}));
  EXPECT_EQ(std::string(outcomes[0].at("reason").as_string())
                .rfind("gateway kept failing for 3 days: ", 0),
            0u)
      << outcomes[0].at("reason");
  std::size_t emails = 0;
  for (const auto& r : h.http.requests()) emails += r.target == "/email";
  EXPECT_EQ(emails, 1u);
  EXPECT_EQ(h.http.requests().back().target, "/email");
  EXPECT_EQ(h.scheduled(), 0);
}

TEST(Pipeline, APermanentRefusalIsRejectedAndNeverRetried) {
  Harness h;
  h.http.set_handler([](const HttpTestServer::Request&) {
    HttpTestServer::Response r;
    r.status = 400;
    r.body = R"({"error":"bad_recipient"})";
    return r;
  });
  h.start();
  // SMS only, and no email address: nothing to fall back to.
  h.publish(event_json("evt-refused", "case_update",
                       {{"channels", boost::json::array{"sms"}}, {"email", nullptr}}));
  ASSERT_TRUE(h.wait_for_outcomes(1));
  std::this_thread::sleep_for(300ms);
  h.stop();
  EXPECT_EQ(h.http.requests().size(), 1u);
  ASSERT_EQ(h.outcomes().size(), 1u);
  auto o = h.outcomes().at(0);
  EXPECT_EQ(o.at("result"), "rejected");
  EXPECT_NE(std::string(o.at("reason").as_string()).find("400"), std::string::npos);
  EXPECT_EQ(h.scheduled(), 0);
}

// The SMS gateway refuses every message for good; email is accepted.
void refuse_sms(Harness& h) {
  h.http.set_handler([](const HttpTestServer::Request& request) {
    HttpTestServer::Response r;
    r.status = request.target == "/sms" ? 400 : 202;
    return r;
  });
}

// Stops `h` once the refused SMS and the email it fell back to are recorded and sent, and checks
// that they were, once each.
void expect_refused_sms_then_email(Harness& h) {
  ASSERT_TRUE(h.wait_for_outcomes(2));
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  std::this_thread::sleep_for(200ms);
  h.stop();
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"rejected:sms", "sent:email"}));
  std::vector<std::string> targets;
  for (const auto& r : h.http.requests()) targets.push_back(r.target);
  EXPECT_EQ(targets, (std::vector<std::string>{"/sms", "/email"}));
}

TEST(Pipeline, ARefusedSmsFallsBackToEmail) {
  Harness h;
  refuse_sms(h);
  h.start();
  // The recipient chose SMS only, but has an email address and the rule sends email.
  h.publish(event_json("evt-fallback", "case_update", {{"channels", boost::json::array{"sms"}}}));
  expect_refused_sms_then_email(h);
}

// The email is sent under an email sending slot, at the email gateway's pace, not by the refused
// SMS's send in its SMS slot: a slow email gateway paced the texts that fell back to it.
TEST(Pipeline, FallbackEmailsWaitForTheEmailGatewayNotInTheSmsSlots) {
  Harness h("limits:\n  max_in_flight: 2\n", false, ", name: mail, rate_per_second: 1, burst: 1",
            std::chrono::milliseconds(3000),
            "{ type: webhook, name: texts, url: \"@HTTP@/sms\", timeout_ms: 2000 }");
  refuse_sms(h);
  h.start();
  constexpr int kEvents = 6;
  for (int i = 0; i < kEvents; ++i)
    h.publish(in_case(event_json("evt-fb-slow-" + std::to_string(i), "case_update",
                                 {{"channels", boost::json::array{"sms"}}}),
                      "CASE-FB-SLOW-" + std::to_string(i)));
  ASSERT_TRUE(h.wait_for_outcomes(2 * kEvents, 20s));
  h.stop();
  std::size_t texts = 0, emails = 0;
  for (const auto& r : h.http.requests()) {
    if (r.target == "/email" && ++emails == 4) break;
    if (r.target == "/sms") ++texts;
  }
  EXPECT_EQ(texts, static_cast<std::size_t>(kEvents))
      << "every text was tried before the fourth email (the emails go one a second)";
  EXPECT_EQ(h.http.requests().size(), 2u * kEvents);
}

// The email an SMS falls back to may need a value the SMS did not (here data.office): it cannot
// be rendered for the event. It left nothing but a log line: the case system could not tell it
// from "SMS rejected, email sent". It is now an invalid outcome and a dead letter.
TEST(Pipeline, AFallbackEmailThatCannotBeRenderedIsDeadLetteredWithAnOutcome) {
  Harness h;
  refuse_sms(h);
  h.start();
  auto event = boost::json::parse(event_json("evt-fb-bad", "office_visit",
                                             {{"channels", boost::json::array{"sms"}}}))
                   .as_object();
  event["data"].as_object().erase("office");
  h.publish(boost::json::serialize(event));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  std::this_thread::sleep_for(300ms);
  h.stop();
  auto outcomes = h.outcomes();
  ASSERT_EQ(results(outcomes), (std::vector<std::string>{"invalid:email", "rejected:sms"}));
  EXPECT_NE(std::string(outcomes.at(1).at("reason").as_string()).find("data.office"),
            std::string::npos)
      << outcomes.at(1).at("reason") << " (in stream order, the email's comes second)";
  const auto dead = h.redis.command({"XRANGE", h.config->redis.dead_stream, "-", "+"});
  ASSERT_EQ(dead.elements.size(), 1u);
  const auto& fields = dead.elements[0].elements.at(1).elements;
  bool named = false;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
    named =
        named || (fields[i].str == "notification_id" && fields[i + 1].str == "evt-fb-bad:email");
  EXPECT_TRUE(named);
  EXPECT_EQ(h.http.requests().size(), 1u) << "the SMS only";
}

// `herald dead replay ID`, as the command does it.
ReplayStatus replay_dead_letter(Harness& h, const std::string& id) {
  boost::asio::io_context io;
  RedisClient client(io.get_executor(), h.redis.endpoint());
  DeadLetters dead(client, h.config->redis);
  std::optional<boost::system::result<ReplayResult>> out;
  boost::asio::co_spawn(io, dead.replay(id),
                        [&](std::exception_ptr, boost::system::result<ReplayResult> r) {
                          out = std::move(r);
                          io.stop();
                        });
  io.run();
  if (!out || !*out) throw std::runtime_error("replay failed");
  return (*out)->status;
}

// The fallback email that could not be rendered (above) is not lost: once the cause is fixed,
// replaying its dead letter sends it, although the recipient chose text only, and nothing else
// of the event again. Before, the replayed event made only the channels the recipient chose: the
// SMS, a duplicate; the email was never sent.
TEST(Pipeline, AFallbackEmailDeadLetteredIsSentWhenItsLetterIsReplayedAfterTheFix) {
  Harness h;
  refuse_sms(h);
  h.start();
  auto event = boost::json::parse(event_json("evt-fb-fix", "office_visit",
                                             {{"channels", boost::json::array{"sms"}}}))
                   .as_object();
  event["data"].as_object().erase("office");
  h.publish(boost::json::serialize(event));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.stop();
  ASSERT_EQ(results(h.outcomes()), (std::vector<std::string>{"invalid:email", "rejected:sms"}));

  // The fix: office visits take a template that does not need the office; herald restarted.
  auto fixed = std::make_shared<Config>(*h.config);
  for (auto& rule : fixed->rules)
    if (rule.status == "office_visit") rule.template_name = "case_update";
  h.config = fixed;
  h.start();
  const auto dead = h.redis.command({"XRANGE", h.config->redis.dead_stream, "-", "+"});
  ASSERT_EQ(dead.elements.size(), 1u);
  ASSERT_EQ(replay_dead_letter(h, dead.elements[0].elements.at(0).str), ReplayStatus::replayed);
  ASSERT_TRUE(h.wait_for_outcomes(3));
  ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
  std::this_thread::sleep_for(300ms);
  h.stop();
  EXPECT_EQ(results(h.outcomes()),
            (std::vector<std::string>{"invalid:email", "rejected:sms", "sent:email"}));
  ASSERT_EQ(h.http.requests().size(), 2u);
  EXPECT_EQ(h.http.requests()[1].target, "/email");
  EXPECT_EQ(h.redis.command({"XLEN", h.config->redis.dead_stream}).integer, 0);
  EXPECT_EQ(h.scheduled(), 0);
  EXPECT_EQ(h.pending(), 0);
}

// An entry naming a notification (as a replay writes it) makes an email the recipient did not
// choose only as the fallback of their text: not for a text that went out, nor for one herald
// never had. One that names a notification of another event is invalid.
TEST(Pipeline, AReplayedFallbackEmailGoesOnlyWhereTheTextCouldNotReachTheRecipient) {
  Harness h;
  h.start();
  const boost::json::object sms_only{{"channels", boost::json::array{"sms"}}};
  h.publish(in_case(event_json("evt-texted", "case_update", sms_only), "CASE-TEXTED"));
  ASSERT_TRUE(h.wait_for_outcomes(1));
  const std::string stream = h.config->redis.stream;
  h.redis.command({"XADD", stream, "*", "event",
                   in_case(event_json("evt-texted", "case_update", sms_only), "CASE-TEXTED"),
                   "notification_id", "evt-texted:email"});
  h.redis.command({"XADD", stream, "*", "event",
                   in_case(event_json("evt-never", "case_update", sms_only), "CASE-NEVER"),
                   "notification_id", "evt-never:email"});
  h.redis.command({"XADD", stream, "*", "event",
                   in_case(event_json("evt-other", "case_update", sms_only), "CASE-OTHER"),
                   "notification_id", "evt-texted:email"});
  ASSERT_TRUE(h.wait_for_outcomes(4));
  std::this_thread::sleep_for(300ms);
  h.stop();
  EXPECT_EQ(
      results(h.outcomes()),
      (std::vector<std::string>{"invalid:-", "sent:sms", "suppressed:email", "suppressed:email"}));
  for (const auto& o : h.outcomes()) {
    const std::string reason =
        o.at("reason").is_null() ? "" : std::string(o.at("reason").as_string());
    if (o.at("result") == "suppressed") {
      EXPECT_NE(reason.find("its text was not refused"), std::string::npos) << o;
    } else if (o.at("result") == "invalid") {
      EXPECT_NE(reason.find("not a notification of its event"), std::string::npos) << o;
    }
  }
  ASSERT_EQ(h.http.requests().size(), 1u);
  EXPECT_EQ(h.http.requests()[0].target, "/sms");
  EXPECT_EQ(h.pending(), 0);
}

TEST(Pipeline, TheFallbackEmailIsRecordedWithTheRefusalOrNeither) {
  // Recording a refused SMS and creating the email it falls back to are one step: when the
  // email's record cannot be written (a value of the wrong type in its place stands in for a
  // failing write), the refusal is not recorded either, so nothing is lost; once Redis can write
  // it, within the lease, both are. (A long lease: the record is retried for as long as it
  // lasts, in real time, while the test's clock stands still.)
  Harness h("", false, "", 30s);
  refuse_sms(h);
  h.start();
  const std::string email_key = h.config->redis.key_prefix + "n:evt-fb-atomic:email";
  h.redis.command({"SET", email_key, "in the way"});
  h.publish(event_json("evt-fb-atomic", "case_update", {{"channels", boost::json::array{"sms"}}}));
  ASSERT_TRUE(h.http.wait_for_requests(1, 5s));
  std::this_thread::sleep_for(300ms);
  const std::string sms_key = h.config->redis.key_prefix + "n:evt-fb-atomic:sms";
  EXPECT_EQ(h.redis.command({"HGET", sms_key, "state"}).str, "sending")
      << "the refusal is not recorded without its fallback";
  EXPECT_TRUE(h.outcomes().empty());
  h.redis.command({"DEL", email_key});
  expect_refused_sms_then_email(h);
}

TEST(Pipeline, ASendIsRecordedOnceRedisIsBackEvenAfterSecondsAwayAndNotSentAgain) {
  // The gateway answers while Redis is away (a restart loading its data, a failover) for longer
  // than a blink: the outcome waits for Redis, within the lease, rather than being left to the
  // lease, which would send the message a second time.
  Harness h("", /*redis_aof=*/true, "", /*lease=*/30s);
  h.http.set_handler([](const HttpTestServer::Request&) {
    HttpTestServer::Response r;
    r.status = 202;
    r.delay = 500ms;
    return r;
  });
  h.start();
  h.publish(event_json("evt-away", "case_update", {{"channels", boost::json::array{"email"}}}));
  ASSERT_TRUE(h.http.wait_for_requests(1, 10s));
  h.redis.stop();
  std::this_thread::sleep_for(6s);
  h.redis.start();
  ASSERT_TRUE(h.wait_for_outcomes(1, 20s));
  // Past the lease (30 s): a notification left 'sending' would now be claimed and sent again.
  h.clock.advance(2min);
  std::this_thread::sleep_for(1500ms);
  h.stop();
  EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"sent:email"}));
  EXPECT_EQ(h.http.requests().size(), 1u);
  EXPECT_EQ(h.scheduled(), 0);
}

TEST(Pipeline, ASendRecordedLateByAStalledRedisIsNotReportedAsALostLease) {
  // Redis stalls (SIGSTOP: the kernel still takes the bytes) as herald records a send: the call
  // passes its deadline, herald asks again on a new connection, and Redis, woken, runs both. The
  // second finds the send recorded by the first: that is not "lease lost", a warning that another
  // sender has the notification and may send it too.
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  {
    Harness h("", /*redis_aof=*/false, "", /*lease=*/30s);
    std::atomic<int> requests = 0;
    h.http.set_handler([&](const HttpTestServer::Request&) {
      // The second send: the first has had its outcome recorded, as in any herald that has
      // been running a while (the script is loaded; the stalled call is the one to record it).
      if (++requests == 2) h.redis.pause();  // before herald has the answer
      HttpTestServer::Response r;
      r.status = 202;
      return r;
    });
    h.start();
    const boost::json::object email{{"channels", boost::json::array{"email"}}};
    h.publish(in_case(event_json("evt-first", "case_update", email), "GWF000000001"));
    ASSERT_TRUE(h.wait_for_outcomes(1));
    h.publish(in_case(event_json("evt-stall", "case_update", email), "GWF000000002"));
    ASSERT_TRUE(h.http.wait_for_requests(2, 10s));
    std::this_thread::sleep_for(5s);  // past redis.command_timeout_ms (2 s): asked again
    h.redis.resume();
    ASSERT_TRUE(h.wait_for_outcomes(2, 20s));
    std::this_thread::sleep_for(1s);  // the calls still waiting are answered
    h.stop();
    EXPECT_EQ(results(h.outcomes()), (std::vector<std::string>{"sent:email", "sent:email"}));
    EXPECT_EQ(h.http.requests().size(), 2u);
    EXPECT_EQ(h.scheduled(), 0);
  }
  configure_logging({}, "info");
  const auto text = log.str();
  EXPECT_EQ(count_of(text, "lease lost"), 0u) << text;
  EXPECT_EQ(count_of(text, "msg=sent"), 2u) << text;
}

TEST(Pipeline, SurvivesARedisRestartWithoutLosingEvents) {
  Harness h("", /*redis_aof=*/true);
  h.start();
  h.publish(event_json("evt-before"));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.redis.stop();
  std::this_thread::sleep_for(500ms);
  h.redis.start();
  h.publish(event_json("evt-after"));
  ASSERT_TRUE(h.wait_for_outcomes(4, 20s));
  ASSERT_TRUE(h.http.wait_for_requests(4, 5s));
  h.stop();
  std::set<std::string> ids;
  for (const auto& r : h.http.requests())
    ids.insert(std::string(boost::json::parse(r.body).as_object().at("id").as_string()));
  EXPECT_EQ(ids, (std::set<std::string>{"evt-before:email", "evt-before:sms", "evt-after:email",
                                        "evt-after:sms"}));
  EXPECT_EQ(h.pending(), 0);
}

TEST(Pipeline, LogsOnceThatItCannotClaimDueNotificationsWithRedisWordsAndOnceWhenItCanAgain) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "info");
  {
    Harness h;
    h.clock.set(london(21, 30));
    h.start();
    h.publish(event_json("evt-due"));
    ASSERT_TRUE(h.wait_for_outcomes(2));                   // both deferred to 09:00
    h.redis.command({"CONFIG", "SET", "maxmemory", "1"});  // Redis refuses every write: OOM
    h.clock.set(london(9, 0, 24));
    std::this_thread::sleep_for(1s);  // some twenty claims refused (poll_interval_ms: 50)
    EXPECT_TRUE(h.http.requests().empty());
    h.redis.command({"CONFIG", "SET", "maxmemory", "0"});
    ASSERT_TRUE(h.http.wait_for_requests(2, 5s));
    ASSERT_TRUE(h.wait_for_outcomes(4));
    h.stop();
  }
  configure_logging({}, "info");
  const auto text = log.str();
  EXPECT_EQ(count_of(text, "cannot claim due notifications"), 1u) << text;
  EXPECT_NE(text.find("OOM command not allowed"), std::string::npos) << text;
  EXPECT_EQ(count_of(text, "claiming due notifications again"), 1u) << text;
}

TEST(Pipeline, ServesMetricsAndHealth) {
  Harness h("metrics:\n  listen: 127.0.0.1:0\n");
  h.start();
  h.publish(event_json("evt-metrics"));
  h.publish("{broken");
  ASSERT_TRUE(h.wait_for_outcomes(3));
  const unsigned short port = metrics_port(h);
  ASSERT_NE(port, 0);
  auto [status, text] = http_get(port, "/metrics");
  EXPECT_EQ(status, 200);
  for (const char* line :
       {"herald_events_total{result=\"accepted\"} 1", "herald_events_total{result=\"invalid\"} 1",
        "herald_notifications_total{channel=\"email\",result=\"sent\"} 1",
        "herald_gateway_requests_total{code=\"202\",gateway=\"webhook\"} 2",
        "herald_dead_letters_total 1", "# TYPE herald_gateway_request_duration_seconds histogram",
        "herald_scheduled", "herald_redis_reconnects_total 0"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
  EXPECT_EQ(http_get(port, "/healthz").first, 200);
  EXPECT_EQ(http_get(port, "/nope").first, 404);
  h.redis.stop();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(http_get(port, "/healthz").first, 503) << "Redis is down";
  h.redis.start();
  h.stop();
}

// An entry read again (here: the group's last-delivered id set back, as after a restore) finds
// its notifications recorded: nothing is sent again, and the event is not counted again.
TEST(Pipeline, AnEntryReadAgainIsNeitherSentNorCountedAgain) {
  Harness h("metrics:\n  listen: 127.0.0.1:0\n");
  h.start();
  h.publish(event_json("evt-once"));
  ASSERT_TRUE(h.wait_for_outcomes(2));
  h.redis.command({"XGROUP", "SETID", h.config->redis.stream, h.config->redis.group, "0"});
  h.publish(in_case(event_json("evt-after"), "GWF000000002"));
  ASSERT_TRUE(h.wait_for_outcomes(4));
  const unsigned short port = metrics_port(h);
  ASSERT_NE(port, 0);
  const std::string text = http_get(port, "/metrics").second;
  EXPECT_NE(text.find("herald_events_total{result=\"accepted\"} 2\n"), std::string::npos) << text;
  EXPECT_EQ(h.http.requests().size(), 4u) << "two events, two channels each, once";
  h.stop();
  EXPECT_EQ(h.pending(), 0);
}

TEST(Pipeline, KeepsPersonalDataOutOfTheLogs) {
  std::ostringstream log;
  configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(log)}, "debug");
  {
    Harness h;
    refuse_sms(h);
    h.start();
    h.publish(event_json("evt-private", "case_update",
                         {{"name", "Siobhan Featherstonehaugh"},
                          {"email", "siobhan.f@example.org"},
                          {"phone", "+447700900987"}}));
    h.publish(event_json("evt-private-bad", "case_update",
                         {{"name", "Siobhan Featherstonehaugh"}, {"email", "siobhan.f@example"}}));
    h.clock.set(london(22, 0));
    h.publish(in_case(
        event_json("evt-private-late", "case_update", {{"name", "Siobhan Featherstonehaugh"}}),
        "GWF087654321"));
    ASSERT_TRUE(h.wait_for_outcomes(5));
    h.stop();
  }
  configure_logging({}, "info");
  auto text = log.str();
  EXPECT_NE(text.find("evt-private"), std::string::npos) << "the log has the event ids";
  for (const char* secret : {"Siobhan", "Featherstonehaugh", "FEATHERSTONEHAUGH", "siobhan.f@",
                             "example.org", "7700900987", "07700 900123", "+447700900123",
                             "GWF012345678", "GWF087654321", "Your application", "Dear"})
    EXPECT_EQ(text.find(secret), std::string::npos) << "'" << secret << "' leaked into:\n" << text;
}

}  // namespace
}  // namespace herald::test
