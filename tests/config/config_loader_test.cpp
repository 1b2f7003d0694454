#include "herald/config/config_loader.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace herald {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

const std::filesystem::path kData = std::filesystem::path(HERALD_CONFIG_TEST_DATA);

// The smallest valid config; cases below add one section to it.
constexpr const char* kRulesAndGateways = R"(
rules:
  - status: decision_dispatched
    template: decision_dispatched
gateways:
  email: { type: file, directory: outbox }
  sms: { type: file, directory: outbox }
)";

// `yaml` followed by the minimal rules and gateways, unless it has its own. Lines in `yaml` keep
// their numbers.
std::string with_defaults(const std::string& yaml) {
  std::string text = yaml;
  bool own_rules = yaml.rfind("rules:", 0) == 0 || yaml.find("\nrules:") != std::string::npos;
  bool own_gateways =
      yaml.rfind("gateways:", 0) == 0 || yaml.find("\ngateways:") != std::string::npos;
  if (!own_rules && !own_gateways) text += kRulesAndGateways;
  return text;
}

ConfigLoadResult load(const std::string& yaml) {
  return load_config_from_string(with_defaults(yaml), "herald.yaml", "/etc/herald");
}

std::string describe(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const auto& p : problems) out += "\n  " + to_string(p);
  return out;
}

const ConfigProblem* find(const std::vector<ConfigProblem>& problems, const std::string& key) {
  for (const auto& p : problems)
    if (p.key_path == key) return &p;
  return nullptr;
}

TEST(ConfigLoader, FillsEveryDefaultForAMinimalConfig) {
  auto result = load("");
  ASSERT_TRUE(result.config) << describe(result.problems);
  const Config& c = *result.config;
  EXPECT_EQ(c.source, "herald.yaml");
  EXPECT_EQ(c.redis.url, "redis://127.0.0.1:6379/0");
  EXPECT_EQ(c.redis.stream, "herald:events");
  EXPECT_EQ(c.redis.group, "herald");
  EXPECT_EQ(c.redis.outcomes_stream, "herald:outcomes");
  EXPECT_EQ(c.redis.dead_stream, "herald:dead");
  EXPECT_EQ(c.redis.key_prefix, "{herald}:");
  EXPECT_EQ(c.redis.receipts_stream, "herald:receipts");
  EXPECT_EQ(c.redis.block, milliseconds{1000});
  EXPECT_EQ(c.redis.batch_size, 128u);
  EXPECT_EQ(c.contact.timezone, "Europe/London");
  EXPECT_EQ(c.contact.window.start, minutes{9 * 60});
  EXPECT_EQ(c.contact.window.end, minutes{20 * 60});
  EXPECT_TRUE(c.contact.channel_windows.empty());
  EXPECT_EQ(c.contact.max_attempts_per_day, 3);
  EXPECT_EQ(c.contact.max_days, 3);
  EXPECT_EQ(c.templates.dir, "/etc/herald/templates");
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_EQ(c.rules[0].status, "decision_dispatched");
  EXPECT_EQ(c.rules[0].template_name, "decision_dispatched");
  EXPECT_EQ(c.rules[0].channels, (std::vector<Channel>{Channel::email, Channel::sms}));
  EXPECT_FALSE(c.rules[0].final);
  EXPECT_EQ(c.gateways.at(Channel::email).type, "file");
  EXPECT_EQ(c.gateways.at(Channel::email).directory, "/etc/herald/outbox");
  EXPECT_EQ(c.gateways.at(Channel::email).max_in_flight, 64u);
  EXPECT_EQ(c.retry.initial, milliseconds{1000});
  EXPECT_EQ(c.retry.max, milliseconds{300000});
  EXPECT_DOUBLE_EQ(c.retry.multiplier, 2.0);
  EXPECT_EQ(c.schedule.poll_interval, milliseconds{500});
  EXPECT_EQ(c.limits.max_event_bytes, 65536u);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.metrics.listen, "");
  EXPECT_EQ(c.callbacks.listen, "");
  EXPECT_FALSE(c.sms.international);
  EXPECT_EQ(c.retention.days, 30);
}

