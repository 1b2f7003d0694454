// GOV.UK Notify, Twilio and SendGrid gateways against local servers that check each request as
// the provider would and answer as it does; and the faults every HTTP gateway must survive.
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include "herald/gateway/notify_gateway.hpp"
#include "herald/gateway/sendgrid_gateway.hpp"
#include "herald/gateway/twilio_gateway.hpp"
#include "support/http/http_test_server.hpp"
#include "support/http/test_certificate.hpp"
#include "support/provider/fake_providers.hpp"
#include "support/provider/jwt.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using Server = test::HttpTestServer;
using Kind = SendResult::Kind;

constexpr const char* kServiceId = "26785a09-ab16-4eb0-8407-a37497a57506";
constexpr const char* kNotifySecret = "3d844edf-8d35-48ac-975b-e847b4f122b0";
constexpr const char* kEnEmailTemplate = "f33517ff-2a88-4f6e-b855-c550268ce08a";
constexpr const char* kCyEmailTemplate = "0b4c9a87-5e1b-4a4e-8a59-0cd0e1a7c5a2";
constexpr const char* kEnSmsTemplate = "9d1b0ce3-7c4a-4b09-9a0e-5f4f1a5e2b11";
constexpr const char* kCySmsTemplate = "5f1d6d3e-2b7a-4c3e-9d4f-1a2b3c4d5e6f";
constexpr const char* kAccountSid = "AC0123456789abcdef0123456789abcdef";
constexpr const char* kAuthToken = "twilio-auth-token-0123456789abcdef";
constexpr const char* kSendgridKey = "SG.test-key.0123456789abcdefghijklmnopqrstuvwxyz";

Message email(std::string event_id = "evt-2026-000123") {
  Message m;
  m.notification_id = notification_id(event_id, Channel::email);
  m.channel = Channel::email;
  m.to = "katie@example.org";
  m.subject = "Your application GWF012345678";
  m.body = "Dear Ms McNally, your decision has been dispatched.";
  m.html = "<p>Dear Ms McNally</p>";
  m.language = "en";
  m.template_name = "decision_dispatched";
  m.event_id = std::move(event_id);
  m.case_ref = "GWF012345678";
  m.status = "decision_dispatched";
  m.variables = json::parse(R"({"case_ref": "GWF012345678", "status": "decision_dispatched",
      "occurred_at": "2026-11-22T10:15:00Z", "salutation": "Ms McNally",
      "data.vac_name": "London"})")
                    .as_object();
  return m;
}

Message sms(std::string event_id = "evt-2026-000123") {
  Message m = email(std::move(event_id));
  m.notification_id = notification_id(m.event_id, Channel::sms);
  m.channel = Channel::sms;
  m.to = "+447700900123";
  m.subject.clear();
  m.html.clear();
  m.body = "Application GWF012345678: your decision is on its way.";
  m.fragments = 1;
  return m;
}

// A base URL for `server` ("http://127.0.0.1:PORT", no slash at the end).
std::string base_url(const Server& server) {
  std::string url = server.url("/");
  url.pop_back();
  return url;
}

class ProviderTest : public ::testing::Test {
 protected:
  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_one_for(10ms);
      if (io.stopped()) io.restart();
    }
  }

  SendResult send(Gateway& gateway, const Message& message) {
    std::optional<SendResult> result;
    asio::co_spawn(io, gateway.send(message), [&result](std::exception_ptr e, SendResult r) {
      if (e) std::rethrow_exception(e);
      result = std::move(r);
    });
    run_until([&] { return result.has_value(); });
    if (!result) ADD_FAILURE() << "send did not complete";
    return result.value_or(SendResult{});
  }

  GatewayConfig notify_config(const Server& on) {
    GatewayConfig c;
    c.type = "govuk_notify";
    c.base_url = base_url(on);
    c.api_key = Secret(std::string("herald_live-") + kServiceId + "-" + kNotifySecret);
    c.templates["decision_dispatched"] = {{"en", kEnEmailTemplate}, {"cy", kCyEmailTemplate}};
    c.timeout = 3000ms;
    return c;
  }

  GatewayConfig twilio_config() {
    GatewayConfig c;
    c.type = "twilio";
    c.base_url = base_url(server);
    c.account_sid = kAccountSid;
    c.auth_token = Secret(kAuthToken);
    c.from = "+447700900000";
    return c;
  }

  GatewayConfig sendgrid_config() {
    GatewayConfig c;
    c.type = "sendgrid";
    c.base_url = base_url(server);
    c.api_key = Secret(kSendgridKey);
    c.from_email = "customer.dispatch@example.gov.uk";
    c.from_name = "Customer Dispatch";
    return c;
  }

  const Server::Request& only_request() {
    requests = server.requests();
    if (requests.size() != 1) throw std::runtime_error("expected one request");
    return requests[0];
  }

  asio::io_context io;
  Server server;
  HttpClient http{io.get_executor()};
  std::vector<Server::Request> requests;
};

