// `herald dead list` and `herald dead replay` against a real Redis, on dead letters the daemon
// itself wrote.
#include <gtest/gtest.h>

#include <signal.h>

#include <ctime>
#include <map>
#include <memory>
#include <thread>

#include "service_support.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> dead_ids(RedisServer& redis) {
  std::vector<std::string> ids;
  for (const auto& e : redis.command({"XRANGE", "herald:dead", "-", "+"}).elements)
    ids.push_back(e.elements.at(0).str);
  return ids;
}

std::string rule(const std::string& status) {
  return "  - { status: " + status + ", template: case_update, channels: [email] }\n";
}

// The config with a second rule for `later_status` when `with_later_rule`.
std::string config(const RedisServer& redis, bool with_later_rule) {
  auto text = service_config(redis, "{ type: file, directory: outbox }");
  if (with_later_rule) {
    const std::string anchor = rule("case_update");
    text.replace(text.find(anchor), anchor.size(), anchor + rule("later_status"));
  }
  return text;
}

// `herald run` on its own Redis, with the config (no rule for later_status) and the email
// template written in its own directory.
class DeadCliRun : public testing::Test {
 protected:
  void start_herald(const std::string& extra = "") {
    dir.write("herald.yaml", config(redis, false) + extra);
    dir.write("templates/case_update.yaml", kEmailTemplate);
    herald = std::make_unique<HeraldProcess>(std::vector<std::string>{"run", "--config", cfg});
    ASSERT_TRUE(herald->wait_for_log("msg=started", 20s)) << herald->log();
  }

  RedisServer redis;
  TestDir dir;
  const std::string cfg = dir.path("herald.yaml");
  std::unique_ptr<HeraldProcess> herald;
};

TEST_F(DeadCliRun, ListsWithoutPersonalDataAndReplaysOnceTheCauseIsFixed) {
  ASSERT_NO_FATAL_FAILURE(start_herald());
  // No rule for later_status yet: dead-lettered.
  redis.command(
      {"XADD", "herald:events", "*", "event", contact_anytime_event("evt-d1", "later_status")});
  ASSERT_TRUE(eventually([&] { return dead_ids(redis).size() == 1; }, 20s)) << herald->log();
  // An entry with no event field at all cannot be replayed.
  redis.command(
      {"XADD", "herald:dead", "*", "raw", "junk", "reason", "entry has no 'event' field"});
  const auto ids = dead_ids(redis);

  auto list = run_herald({"dead", "list", "--config", cfg});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(ids[0]), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("evt-d1"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("later_status"), std::string::npos) << "the reason:\n" << list.out;
  EXPECT_NE(list.out.find(ids[1]), std::string::npos) << list.out;
  for (const char* personal : {"Siobhan", "Featherstonehaugh", "siobhan.f@", "GWF9-"})
    EXPECT_EQ(list.out.find(personal), std::string::npos) << personal << " in\n" << list.out;

  auto json = run_herald({"dead", "list", "--json", "--config", cfg});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  auto entries = boost::json::parse(json.out).as_array();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].at("id").as_string(), ids[0]);
  const auto event = std::string(entries[0].at("fields").at("event").as_string());
  EXPECT_EQ(boost::json::parse(event).at("id").as_string(), "evt-d1") << "the entry as stored";
  EXPECT_NE(event.find("siobhan.f@example.org"), std::string::npos);

  // The cause fixed (a rule for later_status), the dead letter replayed: sent, and gone.
  dir.write("herald.yaml", config(redis, true));
  herald->signal(SIGHUP);
  ASSERT_TRUE(herald->wait_for_log("msg=reloaded", 20s)) << herald->log();
  auto replay = run_herald({"dead", "replay", ids[0], "--config", cfg});
  EXPECT_EQ(replay.exit_code, 0) << replay.err << replay.out;
  EXPECT_NE(replay.out.find("replayed"), std::string::npos) << replay.out;
  EXPECT_TRUE(herald->wait_for_log("msg=sent event_id=evt-d1", 20s)) << herald->log();
  EXPECT_EQ(dead_ids(redis), std::vector<std::string>{ids[1]});

  // Never twice: the same id again is not found.
  auto again = run_herald({"dead", "replay", ids[0], "--config", cfg});
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find("not found"), std::string::npos) << again.out;

  // --all refuses the entry without an event field and keeps it.
  auto all = run_herald({"dead", "replay", "--all", "--json", "--config", cfg});
  EXPECT_EQ(all.exit_code, 2) << all.err << all.out;
  auto results = boost::json::parse(all.out).as_array();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].at("result").as_string(), "refused");
  EXPECT_EQ(dead_ids(redis), std::vector<std::string>{ids[1]});
  EXPECT_EQ(redis.command({"XLEN", "herald:events"}).integer, 2) << "published once only";

  herald->signal(SIGTERM);
  EXPECT_EQ(herald->wait_exit(30s), 0) << herald->log();
}

