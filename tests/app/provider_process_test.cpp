// The herald binary with GOV.UK Notify gateways, as operators run it: the API key comes from the
// environment, requests go to a local server that checks them as Notify does, and the secret
// shows up nowhere in what herald writes. And bad gateway configs, refused by check-config.
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json.hpp>

#include "support/http/http_test_server.hpp"
#include "support/process/herald_process.hpp"
#include "support/provider/fake_providers.hpp"
#include "support/redis/redis_server.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kServiceId = "26785a09-ab16-4eb0-8407-a37497a57506";
constexpr const char* kSecret = "3d844edf-8d35-48ac-975b-e847b4f122b0";
const std::string kApiKey = std::string("herald_live-") + kServiceId + "-" + kSecret;

const char* kTemplate = R"(email:
  en: { subject: "Your application {{case_ref}}", body: "Dear {{salutation}}" }
  cy: { subject: "Eich cais {{case_ref}}", body: "Annwyl {{salutation}}" }
sms:
  en: "Application {{case_ref}} has moved on"
  cy: "Mae cais {{case_ref}} wedi symud ymlaen"
)";

std::string base_url(const HttpTestServer& server) {
  std::string url = server.url("/");
  url.pop_back();
  return url;
}

std::string config_yaml(const RedisServer& redis, const HttpTestServer& notify) {
  return "redis:\n  url: " + redis.url() +
         "\n  consumer: provider-test\n  block_ms: 200\n"
         "contact:\n  timezone: Europe/London\n"
         "log:\n  level: debug\n"
         "rules:\n  - { status: case_update, template: case_update }\n"
         "gateways:\n"
         "  email:\n"
         "    type: govuk_notify\n"
         "    base_url: \"" +
         base_url(notify) +
         "\"\n"
         "    api_key: ${HERALD_NOTIFY_API_KEY}\n"
         "    templates:\n"
         "      case_update: { en: f33517ff-2a88-4f6e-b855-c550268ce08a, cy: "
         "0b4c9a87-5e1b-4a4e-8a59-0cd0e1a7c5a2 }\n"
         "  sms:\n"
         "    type: govuk_notify\n"
         "    base_url: \"" +
         base_url(notify) +
         "\"\n"
         "    api_key_file: notify.key\n"
         "    templates:\n"
         "      case_update: { en: 9d1b0ce3-7c4a-4b09-9a0e-5f4f1a5e2b11, cy: "
         "5f1d6d3e-2b7a-4c3e-9d4f-1a2b3c4d5e6f }\n"
         "retry:\n  initial_ms: 50\n  max_ms: 200\n";
}

// Each event has its own case: a later event of one case read in the same batch would cancel
// the earlier one's messages (the stale rule), and how events fall into batches is timing.
std::string event(const std::string& id, const std::string& case_ref, const std::string& phone) {
  return R"({"id":")" + id + R"(","case_ref":")" + case_ref +
         R"(","status":"case_update","occurred_at":"2026-11-23T08:00:00Z",)"
         R"("recipient":{"name":"Siobhan Featherstonehaugh","email":"siobhan.f@example.org",)"
         R"("phone":")" +
         phone + R"(","contact_anytime":true}})";
}

std::vector<boost::json::object> outcomes(RedisServer& redis) {
  std::vector<boost::json::object> out;
  for (const auto& entry : redis.command({"XRANGE", "herald:outcomes", "-", "+"}).elements)
    out.push_back(boost::json::parse(entry.elements[1].elements[1].str).as_object());
  return out;
}

