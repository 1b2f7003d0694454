// The store's scripts against a real redis-server: what each decision does to records, the
// schedule, cases, outcomes and acknowledgements, including the races they exist to settle.
#include "herald/store/notification_store.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "support/redis/redis_server.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

Instant at(std::int64_t ms) {
  return Instant{std::chrono::milliseconds{ms}};
}
constexpr std::int64_t kNow = 1795435200000;  // 2026-11-23T12:00:00Z

class StoreTest : public ::testing::Test {
 protected:
  StoreTest()
      : client_(io_.get_executor(), redis_.endpoint()),
        store_(client_, redis_config(), RetentionConfig{}) {
    redis_.command({"XGROUP", "CREATE", "herald:events", "herald", "0", "MKSTREAM"});
  }

  static RedisConfig redis_config() {
    RedisConfig c;
    c.consumer = "test";
    return c;
  }

  // Runs one store operation to completion on the test's io_context.
  // (The connection keeps a read armed, so the loop never runs out of work by itself.)
  template <class T>
  T run(boost::asio::awaitable<T> op) {
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, T value) {
      error = e;
      out.emplace(std::move(value));
      io_.stop();
    });
    io_.restart();
    io_.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
  }

  // An entry read by the consumer group (pending until acknowledged).
  std::string read_entry(const std::string& event_id) {
    auto id =
        redis_.command({"XADD", "herald:events", "*", "event", "{\"id\":\"" + event_id + "\"}"})
            .str;
    redis_.command(
        {"XREADGROUP", "GROUP", "herald", "test", "COUNT", "100", "STREAMS", "herald:events", ">"});
    return id;
  }

  NewEvent event(const std::string& id, const std::string& entry, std::int64_t occurred_ms,
                 bool send_now, bool final = false, std::string case_ref = "CASE1") {
    NewEvent e{entry,           id,    std::move(case_ref),       final ? "closed" : "update",
               at(occurred_ms), final, R"({"id":")" + id + "\"}", {}};
    NewNotification n{id + ":email",
                      Channel::email,
                      send_now,
                      send_now ? at(kNow + 60000) : at(kNow + 3600000),
                      send_now ? "sending" : "window",
                      std::nullopt};
    if (!send_now)
      n.outcome = Outcome{id,
                          e.case_ref,
                          e.status,
                          Channel::email,
                          OutcomeResult::deferred,
                          1,
                          at(kNow + 3600000),
                          "outside window",
                          {}};
    e.notifications.push_back(std::move(n));
    return e;
  }

  // The event's SMS, sent at once.
  NewEvent sms_event(const std::string& id, const std::string& entry, std::int64_t occurred_ms,
                     std::string case_ref = "CASE1") {
    NewEvent e = event(id, entry, occurred_ms, true, false, std::move(case_ref));
    e.notifications[0].id = id + ":sms";
    e.notifications[0].channel = Channel::sms;
    return e;
  }

  AcceptResult accept_one(NewEvent e) {
    std::vector<NewEvent> batch{std::move(e)};
    auto r = run(store_.accept(std::move(batch), at(kNow)));
    EXPECT_TRUE(r) << r.error().message();
    return (*r)[0][0];
  }

  std::vector<boost::json::object> outcomes() {
    std::vector<boost::json::object> out;
    for (const auto& e : redis_.command({"XRANGE", "herald:outcomes", "-", "+"}).elements)
      out.push_back(boost::json::parse(e.elements[1].elements[1].str).as_object());
    return out;
  }

  std::string state(const std::string& nid) {
    return redis_.command({"HGET", "{herald}:n:" + nid, "state"}).str;
  }
  long long zcard() {
    return redis_.command({"ZCARD", "{herald}:schedule:email"}).integer +
           redis_.command({"ZCARD", "{herald}:schedule:sms"}).integer;
  }
  long long pending() {
    auto r = redis_.command({"XPENDING", "herald:events", "herald"});
    return r.elements.empty() ? 0 : r.elements[0].integer;
  }
  // The per-reason counts add up to the schedule's size: no drift.
  void expect_reasons_add_up() {
    long long sum = 0;
    auto kv = redis_.command({"HGETALL", "{herald}:schedule:why"}).elements;
    for (std::size_t i = 1; i < kv.size(); i += 2) sum += std::stoll(kv[i].str);
    EXPECT_EQ(sum, zcard());
  }

  RedisServer redis_;
  boost::asio::io_context io_;
  RedisClient client_;
  NotificationStore store_;
};

TEST_F(StoreTest, AcceptRecordsTheNotificationSchedulesItAndAcknowledgesTheEntry) {
  auto entry = read_entry("e1");
  ASSERT_EQ(pending(), 1);
  EXPECT_EQ(accept_one(event("e1", entry, kNow - 1000, /*send_now=*/false)), AcceptResult::created);
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(state("e1:email"), "deferred");
  EXPECT_EQ(zcard(), 1);
  ASSERT_EQ(outcomes().size(), 1u);
  EXPECT_EQ(outcomes()[0].at("result"), "deferred");
  // The case's timeline has it too, and every key carries the deployment's hash tag.
  EXPECT_EQ(redis_.command({"LLEN", "{herald}:case:CASE1:log"}).integer, 1);
  for (const auto& key : redis_.command({"KEYS", "*"}).elements) {
    if (!key.str.starts_with("herald:")) {  // the streams, named in the config
      EXPECT_TRUE(key.str.starts_with("{herald}:")) << key.str;
    }
  }
  expect_reasons_add_up();
}