TEST(ConfigLoader, DefaultsTheConsumerNameToTheHostName) {
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  auto result = load("");
  ASSERT_TRUE(result.config) << describe(result.problems);
  EXPECT_EQ(result.config->redis.consumer, host);
}

TEST(ConfigLoader, ReadsEveryKeyOfAFullConfig) {
  ::setenv("HERALD_TEST_WEBHOOK_TOKEN", "token-from-the-environment", 1);
  ::unsetenv("CREDENTIALS_DIRECTORY");  // headers_file is then next to the config file
  auto result = load_config(kData / "full.yaml");
  ASSERT_TRUE(result.config) << describe(result.problems);
  const Config& c = *result.config;
  EXPECT_EQ(c.redis.url, "redis://:s3cret@redis.internal:6380/2");
  EXPECT_EQ(c.redis.stream, "app:events");
  EXPECT_EQ(c.redis.group, "notifier");
  EXPECT_EQ(c.redis.consumer, "worker-1");
  EXPECT_EQ(c.redis.outcomes_stream, "app:outcomes");
  EXPECT_EQ(c.redis.dead_stream, "app:dead");
  EXPECT_EQ(c.redis.key_prefix, "notifier:");
  EXPECT_EQ(c.redis.block, milliseconds{1500});
  EXPECT_EQ(c.redis.command_timeout, milliseconds{2500});
  EXPECT_EQ(c.redis.batch_size, 64u);
  EXPECT_EQ(c.redis.claim_idle, milliseconds{120000});
  EXPECT_EQ(c.redis.reconnect_min, milliseconds{200});
  EXPECT_EQ(c.redis.reconnect_max, milliseconds{8000});

  EXPECT_EQ(c.contact.timezone, "Europe/Dublin");
  EXPECT_EQ(c.contact.window.start, minutes{8 * 60 + 30});
  EXPECT_EQ(c.contact.window.end, minutes{21 * 60});
  EXPECT_EQ(c.contact.window_for(Channel::sms).start, minutes{10 * 60});
  EXPECT_EQ(c.contact.window_for(Channel::sms).end, minutes{18 * 60});
  // A per-channel window that gives only its end keeps the general start.
  EXPECT_EQ(c.contact.window_for(Channel::email).start, minutes{8 * 60 + 30});
  EXPECT_EQ(c.contact.window_for(Channel::email).end, minutes{24 * 60});
  EXPECT_EQ(c.contact.max_attempts_per_day, 4);
  EXPECT_EQ(c.contact.max_days, 5);

  EXPECT_EQ(c.templates.dir, (kData / "my-templates").lexically_normal());
  ASSERT_EQ(c.rules.size(), 3u);
  EXPECT_TRUE(c.rules[0].final);
  EXPECT_EQ(c.rules[1].status, "appointment_booked");
  EXPECT_EQ(c.rules[1].template_name, "appointment-booked_v2");
  EXPECT_EQ(c.rules[1].channels, std::vector<Channel>{Channel::sms});
  EXPECT_FALSE(c.rules[1].final);
  EXPECT_EQ(c.rules[2].channels.size(), 2u);
  EXPECT_EQ(c.rule_for("appointment_booked"), &c.rules[1]);

  const GatewayConfig& email = c.gateways.at(Channel::email);
  EXPECT_EQ(email.type, "webhook");
  EXPECT_EQ(email.url, "https://mail.example.org:8443/send");
  EXPECT_EQ(email.timeout, milliseconds{5000});
  EXPECT_EQ(email.connect_timeout, milliseconds{1000});
  EXPECT_EQ(email.max_in_flight, 16u);
  EXPECT_EQ(email.headers, (std::map<std::string, Secret>{
                               {"Authorization", Secret("Bearer token-from-the-environment")},
                               {"X-Signing-Key", Secret("signing-key-from-a-file")},
                               {"X-Tenant", Secret("ukvi")}}));
  const GatewayConfig& sms = c.gateways.at(Channel::sms);
  EXPECT_EQ(sms.type, "file");
  EXPECT_EQ(sms.directory, "/var/spool/herald/sms");
  EXPECT_EQ(sms.max_in_flight, 2u);

  EXPECT_EQ(c.retry.initial, milliseconds{500});
  EXPECT_EQ(c.retry.max, milliseconds{60000});
  EXPECT_DOUBLE_EQ(c.retry.multiplier, 1.5);
  EXPECT_EQ(c.schedule.poll_interval, milliseconds{250});
  EXPECT_EQ(c.schedule.lease, milliseconds{30000});
  EXPECT_EQ(c.schedule.batch_size, 50u);
  EXPECT_EQ(c.limits.max_event_bytes, 32768u);
  EXPECT_EQ(c.limits.max_in_flight, 100u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.metrics.listen, "[::1]:9464");
}