// The letters of the entries given as (field, value) pairs, oldest first.
std::vector<std::map<std::string, std::string>> dead_letters(RedisServer& redis) {
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& e : redis.command({"XRANGE", "herald:dead", "-", "+"}).elements) {
    auto& fields = out.emplace_back();
    const auto& values = e.elements.at(1).elements;
    for (std::size_t i = 0; i + 1 < values.size(); i += 2)
      fields[values[i].str] = values[i + 1].str;
  }
  return out;
}

// A dead letter keeps its event whole up to limits.max_event_bytes, so that a replay publishes
// all of it. One over the limit is kept cut short and said to be: replaying the part would
// dead-letter it again and lose the whole for good, so the replay is refused.
TEST_F(DeadCliRun, KeepsEventsWithinTheLimitWholeAndRefusesToReplayOneCutShort) {
  ASSERT_NO_FATAL_FAILURE(start_herald("limits:\n  max_event_bytes: 1048576\n"));
  // JSON whitespace makes them large: 300 KiB (over the 256 KiB kept of other values) for a
  // status without a rule, and 1.1 MiB, over the limit.
  std::string within = contact_anytime_event("evt-within", "later_status");
  within.insert(1, std::string(300 * 1024, ' '));
  std::string over = contact_anytime_event("evt-over", "case_update");
  over.insert(1, std::string(1100 * 1024, ' '));
  redis.command({"XADD", "herald:events", "*", "event", within});
  redis.command({"XADD", "herald:events", "*", "event", over});
  ASSERT_TRUE(eventually([&] { return dead_ids(redis).size() == 2; }, 20s)) << herald->log();
  const auto ids = dead_ids(redis);
  const auto letters = dead_letters(redis);
  EXPECT_TRUE(letters[0].at("event") == within)
      << "whole: " << letters[0].at("event").size() << " of " << within.size() << " bytes";
  EXPECT_EQ(letters[0].count("truncated"), 0u);
  EXPECT_EQ(letters[1].at("event").size(), 1048576u);
  EXPECT_EQ(letters[1].at("truncated"), "event");

  auto list = run_herald({"dead", "list", "--config", cfg});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  const auto line = [&](const std::string& id) {
    const auto at = list.out.find(id);
    return at == std::string::npos ? "" : list.out.substr(at, list.out.find('\n', at) - at);
  };
  EXPECT_EQ(line(ids[0]).find("cut short"), std::string::npos) << list.out;
  EXPECT_NE(line(ids[1]).find("(event cut short: cannot be replayed)"), std::string::npos)
      << list.out;

  auto replay = run_herald({"dead", "replay", ids[1], "--config", cfg});
  EXPECT_EQ(replay.exit_code, 2) << replay.err << replay.out;
  EXPECT_NE(replay.out.find("cut short"), std::string::npos) << replay.out;
  EXPECT_EQ(dead_ids(redis), ids) << "kept";
  EXPECT_EQ(redis.command({"XLEN", "herald:events"}).integer, 2) << "nothing published";

  herald->signal(SIGTERM);
  EXPECT_EQ(herald->wait_exit(30s), 0) << herald->log();
}

// A notification that can no longer be rendered when it falls due (its template changed while it
// waited) is dead-lettered. Its `invalid` outcome was published twice: by the dead letter, then
// again when the notification was closed, in a second step.
TEST_F(DeadCliRun, ANotificationInvalidWhenDueHasOneOutcomeAndOneDeadLetter) {
  ASSERT_NO_FATAL_FAILURE(start_herald());
  // Unavailable for the next few seconds: deferred until then, time enough to change the
  // template and reload on a loaded machine.
  const std::time_t until = std::time(nullptr) + 10;
  char to[32];
  std::strftime(to, sizeof to, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&until));
  auto event = boost::json::parse(contact_anytime_event("evt-due-bad")).as_object();
  event["recipient"].as_object()["unavailable"] =
      boost::json::array{boost::json::object{{"from", "2026-01-01T00:00:00Z"}, {"to", to}}};
  redis.command({"XADD", "herald:events", "*", "event", boost::json::serialize(event)});
  ASSERT_TRUE(eventually([&] { return outcomes(redis).size() == 1; }, 20s)) << herald->log();
  ASSERT_EQ(outcomes(redis)[0].at("result"), "deferred");
  dir.write("templates/case_update.yaml",
            R"(email:
  en: { subject: "Your application {{case_ref}}", body: "Dear {{salutation}}, {{data.office}}" }
  cy: { subject: "Eich cais {{case_ref}}", body: "Annwyl {{salutation}}, {{data.office}}" }
)");
  herald->signal(SIGHUP);
  ASSERT_TRUE(herald->wait_for_log("msg=reloaded", 20s)) << herald->log();
  ASSERT_TRUE(eventually([&] { return dead_ids(redis).size() == 1; }, 20s)) << herald->log();
  std::this_thread::sleep_for(500ms);
  std::vector<std::string> results;
  for (const auto& o : outcomes(redis)) results.push_back(std::string(o.at("result").as_string()));
  EXPECT_EQ(results, (std::vector<std::string>{"deferred", "invalid"}));
  const auto letter = redis.command({"XRANGE", "herald:dead", "-", "+"}).elements.at(0);
  std::map<std::string, std::string> fields;
  for (std::size_t i = 0; i + 1 < letter.elements.at(1).elements.size(); i += 2)
    fields[letter.elements[1].elements[i].str] = letter.elements[1].elements[i + 1].str;
  EXPECT_EQ(fields["notification_id"], "evt-due-bad:email");
  EXPECT_NE(fields["reason"].find("data.office"), std::string::npos) << fields["reason"];
  EXPECT_EQ(redis.command({"HGET", "{herald}:n:evt-due-bad:email", "state"}).str, "invalid");
  herald->signal(SIGTERM);
  EXPECT_EQ(herald->wait_exit(30s), 0) << herald->log();
}