TEST_F(StoreTest, ARedeliveredEntryChangesNothingAndARepublishedIdIsSuppressed) {
  auto entry = read_entry("e1");
  accept_one(event("e1", entry, kNow - 1000, false));
  EXPECT_EQ(accept_one(event("e1", entry, kNow - 1000, false)), AcceptResult::redelivered);
  EXPECT_EQ(outcomes().size(), 1u) << "a redelivery publishes nothing";
  auto again = read_entry("e1");
  EXPECT_EQ(accept_one(event("e1", again, kNow - 1000, false)), AcceptResult::duplicate);
  ASSERT_EQ(outcomes().size(), 2u);
  EXPECT_EQ(outcomes()[1].at("result"), "suppressed");
  EXPECT_NE(std::string(outcomes()[1].at("reason").as_string()).find("duplicate"),
            std::string::npos);
  EXPECT_EQ(zcard(), 1);
}

TEST_F(StoreTest, ANewerStatusSupersedesWhatWaitsAndAnOlderOneArrivingLateIsStale) {
  auto first = read_entry("e1");
  accept_one(event("e1", first, kNow - 5000, false));
  auto second = read_entry("e2");
  EXPECT_EQ(accept_one(event("e2", second, kNow - 1000, false)), AcceptResult::created);
  EXPECT_EQ(state("e1:email"), "suppressed") << "the newer status cancels the waiting one";
  EXPECT_EQ(redis_.command({"HEXISTS", "{herald}:n:e1:email", "event"}).integer, 0)
      << "no personal data kept for a finished notification";
  // An event that happened before e2, arriving after it: stale, never sent.
  auto late = read_entry("e0");
  EXPECT_EQ(accept_one(event("e0", late, kNow - 9000, false)), AcceptResult::stale);
  auto out = outcomes();
  ASSERT_EQ(out.size(), 4u);  // deferred e1, suppressed e1, deferred e2, suppressed e0
  EXPECT_EQ(out[1].at("event_id"), "e1");
  EXPECT_NE(std::string(out[1].at("reason").as_string()).find("superseded"), std::string::npos);
  EXPECT_EQ(out[3].at("event_id"), "e0");
  EXPECT_EQ(zcard(), 1);
  expect_reasons_add_up();
}

TEST_F(StoreTest, ANewerStatusInTheSameBatchCancelsWhatWasAboutToBeSent) {
  // e1 and its successors e2 (newer) and e3 (newer still, final) arrive in one read, inside the
  // window: neither e1 nor e2 may go out, though each was "sending" when recorded.
  std::vector<NewEvent> batch;
  batch.push_back(event("e1", read_entry("e1"), kNow - 5000, true));
  batch.push_back(event("e2", read_entry("e2"), kNow - 3000, true));
  batch.push_back(event("e3", read_entry("e3"), kNow - 1000, true, true));
  // And one of another case, untouched by them.
  batch.push_back(event("o1", read_entry("o1"), kNow - 9000, true, false, "CASE2"));
  auto r = run(store_.accept(std::move(batch), at(kNow)));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)[0][0], AcceptResult::stale);
  EXPECT_EQ((*r)[1][0], AcceptResult::final_case);
  EXPECT_EQ((*r)[2][0], AcceptResult::created);
  EXPECT_EQ((*r)[3][0], AcceptResult::created);
  EXPECT_EQ(state("e1:email"), "suppressed");
  EXPECT_EQ(state("e2:email"), "suppressed");
  EXPECT_EQ(state("e3:email"), "sending");
  EXPECT_EQ(state("o1:email"), "sending");
  auto out = outcomes();
  ASSERT_EQ(out.size(), 2u);  // e1 and e2 suppressed (once each: by e2 and by e3)
  EXPECT_EQ(out[0].at("event_id"), "e1");
  EXPECT_EQ(out[0].at("reason"), "superseded by a newer status (update)");
  EXPECT_EQ(out[1].at("event_id"), "e2");
  EXPECT_EQ(out[1].at("reason"), "case reached a final status (closed)");
  EXPECT_EQ(zcard(), 2);  // the leases of e3 and o1
  EXPECT_EQ(pending(), 0);
  expect_reasons_add_up();
}

TEST_F(StoreTest, TheLargestBatchTheConfigAllowsIsAcceptedAndAcknowledged) {
  // redis.batch_size may be 10,000; Lua's unpack() alone cannot take that many entry ids.
  auto pipe_add = [&](int n) {
    for (int i = 0; i < n; ++i) redis_.command({"XADD", "herald:events", "*", "event", "{}"});
    return redis_
        .command({"XREADGROUP", "GROUP", "herald", "test", "COUNT", std::to_string(n), "STREAMS",
                  "herald:events", ">"})
        .elements.at(0)
        .elements.at(1)
        .elements;
  };
  auto entries = pipe_add(10000);
  ASSERT_EQ(entries.size(), 10000u);
  std::vector<NewEvent> batch;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string id = "big" + std::to_string(i);
    batch.push_back(
        event(id, entries[i].elements.at(0).str, kNow - 1000, true, false, "CASE-" + id));
  }
  auto r = run(store_.accept(std::move(batch), at(kNow)));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 10000u);
  EXPECT_EQ((*r)[9999][0], AcceptResult::created);
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(zcard(), 10000);
}