TEST(ConfigLoader, ResolvesRelativePathsAgainstTheConfigFilesDirectory) {
  auto result = load_config(kData / "nested" / "relative.yaml");
  ASSERT_TRUE(result.config) << describe(result.problems);
  EXPECT_EQ(result.config->templates.dir, (kData / "tmpl").lexically_normal());
  EXPECT_EQ(result.config->gateways.at(Channel::email).directory,
            (kData / "nested" / "outbox" / "email").lexically_normal());
  EXPECT_EQ(result.config->gateways.at(Channel::sms).directory,
            (kData / "nested" / "outbox" / "sms").lexically_normal());
}

TEST(ConfigLoader, ResolvesPathsFromAStringAgainstTheGivenDirectory) {
  auto result = load("templates: { dir: tpl }\n");
  ASSERT_TRUE(result.config) << describe(result.problems);
  EXPECT_EQ(result.config->templates.dir, "/etc/herald/tpl");
  auto absolute = load("templates: { dir: /srv/tpl/ }\n");
  ASSERT_TRUE(absolute.config) << describe(absolute.problems);
  EXPECT_EQ(absolute.config->templates.dir, "/srv/tpl/");
}

TEST(ConfigLoader, ReportsAMissingFileAsOneProblem) {
  auto result = load_config(kData / "no-such-file.yaml");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].file, kData / "no-such-file.yaml");
  EXPECT_NE(result.problems[0].message.find("No such file"), std::string::npos)
      << result.problems[0].message;
}

TEST(ConfigLoader, ReportsAYamlSyntaxErrorWithItsLine) {
  auto result =
      load_config_from_string("redis:\n  url: redis://x\n  stream: [unclosed\n", "h.yaml", "/etc");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.problems.size(), 1u) << describe(result.problems);
  EXPECT_GE(result.problems[0].line, 3);
  EXPECT_NE(result.problems[0].message.find("YAML"), std::string::npos);
}

// yaml-cpp stops at 2,000 levels of nesting and says "bad file", which sends the operator
// looking at the file's permissions.
TEST(ConfigLoader, SaysAFileNestedTooDeepIsNestedTooDeep) {
  auto result = load_config_from_string(
      "redis:\n  url: " + std::string(3000, '[') + std::string(3000, ']') + "\n", "h.yaml", "/etc");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.problems.size(), 1u) << describe(result.problems);
  EXPECT_EQ(result.problems[0].line, 2);
  EXPECT_EQ(result.problems[0].message,
            "not valid YAML: nested deeper than yaml-cpp reads (2000 levels)");
}

TEST(ConfigLoader, ReportsAFileThatIsNotUtf8WithItsLine) {
  // A sender name saved as Latin-1 ("Gw\xe2in" for "Gwâin") would go into every message as is.
  auto result = load_config_from_string(
      "redis:\n  url: redis://x\ngateways:\n  email: { type: webhook, from_name: \"Gw\xe2in\" }\n",
      "h.yaml", "/etc");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.problems.size(), 1u) << describe(result.problems);
  EXPECT_EQ(result.problems[0].line, 4);
  EXPECT_EQ(result.problems[0].message, "not valid UTF-8 (byte 0xE2): save the file as UTF-8");
}