// ---- GOV.UK Notify ----

TEST_F(ProviderTest, NotifySendsAnEmailThatNotifyAccepts) {
  server.set_handler(test::FakeNotify{kServiceId, kNotifySecret});
  auto config = notify_config(server);
  config.email_reply_to_id = "8e222534-7f05-4972-86e3-17c5d9f894e2";
  NotifyGateway gateway(http, config);

  SendResult result = send(gateway, email());

  ASSERT_EQ(result.kind, Kind::accepted) << result.reason;
  EXPECT_EQ(result.http_status, 201);
  EXPECT_EQ(result.gateway_message_id, "740e5834-3a29-46b4-9a6f-16142fde533a");
  const auto& request = only_request();
  EXPECT_EQ(request.target, "/v2/notifications/email");
  EXPECT_EQ(json::parse(request.body), json::parse(R"({
      "email_address": "katie@example.org",
      "template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
      "personalisation": {
        "case_ref": "GWF012345678", "status": "decision_dispatched",
        "occurred_at": "2026-11-22T10:15:00Z", "salutation": "Ms McNally",
        "data.vac_name": "London",
        "subject": "Your application GWF012345678",
        "body": "Dear Ms McNally, your decision has been dispatched."},
      "reference": "evt-2026-000123:email",
      "email_reply_to_id": "8e222534-7f05-4972-86e3-17c5d9f894e2"})"));
  // The token carries the service id and a fresh iat (FakeNotify has refused it otherwise).
  auto claims = test::verify_hs256(request.headers.at("authorization").substr(7), kNotifySecret);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->at("iss"), kServiceId);
}

TEST_F(ProviderTest, NotifySendsAWelshSmsWithTheWelshTemplateAndTheSender) {
  server.set_handler(test::FakeNotify{kServiceId, kNotifySecret});
  auto config = notify_config(server);
  config.templates["decision_dispatched"] = {{"en", kEnSmsTemplate}, {"cy", kCySmsTemplate}};
  config.sms_sender_id = "2b6a1c4e-9f3d-4e5a-8b7c-6d5e4f3a2b1c";
  NotifyGateway gateway(http, config);
  Message message = sms();
  message.language = "cy";
  message.body = "Cais GWF012345678: mae eich penderfyniad ar ei ffordd. Diolch ŵ";

  SendResult result = send(gateway, message);

  ASSERT_EQ(result.kind, Kind::accepted) << result.reason;
  const auto& request = only_request();
  EXPECT_EQ(request.target, "/v2/notifications/sms");
  auto body = json::parse(request.body).as_object();
  EXPECT_EQ(body.at("phone_number"), "+447700900123");
  EXPECT_EQ(body.at("template_id"), kCySmsTemplate);
  EXPECT_EQ(body.at("sms_sender_id"), "2b6a1c4e-9f3d-4e5a-8b7c-6d5e4f3a2b1c");
  EXPECT_EQ(body.at("reference"), "evt-2026-000123:sms");
  EXPECT_EQ(body.at("personalisation").at("body").as_string(), message.body);
  EXPECT_FALSE(body.at("personalisation").as_object().contains("subject"));
  EXPECT_FALSE(body.contains("email_reply_to_id"));
}