TEST_F(StoreTest, AFinalStatusCancelsWhatWaitsAndNothingMoreIsSentForTheCase) {
  accept_one(event("e1", read_entry("e1"), kNow - 5000, false));
  accept_one(event("e2", read_entry("e2"), kNow - 1000, /*send_now=*/true, /*final=*/true));
  EXPECT_EQ(state("e1:email"), "suppressed");
  EXPECT_EQ(state("e2:email"), "sending") << "the final status's own message goes out";
  // Anything later for the case, even newer, is suppressed; other cases are not affected.
  EXPECT_EQ(accept_one(event("e3", read_entry("e3"), kNow, false)), AcceptResult::final_case);
  EXPECT_EQ(accept_one(event("x1", read_entry("x1"), kNow, false, false, "CASE2")),
            AcceptResult::created);
  auto reason = std::string(outcomes()[1].at("reason").as_string());
  EXPECT_EQ(reason, "case reached a final status (closed)");
  expect_reasons_add_up();
}

TEST_F(StoreTest, ACaseOutlivesANotificationDeferredPastTheRetentionPeriod) {
  // Away for 45 days (an unavailable period has no limit), against a retention of 30: had the
  // case expired after 30 days, a final status reached meanwhile would not stop the message.
  constexpr std::int64_t kDay = 24LL * 60 * 60 * 1000;
  const auto ttl = [&](const std::string& key) {
    return redis_.command({"PTTL", "{herald}:case:CASE1" + key}).integer;
  };
  NewEvent away = event("e1", read_entry("e1"), kNow - 1000, /*send_now=*/false);
  away.notifications[0].score = at(kNow + 45 * kDay);
  away.notifications[0].why = "unavailable";
  ASSERT_EQ(accept_one(std::move(away)), AcceptResult::created);
  for (const char* key : {"", ":n", ":log"})
    EXPECT_GE(ttl(key), 75 * kDay - 60000) << "case" << key << ": due + retention";

  // A send that fails and is due again after a long wait keeps them too.
  accept_one(event("e2", read_entry("e2"), kNow, /*send_now=*/true, false, "CASE2"));
  auto moved = run(store_.reschedule("e2:email", at(kNow + 60000), at(kNow + 60 * kDay), "retry", 1,
                                     1, at(kNow), std::nullopt, at(kNow)));
  ASSERT_TRUE(moved && *moved);
  EXPECT_GE(redis_.command({"PTTL", "{herald}:case:CASE2"}).integer, 90 * kDay - 60000);
  EXPECT_GE(redis_.command({"PTTL", "{herald}:case:CASE2:n"}).integer, 90 * kDay - 60000);

  // The final status finds what waits and cancels it; with nothing waiting any more, the case is
  // kept for the retention period again, not for the 75 days of what it cancelled.
  accept_one(event("e3", read_entry("e3"), kNow, /*send_now=*/true, /*final=*/true));
  EXPECT_EQ(state("e1:email"), "suppressed");
  for (const char* key : {"", ":n", ":log"}) {
    EXPECT_LE(ttl(key), 30 * kDay) << "case" << key;
    EXPECT_GT(ttl(key), 29 * kDay) << "case" << key;
  }
  expect_reasons_add_up();
}

TEST_F(StoreTest, TheMomentOfSendingChecksTheCaseAgain) {
  // e1 is being sent when the final status comes in (so it is not cancelled then); its sender
  // dies; when the lease has run out and it is claimed again, the check at the moment of
  // sending suppresses it.
  accept_one(event("e1", read_entry("e1"), kNow - 5000, true));
  accept_one(event("e2", read_entry("e2"), kNow - 1000, false, /*final=*/true));
  EXPECT_EQ(state("e1:email"), "sending");
  const Instant later = at(kNow + 120000);  // past e1's lease (kNow + 60 s)
  auto claimed = run(store_.claim_due(Channel::email, later, later + 60s, 10));
  ASSERT_TRUE(claimed);
  ASSERT_EQ(*claimed, std::vector<std::string>{"e1:email"}) << "e2 is not due yet";
  auto started = run(store_.start_send("e1:email", later + 60s, later + 120s, true, later));
  ASSERT_TRUE(started);
  EXPECT_EQ(started->kind, StartSend::Kind::suppressed);
  EXPECT_EQ(started->reason, "case reached a final status (closed)");
  EXPECT_EQ(state("e1:email"), "suppressed");
  expect_reasons_add_up();
}

TEST_F(StoreTest, EachChannelIsClaimedFromItsOwnSchedule) {
  redis_.command({"ZADD", "{herald}:schedule:sms", std::to_string(kNow - 2000), "t1:sms"});
  redis_.command({"HSET", "{herald}:n:t1:sms", "state", "deferred", "why", "retry"});
  redis_.command({"ZADD", "{herald}:schedule:email", std::to_string(kNow - 1000), "m1:email"});
  redis_.command({"HSET", "{herald}:n:m1:email", "state", "deferred", "why", "retry"});
  redis_.command({"HSET", "{herald}:schedule:why", "retry", "2"});
  auto email = run(store_.claim_due(Channel::email, at(kNow), at(kNow + 60000), 10));
  ASSERT_TRUE(email);
  EXPECT_EQ(*email, std::vector<std::string>{"m1:email"}) << "the earlier text is not an email";
  auto sms = run(store_.claim_due(Channel::sms, at(kNow), at(kNow + 60000), 10));
  ASSERT_TRUE(sms);
  EXPECT_EQ(*sms, std::vector<std::string>{"t1:sms"});
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:sms", "t1:sms"}).str,
            std::to_string(kNow + 60000))
      << "leased in its own schedule";
  expect_reasons_add_up();
}