TEST(ConfigLoader, ReportsUnknownKeysAtEveryDepthWithTheirLines) {
  auto result = load(R"(colour: blue
redis:
  urll: redis://localhost
contact:
  window: { start: "09:00", finish: "20:00" }
  windows:
    fax: { start: "09:00" }
rules:
  - status: submitted
    template: submitted
    priority: high
gateways:
  email: { type: file, directory: out, retries: 3 }
  sms: { type: file, directory: out }
  pigeon: { type: file, directory: out }
)");
  EXPECT_FALSE(result.config);
  struct Expected {
    const char* key;
    int line;
  };
  for (auto [key, line] :
       {Expected{"colour", 1}, Expected{"redis.urll", 3}, Expected{"contact.window.finish", 5},
        Expected{"contact.windows.fax", 7}, Expected{"rules[0].priority", 11},
        Expected{"gateways.email.retries", 13}, Expected{"gateways.pigeon", 15}}) {
    const ConfigProblem* p = find(result.problems, key);
    ASSERT_NE(p, nullptr) << key << describe(result.problems);
    EXPECT_EQ(p->line, line) << key;
    EXPECT_NE(p->message.find("unknown key"), std::string::npos) << p->message;
  }
  EXPECT_EQ(result.problems.size(), 7u) << describe(result.problems);
}

TEST(ConfigLoader, ReportsARepeatedKey) {
  auto result = load("log:\n  level: info\n  level: debug\n");
  const ConfigProblem* p = find(result.problems, "log.level");
  ASSERT_NE(p, nullptr) << describe(result.problems);
  EXPECT_EQ(p->line, 3);
  EXPECT_NE(p->message.find("repeated"), std::string::npos);
}

struct BadCase {
  const char* yaml;
  const char* key_path;
  int line;
  const char* message_part;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.key_path;
}

class ConfigProblemCase : public testing::TestWithParam<BadCase> {};

TEST_P(ConfigProblemCase, NamesTheKeyTheLineAndTheProblem) {
  const BadCase& c = GetParam();
  auto result = load(c.yaml);
  EXPECT_FALSE(result.config);
  const ConfigProblem* p = find(result.problems, c.key_path);
  ASSERT_NE(p, nullptr) << "no problem at " << c.key_path << describe(result.problems);
  EXPECT_EQ(p->line, c.line) << to_string(*p);
  EXPECT_NE(p->message.find(c.message_part), std::string::npos) << to_string(*p);
  EXPECT_EQ(p->file, "herald.yaml");
}