TEST(ProviderProcess, SendsThroughNotifyAndNeverWritesTheSecretAnywhere) {
  RedisServer redis;
  HttpTestServer notify;
  const FakeNotify provider{kServiceId, kSecret};
  notify.set_handler([provider](const Request& request) {
    // Notify refuses this number, quoting it back in its message.
    if (request.body.find("+447700900987") != std::string::npos)
      return Response{.status = 400,
                      .headers = {{"Content-Type", "application/json"}},
                      .body = R"({"errors":[{"error":"ValidationError","message":)"
                              R"("phone_number +447700900987 Not a UK mobile number"}],)"
                              R"("status_code":400})"};
    return provider(request);
  });
  TestDir dir;
  dir.write("herald.yaml", config_yaml(redis, notify));
  dir.write("templates/case_update.yaml", kTemplate);
  dir.write("notify.key", kApiKey + "\n");
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")},
                       {{"HERALD_NOTIFY_API_KEY", kApiKey}});
  ASSERT_TRUE(herald.wait_for_log("msg=started", 10s)) << herald.log();
  redis.command(
      {"XADD", "herald:events", "*", "event", event("evt-n1", "GWF73191", "+447700900123")});
  redis.command(
      {"XADD", "herald:events", "*", "event", event("evt-n2", "GWF73192", "+447700900987")});
  ASSERT_TRUE(herald.wait_for_log("msg=sent", 10s, 3)) << herald.log();
  ASSERT_TRUE(herald.wait_for_log("msg=rejected", 10s)) << herald.log();
  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(15s), 0) << herald.log();

  std::map<std::string, std::string> results;
  for (const auto& o : outcomes(redis)) {
    const std::string key =
        std::string(o.at("event_id").as_string()) + ":" + std::string(o.at("channel").as_string());
    results[key] = std::string(o.at("result").as_string());
    if (results[key] == "sent") {
      EXPECT_EQ(o.at("gateway_message_id"), "740e5834-3a29-46b4-9a6f-16142fde533a");
    } else if (results[key] == "rejected") {
      EXPECT_EQ(o.at("reason"), "HTTP 400: ValidationError");
    }
  }
  EXPECT_EQ(results, (std::map<std::string, std::string>{{"evt-n1:email", "sent"},
                                                         {"evt-n1:sms", "sent"},
                                                         {"evt-n2:email", "sent"},
                                                         {"evt-n2:sms", "rejected"}}));

  // The log says what happened with ids, and holds no secret, no token, no personal data.
  const std::string log = herald.log() + herald.output();
  EXPECT_NE(log.find("gateway=govuk_notify"), std::string::npos) << log;
  for (const std::string& forbidden :
       {kApiKey, std::string(kSecret), std::string("Bearer"), std::string("eyJ"),
        std::string("+447700900987"), std::string("+447700900123"),
        std::string("siobhan.f@example.org"), std::string("Featherstonehaugh"),
        std::string("GWF7319")})
    EXPECT_EQ(log.find(forbidden), std::string::npos) << forbidden << " in the log:\n" << log;
  // And nothing in Redis either (outcomes, dead letters, records).
  for (const auto& key : redis.command({"KEYS", "*"}).elements) {
    auto dump = redis.command({"DUMP", key.str}).str;
    EXPECT_EQ(dump.find(kSecret), std::string::npos) << key.str;
  }
}

TEST(ProviderProcess, CheckConfigRefusesBadGatewaysNamingEachKeyWithoutTheSecret) {
  TestDir dir;
  dir.write("templates/case_update.yaml", kTemplate);
  dir.write("herald.yaml",
            "rules:\n  - { status: case_update, template: case_update }\n"
            "gateways:\n"
            "  email:\n"
            "    type: govuk_notify\n"
            "    api_key: \"" +
                kApiKey +
                "\"\n"
                "    base_url: \"htp://notify\"\n"
                "    templates:\n"
                "      case_update: { en: f33517ff-2a88-4f6e-b855-c550268ce08a }\n"
                "  sms:\n"
                "    type: twilio\n"
                "    account_sid: AC0123456789abcdef0123456789abcdef\n"
                "    auth_token_file: no-such-token\n"
                "    from: \"+447700900000\"\n"
                "    colour: blue\n");
  HeraldProcess check({"check-config", "--config", dir.path("herald.yaml")},
                      {{"CREDENTIALS_DIRECTORY", dir.path("creds")}});
  EXPECT_EQ(check.wait_exit(10s), 2);
  const std::string out = check.log();
  for (const char* expected :
       {"herald.yaml:6: gateways.email.api_key: a secret is never written in the config",
        "herald.yaml:7: gateways.email.base_url: must be an http:// or https:// URL",
        "herald.yaml:9: gateways.email.templates.case_update.cy: no Notify template id",
        "herald.yaml:13: gateways.sms.auth_token_file: cannot read",
        "no-such-token: No such file or directory",
        "herald.yaml:15: gateways.sms.colour: unknown key"})
    EXPECT_NE(out.find(expected), std::string::npos) << expected << " not in:\n" << out;
  EXPECT_EQ(out.find(kSecret), std::string::npos) << out;
}

TEST(ProviderProcess, TheExampleProviderConfigsPassCheckConfig) {
  TestDir credentials;
  credentials.write("notify-api-key", kApiKey + "\n");
  credentials.write("twilio-auth-token", "0123456789abcdef0123456789abcdef\n");
  credentials.write("callback-token", "callback-token-of-enough-length\n");
  const std::map<std::string, std::string> env = {
      {"NOTIFY_API_KEY", kApiKey},
      {"SENDGRID_API_KEY", "SG.example-key"},
      {"CREDENTIALS_DIRECTORY", credentials.root().string()}};
  for (const char* file : {"govuk_notify.yaml", "twilio_sendgrid.yaml"}) {
    HeraldProcess check(
        {"check-config", "--config", std::string(HERALD_SOURCE_DIR) + "/config/examples/" + file},
        env);
    EXPECT_EQ(check.wait_exit(10s), 0) << file << "\n" << check.log();
    EXPECT_NE(check.output().find(": ok ("), std::string::npos) << check.output();
  }
  // Without its secret the same file is refused, naming the key.
  HeraldProcess missing({"check-config", "--config",
                         std::string(HERALD_SOURCE_DIR) + "/config/examples/govuk_notify.yaml"},
                        {{"NOTIFY_API_KEY", kApiKey}, {"CREDENTIALS_DIRECTORY", "/nonexistent"}});
  EXPECT_EQ(missing.wait_exit(10s), 2);
  EXPECT_NE(
      missing.log().find("gateways.sms.api_key_file: cannot read /nonexistent/notify-api-key"),
      std::string::npos)
      << missing.log();
}

}  // namespace
}  // namespace herald::test