// herald 0.1 kept both channels in one sorted set at `<prefix>schedule`.
TEST_F(StoreTest, TheSingleScheduleOfAnEarlierVersionSplitsByChannelInChunks) {
  redis_.command({"ZADD", "{herald}:schedule", "100", "a:email", "200", "b:sms", "300",
                  "evt:with:colons:sms", "400", "c:email"});
  redis_.command({"ZADD", "{herald}:schedule:email", "900", "c:email"});  // written since
  auto first = run(store_.split_schedule(3, at(kNow)));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->moved, 3);
  EXPECT_EQ(first->left, 1);
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "a:email"}).str, "100");
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:sms", "b:sms"}).str, "200");
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:sms", "evt:with:colons:sms"}).str, "300");
  auto second = run(store_.split_schedule(3, at(kNow)));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->moved, 1);
  EXPECT_EQ(second->left, 0);
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "c:email"}).str, "900")
      << "the entry the channel's schedule has already is the newer one";
  EXPECT_EQ(redis_.command({"EXISTS", "{herald}:schedule"}).integer, 0);
  auto none = run(store_.split_schedule(3, at(kNow)));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->moved, 0);
  EXPECT_EQ(none->left, 0);
}

// Ids that are none of herald's notifications (not ending with ':email' or ':sms') would have
// named other keys, the reasons hash among them (WRONGTYPE, and the start never finished).
TEST_F(StoreTest, SplittingTheOldScheduleDropsWhatIsNoNotification) {
  redis_.command({"ZADD", "{herald}:schedule", "100", "x-1:fax", "200", "x-2", "300", "x-3:why",
                  "400", "a:email"});
  redis_.command({"HSET", "{herald}:schedule:why", "retry", "1"});
  auto split = run(store_.split_schedule(10, at(kNow)));
  ASSERT_TRUE(split) << split.error().message();
  EXPECT_EQ(split->moved, 1);
  EXPECT_EQ(split->dropped, 3);
  EXPECT_EQ(split->left, 0);
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "a:email"}).str, "400");
  std::set<std::string> keys;
  for (const auto& k : redis_.command({"KEYS", "{herald}:schedule*"}).elements) keys.insert(k.str);
  EXPECT_EQ(keys, (std::set<std::string>{"{herald}:schedule:email", "{herald}:schedule:why"}));
  EXPECT_EQ(redis_.command({"TYPE", "{herald}:schedule:why"}).str, "hash");
}

TEST_F(StoreTest, OnlyTheHolderOfTheCurrentLeaseMayFinish) {
  accept_one(event("e1", read_entry("e1"), kNow, true));
  const Instant first_lease = at(kNow + 60000);
  // The lease runs out; another sender claims it.
  const Instant later = at(kNow + 61000);
  auto claimed = run(store_.claim_due(Channel::email, later, later + 60s, 10));
  ASSERT_EQ(claimed->size(), 1u);
  Outcome sent{"e1", "CASE1", "update", Channel::email, OutcomeResult::sent, 1, later, "", "gw-9"};
  auto stale_finish = run(store_.finish("e1:email", first_lease, NotificationState::sent, sent));
  ASSERT_TRUE(stale_finish);
  EXPECT_FALSE(*stale_finish) << "the first sender lost its lease";
  auto finished = run(store_.finish("e1:email", later + 60s, NotificationState::sent, sent));
  EXPECT_TRUE(*finished);
  EXPECT_EQ(state("e1:email"), "sent");
  EXPECT_EQ(zcard(), 0);
  EXPECT_EQ(redis_.command({"GET", "{herald}:gw:gw-9"}).str, "e1:email 1");
  expect_reasons_add_up();
}

TEST_F(StoreTest, ReleasingLeasesOfUnstartedSendsMakesThemDueNowOnlyWhereTheLeaseIsHeld) {
  accept_one(event("e1", read_entry("e1"), kNow, /*send_now=*/true, false, "CASE1"));
  accept_one(event("e2", read_entry("e2"), kNow, /*send_now=*/true, false, "CASE2"));
  const Instant lease = at(kNow + 60000);
  std::vector<std::pair<std::string, Instant>> leases{{"e1:email", lease},
                                                      {"e2:email", at(kNow + 1)}};
  auto released = run(store_.release(std::move(leases), "retry", at(kNow)));
  ASSERT_TRUE(released);
  EXPECT_EQ(*released, 1u) << "e2's lease is not the one held";
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "e1:email"}).str,
            std::to_string(kNow - 1))
      << "due now: the first of two, a millisecond before the second would be";
  EXPECT_EQ(state("e1:email"), "deferred");
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "e2:email"}).str,
            std::to_string(kNow + 60000));
  EXPECT_EQ(state("e2:email"), "sending");
  EXPECT_TRUE(outcomes().empty()) << "nothing was decided";
  expect_reasons_add_up();
}

