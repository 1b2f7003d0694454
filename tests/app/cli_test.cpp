// The herald binary as a user runs it (CONTRACT.md section 2).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <boost/json.hpp>

namespace {

struct Run {
  int exit_code;
  std::string out;  // stdout and stderr together
};

Run herald(const std::string& args, const std::string& stdin_text = "") {
  auto dir = std::filesystem::temp_directory_path();
  auto in = dir / ("herald-cli-in-" + std::to_string(::getpid()));
  std::ofstream(in) << stdin_text;
  std::string command = std::string(HERALD_BINARY) + " " + args + " <" + in.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  int status = ::pclose(pipe);
  std::filesystem::remove(in);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const std::string kDemo = std::string(HERALD_SOURCE_DIR) + "/config/demo.yaml";

std::string event(const std::string& extra_recipient = "") {
  return R"({"id":"evt-cli-1","case_ref":"GWF012345678","status":"application_received",
             "occurred_at":"2026-11-22T10:15:00Z","recipient":{"name":"KATIE MCNALLY","title":"Ms",
             "email":"katie@example.org","phone":"07700 900123","timezone":"Europe/London")" +
         extra_recipient + R"(},"data":{}})";
}

TEST(Cli, PrintsTheVersion) {
  auto r = herald("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("herald ", 0), 0u);
}

TEST(Cli, VersionHasHelpAndRefusesAnyOtherArgument) {
  auto r = herald("version --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("herald version"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--help"), std::string::npos) << r.out;
  r = herald("version --bogus");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  // The same one-line message as every other command for an unknown option.
  EXPECT_NE(r.out.find("herald version: unrecognised option '--bogus'"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(see 'herald version --help')"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("herald 0"), std::string::npos) << "no version printed: " << r.out;
  r = herald("version extra");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("(see 'herald version --help')"), std::string::npos) << r.out;
  EXPECT_EQ(herald("--version").exit_code, 0);
  EXPECT_EQ(herald("--version --bogus").exit_code, 2);
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* command : {"run", "check-config", "render", "plan"}) {
    auto r = herald(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.out.find(std::string("herald ") + command), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--config"), std::string::npos) << r.out;
  }
  EXPECT_EQ(herald("--help").exit_code, 0);
}

TEST(Cli, BadUsageExitsWithTwoAndSaysWhy) {
  auto r = herald("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown command 'frobnicate'"), std::string::npos);
  r = herald("plan --config " + kDemo + " -", event());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--now is required"), std::string::npos) << r.out;
  r = herald("render --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  // An argument too many is named, as an unknown option is (Boost said only "too many
  // positional options have been specified on the command line").
  for (const char* command : {"version extra", "check-config --config x.yaml extra",
                              "status GWF012345678 extra", "dead list extra"}) {
    r = herald(command);
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.out.find("unexpected argument 'extra'"), std::string::npos) << r.out;
  }
}

TEST(Cli, ChecksTheShippedConfigs) {
  for (const char* file : {"/config/demo.yaml", "/config/herald.yaml"}) {
    auto r = herald(std::string("check-config --config ") + HERALD_SOURCE_DIR + file);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("ok"), std::string::npos) << r.out;
  }
}

TEST(Cli, CheckConfigListsEveryProblemAtOnceWithKeyAndLine) {
  auto dir = std::filesystem::temp_directory_path() / ("herald-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.yaml") << "redis:\n"
                                     "  url: http://nope\n"
                                     "  colour: blue\n"
                                     "contact:\n"
                                     "  window: { start: \"21:00\", end: \"20:00\" }\n"
                                     "templates:\n"
                                     "  dir: " HERALD_SOURCE_DIR
                                     "/config/templates\n"
                                     "rules:\n"
                                     "  - { status: application_received, template: "
                                     "application_received, channels: [email, fax] }\n"
                                     "gateways:\n"
                                     "  email: { type: pigeon }\n";
  auto r = herald("check-config --config " + (dir / "bad.yaml").string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 2);
  for (const char* key : {"redis.url", "redis.colour", "contact.window", "rules[0].channels[1]",
                          "gateways.email.type"})
    EXPECT_NE(r.out.find(key), std::string::npos) << key << " missing from:\n" << r.out;
  EXPECT_NE(r.out.find("bad.yaml:3:"), std::string::npos) << "line numbers:\n" << r.out;
}

// check-config says "every problem at once", but with a problem in the config it said nothing
// of the templates: the operator fixed the config, ran it again, and only then heard of them.
TEST(Cli, CheckConfigReportsTemplateProblemsBesideTheConfigsOwn) {
  auto dir =
      std::filesystem::temp_directory_path() / ("herald-cli-tp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "templates");
  std::ofstream(dir / "templates" / "broken.yaml")
      << "email:\n  en: { subject: \"Your case {{case_ref\", body: \"Hello\" }\n";
  std::ofstream(dir / "bad.yaml")
      << "redis:\n"
         "  url: redis://127.0.0.1:6379\n"
         "  colour: blue\n"
         "rules:\n"
         "  - { status: received, template: broken, channels: [email] }\n"
         "  - { status: moved, template: ../escape, channels: [email] }\n"
         "gateways:\n"
         "  email: { type: file, directory: outbox }\n";
  auto r = herald("check-config --config " + (dir / "bad.yaml").string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("redis.colour"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("broken.yaml"), std::string::npos) << "the template's problem:\n" << r.out;
  const auto first = r.out.find("rules[1].template");
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("rules[1].template", first + 1), std::string::npos)
      << "the bad name, once, as the config's own problem:\n"
      << r.out;
  EXPECT_EQ(r.out.find("escape"), std::string::npos) << "never opened as a path:\n" << r.out;
  EXPECT_EQ(r.out.find("escape", first + 1), std::string::npos)
      << "the bad name, once, as the config's:\n"
      << r.out;
}

// A file gateway's outbox that cannot be created passed check-config (the unit's ExecStartPre),
// then `herald run` exited 1, a runtime failure, without naming the key: systemd restarted it
// in a loop.
TEST(Cli, AnOutboxThatCannotBeCreatedIsAProblemOfTheConfig) {
  auto dir =
      std::filesystem::temp_directory_path() / ("herald-cli-ob-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a-file") << "not a directory\n";
  std::ofstream(dir / "outbox.yaml") << "redis: { url: \"redis://127.0.0.1:1\" }\n"
                                        "templates: { dir: " HERALD_SOURCE_DIR
                                        "/config/templates }\n"
                                        "rules:\n"
                                        "  - { status: application_received, template: "
                                        "application_received, channels: [sms] }\n"
                                        "gateways:\n"
                                        "  sms: { type: file, directory: a-file/outbox }\n";
  for (const char* command : {"check-config", "run"}) {
    auto r = herald(std::string(command) + " --config " + (dir / "outbox.yaml").string());
    EXPECT_EQ(r.exit_code, 2) << command << ":\n" << r.out;
    EXPECT_NE(r.out.find("gateways.sms.directory"), std::string::npos) << command << ":\n" << r.out;
    EXPECT_NE(r.out.find("cannot create outbox directory"), std::string::npos) << r.out;
  }
  std::filesystem::remove_all(dir);
}

// check-config says every problem at once: an outbox that cannot be created was said only once
// the rest of the file had none, so fixing a config took one run per kind of problem. A gateway
// with a problem of its own is not built (its settings cannot be trusted), so not checked.
TEST(Cli, CheckConfigSaysAnOutboxProblemAlongsideTheOthers) {
  auto dir =
      std::filesystem::temp_directory_path() / ("herald-cli-all-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a-file") << "not a directory\n";
  std::ofstream(dir / "all.yaml")
      << "redis: { url: \"redis://127.0.0.1:1\" }\n"
         "templates: { dir: " HERALD_SOURCE_DIR
         "/config/templates }\n"
         "limits: { max_event_bytes: 64 }\n"
         "rules:\n"
         "  - { status: application_received, template: application_received, channels: [email, "
         "sms] }\n"
         "gateways:\n"
         "  email: { type: file, directory: a-file/email, max_in_flight: 0 }\n"
         "  sms: { type: file, directory: a-file/sms }\n";
  auto r = herald("check-config --config " + (dir / "all.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("limits.max_event_bytes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gateways.email.max_in_flight"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gateways.sms.directory"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("gateways.email.directory"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("herald: 3 problems in the configuration"), std::string::npos) << r.out;

  // Only a template's problem: the config itself is whole, and its gateways are checked too.
  std::filesystem::create_directories(dir / "templates");
  std::ofstream(dir / "templates" / "application_received.yaml") << "email: [\n";
  std::ofstream(dir / "templates-only.yaml")
      << "redis: { url: \"redis://127.0.0.1:1\" }\n"
         "templates: { dir: templates }\n"
         "rules:\n"
         "  - { status: application_received, template: application_received, channels: [sms] }\n"
         "gateways:\n"
         "  sms: { type: file, directory: a-file/sms }\n";
  r = herald("check-config --config " + (dir / "templates-only.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("not valid YAML"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gateways.sms.directory"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

// A SendGrid verification key of the right shape that is no key (a point off the curve) passed
// check-config, and every batch of SendGrid's events would then have been refused as unsigned.
TEST(Cli, ASendgridVerificationKeyThatIsNoKeyIsAProblemOfTheConfig) {
  auto dir =
      std::filesystem::temp_directory_path() / ("herald-cli-sg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ::setenv("HERALD_CALLBACK_TOKEN", "receipt-token-for-tests-0123456789", 1);
  ::setenv("HERALD_TEST_SENDGRID_KEY", "SG.key", 1);
  // A real key's last point coordinate changed: the point is no longer on P-256.
  const std::string off_curve =
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEr0BrcHF/qjyZKmdKYMcVPyKFnZQJ7AtLJNUr4POc9TeL7QMS4+h26zqT"
      "bb+83sNUrLVxbf5DY98/qd0oM6fZAg==";
  std::ofstream(dir / "sendgrid.yaml")
      << "redis: { url: \"redis://127.0.0.1:1\" }\n"
         "templates: { dir: " HERALD_SOURCE_DIR
         "/config/templates }\n"
         "callbacks: { listen: \"127.0.0.1:0\" }\n"
         "rules:\n"
         "  - { status: application_received, template: application_received, channels: [email] }\n"
         "gateways:\n"
         "  email: { type: sendgrid, api_key: \"${HERALD_TEST_SENDGRID_KEY}\", from_email: "
         "dispatch@example.gov.uk, event_webhook_key: \""
      << off_curve << "\" }\n";
  auto r = herald("check-config --config " + (dir / "sendgrid.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("gateways.email.event_webhook_key"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not a verification key SendGrid would give"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

TEST(Cli, MissingConfigFileIsBadInput) {
  auto r = herald("check-config --config /nonexistent/herald.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/nonexistent/herald.yaml"), std::string::npos);
}

TEST(Cli, RendersTheMessagesAnEventWouldProduce) {
  auto r = herald("render --config " + kDemo + " -", event());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto messages = boost::json::parse(r.out).as_array();
  ASSERT_EQ(messages.size(), 2u);
  auto email = messages[0].as_object();
  EXPECT_EQ(email.at("channel"), "email");
  EXPECT_EQ(email.at("to"), "katie@example.org");
  EXPECT_NE(std::string(email.at("subject").as_string()).find("GWF012345678"), std::string::npos);
  EXPECT_NE(std::string(email.at("body").as_string()).find("Ms McNally"), std::string::npos);
  EXPECT_TRUE(email.contains("html"));
  EXPECT_EQ(email.at("language"), "en");
  EXPECT_EQ(email.at("template"), "application_received");
  auto sms = messages[1].as_object();
  EXPECT_EQ(sms.at("channel"), "sms");
  EXPECT_EQ(sms.at("to"), "+447700900123");
  EXPECT_FALSE(sms.contains("subject"));
  EXPECT_FALSE(sms.contains("html"));
}

TEST(Cli, RenderRefusesAnInvalidEventWithTheReason) {
  auto r = herald("render --config " + kDemo + " -", event(R"(,"language":"fr")"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("language"), std::string::npos) << r.out;
}

TEST(Cli, PlansSendNowInsideTheWindowAndDeferOutsideIt) {
  auto r = herald("plan --config " + kDemo + " --now 2026-11-23T12:00:00Z -", event());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto decisions = boost::json::parse(r.out).as_object().at("decisions").as_array();
  ASSERT_EQ(decisions.size(), 2u);
  for (const auto& d : decisions) {
    EXPECT_EQ(d.at("action"), "send");
    EXPECT_EQ(d.at("at"), "2026-11-23T12:00:00Z");
  }
  r = herald("plan --config " + kDemo + " --now 2026-11-23T21:00:00Z -", event());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  decisions = boost::json::parse(r.out).as_object().at("decisions").as_array();
  for (const auto& d : decisions) {
    EXPECT_EQ(d.at("action"), "defer");
    EXPECT_EQ(d.at("at"), "2026-11-24T09:00:00Z");
  }
  // Kathmandu is UTC+05:45: 09:00 there is 03:15 UTC.
  r = herald("plan --config " + kDemo + " --now 2026-11-23T01:00:00Z -",
             event().replace(event().find("Europe/London"), 13, "Asia/Kathmandu"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  decisions = boost::json::parse(r.out).as_object().at("decisions").as_array();
  EXPECT_EQ(decisions[0].at("at"), "2026-11-23T03:15:00Z");
}

// What run dead-letters, plan refuses too: plan prints what the daemon would do.
TEST(Cli, PlanRefusesAnEventThatSaysItHappensMoreThanADayAfterNow) {
  auto r = herald("plan --config " + kDemo + " --now 2026-11-20T10:00:00Z -", event());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("more than a day ahead of herald's clock"), std::string::npos) << r.out;
  r = herald("plan --config " + kDemo + " --now 2026-11-21T12:00:00Z -", event());
  EXPECT_EQ(r.exit_code, 0) << "within a day is a clock off by hours: " << r.out;
}

TEST(Cli, PlanTakesEarlierFailedAttemptsIntoAccount) {
  auto r = herald(
      "plan --config " + kDemo + " --now 2026-11-23T10:00:00Z --failed 2026-11-23T09:00:00Z -",
      event());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto decisions = boost::json::parse(r.out).as_object().at("decisions").as_array();
  EXPECT_EQ(decisions[0].at("action"), "defer");
  EXPECT_EQ(decisions[0].at("at"), "2026-11-23T12:40:00Z");  // 09:00 + 3h40m
}

}  // namespace
