// Provider gateways in the config: their keys, secrets from the environment or files, and every
// way a gateway can be wrong.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "herald/config/config_loader.hpp"

namespace herald {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kNotifyKey =
    "herald_live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
constexpr const char* kTemplateId = "f33517ff-2a88-4f6e-b855-c550268ce08a";

// A temporary directory for the config file's neighbours (secret files, CA files).
class Dir {
 public:
  Dir() {
    std::string pattern = (fs::temp_directory_path() / "herald-config-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~Dir() { fs::remove_all(path_); }
  void write(const std::string& name, const std::string& content) const {
    fs::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name, std::ios::binary) << content;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Sets an environment variable for the test's duration.
class Env {
 public:
  Env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~Env() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

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

// A Signed Event Webhook verification key, as SendGrid's mail settings show one.
#define EVENT_WEBHOOK_KEY                        \
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEr0BrcHF/" \
  "qjyZKmdKYMcVPyKFnZQJ7AtLJNUr4POc9TeL7QMS4+h26zqTbb+83sNUrLVxbf5DY98/qd0oM6fZxg=="

const std::string kRules =
    "rules:\n  - { status: decision_dispatched, template: decision_dispatched }\n";

class GatewayConfigTest : public ::testing::Test {
 protected:
  ConfigLoadResult load(const std::string& yaml) {
    return load_config_from_string(yaml, "herald.yaml", dir.path());
  }
  Dir dir;
  Env key{"HERALD_TEST_NOTIFY_KEY", kNotifyKey};
  Env credentials{"CREDENTIALS_DIRECTORY", nullptr};
};

TEST_F(GatewayConfigTest, ReadsANotifyGatewayWithItsDefaults) {
  auto result = load(kRules + R"(gateways:
  email:
    type: govuk_notify
    api_key: ${HERALD_TEST_NOTIFY_KEY}
    templates:
      decision_dispatched: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: 0b4c9a87-5e1b-4a4e-8a59-0cd0e1a7c5a2 }
    email_reply_to_id: 8e222534-7f05-4972-86e3-17c5d9f894e2
  sms:
    type: govuk_notify
    api_key: ${HERALD_TEST_NOTIFY_KEY}
    templates:
      decision_dispatched: { en: 9d1b0ce3-7c4a-4b09-9a0e-5f4f1a5e2b11, cy: 5f1d6d3e-2b7a-4c3e-9d4f-1a2b3c4d5e6f }
    sms_sender_id: 2b6a1c4e-9f3d-4e5a-8b7c-6d5e4f3a2b1c
)");
  ASSERT_TRUE(result.config) << describe(result.problems);
  const auto& email = result.config->gateways.at(Channel::email);
  EXPECT_EQ(email.type, "govuk_notify");
  EXPECT_EQ(email.name, "govuk_notify");
  EXPECT_EQ(email.base_url, "https://api.notifications.service.gov.uk");
  EXPECT_EQ(email.api_key.reveal(), kNotifyKey);
  EXPECT_DOUBLE_EQ(email.rate_per_second, 50.0) << "Notify's 3,000 a minute";
  EXPECT_EQ(email.circuit_breaker.failures, 5);
  EXPECT_EQ(email.circuit_breaker.cool_down, 30000ms);
  EXPECT_EQ(email.templates.at("decision_dispatched").at("cy"),
            "0b4c9a87-5e1b-4a4e-8a59-0cd0e1a7c5a2");
  EXPECT_EQ(email.email_reply_to_id, "8e222534-7f05-4972-86e3-17c5d9f894e2");
  EXPECT_EQ(result.config->gateways.at(Channel::sms).sms_sender_id,
            "2b6a1c4e-9f3d-4e5a-8b7c-6d5e4f3a2b1c");
  EXPECT_EQ(result.config->sms.max_fragments, 3u);
}

TEST_F(GatewayConfigTest, ReadsTwilioAndSendgridWithProtectionSettings) {
  dir.write("secrets/twilio", "twilio-token-0123\n");
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  Env sendgrid("HERALD_TEST_SENDGRID_KEY", "SG.key");
  Env callback_token("HERALD_TEST_CALLBACK_TOKEN", "callback-token-0123456789");
  auto result = load(kRules + R"(callbacks:
  listen: "127.0.0.1:9465"
  token_env: HERALD_TEST_CALLBACK_TOKEN
gateways:
  email:
    type: sendgrid
    name: mail
    base_url: "http://127.0.0.1:8080/sandbox/"
    api_key: ${HERALD_TEST_SENDGRID_KEY}
    from_email: customer.dispatch@example.gov.uk
    from_name: Customer Dispatch
    reply_to: replies@example.gov.uk
    ca_file: ca.pem
    rate_per_minute: 600
    burst: 20
    circuit_breaker: { failures: 0 }
  sms:
    type: twilio
    account_sid: AC0123456789abcdef0123456789abcdef
    auth_token_file: secrets/twilio
    messaging_service_sid: MG0123456789abcdef0123456789abcdef
    status_callback: https://herald.example.gov.uk/receipts/twilio?source=herald
    rate_per_second: 5
    circuit_breaker: { failures: 10, cool_down_ms: 60000 }
    timeout_ms: 5000
)");
  ASSERT_TRUE(result.config) << describe(result.problems);
  const auto& email = result.config->gateways.at(Channel::email);
  EXPECT_EQ(email.name, "mail");
  EXPECT_EQ(email.base_url, "http://127.0.0.1:8080/sandbox");
  EXPECT_EQ(email.api_key.reveal(), "SG.key");
  EXPECT_EQ(email.from_name, "Customer Dispatch");
  EXPECT_EQ(email.ca_file, dir.path() / "ca.pem");
  EXPECT_DOUBLE_EQ(email.rate_per_second, 10.0);
  EXPECT_EQ(email.burst, 20u);
  EXPECT_EQ(email.circuit_breaker.failures, 0);
  const auto& sms = result.config->gateways.at(Channel::sms);
  EXPECT_EQ(sms.name, "twilio");
  EXPECT_EQ(sms.base_url, "https://api.twilio.com");
  EXPECT_EQ(sms.auth_token.reveal(), "twilio-token-0123") << "the line break is not the token's";
  EXPECT_EQ(sms.messaging_service_sid, "MG0123456789abcdef0123456789abcdef");
  EXPECT_DOUBLE_EQ(sms.rate_per_second, 5.0);
  EXPECT_EQ(sms.circuit_breaker.cool_down, 60000ms);
  EXPECT_EQ(sms.timeout, 5000ms);
}

// A status_callback elsewhere than herald's /receipts/twilio is the operator's own relay, which
// writes receipts to the Redis stream: herald need not listen for it.
TEST_F(GatewayConfigTest, ATwilioStatusCallbackToARelayNeedsNoListener) {
  auto result = load(kRules + R"(gateways:
  email: { type: file, directory: o }
  sms:
    type: twilio
    account_sid: AC0123456789abcdef0123456789abcdef
    auth_token: "${HERALD_TEST_NOTIFY_KEY}"
    from: "+447700900000"
    status_callback: https://relay.example.gov.uk/twilio-status
)");
  ASSERT_TRUE(result.config) << describe(result.problems);
  EXPECT_EQ(result.config->gateways.at(Channel::sms).status_callback,
            "https://relay.example.gov.uk/twilio-status");
}

// A Welsh email comes from the service's Welsh name: the sender name may be given per language.
TEST_F(GatewayConfigTest, ReadsASendgridSenderNamePerLanguage) {
  Env sendgrid("HERALD_TEST_SENDGRID_KEY", "SG.key");
  auto result = load(kRules + R"(gateways:
  email:
    type: sendgrid
    api_key: ${HERALD_TEST_SENDGRID_KEY}
    from_email: customer.dispatch@example.gov.uk
    from_name: { en: Customer Dispatch, cy: Anfon at Gwsmeriaid }
  sms: { type: file, directory: o }
)");
  ASSERT_TRUE(result.config) << describe(result.problems);
  const auto& email = result.config->gateways.at(Channel::email);
  EXPECT_EQ(email.from_name, "Customer Dispatch");
  EXPECT_EQ(email.from_name_in,
            (std::map<std::string, std::string>{{"cy", "Anfon at Gwsmeriaid"}}));
}

// SendGrid's events come to herald's own listener, signed: the key to check them is public.
TEST_F(GatewayConfigTest, ReadsASendgridEventWebhookKeyForHeraldsListener) {
  Env sendgrid("HERALD_TEST_SENDGRID_KEY", "SG.key");
  Env token("HERALD_CALLBACK_TOKEN", "receipt-token-for-tests-0123456789");
  auto result = load(kRules + R"(callbacks: { listen: "127.0.0.1:8444" }
gateways:
  email:
    type: sendgrid
    api_key: ${HERALD_TEST_SENDGRID_KEY}
    from_email: customer.dispatch@example.gov.uk
    event_webhook_key: )" EVENT_WEBHOOK_KEY R"(
  sms: { type: file, directory: o }
)");
  ASSERT_TRUE(result.config) << describe(result.problems);
  EXPECT_EQ(result.config->gateways.at(Channel::email).event_webhook_key, EVENT_WEBHOOK_KEY);
}

TEST_F(GatewayConfigTest, ReadsARelativeSecretFileFromTheCredentialsDirectory) {
  Dir credentials_dir;
  credentials_dir.write("notify-key", std::string(kNotifyKey) + "\n");
  Env systemd("CREDENTIALS_DIRECTORY", credentials_dir.path().c_str());
  auto result = load(kRules + R"(gateways:
  email: { type: govuk_notify, api_key_file: notify-key, templates: { decision_dispatched: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: f33517ff-2a88-4f6e-b855-c550268ce08a } } }
  sms: { type: file, directory: outbox }
)");
  ASSERT_TRUE(result.config) << describe(result.problems);
  EXPECT_EQ(result.config->gateways.at(Channel::email).api_key.reveal(), kNotifyKey);
}

// A secret file that is a FIFO (a named pipe nobody writes to) made check-config hang on open.
TEST_F(GatewayConfigTest, RefusesASecretOrCaFileThatIsNotARegularFileWithoutOpeningIt) {
  Dir credentials_dir;
  ASSERT_EQ(::mkfifo((credentials_dir.path() / "notify-key").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((credentials_dir.path() / "ca.pem").c_str(), 0600), 0);
  Env systemd("CREDENTIALS_DIRECTORY", credentials_dir.path().c_str());
  auto result = load(kRules + R"(gateways:
  email: { type: govuk_notify, api_key_file: notify-key, templates: { decision_dispatched: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: f33517ff-2a88-4f6e-b855-c550268ce08a } } }
  sms: { type: webhook, url: "https://hooks.example/sms", ca_file: )" +
                     (credentials_dir.path() / "ca.pem").string() + R"( }
)");
  EXPECT_FALSE(result.config);
  const ConfigProblem* key = find(result.problems, "gateways.email.api_key_file");
  ASSERT_NE(key, nullptr) << describe(result.problems);
  EXPECT_NE(key->message.find("it is not a regular file"), std::string::npos) << key->message;
  const ConfigProblem* ca = find(result.problems, "gateways.sms.ca_file");
  ASSERT_NE(ca, nullptr) << describe(result.problems);
  EXPECT_NE(ca->message.find("it is not a regular file"), std::string::npos) << ca->message;
}

TEST_F(GatewayConfigTest, NeverTakesASecretWrittenInTheConfigAndNeverEchoesIt) {
  auto result = load(kRules + R"(gateways:
  email:
    type: sendgrid
    api_key: SG.written-in-the-file-by-mistake
    from_email: a@example.gov.uk
  sms: { type: file, directory: o }
)");
  EXPECT_FALSE(result.config);
  const ConfigProblem* p = find(result.problems, "gateways.email.api_key");
  ASSERT_NE(p, nullptr) << describe(result.problems);
  EXPECT_EQ(p->line, 6);
  EXPECT_NE(p->message.find("a secret is never written in the config"), std::string::npos);
  EXPECT_NE(p->message.find("api_key_file"), std::string::npos);
  EXPECT_EQ(describe(result.problems).find("written-in-the-file"), std::string::npos);
}

TEST_F(GatewayConfigTest, ANotifyKeyThatIsNotOneIsRefusedWithoutShowingIt) {
  Env bad("HERALD_TEST_BAD_KEY", "not-a-notify-key-but-a-secret-all-the-same");
  auto result = load(kRules + R"(gateways:
  email: { type: govuk_notify, api_key: "${HERALD_TEST_BAD_KEY}", templates: { decision_dispatched: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: f33517ff-2a88-4f6e-b855-c550268ce08a } } }
  sms: { type: file, directory: o }
)");
  const ConfigProblem* p = find(result.problems, "gateways.email.api_key");
  ASSERT_NE(p, nullptr) << describe(result.problems);
  EXPECT_NE(p->message.find("is not a GOV.UK Notify API key"), std::string::npos);
  EXPECT_EQ(describe(result.problems).find("secret-all-the-same"), std::string::npos);
}

TEST_F(GatewayConfigTest, AWebhookHeaderTakesEnvironmentVariablesAnywhereInItsValue) {
  Env token("HERALD_TEST_HOOK_TOKEN", "hook-token-0123456789");
  Env region("HERALD_TEST_HOOK_REGION", "eu-west");
  Env tenant("HERALD_TEST_HOOK_TENANT", "ukvi");
  auto result = load(kRules + R"(gateways:
  email:
    type: webhook
    url: "https://hooks.example.gov.uk/email"
    headers:
      Authorization: "Bearer ${HERALD_TEST_HOOK_TOKEN}"
      X-Route: "/${HERALD_TEST_HOOK_REGION}/${HERALD_TEST_HOOK_TENANT}/v1"
      X-Price: "$5, $HOME and a lone $"
      X-Tenant: ukvi
  sms: { type: file, directory: o }
)");
  ASSERT_TRUE(result.config) << describe(result.problems);
  const auto& headers = result.config->gateways.at(Channel::email).headers;
  ASSERT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers.at("Authorization").reveal(), "Bearer hook-token-0123456789");
  EXPECT_EQ(headers.at("X-Route").reveal(), "/eu-west/ukvi/v1");
  EXPECT_EQ(headers.at("X-Price").reveal(), "$5, $HOME and a lone $") << "a $ without { stays";
  EXPECT_EQ(headers.at("X-Tenant").reveal(), "ukvi");
}

TEST_F(GatewayConfigTest, AWebhookHeaderIsReadFromAFileInTheCredentialsDirectory) {
  Dir credentials_dir;
  credentials_dir.write("webhook-auth", "Bearer hook-token-from-a-file\n");
  Env systemd("CREDENTIALS_DIRECTORY", credentials_dir.path().c_str());
  auto result = load(kRules + R"(gateways:
  email:
    type: webhook
    url: "https://hooks.example.gov.uk/email"
    headers: { X-Tenant: ukvi }
    headers_file: { Authorization: webhook-auth }
  sms: { type: file, directory: o }
)");
  ASSERT_TRUE(result.config) << describe(result.problems);
  const auto& headers = result.config->gateways.at(Channel::email).headers;
  EXPECT_EQ(headers.at("Authorization").reveal(), "Bearer hook-token-from-a-file");
  EXPECT_EQ(headers.at("X-Tenant").reveal(), "ukvi");
}

TEST_F(GatewayConfigTest, NeverTakesALiteralAuthorizationHeaderAndNeverEchoesIt) {
  auto result = load(kRules + R"(gateways:
  email:
    type: webhook
    url: "https://hooks.example.gov.uk/email"
    headers:
      authorization: "Bearer written-in-the-file-by-mistake"
      X-Api-Key: also-written-in-the-file
      X-AccessToken: and-this-one
      X-Tenant: ukvi
      X-Monkey: not-a-credential
      X-SecretKey: one-word-by-its-capitals
      X-AuthKey: another
      X-ClientSecretId: another
      X-Passwd: another
      X-APIKey: another
      X-Keyring: not-a-credential
  sms: { type: file, directory: o }
)");
  EXPECT_FALSE(result.config);
  for (const char* header :
       {"X-SecretKey", "X-AuthKey", "X-ClientSecretId", "X-Passwd", "X-APIKey"})
    EXPECT_NE(find(result.problems, std::string("gateways.email.headers.") + header), nullptr)
        << header << ": words are split where a capital begins one too\n"
        << describe(result.problems);
  EXPECT_EQ(find(result.problems, "gateways.email.headers.X-Keyring"), nullptr);
  const ConfigProblem* p = find(result.problems, "gateways.email.headers.authorization");
  ASSERT_NE(p, nullptr) << describe(result.problems);
  EXPECT_EQ(p->line, 8);
  EXPECT_NE(p->message.find("a secret is never written in the config"), std::string::npos);
  EXPECT_NE(p->message.find("${ENV_VAR}"), std::string::npos) << p->message;
  EXPECT_NE(p->message.find("headers_file.authorization"), std::string::npos) << p->message;
  EXPECT_NE(find(result.problems, "gateways.email.headers.X-Api-Key"), nullptr)
      << describe(result.problems);
  EXPECT_NE(find(result.problems, "gateways.email.headers.X-AccessToken"), nullptr)
      << describe(result.problems);
  EXPECT_EQ(find(result.problems, "gateways.email.headers.X-Tenant"), nullptr)
      << "a header that is no credential may be written as it is";
  EXPECT_EQ(find(result.problems, "gateways.email.headers.X-Monkey"), nullptr)
      << "names are judged word by word";
  EXPECT_EQ(describe(result.problems).find("written-in-the-file"), std::string::npos);
}

TEST_F(GatewayConfigTest, AWebhookHeaderFromAMissingVariableIsRefusedWithoutShowingTheValue) {
  Env unset("HERALD_TEST_UNSET", nullptr);
  Env empty("HERALD_TEST_EMPTY", "  ");
  Env two_lines("HERALD_TEST_TWO_LINES", "abc\r\nX-Injected: yes");
  auto result = load(kRules + R"(gateways:
  email:
    type: webhook
    url: "https://hooks.example.gov.uk/email"
    headers:
      Authorization: "Bearer s3cret-prefix${HERALD_TEST_UNSET}"
      X-Auth-Token: "s3cret-prefix${HERALD_TEST_EMPTY}"
      X-Signature: "${HERALD_TEST_TWO_LINES}"
      X-Unfinished: "s3cret-prefix${HERALD_TEST_UNSET"
  sms: { type: file, directory: o }
)");
  EXPECT_FALSE(result.config);
  struct Expected {
    const char* key;
    int line;
    const char* message_part;
  };
  for (const Expected& e : {
           Expected{"gateways.email.headers.Authorization", 8,
                    "environment variable HERALD_TEST_UNSET is not set"},
           Expected{"gateways.email.headers.X-Auth-Token", 9,
                    "environment variable HERALD_TEST_EMPTY is empty"},
           Expected{"gateways.email.headers.X-Signature", 10,
                    "environment variable HERALD_TEST_TWO_LINES must be one line"},
           Expected{"gateways.email.headers.X-Unfinished", 11, "unterminated"},
       }) {
    const ConfigProblem* p = find(result.problems, e.key);
    ASSERT_NE(p, nullptr) << e.key << describe(result.problems);
    EXPECT_EQ(p->line, e.line) << to_string(*p);
    EXPECT_NE(p->message.find(e.message_part), std::string::npos) << to_string(*p);
  }
  EXPECT_EQ(describe(result.problems).find("s3cret-prefix"), std::string::npos);
  EXPECT_EQ(describe(result.problems).find("X-Injected"), std::string::npos);
}

struct BadGateway {
  const char* name;
  const char* gateways;  // the `gateways:` section's body
  const char* key_path;
  int line;
  const char* message_part;
};

void PrintTo(const BadGateway& c, std::ostream* os) {
  *os << c.name;
}

class BadGatewayCase : public GatewayConfigTest, public testing::WithParamInterface<BadGateway> {};

TEST_P(BadGatewayCase, IsRefusedNamingTheKeyAndLine) {
  const BadGateway& c = GetParam();
  Env unset("HERALD_TEST_UNSET", nullptr);
  Env empty("HERALD_TEST_EMPTY", "");
  dir.write("empty-secret", "\n\n");
  dir.write("two-lines", "abc\ndef\n");
  // Lines: 1-2 rules, 3 "gateways:", the case's lines from 4.
  auto result = load(kRules + "gateways:\n" + c.gateways);
  EXPECT_FALSE(result.config);
  const ConfigProblem* p = find(result.problems, c.key_path);
  ASSERT_NE(p, nullptr) << "no problem at " << c.key_path << describe(result.problems);
  EXPECT_EQ(p->line, c.line) << to_string(*p);
  EXPECT_NE(p->message.find(c.message_part), std::string::npos) << to_string(*p);
}

#define NOTIFY_TEMPLATES                                                               \
  "templates: { decision_dispatched: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: " \
  "f33517ff-2a88-4f6e-b855-c550268ce08a } }"
#define SMS_FILE "  sms: { type: file, directory: o }\n"

// clang-format off
const BadGateway kBadGateways[] = {
  {"UnknownType", "  email: { type: mailgun }\n" SMS_FILE, "gateways.email.type", 4, "must be one of: webhook, file, govuk_notify, twilio, sendgrid"},
  {"MissingType", "  email: { url: \"http://x\" }\n" SMS_FILE, "gateways.email.type", 4, "required key missing"},
  {"TwilioForEmail", "  email: { type: twilio }\n" SMS_FILE, "gateways.email.type", 4, "twilio sends text messages only"},
  {"SendgridForSms", "  email: { type: file, directory: o }\n  sms: { type: sendgrid }\n", "gateways.sms.type", 5, "sendgrid sends email only"},
  {"NotifyWithoutKey", "  email: { type: govuk_notify, " NOTIFY_TEMPLATES " }\n" SMS_FILE, "gateways.email.api_key", 4, "required key missing"},
  {"NotifyWithoutTemplates", "  email: { type: govuk_notify, api_key: \"${HERALD_TEST_NOTIFY_KEY}\" }\n" SMS_FILE, "gateways.email.templates", 4, "required key missing"},
  {"SecretFromUnsetVariable", "  email: { type: govuk_notify, api_key: \"${HERALD_TEST_UNSET}\", " NOTIFY_TEMPLATES " }\n" SMS_FILE, "gateways.email.api_key", 4, "environment variable HERALD_TEST_UNSET is not set"},
  {"SecretFromEmptyVariable", "  email: { type: govuk_notify, api_key: \"${HERALD_TEST_EMPTY}\", " NOTIFY_TEMPLATES " }\n" SMS_FILE, "gateways.email.api_key", 4, "environment variable HERALD_TEST_EMPTY is empty"},
  {"SecretFileMissing", "  email: { type: govuk_notify, api_key_file: no-such-file, " NOTIFY_TEMPLATES " }\n" SMS_FILE, "gateways.email.api_key_file", 4, "No such file or directory"},
  {"SecretFileEmpty", "  email: { type: govuk_notify, api_key_file: empty-secret, " NOTIFY_TEMPLATES " }\n" SMS_FILE, "gateways.email.api_key_file", 4, "is empty"},
  {"SecretFileOfTwoLines", "  email: { type: sendgrid, api_key_file: two-lines, from_email: a@b.uk }\n" SMS_FILE, "gateways.email.api_key_file", 4, "one line"},
  {"SecretTwice", "  email: { type: sendgrid, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", api_key_file: x, from_email: a@b.uk }\n" SMS_FILE, "gateways.email.api_key_file", 4, "not both"},
  {"BaseUrlNotHttp", "  email:\n    type: sendgrid\n    api_key: \"${HERALD_TEST_NOTIFY_KEY}\"\n    from_email: a@b.uk\n    base_url: \"ftp://sendgrid\"\n" SMS_FILE, "gateways.email.base_url", 8, "http:// or https://"},
  {"BaseUrlInClear", "  email:\n    type: sendgrid\n    api_key: \"${HERALD_TEST_NOTIFY_KEY}\"\n    from_email: a@b.uk\n    base_url: \"http://api.sendgrid.com\"\n" SMS_FILE, "gateways.email.base_url", 8, "must be https://"},
  {"TwilioCallbackInClear", "  email: { type: file, directory: o }\n  sms:\n    type: twilio\n    account_sid: AC0123456789abcdef0123456789abcdef\n    auth_token: \"${HERALD_TEST_NOTIFY_KEY}\"\n    from: \"+447700900000\"\n    status_callback: http://relay.example.gov.uk/twilio\n", "gateways.sms.status_callback", 10, "must be https://"},
  {"BaseUrlWithCredentials", "  email:\n    type: sendgrid\n    api_key: \"${HERALD_TEST_NOTIFY_KEY}\"\n    from_email: a@b.uk\n    base_url: \"https://user:pw@api.sendgrid.com\"\n" SMS_FILE, "gateways.email.base_url", 8, "no query, fragment or credentials"},
  {"WebhookUrlInvalid", "  email: { type: webhook, url: \"http://exa mple\" }\n" SMS_FILE, "gateways.email.url", 4, "http:// or https://"},
  {"CaFileUnreadable", "  email: { type: webhook, url: \"https://x\", ca_file: nowhere.pem }\n" SMS_FILE, "gateways.email.ca_file", 4, "cannot read"},
  {"SenderNameWithoutEnglish", "  email: { type: sendgrid, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", from_email: a@b.uk, from_name: { cy: Anfon } }\n" SMS_FILE, "gateways.email.from_name.en", 4, "required"},
  {"SenderNameInAnUnknownLanguage", "  email: { type: sendgrid, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", from_email: a@b.uk, from_name: { en: Dispatch, fr: Envoi } }\n" SMS_FILE, "gateways.email.from_name.fr", 4, "unknown"},
  {"EventWebhookKeyNotAKey", "  email: { type: sendgrid, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", from_email: a@b.uk, event_webhook_key: bm90IGEga2V5 }\n" SMS_FILE, "gateways.email.event_webhook_key", 4, "verification key as SendGrid shows it"},
  {"EventWebhookKeyWithoutAListener", "  email: { type: sendgrid, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", from_email: a@b.uk, event_webhook_key: " EVENT_WEBHOOK_KEY " }\n" SMS_FILE, "gateways.email.event_webhook_key", 4, "callbacks.listen is not"},
  {"EventWebhookKeyOnAWebhook", "  email: { type: webhook, url: \"https://x\", event_webhook_key: " EVENT_WEBHOOK_KEY " }\n" SMS_FILE, "gateways.email.event_webhook_key", 4, "does not apply to a webhook gateway"},
  {"UnnamedWebhooksOfDifferentRates", "  email: { type: webhook, url: \"https://x\", rate_per_second: 200 }\n  sms: { type: webhook, url: \"https://y\", rate_per_second: 20 }\n", "gateways.sms.name", 5, "shares the name 'webhook' with gateways.email (one rate limit and circuit breaker for both) but not its rate limit"},
  {"UnnamedNotifyGatewaysOfDifferentBreakers", "  email: { type: govuk_notify, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", " NOTIFY_TEMPLATES " }\n  sms: { type: govuk_notify, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", " NOTIFY_TEMPLATES ", circuit_breaker: { failures: 3 } }\n", "gateways.sms.name", 5, "but not its circuit_breaker"},
  {"KeyOfAnotherType", "  email: { type: webhook, url: \"https://x\", from_email: a@b.uk }\n" SMS_FILE, "gateways.email.from_email", 4, "does not apply to a webhook gateway"},
  {"ProtectionOnAFile", "  email: { type: file, directory: o, rate_per_second: 5 }\n" SMS_FILE, "gateways.email.rate_per_second", 4, "does not apply to a file gateway"},
  {"TwoRates", "  email: { type: webhook, url: \"https://x\", rate_per_second: 5, rate_per_minute: 60 }\n" SMS_FILE, "gateways.email.rate_per_minute", 4, "not both"},
  {"RateZero", "  email: { type: webhook, url: \"https://x\", rate_per_second: 0 }\n" SMS_FILE, "gateways.email.rate_per_second", 4, "between"},
  {"BurstWithoutRate", "  email: { type: webhook, url: \"https://x\", burst: 5 }\n" SMS_FILE, "gateways.email.burst", 4, "only with rate_per_second"},
  {"BreakerUnknownKey", "  email: { type: webhook, url: \"https://x\", circuit_breaker: { threshold: 3 } }\n" SMS_FILE, "gateways.email.circuit_breaker.threshold", 4, "unknown key"},
  {"NotifyTemplateNotUuid", "  email: { type: govuk_notify, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", templates: { decision_dispatched: { en: welcome, cy: f33517ff-2a88-4f6e-b855-c550268ce08a } } }\n" SMS_FILE, "gateways.email.templates.decision_dispatched.en", 4, "must be a Notify template id"},
  {"NotifyTemplateLanguageUnknown", "  email: { type: govuk_notify, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", templates: { decision_dispatched: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: f33517ff-2a88-4f6e-b855-c550268ce08a, fr: f33517ff-2a88-4f6e-b855-c550268ce08a } } }\n" SMS_FILE, "gateways.email.templates.decision_dispatched.fr", 4, "unknown key"},
  {"NotifyTemplateMissingForARule", "  email:\n    type: govuk_notify\n    api_key: \"${HERALD_TEST_NOTIFY_KEY}\"\n    templates:\n      decision_dispatched: { en: f33517ff-2a88-4f6e-b855-c550268ce08a }\n" SMS_FILE, "gateways.email.templates.decision_dispatched.cy", 8, "no Notify template id for template decision_dispatched in cy (rules[0] sends it by email)"},
  {"NotifyTemplateNoRuleSends", "  email:\n    type: govuk_notify\n    api_key: \"${HERALD_TEST_NOTIFY_KEY}\"\n    templates:\n      decision_dispatched: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: f33517ff-2a88-4f6e-b855-c550268ce08a }\n      welcome: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: f33517ff-2a88-4f6e-b855-c550268ce08a }\n" SMS_FILE, "gateways.email.templates.welcome", 9, "unknown template: no rule sends template welcome by email"},
  {"NotifyReplyToOnSms", "  email: { type: file, directory: o }\n  sms: { type: govuk_notify, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", email_reply_to_id: 8e222534-7f05-4972-86e3-17c5d9f894e2, " NOTIFY_TEMPLATES " }\n", "gateways.sms.email_reply_to_id", 5, "applies to gateways.email only"},
  {"TwilioWithoutSender", "  email: { type: file, directory: o }\n  sms: { type: twilio, account_sid: AC0123456789abcdef0123456789abcdef, auth_token: \"${HERALD_TEST_NOTIFY_KEY}\" }\n", "gateways.sms.from", 5, "required key missing"},
  {"TwilioBadSid", "  email: { type: file, directory: o }\n  sms: { type: twilio, account_sid: AC12, auth_token: \"${HERALD_TEST_NOTIFY_KEY}\", from: \"+447700900000\" }\n", "gateways.sms.account_sid", 5, "Twilio account SID"},
  {"TwilioBadFrom", "  email: { type: file, directory: o }\n  sms: { type: twilio, account_sid: AC0123456789abcdef0123456789abcdef, auth_token: \"${HERALD_TEST_NOTIFY_KEY}\", from: \"Her Majesty's Passport Office\" }\n", "gateways.sms.from", 5, "alphanumeric sender id"},
  {"SendgridBadFrom", "  email: { type: sendgrid, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", from_email: \"a@b.uk, c@d.uk\" }\n" SMS_FILE, "gateways.email.from_email", 4, "one email address"},
  {"HeaderFromUnsetVariable", "  email: { type: webhook, url: \"http://x\", headers: { Authorization: \"Bearer ${HERALD_TEST_UNSET}\" } }\n" SMS_FILE, "gateways.email.headers.Authorization", 4, "environment variable HERALD_TEST_UNSET is not set"},
  {"HeaderFromEmptyVariable", "  email: { type: webhook, url: \"http://x\", headers: { X-Tenant: \"${HERALD_TEST_EMPTY}\" } }\n" SMS_FILE, "gateways.email.headers.X-Tenant", 4, "environment variable HERALD_TEST_EMPTY is empty"},
  {"HeaderVariableUnterminated", "  email: { type: webhook, url: \"http://x\", headers: { Authorization: \"Bearer ${HERALD_TEST_NOTIFY_KEY\" } }\n" SMS_FILE, "gateways.email.headers.Authorization", 4, "unterminated"},
  {"HeaderVariableNotAName", "  email: { type: webhook, url: \"http://x\", headers: { X-Route: \"/${1st}\" } }\n" SMS_FILE, "gateways.email.headers.X-Route", 4, "must name an environment variable"},
  {"HeaderLiteralAuthorization", "  email: { type: webhook, url: \"http://x\", headers: { AUTHORIZATION: \"Basic YWxhZGRpbjpvcGVuc2VzYW1l\" } }\n" SMS_FILE, "gateways.email.headers.AUTHORIZATION", 4, "a secret is never written in the config"},
  {"HeaderLiteralToken", "  email: { type: webhook, url: \"http://x\", headers: { X-Hook-Token: abc } }\n" SMS_FILE, "gateways.email.headers.X-Hook-Token", 4, "a secret is never written in the config"},
  {"HeaderInBothMaps", "  email:\n    type: webhook\n    url: \"http://x\"\n    headers: { Authorization: \"${HERALD_TEST_NOTIFY_KEY}\" }\n    headers_file: { authorization: webhook-auth }\n" SMS_FILE, "gateways.email.headers_file.authorization", 8, "give headers.Authorization or headers_file.authorization, not both"},
  {"HeaderFileMissing", "  email: { type: webhook, url: \"http://x\", headers_file: { Authorization: no-such-file } }\n" SMS_FILE, "gateways.email.headers_file.Authorization", 4, "No such file or directory"},
  {"HeaderFileEmpty", "  email: { type: webhook, url: \"http://x\", headers_file: { Authorization: empty-secret } }\n" SMS_FILE, "gateways.email.headers_file.Authorization", 4, "is empty"},
  {"HeaderFileReserved", "  email: { type: webhook, url: \"http://x\", headers_file: { Idempotency-Key: two-lines } }\n" SMS_FILE, "gateways.email.headers_file.Idempotency-Key", 4, "set by herald"},
  {"HeadersFileOnASendgridGateway", "  email: { type: sendgrid, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", from_email: a@b.uk, headers_file: { Authorization: x } }\n" SMS_FILE, "gateways.email.headers_file", 4, "does not apply to a sendgrid gateway"},
  {"TwilioCallbackNobodyServes", "  email: { type: file, directory: o }\n  sms:\n    type: twilio\n    account_sid: AC0123456789abcdef0123456789abcdef\n    auth_token: \"${HERALD_TEST_NOTIFY_KEY}\"\n    from: \"+447700900000\"\n    status_callback: https://herald.example.gov.uk/receipts/twilio\n", "gateways.sms.status_callback", 10, "callbacks.listen is not set"},
  {"MoreFragmentsThanTwilioTakes", "  email: { type: file, directory: o }\n  sms: { type: twilio, account_sid: AC0123456789abcdef0123456789abcdef, auth_token: \"${HERALD_TEST_NOTIFY_KEY}\", from: \"+447700900000\" }\nsms:\n  max_fragments: 11\n", "sms.max_fragments", 7, "must be at most 10 with a twilio gateway"},
  {"MoreFragmentsThanNotifyTakes", "  email: { type: file, directory: o }\n  sms: { type: govuk_notify, api_key: \"${HERALD_TEST_NOTIFY_KEY}\", " NOTIFY_TEMPLATES " }\nsms:\n  max_fragments: 7\n", "sms.max_fragments", 7, "must be at most 6 with a govuk_notify gateway"},
  {"SharedNameDifferentRate", "  email: { type: webhook, name: hub, url: \"https://x\", rate_per_second: 5 }\n  sms: { type: webhook, name: hub, url: \"https://x\" }\n", "gateways.sms.name", 5, "shares the name 'hub' with gateways.email"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(EachBadGateway, BadGatewayCase, testing::ValuesIn(kBadGateways),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(GatewayConfigTest, ReportsEveryGatewayProblemAtOnce) {
  Env unset("HERALD_TEST_UNSET", nullptr);
  auto result = load(kRules + R"(gateways:
  email:
    type: govuk_notify
    api_key: ${HERALD_TEST_UNSET}
    base_url: "notify.local"
    templates: { decision_dispatched: { en: x } }
  sms:
    type: twilio
    auth_token_file: /nonexistent/token
    from: "+447700900000"
    colour: blue
sms:
  max_fragments: 0
)");
  EXPECT_FALSE(result.config);
  for (const char* key :
       {"gateways.email.api_key", "gateways.email.base_url",
        "gateways.email.templates.decision_dispatched.en",
        "gateways.email.templates.decision_dispatched.cy", "gateways.sms.auth_token_file",
        "gateways.sms.account_sid", "gateways.sms.colour", "sms.max_fragments"})
    EXPECT_NE(find(result.problems, key), nullptr) << key << describe(result.problems);
}

}  // namespace
}  // namespace herald