TEST_F(StoreTest, ARejectedSmsAndItsFallbackEmailAreRecordedTogether) {
  // An SMS being sent (e1:sms) whose event also asks for an email fallback (e1:email).
  const Instant lease = at(kNow + 60000);
  Outcome refused{"e1",     "CASE1",    "update", Channel::sms, OutcomeResult::rejected, 1,
                  at(kNow), "HTTP 400", ""};
  const auto e1 = read_entry("e1");
  ASSERT_EQ(accept_one(sms_event("e1", e1, kNow, "CASE1")), AcceptResult::created);

  // Not the lease holder: neither is written.
  EXPECT_EQ(*run(store_.end_with_fallback("e1:sms", at(kNow + 1), NotificationState::rejected,
                                          refused, event("e1", e1, kNow, true))),
            std::nullopt);
  EXPECT_EQ(state("e1:email"), "");
  // The holder: the SMS is rejected and the email created, leased to be sent at once.
  EXPECT_EQ(*run(store_.end_with_fallback("e1:sms", lease, NotificationState::rejected, refused,
                                          event("e1", e1, kNow, true))),
            AcceptResult::created);
  EXPECT_EQ(state("e1:sms"), "rejected");
  EXPECT_EQ(state("e1:email"), "sending");
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "e1:email"}).str,
            std::to_string(kNow + 60000));
  expect_reasons_add_up();

  // An SMS whose case moved on while it was being sent: its fallback is suppressed, with an
  // outcome saying why.
  const auto e2 = read_entry("e2");
  ASSERT_EQ(accept_one(sms_event("e2", e2, kNow, "CASE2")), AcceptResult::created);
  ASSERT_EQ(accept_one(event("e3", read_entry("e3"), kNow + 1000, false, false, "CASE2")),
            AcceptResult::created);
  refused.event_id = "e2";
  refused.case_ref = "CASE2";
  EXPECT_EQ(*run(store_.end_with_fallback("e2:sms", lease, NotificationState::rejected, refused,
                                          event("e2", e2, kNow, true, false, "CASE2"))),
            AcceptResult::stale);
  EXPECT_EQ(state("e2:sms"), "rejected");
  EXPECT_EQ(state("e2:email"), "");
  const auto last = outcomes().back();
  EXPECT_EQ(last.at("event_id"), "e2");
  EXPECT_EQ(last.at("channel"), "email");
  EXPECT_EQ(last.at("result"), "suppressed");
  expect_reasons_add_up();
}

TEST_F(StoreTest, AnSmsGivenUpOnAndItsFallbackEmailAreRecordedTogether) {
  // An SMS given up on ends as failed, and the email it falls back to is created in the same
  // step: while leased (its gateway kept failing), or by a receipt (its attempts used up).
  const Instant lease = at(kNow + 60000);
  Outcome failed{"e1",     "CASE1",   "update", Channel::sms, OutcomeResult::failed, 3,
                 at(kNow), "gave up", ""};
  const auto e1 = read_entry("e1");
  ASSERT_EQ(accept_one(sms_event("e1", e1, kNow)), AcceptResult::created);
  EXPECT_EQ(*run(store_.end_with_fallback("e1:sms", lease, NotificationState::failed, failed,
                                          event("e1", e1, kNow, true))),
            AcceptResult::created);
  EXPECT_EQ(state("e1:sms"), "failed");
  EXPECT_EQ(state("e1:email"), "sending");

  const auto e2 = read_entry("e2");
  ASSERT_EQ(accept_one(sms_event("e2", e2, kNow, "CASE2")), AcceptResult::created);
  Outcome sent{"e2", "CASE2", "update", Channel::sms, OutcomeResult::sent, 1, at(kNow), "", ""};
  ASSERT_TRUE(*run(store_.finish("e2:sms", lease, NotificationState::sent, sent)));
  ReceiptAction given_up;
  given_up.kind = ReceiptAction::Kind::failed;
  given_up.outcome = failed;
  given_up.outcome->event_id = "e2";
  given_up.outcome->case_ref = "CASE2";
  given_up.fallback = event("e2", e2, kNow, true, false, "CASE2");
  const auto applied = run(store_.apply_receipt("e2:sms", 1, given_up, at(kNow)));
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->result, ReceiptApplied::applied);
  EXPECT_EQ(applied->fallback, AcceptResult::created);
  EXPECT_EQ(state("e2:sms"), "failed");
  EXPECT_EQ(state("e2:email"), "sending");
  EXPECT_EQ(outcomes().back().at("result"), "failed");
  expect_reasons_add_up();
}

TEST_F(StoreTest, ARenewalWhoseAnswerWasLostStillCountsAsTheSendersLease) {
  accept_one(event("e1", read_entry("e1"), kNow, true));
  const Instant first = at(kNow + 60000), second = at(kNow + 80000), third = at(kNow + 100000);
  // Redis made the renewal to `second`, but its answer never reached the sender.
  ASSERT_TRUE(*run(store_.renew("e1:email", first, {}, second, at(kNow + 20000))));
  // The sender still believes it holds `first`; it says `second` may be in force too.
  EXPECT_FALSE(*run(store_.renew("e1:email", first, {}, third, at(kNow + 40000))))
      << "without it, the lease looks lost";
  EXPECT_TRUE(*run(store_.renew("e1:email", first, {second}, third, at(kNow + 40000))));
  Outcome sent{"e1", "CASE1", "update", Channel::email, OutcomeResult::sent, 1, at(kNow), "", ""};
  EXPECT_TRUE(*run(store_.finish("e1:email", third, NotificationState::sent, sent)));
  EXPECT_EQ(state("e1:email"), "sent");
  // But a lease another sender took is not one of them.
  accept_one(event("e2", read_entry("e2"), kNow, true, false, "CASE2"));
  const Instant later = at(kNow + 61000);
  ASSERT_EQ(run(store_.claim_due(Channel::email, later, later + 60s, 10))->size(), 1u);
  EXPECT_FALSE(*run(store_.renew("e2:email", first, {second, third}, at(kNow + 90000), later)));
  expect_reasons_add_up();
}

