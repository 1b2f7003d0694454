// The hostile-input corpus (tests/faults/hostile/, described in its expected.tsv) interleaved
// with valid events through a real herald process, on a real Redis and a real HTTP gateway.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fault_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;
using Fields = std::vector<std::pair<std::string, std::string>>;

struct Specimen {
  std::string file;
  Fields fields;       ///< the stream entry as published
  std::string expect;  ///< a phrase the dead letter's reason must contain, or "deliver"
};

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<Specimen> load_corpus() {
  const std::filesystem::path dir = HERALD_HOSTILE_DIR;
  std::vector<Specimen> out;
  std::ifstream manifest(dir / "expected.tsv");
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    Specimen s{line.substr(0, tab), {}, line.substr(tab + 1)};
    std::string bytes = read_bytes(dir / s.file);
    if (s.file.ends_with(".entry")) {
      // A whole stream entry: a JSON object of field names to string values.
      const auto entry = boost::json::parse(bytes);
      for (const auto& [k, v] : entry.as_object())
        s.fields.emplace_back(std::string(k), std::string(v.as_string()));
    } else {
      s.fields.emplace_back("event", std::move(bytes));
    }
    out.push_back(std::move(s));
  }
  return out;
}

// What the corpus puts in names, addresses, numbers and case references: none of it may reach
// the log.
const char* kPersonal[] = {"Zebedee",       "ZEBEDEE",       "Quartermaine", "zebedee.q",
                           "7700900555",    "07700 900555",  "GWFSECRET",    "victim@",
                           "other@example", "Katie McNally", "McNally",      "k@example.org",
                           "7700900123"};

TEST(HostileInput, DeadLettersEveryBadEntryWithItsReasonAndDeliversEveryValidOneOnce) {
  const auto corpus = load_corpus();
  std::size_t bad = 0, hostile_valid = 0;
  for (const auto& s : corpus) (s.expect == "deliver" ? hostile_valid : bad) += 1;
  ASSERT_GE(bad, 50u) << "the corpus is meant to hold at least 50 bad entries";

  RedisServer redis;
  Gateway gateway;
  HeraldSettings settings;
  settings.email_url = gateway.url();
  settings.sms_url = gateway.url();
  settings.metrics_port = free_port();
  HeraldHome home(redis, settings);
  HeraldProcess herald(home.run_args());
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  const pid_t pid = herald.pid();

  // Valid and hostile, one after the other, so that a bad entry that upset herald would show
  // on its neighbour.
  std::size_t valid = 0;
  for (const auto& s : corpus) {
    publish(redis, valid_event("evt-valid-" + std::to_string(valid++)));
    publish_fields(redis, s.fields);
  }
  publish(redis, valid_event("evt-valid-" + std::to_string(valid++)));

  const std::size_t notifications = 2 * (valid + hostile_valid);  // email and sms each
  ASSERT_TRUE(wait_until(
      [&] { return outcomes(redis).size() >= bad + notifications && pending(redis) == 0; }, 60s))
      << "outcomes: " << outcomes(redis).size() << " of " << bad + notifications
      << ", pending: " << pending(redis) << "\n"
      << herald.log();

  // herald never restarted and is still healthy.
  EXPECT_TRUE(herald.running());
  EXPECT_EQ(herald.pid(), pid);
  EXPECT_EQ(http_get(settings.metrics_port, "/healthz").first, 200);

  // Every bad entry: one dead letter keeping its fields, with a reason that names the problem.
  auto dead = redis.command({"XRANGE", "herald:dead", "-", "+"});
  std::map<Fields, std::string> reasons;  // fields -> reason
  for (const auto& entry : dead.elements) {
    Fields fields;
    std::string reason;
    const auto& kv = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (kv[i].str == "reason")
        reason = kv[i + 1].str;
      else
        fields.emplace_back(kv[i].str, kv[i + 1].str);
    }
    EXPECT_TRUE(reasons.emplace(fields, reason).second) << "dead-lettered twice: " << reason;
  }
  EXPECT_EQ(dead.elements.size(), bad);
  for (const auto& s : corpus) {
    auto it = reasons.find(s.fields);
    if (s.expect == "deliver") {
      EXPECT_EQ(it, reasons.end()) << s.file << " is valid but was dead-lettered: " << it->second;
      continue;
    }
    ASSERT_NE(it, reasons.end()) << s.file << " was not dead-lettered";
    EXPECT_NE(it->second.find(s.expect), std::string::npos)
        << s.file << ": reason '" << it->second << "' should say '" << s.expect << "'";
  }

  // An `invalid` outcome for each, and the valid ones sent: exactly one request and one `sent`
  // outcome per notification.
  std::size_t invalid = 0;
  for (const auto& o : outcomes(redis)) {
    if (o.at("result") != "invalid") continue;
    ++invalid;
    const std::string reason(o.at("reason").as_string());
    const std::string event_id(o.at("event_id").is_string() ? o.at("event_id").as_string() : "");
    for (const char* secret : kPersonal) {
      EXPECT_EQ(reason.find(secret), std::string::npos) << "'" << secret << "' in " << reason;
      EXPECT_EQ(event_id.find(secret), std::string::npos) << "'" << secret << "' in " << event_id;
    }
  }
  EXPECT_EQ(invalid, bad);
  const auto requests = gateway.counts();
  const auto sent = sent_outcomes(redis);
  EXPECT_EQ(requests.size(), notifications);
  EXPECT_EQ(sent.size(), notifications);
  for (const auto& [id, n] : requests) EXPECT_EQ(n, 1) << id << " was requested " << n << " times";
  for (const auto& [id, n] : sent) EXPECT_EQ(n, 1) << id << " has " << n << " sent outcomes";
  for (std::size_t i = 0; i < valid; ++i)
    for (const char* channel : {":email", ":sms"}) {
      auto id = "evt-valid-" + std::to_string(i) + channel;
      EXPECT_EQ(sent.count(id), 1u) << id << " was not delivered";
    }
  for (const char* id :
       {"evt-h-ok-name:email", "evt-h-ok-data:sms", "evt-h-ok-extra:email", "evt-h-ok-cy:email"})
    EXPECT_EQ(sent.count(id), 1u) << id << " (hostile but valid) was not delivered";

  // No personal data from the corpus in the log.
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(20s), 0) << herald.log();
  const auto log = herald.log();
  EXPECT_NE(log.find("evt-valid-0"), std::string::npos) << "the log names events by id";
  for (const char* secret : kPersonal)
    EXPECT_EQ(log.find(secret), std::string::npos) << "'" << secret << "' leaked into the log";
}