TEST_F(ProviderTest, NotifyMintsATokenForEachRequestAndIsRefusedWhenTheClockIsOff) {
  server.set_handler(test::FakeNotify{kServiceId, kNotifySecret});
  auto skew = 0s;
  NotifyGateway gateway(http, notify_config(server),
                        [&skew] { return std::chrono::system_clock::now() + skew; });
  ASSERT_EQ(send(gateway, email("evt-1")).kind, Kind::accepted);
  skew = 5s;
  ASSERT_EQ(send(gateway, email("evt-2")).kind, Kind::accepted);
  skew = -45s;
  SendResult refused = send(gateway, email("evt-3"));
  EXPECT_EQ(refused.kind, Kind::permanent);
  EXPECT_EQ(refused.reason, "HTTP 403: AuthError");

  auto all = server.requests();
  ASSERT_EQ(all.size(), 3u);
  std::vector<std::int64_t> issued;
  for (const auto& r : all)
    issued.push_back(test::verify_hs256(r.headers.at("authorization").substr(7), kNotifySecret)
                         ->at("iat")
                         .as_int64());
  EXPECT_GE(issued[1] - issued[0], 5) << "not one token reused";
  EXPECT_GE(issued[0] - issued[2], 40);
}

TEST_F(ProviderTest, NotifyMintsTheTokenWhenTheRequestGoesOutNotWhenItBeginsToWait) {
  // One request at a time, the provider slow: the second send waits for the first. Its token
  // must be minted when its turn comes; one minted when it began to wait would be too old by
  // then (here the clock moves on 40 s during the wait).
  server.set_handler(
      [fake = test::FakeNotify{kServiceId, kNotifySecret}](const Server::Request& r) {
        auto response = fake(r);
        response.delay = 500ms;
        return response;
      });
  std::atomic<int> skew_s{0};
  auto config = notify_config(server);
  config.max_in_flight = 1;
  NotifyGateway gateway(http, config, [&] {
    return std::chrono::system_clock::now() + std::chrono::seconds(skew_s);
  });
  std::optional<SendResult> first, second;
  const Message m1 = email("evt-1"), m2 = email("evt-2");  // send() holds them by reference
  asio::co_spawn(io, gateway.send(m1), [&](std::exception_ptr, SendResult r) { first = r; });
  run_until([&] { return server.requests().size() == 1; });
  ASSERT_EQ(server.requests().size(), 1u);
  skew_s = -40;  // when the second send begins to wait
  asio::co_spawn(io, gateway.send(m2), [&](std::exception_ptr, SendResult r) { second = r; });
  run_until([] { return false; }, 100ms);
  skew_s = 0;  // 40 s later, when its turn comes
  run_until([&] { return first && second; });
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->kind, Kind::accepted) << first->reason;
  EXPECT_EQ(second->kind, Kind::accepted) << second->reason;
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(ProviderTest, NotifyWithTheWrongKeyIsRejectedNamingOnlyTheErrorType) {
  server.set_handler(test::FakeNotify{kServiceId, "00000000-0000-4000-8000-000000000000"});
  NotifyGateway gateway(http, notify_config(server));
  SendResult result = send(gateway, email());
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.http_status, 403);
  EXPECT_EQ(result.reason, "HTTP 403: AuthError");
}

TEST_F(ProviderTest, NotifyValidationErrorsNeverRepeatTheAddressTheyQuote) {
  server.set_handler([](const Server::Request&) {
    return Server::Response{
        .status = 400,
        .headers = {{"Content-Type", "application/json"}},
        .body = R"({"errors":[{"error":"ValidationError","message":"phone_number +447700900123 )"
                R"(Not a UK mobile number"},{"error":"BadRequestError","message":"Can't send to )"
                R"(this recipient using a team-only API key"}],"status_code":400})"};
  });
  auto config = notify_config(server);
  config.templates["decision_dispatched"] = {{"en", kEnSmsTemplate}, {"cy", kCySmsTemplate}};
  NotifyGateway gateway(http, config);
  SendResult result = send(gateway, sms());
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.reason, "HTTP 400: ValidationError, BadRequestError");
}

TEST_F(ProviderTest, NotifyRateLimitAndServerErrorsAreTransient) {
  server.set_handler([](const Server::Request&) {
    return Server::Response{
        .status = 429,
        .headers = {{"Content-Type", "application/json"}, {"Retry-After", "12"}},
        .body = R"({"errors":[{"error":"RateLimitError","message":"Exceeded rate limit for key )"
                R"(type LIVE of 3000 requests per 60 seconds"}],"status_code":429})"};
  });
  NotifyGateway gateway(http, notify_config(server));
  SendResult limited = send(gateway, email());
  EXPECT_EQ(limited.kind, Kind::transient);
  EXPECT_EQ(limited.reason, "HTTP 429: RateLimitError");
  EXPECT_EQ(limited.retry_after, 12000ms);
  EXPECT_EQ(limited.code, "429");

  server.set_handler([](const Server::Request&) {
    return Server::Response{
        .status = 500,
        .body = R"({"errors":[{"error":"Exception","message":"Internal server error"}],)"
                R"("status_code":500})"};
  });
  SendResult failed = send(gateway, email());
  EXPECT_EQ(failed.kind, Kind::transient);
  EXPECT_EQ(failed.reason, "HTTP 500: Exception");
}