// A batch of large events (limits.max_event_bytes allows up to 64 MiB each) can pass what Redis
// takes in one argument: refused, the batch was read again and refused for ever, and herald read
// nothing more. Here Redis takes 1 MB (proto-max-bulk-len's least) and a batch is 3 MB.
TEST_F(StoreTest, ABatchTooLargeForOneRedisCallIsRecordedInSeveral) {
  redis_.command({"CONFIG", "SET", "proto-max-bulk-len", "1mb"});
  std::vector<NewEvent> batch;
  for (int i = 0; i < 30; ++i) {
    const std::string id = "big" + std::to_string(i);
    NewEvent e = event(id, read_entry(id), kNow, false, false, "CASE" + std::to_string(i));
    e.event_json = R"({"id":")" + id + R"(","pad":")" + std::string(100 * 1024, 'x') + R"("})";
    batch.push_back(std::move(e));
  }
  store_.max_accept_bytes = 64 * 1024 * 1024;  // all in one call
  EXPECT_FALSE(run(store_.accept(batch, at(kNow)))) << "Redis refuses the one argument";
  EXPECT_EQ(pending(), 30);

  store_.max_accept_bytes = 512 * 1024;
  auto accepted = run(store_.accept(batch, at(kNow)));
  // Redis closed the connection on the oversized argument: the client reconnects after a pause.
  for (int i = 0; i < 50 && !accepted; ++i) {
    std::this_thread::sleep_for(100ms);
    accepted = run(store_.accept(batch, at(kNow)));
  }
  ASSERT_TRUE(accepted) << accepted.error().message();
  ASSERT_EQ(accepted->size(), 30u);
  for (const auto& per_event : *accepted)
    EXPECT_EQ(per_event, std::vector<AcceptResult>{AcceptResult::created});
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(zcard(), 30);
  EXPECT_EQ(redis_.command({"HGET", "{herald}:n:big29:email", "event"}).str.size(),
            batch.back().event_json.size());
  expect_reasons_add_up();
}

// Redis stalled past the command's deadline: herald gave up on the answer and asked again, and
// the first call ran when Redis woke. The second must hear "done", not "lease lost" (a warning
// that another sender has the notification, when none has), and change nothing more.
TEST_F(StoreTest, ACallAskedAgainAfterItsAnswerWasLostIsToldItWasDoneAndChangesNothingMore) {
  const Instant lease = at(kNow + 60000);
  Outcome sent{"e1", "CASE1", "update", Channel::email, OutcomeResult::sent, 1, at(kNow), "", "g1"};
  accept_one(event("e1", read_entry("e1"), kNow, true));
  ASSERT_TRUE(*run(store_.finish("e1:email", lease, NotificationState::sent, sent)));
  EXPECT_TRUE(*run(store_.finish("e1:email", lease, NotificationState::sent, sent)));
  EXPECT_EQ(outcomes().size(), 1u) << "one outcome for one send";
  EXPECT_EQ(state("e1:email"), "sent");

  // A rescheduled retry, asked again: still one schedule entry, at the first call's due time.
  accept_one(event("e2", read_entry("e2"), kNow, true, false, "CASE2"));
  ASSERT_TRUE(*run(store_.reschedule("e2:email", lease, at(kNow + 5000), "retry", 1, 1, at(kNow),
                                     std::nullopt, at(kNow))));
  EXPECT_TRUE(*run(store_.reschedule("e2:email", lease, at(kNow + 5000), "retry", 1, 1, at(kNow),
                                     std::nullopt, at(kNow))));
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "e2:email"}).str,
            std::to_string(kNow + 5000));
  // Claimed again by another sender: a call with the old lease is not one this lease made now.
  const Instant later = at(kNow + 6000);
  ASSERT_EQ(run(store_.claim_due(Channel::email, later, later + 60s, 10))->size(), 1u);
  EXPECT_TRUE(*run(store_.finish("e2:email", later + 60s, NotificationState::sent, sent)));
  EXPECT_FALSE(*run(store_.finish("e2:email", at(kNow + 1), NotificationState::sent, sent)))
      << "a lease that never ended it is lost";

  // A rejected SMS and its fallback email, asked again: told what became of the email then, and
  // the email is not made twice.
  const auto e3 = read_entry("e3");
  ASSERT_EQ(accept_one(sms_event("e3", e3, kNow, "CASE3")), AcceptResult::created);
  Outcome refused{"e3",     "CASE3",    "update", Channel::sms, OutcomeResult::rejected, 1,
                  at(kNow), "HTTP 400", ""};
  ASSERT_EQ(*run(store_.end_with_fallback("e3:sms", lease, NotificationState::rejected, refused,
                                          event("e3", e3, kNow, true, false, "CASE3"))),
            AcceptResult::created);
  const auto outcomes_then = outcomes().size();
  EXPECT_EQ(*run(store_.end_with_fallback("e3:sms", lease, NotificationState::rejected, refused,
                                          event("e3", e3, kNow, true, false, "CASE3"))),
            AcceptResult::created);
  EXPECT_EQ(outcomes().size(), outcomes_then);
  EXPECT_EQ(state("e3:email"), "sending");

  // A dead letter written when it fell due, asked again: one dead letter.
  accept_one(event("e4", read_entry("e4"), kNow, true, false, "CASE4"));
  Outcome invalid{"e4",     "CASE4",         "update", Channel::email, OutcomeResult::invalid, 0,
                  at(kNow), "template gone", ""};
  StreamFields fields{{"event", R"({"id":"e4"})"}, {"notification_id", "e4:email"}};
  ASSERT_TRUE(
      *run(store_.dead_letter_due("e4:email", lease, fields, "template gone", invalid, 65536)));
  EXPECT_TRUE(
      *run(store_.dead_letter_due("e4:email", lease, fields, "template gone", invalid, 65536)));
  EXPECT_EQ(redis_.command({"XLEN", "herald:dead"}).integer, 1);
  EXPECT_EQ(state("e4:email"), "invalid");
  expect_reasons_add_up();
}