TEST_F(DeadCliRun, ListShowsNoEventIdThatBreaksTheIdRule) {
  ASSERT_NO_FATAL_FAILURE(start_herald());
  // A name and number pasted into the id: invalid, and the id must not be shown where the
  // daemon's log would not show it. A plain id of an event with no rule, for comparison.
  redis.command({"XADD", "herald:events", "*", "event",
                 R"({"id":"Katie McNally +447700900123","case_ref":"GWF9-IDF","status":)"
                 R"("case_update","occurred_at":"2026-11-23T08:00:00Z",)"
                 R"("recipient":{"email":"siobhan.f@example.org","contact_anytime":true}})"});
  redis.command(
      {"XADD", "herald:events", "*", "event", contact_anytime_event("evt-d2", "later_status")});
  ASSERT_TRUE(eventually([&] { return dead_ids(redis).size() == 2; }, 20s)) << herald->log();
  const auto ids = dead_ids(redis);

  auto list = run_herald({"dead", "list", "--config", cfg});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(ids[0] + "\t"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("evt-d2"), std::string::npos) << list.out;
  for (const char* personal : {"Katie", "McNally", "447700900123", "7700 900123"})
    EXPECT_EQ(list.out.find(personal), std::string::npos) << personal << " in\n" << list.out;
  // Its row shows no event id, as for an entry without one.
  const auto row = list.out.substr(list.out.find(ids[0]));
  const auto fields = row.substr(0, row.find('\n'));
  EXPECT_EQ(fields.substr(fields.find('\t', ids[0].size() + 1), 3), "\t-\t") << fields;

  // --json prints the stored entries as they are (personal data!), as documented.
  auto json = run_herald({"dead", "list", "--json", "--config", cfg});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("Katie McNally +447700900123"), std::string::npos) << json.out;

  herald->signal(SIGTERM);
  EXPECT_EQ(herald->wait_exit(30s), 0) << herald->log();
}

TEST(DeadCli, ReplayAllRepublishesEveryReplayableLetter) {
  RedisServer redis;
  TestDir dir;
  dir.write("herald.yaml", config(redis, false));
  for (int i = 0; i < 3; ++i)
    redis.command({"XADD", "herald:dead", "*", "event",
                   contact_anytime_event("evt-a" + std::to_string(i)), "reason", "test"});
  auto all = run_herald({"dead", "replay", "--all", "--config", dir.path("herald.yaml")});
  EXPECT_EQ(all.exit_code, 0) << all.err << all.out;
  EXPECT_EQ(redis.command({"XLEN", "herald:dead"}).integer, 0);
  auto events = redis.command({"XRANGE", "herald:events", "-", "+"}).elements;
  ASSERT_EQ(events.size(), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_NE(events[i].elements.at(1).elements.at(1).str.find("evt-a" + std::to_string(i)),
              std::string::npos);
}

TEST(DeadCli, FailsWithExitOneWhenRedisIsDownAndTwoOnBadUsage) {
  RedisServer redis;
  TestDir dir;
  dir.write("herald.yaml", config(redis, false));
  redis.stop();
  auto down = run_herald({"dead", "list", "--config", dir.path("herald.yaml")});
  EXPECT_EQ(down.exit_code, 1) << down.err;
  EXPECT_NE(down.err.find("cannot connect"), std::string::npos) << down.err;
  EXPECT_EQ(run_herald({"dead", "replay", "--config", dir.path("herald.yaml")}).exit_code, 2);
  EXPECT_EQ(run_herald({"dead", "replay", "nope", "--config", dir.path("herald.yaml")}).exit_code,
            2);
  EXPECT_EQ(run_herald({"dead", "frobnicate"}).exit_code, 2);
}

}  // namespace
}  // namespace herald::test