TEST_F(ProviderTest, NotifyRefusesAMessageWhoseTemplateHasNoNotifyId) {
  NotifyGateway gateway(http, notify_config(server));
  Message message = email();
  message.template_name = "documents_needed";
  SendResult result = send(gateway, message);
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.reason, "no Notify template id for template documents_needed in en");
  EXPECT_EQ(result.code, "") << "no request was made";
  EXPECT_TRUE(server.requests().empty());
}

// ---- Twilio ----

TEST_F(ProviderTest, TwilioPostsTheFormWithBasicAuthAndReturnsTheSid) {
  server.set_handler(test::FakeTwilio{kAccountSid, kAuthToken});
  auto config = twilio_config();
  config.status_callback = "https://herald.example.gov.uk/receipts/twilio";
  TwilioGateway gateway(http, config);
  Message message = sms();
  message.body = "Cais GWF012345678 & ŵ: 50% + mwy = iawn";

  SendResult result = send(gateway, message);

  ASSERT_EQ(result.kind, Kind::accepted) << result.reason;
  EXPECT_EQ(result.http_status, 201);
  EXPECT_EQ(result.gateway_message_id, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
  const auto& request = only_request();
  EXPECT_EQ(request.target,
            "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json");
  EXPECT_EQ(request.headers.at("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(test::form_decode(request.body),
            (std::map<std::string, std::string>{
                {"To", "+447700900123"},
                {"From", "+447700900000"},
                {"Body", "Cais GWF012345678 & ŵ: 50% + mwy = iawn"},
                {"StatusCallback", "https://herald.example.gov.uk/receipts/twilio"}}));
}

TEST_F(ProviderTest, TwilioSendsThroughAMessagingServiceInsteadOfANumber) {
  server.set_handler(test::FakeTwilio{kAccountSid, kAuthToken});
  auto config = twilio_config();
  config.from.clear();
  config.messaging_service_sid = "MG0123456789abcdef0123456789abcdef";
  TwilioGateway gateway(http, config);
  ASSERT_EQ(send(gateway, sms()).kind, Kind::accepted);
  auto fields = test::form_decode(only_request().body);
  EXPECT_EQ(fields.at("MessagingServiceSid"), "MG0123456789abcdef0123456789abcdef");
  EXPECT_FALSE(fields.contains("From"));
}

// Twilio answers 400 when a sender's queue is full (more than 10 hours of messages waiting: a
// 09:00 backlog on one number) and asks for the message later, not never.
TEST_F(ProviderTest, TwilioQueueFullAndRateErrorsAreRetriedNotRejected) {
  for (int code : {21611, 14107}) {
    server.set_handler([code](const test::HttpTestServer::Request&) {
      return test::HttpTestServer::Response{
          .status = 400,
          .body =
              R"({"code": )" + std::to_string(code) +
              R"(, "message": "try later", "more_info": "https://www.twilio.com/docs/errors", "status": 400})"};
    });
    TwilioGateway gateway(http, twilio_config());
    SendResult result = send(gateway, sms());
    EXPECT_EQ(result.kind, Kind::transient) << code;
    EXPECT_EQ(result.reason.rfind("HTTP 400: Twilio " + std::to_string(code), 0), 0u)
        << result.reason;
  }
}

TEST_F(ProviderTest, TwilioErrorsGiveTheCodeButNeverTheMessageQuotingTheNumber) {
  server.set_handler(test::FakeTwilio{kAccountSid, kAuthToken});
  TwilioGateway gateway(http, twilio_config());
  Message message = sms();
  message.to = "07700900123";  // not E.164: Twilio refuses it, quoting it back
  SendResult result = send(gateway, message);
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.reason, "HTTP 400: Twilio 21211 (invalid To number)");

  auto config = twilio_config();
  config.auth_token = Secret("wrong-token");
  TwilioGateway wrong(http, config);
  result = send(wrong, sms());
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.reason, "HTTP 401: Twilio 20003 (authentication failed)");
}

// ---- SendGrid ----

TEST_F(ProviderTest, SendgridPostsTextAndHtmlFromTheSenderAndReturnsTheMessageIdHeader) {
  server.set_handler(test::FakeSendgrid{kSendgridKey});
  auto config = sendgrid_config();
  config.reply_to = "replies@example.gov.uk";
  SendgridGateway gateway(http, config);

  SendResult result = send(gateway, email());

  ASSERT_EQ(result.kind, Kind::accepted) << result.reason;
  EXPECT_EQ(result.http_status, 202);
  EXPECT_EQ(result.gateway_message_id, "W6A2Yv3kQKe4wJ5rZtW2dQ");
  const auto& request = only_request();
  EXPECT_EQ(request.headers.at("authorization"), std::string("Bearer ") + kSendgridKey);
  EXPECT_EQ(json::parse(request.body), json::parse(R"({
      "personalizations": [{"to": [{"email": "katie@example.org"}]}],
      "from": {"email": "customer.dispatch@example.gov.uk", "name": "Customer Dispatch"},
      "reply_to": {"email": "replies@example.gov.uk"},
      "subject": "Your application GWF012345678",
      "content": [
        {"type": "text/plain", "value": "Dear Ms McNally, your decision has been dispatched."},
        {"type": "text/html", "value": "<p>Dear Ms McNally</p>"}],
      "custom_args": {"notification_id": "evt-2026-000123:email"}})"));
}

TEST_F(ProviderTest, SendgridSendsAWelshMessageFromTheWelshSenderName) {
  server.set_handler(test::FakeSendgrid{kSendgridKey});
  auto config = sendgrid_config();
  config.from_name_in["cy"] = "Anfon at Gwsmeriaid";
  SendgridGateway gateway(http, config);
  Message welsh = email();
  welsh.language = "cy";
  ASSERT_EQ(send(gateway, welsh).kind, Kind::accepted);
  ASSERT_EQ(send(gateway, email()).kind, Kind::accepted);
  const auto sent = server.requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(json::parse(sent[0].body).at("from").at("name"), "Anfon at Gwsmeriaid");
  EXPECT_EQ(json::parse(sent[1].body).at("from").at("name"), "Customer Dispatch")
      << "English, and any language without a name of its own";
}

TEST_F(ProviderTest, SendgridSendsTextAloneWhenTheTemplateHasNoHtml) {
  server.set_handler(test::FakeSendgrid{kSendgridKey});
  SendgridGateway gateway(http, sendgrid_config());
  Message message = email();
  message.html.clear();
  ASSERT_EQ(send(gateway, message).kind, Kind::accepted);
  auto content = json::parse(only_request().body).at("content").as_array();
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0].at("type"), "text/plain");
}