TEST_F(StoreTest, ANotificationDeadLetteredWhenItFellDueStartsAgainWhenItsEventIsReplayed) {
  // Due, but no longer valid (a template changed): dead-lettered and finished as invalid.
  accept_one(event("e1", read_entry("e1"), kNow, true));
  Outcome invalid{"e1",     "CASE1",         "update", Channel::email, OutcomeResult::invalid, 0,
                  at(kNow), "template gone", ""};
  ASSERT_TRUE(
      *run(store_.finish("e1:email", at(kNow + 60000), NotificationState::invalid, invalid)));
  // `herald dead replay` after the fix publishes the event again: a new entry, the same id.
  EXPECT_EQ(accept_one(event("e1", read_entry("e1"), kNow, true)), AcceptResult::created);
  EXPECT_EQ(state("e1:email"), "sending");
  EXPECT_EQ(redis_.command({"PTTL", "{herald}:n:e1:email"}).integer, -1)
      << "a live record does not expire";
  // A notification that was sent is still never sent twice.
  Outcome sent{"e1", "CASE1", "update", Channel::email, OutcomeResult::sent, 1, at(kNow), "", ""};
  ASSERT_TRUE(*run(store_.finish("e1:email", at(kNow + 60000), NotificationState::sent, sent)));
  EXPECT_EQ(accept_one(event("e1", read_entry("e1"), kNow, true)), AcceptResult::duplicate);
  EXPECT_EQ(zcard(), 0);
  expect_reasons_add_up();
}

TEST_F(StoreTest, AReceiptAppliesOnceAndOnlyToTheAttemptItIsFor) {
  accept_one(event("e1", read_entry("e1"), kNow, true));
  Outcome sent{"e1", "CASE1",  "update", Channel::email, OutcomeResult::sent,
               1,    at(kNow), "",       "gw-1"};
  ASSERT_TRUE(*run(store_.finish("e1:email", at(kNow + 60000), NotificationState::sent, sent)));

  auto unknown = run(store_.receipt_lookup("nope", at(kNow)));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  auto by_gateway_id = run(store_.receipt_lookup("gw-1", at(kNow)));
  ASSERT_TRUE(by_gateway_id && *by_gateway_id);
  EXPECT_EQ((*by_gateway_id)->record.id, "e1:email");
  EXPECT_EQ((*by_gateway_id)->attempt, 1);

  ReceiptAction next;
  next.kind = ReceiptAction::Kind::next_attempt;
  next.due = at(kNow + 3600000);
  next.attempt = 2;
  next.failed = {at(kNow)};
  next.outcome = Outcome{"e1",
                         "CASE1",
                         "update",
                         Channel::email,
                         OutcomeResult::retry_scheduled,
                         1,
                         next.due,
                         "attempt 1 failed",
                         {}};
  EXPECT_EQ(run(store_.apply_receipt("e1:email", 1, next, at(kNow)))->result,
            ReceiptApplied::applied);
  EXPECT_EQ(state("e1:email"), "deferred");
  EXPECT_EQ(redis_.command({"HGET", "{herald}:n:e1:email", "attempt"}).str, "2");
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "e1:email"}).str,
            std::to_string(kNow + 3600000));
  auto record = run(store_.load("e1:email"));
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->send_since, at(kNow + 3600000))
      << "attempt 2 was due no earlier: a failure timed before it is about attempt 1";
  // The same receipt again, or a late one for attempt 1: nothing changes.
  EXPECT_EQ(run(store_.apply_receipt("e1:email", 1, next, at(kNow)))->result,
            ReceiptApplied::duplicate);
  EXPECT_EQ(run(store_.apply_receipt("nope", 1, next, at(kNow)))->result, ReceiptApplied::unknown);
  EXPECT_EQ(outcomes().back().at("result"), "retry_scheduled");
  EXPECT_EQ(outcomes().back().at("attempt"), 1);
  expect_reasons_add_up();
}