// Template syntax in a name or in data is text, never Mustache: a producer cannot make a
// template print another field (or anything else) by writing tags into a value.
TEST(HostileInput, TemplateSyntaxInValuesIsPrintedLiterally) {
  RedisServer redis;
  std::mutex mutex;
  std::map<std::string, std::string> bodies;  // notification id -> body
  HttpTestServer server([&](const HttpTestServer::Request& request) {
    auto body = boost::json::parse(request.body).as_object();
    std::lock_guard lock(mutex);
    bodies[std::string(body.at("id").as_string())] = std::string(body.at("body").as_string());
    return HttpTestServer::Response{.status = 202};
  });
  HeraldSettings settings;
  settings.email_url = server.url("/email");
  settings.sms_url = server.url("/sms");
  HeraldHome home(redis, settings);
  HeraldProcess herald(home.run_args());
  ASSERT_TRUE(herald.wait_for_log("msg=started", 20s)) << herald.log();
  const std::filesystem::path dir = HERALD_HOSTILE_DIR;
  publish(redis, read_bytes(dir / "valid_template_syntax_in_name.json"));
  publish(redis, read_bytes(dir / "valid_template_syntax_in_data.json"));
  ASSERT_TRUE(wait_until([&] { return sent_outcomes(redis).size() == 4; }, 30s)) << herald.log();
  std::lock_guard lock(mutex);
  // The name "{{case_ref}} {{{recipient.email}}}" (title Mx, so first name and surname).
  const auto& letter = bodies.at("evt-h-ok-name:email");
  EXPECT_NE(letter.find("{{"), std::string::npos) << letter;
  EXPECT_EQ(letter.find("zebedee.q@"), std::string::npos) << letter;
  // data.office "{{recipient.email}}{{#data}}{{/data}}" in the SMS.
  const auto& sms = bodies.at("evt-h-ok-data:sms");
  EXPECT_NE(sms.find("{{recipient.email}}{{#data}}{{/data}}"), std::string::npos) << sms;
}

}  // namespace
}  // namespace herald::test