TEST_F(ProviderTest, SendgridErrorsNameTheFieldsButNeverTheMessages) {
  server.set_handler([](const Server::Request&) {
    return Server::Response{
        .status = 400,
        .body = R"({"errors":[{"message":"Does not contain a valid address: katie@example",)"
                R"("field":"personalizations.0.to.0.email","help":"http://sendgrid.com/docs"},)"
                R"({"message":"The from address does not match a verified Sender Identity.",)"
                R"("field":"from","help":null}]})"};
  });
  SendgridGateway gateway(http, sendgrid_config());
  SendResult result = send(gateway, email());
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.reason, "HTTP 400: field personalizations.0.to.0.email, from");

  server.set_handler(test::FakeSendgrid{"SG.another-key"});
  result = send(gateway, email());
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.reason, "HTTP 401");
}

// SendGrid answers its rate limit with 429 and X-RateLimit-Reset (a Unix time), no Retry-After:
// herald retried on its own backoff, well before the reset, into more 429s that could open the
// breaker.
TEST_F(ProviderTest, SendgridRateLimitWaitsUntilItsReset) {
  const auto reset = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()) +
                     30s;
  server.set_handler([reset](const Server::Request&) {
    return Server::Response{.status = 429,
                            .headers = {{"X-RateLimit-Limit", "600"},
                                        {"X-RateLimit-Remaining", "0"},
                                        {"X-RateLimit-Reset", std::to_string(reset.count())}},
                            .body = R"({"errors":[{"field":null,"message":"too many requests"}]})"};
  });
  SendgridGateway gateway(http, sendgrid_config());
  SendResult limited = send(gateway, email());
  EXPECT_EQ(limited.kind, Kind::transient);
  ASSERT_TRUE(limited.retry_after);
  EXPECT_GT(*limited.retry_after, 25s);
  EXPECT_LE(*limited.retry_after, 30s);

  // Retry-After, when given, decides; a reset hours away is not a rate limit's.
  server.set_handler([reset](const Server::Request&) {
    return Server::Response{
        .status = 429,
        .headers = {{"Retry-After", "5"}, {"X-RateLimit-Reset", std::to_string(reset.count())}}};
  });
  EXPECT_EQ(send(gateway, email()).retry_after, 5000ms);
  server.set_handler([reset](const Server::Request&) {
    return Server::Response{
        .status = 429, .headers = {{"X-RateLimit-Reset", std::to_string(reset.count() + 86400)}}};
  });
  EXPECT_EQ(send(gateway, email()).retry_after, std::nullopt);
}