TEST_F(StoreTest, AReceiptForAnAttemptWhoseSendIsNotRecordedYetIsEarlyAndChangesNothing) {
  // The provider's callback can beat the 2xx, or the request timed out on herald's side and the
  // same attempt waits to be sent again: the receipt is for that attempt, to be taken later.
  accept_one(event("e1", read_entry("e1"), kNow, true));
  ReceiptAction next;
  next.kind = ReceiptAction::Kind::next_attempt;
  next.due = at(kNow + 3600000);
  next.attempt = 2;
  next.failed = {at(kNow)};
  EXPECT_EQ(run(store_.apply_receipt("e1:email", 1, next, at(kNow)))->result, ReceiptApplied::early)
      << "sending";
  EXPECT_EQ(state("e1:email"), "sending");
  // The request timed out: deferred to be sent again, same attempt.
  ASSERT_TRUE(*run(store_.reschedule("e1:email", at(kNow + 60000), at(kNow + 1000), "retry", 1, 1,
                                     at(kNow), std::nullopt, at(kNow))));
  EXPECT_EQ(run(store_.apply_receipt("e1:email", 1, next, at(kNow)))->result, ReceiptApplied::early)
      << "deferred to be sent again";
  EXPECT_EQ(run(store_.apply_receipt("e1:email", 2, next, at(kNow)))->result,
            ReceiptApplied::duplicate)
      << "not for the attempt under way";
  EXPECT_EQ(state("e1:email"), "deferred");
  EXPECT_EQ(redis_.command({"HGET", "{herald}:n:e1:email", "attempt"}).str, "1");
  EXPECT_EQ(redis_.command({"ZSCORE", "{herald}:schedule:email", "e1:email"}).str,
            std::to_string(kNow + 1000));

  // Sent again and recorded: now it applies.
  const Instant later = at(kNow + 2000);
  ASSERT_EQ(run(store_.claim_due(Channel::email, later, later + 60s, 10))->size(), 1u);
  Outcome sent{"e1", "CASE1", "update", Channel::email, OutcomeResult::sent, 1, later, "", ""};
  ASSERT_TRUE(*run(store_.finish("e1:email", later + 60s, NotificationState::sent, sent)));
  EXPECT_EQ(run(store_.apply_receipt("e1:email", 1, next, later))->result, ReceiptApplied::applied);
  EXPECT_EQ(redis_.command({"HGET", "{herald}:n:e1:email", "attempt"}).str, "2");
  // Waiting for attempt 2 (no send of it yet): a receipt for attempt 2 cannot be early.
  EXPECT_EQ(run(store_.apply_receipt("e1:email", 2, next, later))->result,
            ReceiptApplied::duplicate);
  EXPECT_EQ(outcomes().size(), 1u) << "nothing published but the send";
  expect_reasons_add_up();
}

TEST_F(StoreTest, ADeliveredReceiptDropsTheEventAndLeavesTheTimeline) {
  accept_one(event("e1", read_entry("e1"), kNow, true));
  Outcome sent{"e1", "CASE1", "update", Channel::email, OutcomeResult::sent, 1, at(kNow), "", ""};
  ASSERT_TRUE(*run(store_.finish("e1:email", at(kNow + 60000), NotificationState::sent, sent)));
  EXPECT_EQ(redis_.command({"HEXISTS", "{herald}:n:e1:email", "event"}).integer, 1)
      << "kept while a receipt may still ask for another attempt";
  ReceiptAction delivered;
  delivered.timeline_json = R"({"notification_id":"e1:email","receipt":"delivered"})";
  EXPECT_EQ(run(store_.apply_receipt("e1:email", 1, delivered, at(kNow)))->result,
            ReceiptApplied::applied);
  EXPECT_EQ(state("e1:email"), "delivered");
  EXPECT_EQ(redis_.command({"HEXISTS", "{herald}:n:e1:email", "event"}).integer, 0);
  auto log = redis_.command({"LRANGE", "{herald}:case:CASE1:log", "0", "-1"}).elements;
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[1].str.find("delivered"), std::string::npos);
  EXPECT_GT(redis_.command({"PTTL", "{herald}:n:e1:email"}).integer, 0)
      << "kept for the retention period only";
}

TEST_F(StoreTest, OutcomesWrittenInLuaHaveTheContractsFields) {
  accept_one(event("e1", read_entry("e1"), kNow, false));
  accept_one(event("e1", read_entry("e1"), kNow, false));  // duplicate: written by the script
  auto lua = outcomes().back();
  auto cpp = boost::json::parse(outcome_json(Outcome{"e", "c", "s", Channel::sms,
                                                     OutcomeResult::sent, 1, at(kNow), "", ""}))
                 .as_object();
  ASSERT_EQ(lua.size(), cpp.size());
  for (const auto& [key, value] : cpp) {
    ASSERT_TRUE(lua.contains(key)) << key;
    if (!value.is_null()) {
      EXPECT_EQ(lua.at(key).kind(), value.kind()) << key;
    }
  }
  EXPECT_EQ(lua.at("at"), "2026-11-23T12:00:00Z");
  EXPECT_TRUE(lua.at("gateway_message_id").is_null());
}

TEST_F(StoreTest, AWriteRedisRefusesForLackOfMemoryReportsRedisOwnWordsNotBadAddress) {
  auto entry = read_entry("e1");
  accept_one(event("e2", read_entry("e2"), kNow - 1000, /*send_now=*/false));
  redis_.command({"CONFIG", "SET", "maxmemory", "1"});  // every write is now refused: OOM
  std::vector<NewEvent> batch{event("e1", entry, kNow - 1000, /*send_now=*/false)};
  auto accepted = run(store_.accept(std::move(batch), at(kNow)));
  // Due by then: claiming it writes (the lease), which Redis refuses too.
  auto claimed = run(store_.claim_due(Channel::email, at(kNow + 7200000), at(kNow + 7260000), 10));
  // Named arguments: GCC 12 mishandles braced temporaries passed to a coroutine (DEVELOPERS.md).
  StreamFields fields{{"event", "{}"}};
  std::string reason = "test";
  Outcome invalid;
  invalid.result = OutcomeResult::invalid;
  auto acked = run(store_.dead_letter(entry, std::move(fields), std::move(reason),
                                      std::move(invalid), at(kNow), 1024 * 1024));
  redis_.command({"CONFIG", "SET", "maxmemory", "0"});

  ASSERT_FALSE(accepted);
  ASSERT_FALSE(claimed);
  ASSERT_TRUE(acked);
  for (const auto& ec : {accepted.error(), claimed.error(), acked}) {
    EXPECT_EQ(ec.message().rfind("OOM command not allowed when used memory > 'maxmemory'.", 0), 0u)
        << ec.message();
    EXPECT_EQ(std::string(ec.category().name()), "redis");
  }
}

}  // namespace
}  // namespace herald::test