// clang-format off
const BadCase kBadCases[] = {
  // wrong types
  {"contact:\n  max_days: three\n", "contact.max_days", 2, "expected an integer, got a string"},
  {"contact:\n  max_days: \"3\"\n", "contact.max_days", 2, "expected an integer, got a string"},
  {"contact:\n  max_days: 2.5\n", "contact.max_days", 2, "expected an integer, got a number"},
  {"redis:\n  url: [a, b]\n", "redis.url", 2, "expected a string, got a list"},
  {"redis: redis://localhost\n", "redis", 1, "expected a map, got a string"},
  {"rules:\n  status: x\n  template: x\ngateways: {}\n", "rules", 2, "expected a list of rules, got a map"},
  {"rules:\n  - just-a-name\ngateways: {}\n", "rules[0]", 2, "expected a map"},
  {"rules:\n  - status: a\n    template: a\n    channels: email\n"
   "gateways: { email: {type: file, directory: o} }\n", "rules[0].channels", 4, "expected a list of channels"},
  {"rules:\n  - status: a\n    template: a\n    final: \"yes\"\n"
   "gateways: { email: {type: file, directory: o}, sms: {type: file, directory: o} }\n",
   "rules[0].final", 4, "expected true or false"},
  {"retry:\n  multiplier: fast\n", "retry.multiplier", 2, "expected a number"},
  {"gateways:\n  email: webhook\n  sms: { type: file, directory: o }\n"
   "rules: [{status: a, template: a, channels: [sms]}]\n", "gateways.email", 2, "expected a map"},
  {"contact:\n  window: \"09:00-20:00\"\n", "contact.window", 2, "expected a map"},
  // bad values
  {"contact:\n  window: { start: \"9:00\" }\n", "contact.window.start", 2, "HH:MM"},
  {"contact:\n  window: { end: \"24:30\" }\n", "contact.window.end", 2, "HH:MM"},
  {"contact:\n  window: { start: \"12:60\" }\n", "contact.window.start", 2, "HH:MM"},
  {"contact:\n  window: { start: \"20:00\", end: \"09:00\" }\n", "contact.window", 2, "start must be before end"},
  {"contact:\n  windows:\n    sms: { start: \"21:00\" }\n", "contact.windows.sms", 3, "start must be before end"},
  {"contact:\n  max_attempts_per_day: 0\n", "contact.max_attempts_per_day", 2, "between 1 and 24"},
  {"contact:\n  max_attempts_per_day: 25\n", "contact.max_attempts_per_day", 2, "between 1 and 24"},
  {"contact:\n  max_days: 31\n", "contact.max_days", 2, "between 1 and 30"},
  {"contact:\n  timezone: Mars/Olympus_Mons\n", "contact.timezone", 2, "unknown time zone"},
  {"contact:\n  timezone: ../../etc/passwd\n", "contact.timezone", 2, "unknown time zone"},
  {"redis:\n  block_ms: 0\n", "redis.block_ms", 2, "between 1 and"},
  {"redis:\n  command_timeout_ms: -1\n", "redis.command_timeout_ms", 2, "between 1 and"},
  {"redis:\n  batch_size: 0\n", "redis.batch_size", 2, "between 1 and"},
  {"redis:\n  reconnect_min_ms: 9000\n", "redis.reconnect_min_ms", 2, "reconnect_max_ms"},
  {"redis:\n  url: redis://localhost:99999\n", "redis.url", 2, "not a valid URL"},
  {"redis:\n  url: https://localhost\n", "redis.url", 2, "not a valid URL"},
  {"redis:\n  stream: \"\"\n", "redis.stream", 2, "must not be empty"},
  {"redis:\n  group: \"\"\n", "redis.group", 2, "must not be empty"},
  {"redis:\n  consumer: \"\"\n", "redis.consumer", 2, "must not be empty"},
  {"redis:\n  outcomes_stream: herald:events\n", "redis.outcomes_stream", 2, "must differ from redis.stream"},
  {"retry:\n  multiplier: 0.5\n", "retry.multiplier", 2, "between 1 and"},
  {"retry:\n  initial_ms: 5000\n  max_ms: 1000\n", "retry.max_ms", 3, "retry.initial_ms"},
  {"schedule:\n  batch_size: 0\n", "schedule.batch_size", 2, "between 1 and"},
  {"schedule:\n  lease_ms: 0\n", "schedule.lease_ms", 2, "between 1 and"},
  {"schedule:\n  poll_interval_ms: 99999999999\n", "schedule.poll_interval_ms", 2, "between 1 and"},
  {"limits:\n  max_event_bytes: 0\n", "limits.max_event_bytes", 2, "between 1024 and"},
  {"limits:\n  max_event_bytes: 64\n", "limits.max_event_bytes", 2, "between 1024 and 67108864 (got 64)"},
  {"limits:\n  max_event_bytes: 67108864\n", "limits.max_event_bytes", 2, "(128) is 8192 MiB, over 1024 MiB"},
  {"redis:\n  batch_size: 10000\nlimits:\n  max_event_bytes: 1048576\n", "limits.max_event_bytes", 4, "over 1024 MiB"},
  {"log:\n  level: loud\n", "log.level", 2, "must be one of: trace, debug"},
  {"log:\n  target: syslog\n", "log.target", 2, "must be one of: auto, journal, stderr"},
  {"shutdown:\n  drain_timeout_ms: 0\n", "shutdown.drain_timeout_ms", 2, "between 1 and"},
  {"shutdown:\n  drain_ms: 10\n", "shutdown.drain_ms", 2, "unknown key"},
  {"metrics:\n  listen: \"9464\"\n", "metrics.listen", 2, "host:port"},
  {"metrics:\n  listen: \"localhost:0\"\n", "metrics.listen", 2, "host:port"},
  {"templates:\n  dir: \"\"\n", "templates.dir", 2, "must not be empty"},
  {"callbacks:\n  listen: \"localhost:9465\"\n", "callbacks.listen", 2, "host:port"},
  {"sms:\n  international: maybe\n", "sms.international", 2, "expected true or false"},
  {"retention:\n  days: 0\n", "retention.days", 2, "between 1 and 3650"},
  {"contact:\n  max_days: 3\nretention:\n  days: 3\n", "retention.days", 4, "greater than contact.max_days"},
  {"defaults: &d\n  days: 7\nretention:\n  <<: *d\n", "retention.<<", 4, "merge keys (<<) are not supported"},
  {"redis:\n  url: \"rediss://h:6380/0\"\n", "redis.url", 2, "TLS (rediss://) is not supported"},
  {"redis:\n  receipts_stream: herald:events\n", "redis.receipts_stream", 2, "must differ"},
  // rules
  {"rules: []\ngateways: {}\n", "rules", 1, "at least one rule"},
  {"gateways:\n  email: { type: file, directory: o }\n  sms: { type: file, directory: o }\n", "rules", 0, "at least one rule"},
  {"rules:\n  - template: a\ngateways: {}\n", "rules[0].status", 2, "required key missing"},
  {"rules:\n  - status: a\ngateways: {}\n", "rules[0].template", 2, "required key missing"},
  {"rules:\n  - status: Decision Dispatched\n    template: a\ngateways: {}\n", "rules[0].status", 2, "a-z, 0-9 and _"},
  {"rules:\n  - status: a\n    template: ../secrets\ngateways: {}\n", "rules[0].template", 3, "plain file name"},
  {"rules:\n  - status: a\n    template: a\n  - status: a\n    template: b\ngateways: {}\n", "rules[1].status", 4, "already has a rule (rules[0])"},
  {"rules:\n  - status: a\n    template: a\n    channels: []\ngateways: {}\n", "rules[0].channels", 4, "at least one channel"},
  {"rules:\n  - status: a\n    template: a\n    channels: [email, fax]\ngateways: {}\n", "rules[0].channels[1]", 4, "unknown channel"},
  {"rules:\n  - status: a\n    template: a\n    channels: [sms, sms]\ngateways: {}\n", "rules[0].channels[1]", 4, "repeated channel"},
  // gateways
  {"rules:\n  - status: a\n    template: a\ngateways:\n  email: { type: file, directory: o }\n", "gateways.sms", 5, "no gateway for channel sms"},
  {"rules:\n  - status: a\n    template: a\n    channels: [email]\n", "gateways.email", 4, "no gateway for channel email"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email: { url: \"http://x\" }\n", "gateways.email.type", 3, "required key missing"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email: { type: smtp }\n", "gateways.email.type", 3, "must be one of: webhook, file, govuk_notify, twilio, sendgrid"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email: { type: webhook }\n", "gateways.email.url", 3, "required key missing"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email: { type: webhook, url: \"ftp://host/x\" }\n", "gateways.email.url", 3, "http:// or https://"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email: { type: webhook, url: \"http:///path\" }\n", "gateways.email.url", 3, "with a host"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email: { type: webhook, url: \"https://svc:pa55w0rd@hooks.example/e\" }\n", "gateways.email.url", 3, "must not carry a user or password"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email: { type: file }\n", "gateways.email.directory", 3, "required key missing"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email:\n    type: file\n    directory: o\n    url: \"http://x\"\n", "gateways.email.url", 6, "does not apply to a file gateway"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email:\n    type: webhook\n    url: \"http://x\"\n    directory: o\n", "gateways.email.directory", 6, "does not apply to a webhook gateway"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email:\n    type: webhook\n    url: \"http://x\"\n    timeout_ms: 0\n", "gateways.email.timeout_ms", 6, "between 1 and"},
  {"rules: [{status: a, template: a, channels: [email]}]\ngateways:\n  email:\n    type: webhook\n    url: \"http://x\"\n    headers: { Idempotency-Key: x }\n", "gateways.email.headers.Idempotency-Key", 6, "set by herald"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(EachProblemKind, ConfigProblemCase, testing::ValuesIn(kBadCases));

TEST(ConfigLoader, ReportsEveryProblemInAFileAtOnce) {
  auto result = load_config(kData / "many_problems.yaml");
  EXPECT_FALSE(result.config);
  struct Expected {
    const char* key;
    int line;
  };
  const Expected expected[] = {
      {"redis.url", 2},
      {"redis.stream", 3},
      {"redis.block_ms", 4},
      {"contact.timezone", 6},
      {"contact.window.start", 7},
      {"contact.max_attempts_per_day", 8},
      {"contact.colour", 9},
      {"templates.dir", 11},
      {"rules[0].template", 14},
      {"rules[0].channels[1]", 15},
      {"rules[1].status", 16},
      {"rules[1].final", 18},
      {"gateways.email.url", 20},
      {"gateways.sms.type", 21},
      {"log.level", 23},
      {"metrics.listen", 25},
  };
  for (const auto& e : expected) {
    const ConfigProblem* p = find(result.problems, e.key);
    ASSERT_NE(p, nullptr) << e.key << describe(result.problems);
    EXPECT_EQ(p->line, e.line) << to_string(*p);
    EXPECT_EQ(p->file, kData / "many_problems.yaml");
  }
  EXPECT_EQ(result.problems.size(), std::size(expected)) << describe(result.problems);
}

TEST(ConfigLoader, NeverEchoesTheRedisPassword) {
  auto result = load("redis:\n  url: \"redis://:hunter2@host:70000\"\n");
  ASSERT_EQ(result.problems.size(), 1u) << describe(result.problems);
  EXPECT_EQ(to_string(result.problems[0]).find("hunter2"), std::string::npos);
}

TEST(ConfigLoader, ReadsTheReceiptTokenFromTheEnvironmentNeverFromTheYaml) {
  ::setenv("HERALD_TEST_RECEIPT_TOKEN", "s3cret-token-of-enough-length", 1);
  auto ok = load(
      "callbacks:\n  listen: 127.0.0.1:9465\n  token_env: HERALD_TEST_RECEIPT_TOKEN\n"
      "sms:\n  international: true\nretention:\n  days: 7\n");
  ASSERT_TRUE(ok.config) << describe(ok.problems);
  EXPECT_EQ(ok.config->callbacks.listen, "127.0.0.1:9465");
  EXPECT_EQ(ok.config->callbacks.token.reveal(), "s3cret-token-of-enough-length");
  EXPECT_TRUE(ok.config->sms.international);
  EXPECT_EQ(ok.config->retention.days, 7);

  auto in_yaml = load("callbacks:\n  listen: 127.0.0.1:9465\n  token: hunter2hunter2hunter2\n");
  ASSERT_FALSE(in_yaml.config);
  auto* p = find(in_yaml.problems, "callbacks.token");
  ASSERT_NE(p, nullptr) << describe(in_yaml.problems);
  EXPECT_NE(p->message.find("never written in the config"), std::string::npos);
  EXPECT_EQ(describe(in_yaml.problems).find("hunter2"), std::string::npos);

  ::unsetenv("HERALD_CALLBACK_TOKEN");
  auto missing = load("callbacks:\n  listen: 127.0.0.1:9465\n");
  ASSERT_FALSE(missing.config);
  ASSERT_NE(find(missing.problems, "callbacks.listen"), nullptr) << describe(missing.problems);
  EXPECT_NE(describe(missing.problems).find("HERALD_CALLBACK_TOKEN is not set"), std::string::npos);
  ::unsetenv("HERALD_TEST_RECEIPT_TOKEN");
}

TEST(ConfigLoader, ReadsTheReceiptTokenFromACredentialsFile) {
  auto dir = std::filesystem::temp_directory_path() / "herald-config-test-credentials";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "receipt-token") << "token-from-a-credential-file\n"; }
  ::setenv("CREDENTIALS_DIRECTORY", dir.c_str(), 1);
  auto ok = load("callbacks:\n  listen: 127.0.0.1:9465\n  token_file: receipt-token\n");
  ::unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_TRUE(ok.config) << describe(ok.problems);
  EXPECT_EQ(ok.config->callbacks.token.reveal(), "token-from-a-credential-file");
  auto missing = load("callbacks:\n  listen: 127.0.0.1:9465\n  token_file: /nonexistent/token\n");
  ASSERT_NE(find(missing.problems, "callbacks.token_file"), nullptr) << describe(missing.problems);
  std::filesystem::remove_all(dir);
}

// A token with a trailing space (a file written by `echo "token "`, a quoted environment
// variable) passed check-config, but HTTP drops the space from the Authorization header, so every
// provider callback was refused with 401. Only what a bearer token may hold is taken.
TEST(ConfigLoader, RefusesAReceiptTokenNoBearerHeaderCouldCarry) {
  const std::string yaml = "callbacks:\n  listen: 127.0.0.1:9465\n";
  for (const char* bad : {"abcdefghijklmnopq ", "abcdefgh ijklmnopq", "abcdefghijklmnopq\t",
                          "abcdefgh=ijklmnopq", "abcdefghijklmnopqé"}) {
    ::setenv("HERALD_CALLBACK_TOKEN", bad, 1);
    auto loaded = load(yaml);
    EXPECT_FALSE(loaded.config) << "'" << bad << "'";
    auto* p = find(loaded.problems, "callbacks.token_env");
    ASSERT_NE(p, nullptr) << describe(loaded.problems);
    EXPECT_NE(p->message.find("as a bearer token must"), std::string::npos) << p->message;
  }
  for (const char* good : {"abcdefghijklmnopq", "a-b.c_d~e+f/g0123456789==", "ABCDEFGH12345678"}) {
    ::setenv("HERALD_CALLBACK_TOKEN", good, 1);
    auto loaded = load(yaml);
    EXPECT_TRUE(loaded.config) << good << ": " << describe(loaded.problems);
  }
  ::unsetenv("HERALD_CALLBACK_TOKEN");
}

TEST(ConfigProblem, FormatsAsFileLineKeyAndMessage) {
  EXPECT_EQ(
      to_string({"/etc/herald/herald.yaml", "gateways.email.url", 12, "required key missing"}),
      "/etc/herald/herald.yaml:12: gateways.email.url: required key missing");
  EXPECT_EQ(to_string({"h.yaml", "rules", 0, "at least one rule is required"}),
            "h.yaml: rules: at least one rule is required");
  EXPECT_EQ(to_string({"h.yaml", "", 3, "not valid YAML"}), "h.yaml:3: not valid YAML");
}

// Service issue: where the log goes and how long SIGTERM waits for work in flight.
TEST(ConfigLoader, ReadsLogTargetAndDrainTimeoutWithTheirDefaults) {
  auto defaults = load("");
  ASSERT_TRUE(defaults.config) << to_string(defaults.problems.at(0));
  EXPECT_EQ(defaults.config->log.target, "auto");
  EXPECT_EQ(defaults.config->shutdown.drain_timeout, milliseconds(10000));
  auto set = load("log:\n  target: journal\nshutdown:\n  drain_timeout_ms: 2500\n");
  ASSERT_TRUE(set.config) << to_string(set.problems.at(0));
  EXPECT_EQ(set.config->log.target, "journal");
  EXPECT_EQ(set.config->shutdown.drain_timeout, milliseconds(2500));
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(RetentionConfig, MustOutliveTheLastContactAttempt) {
  auto loaded = load_config_from_string(
      "rules: []\ncontact:\n  max_days: 5\nretention:\n  days: 5\n", "r.yaml", ".");
  bool found = false;
  for (const auto& p : loaded.problems)
    found = found || (p.key_path == "retention.days" &&
                      p.message.find("greater than contact.max_days (5)") != std::string::npos);
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace herald