// ---- Faults, the same for every HTTP gateway ----

TEST_F(ProviderTest, ASlowProviderIsATransientTimeout) {
  server.set_handler([](const Server::Request&) { return Server::Response{.delay = 5s}; });
  auto config = sendgrid_config();
  config.timeout = 200ms;
  SendgridGateway gateway(http, config);
  SendResult result = send(gateway, email());
  EXPECT_EQ(result.kind, Kind::transient);
  EXPECT_EQ(result.reason, "timeout after 200 ms");
  EXPECT_EQ(result.code, "timeout");
}

TEST_F(ProviderTest, ARefusedConnectionIsTransient) {
  asio::ip::tcp::socket unused(io);  // bound, never listening: connections are refused
  unused.open(asio::ip::tcp::v4());
  unused.bind({asio::ip::make_address_v4("127.0.0.1"), 0});
  auto config = twilio_config();
  config.base_url = "http://127.0.0.1:" + std::to_string(unused.local_endpoint().port());
  TwilioGateway gateway(http, config);
  SendResult result = send(gateway, sms());
  EXPECT_EQ(result.kind, Kind::transient);
  EXPECT_EQ(result.reason, "connect failed");
  EXPECT_EQ(result.code, "connect");
}

// A file that is removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "herald-ca-XXXXXX.pem").string();
    int fd = mkstemps(pattern.data(), 4);
    if (fd < 0) throw std::runtime_error("mkstemps failed");
    ::close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST_F(ProviderTest, ASelfSignedCertificateIsRefusedUnlessItsCaFileIsConfigured) {
  const auto certificate = test::make_test_certificate();
  Server tls(certificate);
  tls.set_handler(test::FakeNotify{kServiceId, kNotifySecret});
  auto config = notify_config(tls);
  ASSERT_TRUE(config.base_url.starts_with("https://127.0.0.1:"));

  NotifyGateway untrusting(http, config);
  SendResult refused = send(untrusting, email());
  EXPECT_EQ(refused.kind, Kind::transient);
  EXPECT_EQ(refused.code, "error");
  EXPECT_NE(refused.reason.find("certificate"), std::string::npos) << refused.reason;
  EXPECT_TRUE(tls.requests().empty()) << "nothing was sent to an unverified server";
  EXPECT_TRUE(tls.wait_for_failed_handshakes(1, 5s)) << "the server saw no refused handshake";

  TempFile ca(certificate.certificate_pem);
  config.ca_file = ca.path();
  NotifyGateway trusting(http, config);
  SendResult accepted = send(trusting, email());
  EXPECT_EQ(accepted.kind, Kind::accepted) << accepted.reason;
  EXPECT_EQ(tls.requests().size(), 1u);
}

TEST_F(ProviderTest, ACaFileForAnotherCertificateIsNoTrustAtAll) {
  const auto certificate = test::make_test_certificate();
  Server tls(certificate);
  tls.set_handler(test::FakeNotify{kServiceId, kNotifySecret});
  TempFile other(test::make_test_certificate().certificate_pem);
  auto config = notify_config(tls);
  config.ca_file = other.path();
  NotifyGateway gateway(http, config);
  SendResult result = send(gateway, email());
  EXPECT_EQ(result.kind, Kind::transient);
  EXPECT_TRUE(tls.requests().empty());
}

}  // namespace
}  // namespace herald
