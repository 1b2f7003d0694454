// WebhookGateway against a real HTTP server on 127.0.0.1.
#include "herald/gateway/webhook_gateway.hpp"

#include <stdlib.h>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include "herald/config/config_loader.hpp"
#include "support/http/http_test_server.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Server = test::HttpTestServer;
using Kind = SendResult::Kind;
using Clock = std::chrono::steady_clock;

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
  return m;
}

class WebhookGatewayTest : public ::testing::Test {
 protected:
  WebhookGatewayTest() {
    config.type = "webhook";
    config.url = server.url("/email");
    config.timeout = 2000ms;
    config.connect_timeout = 1000ms;
  }

  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline) {
      io.run_one_for(10ms);
      if (io.stopped()) io.restart();
    }
  }

  // Starts a send; `result` is filled in when it completes. `message` must outlive it.
  void start(WebhookGateway& gateway, const Message& message, std::optional<SendResult>& result,
             asio::cancellation_slot slot = {}) {
    asio::co_spawn(
        io, gateway.send(message),
        asio::bind_cancellation_slot(slot, [&result](std::exception_ptr e, SendResult r) {
          if (e) std::rethrow_exception(e);
          result = std::move(r);
        }));
  }

  SendResult send(const Message& message) {
    WebhookGateway gateway(http, config);
    std::optional<SendResult> result;
    start(gateway, message, result);
    run_until([&] { return result.has_value(); });
    if (!result) ADD_FAILURE() << "send did not complete";
    return result.value_or(SendResult{});
  }

  void answer(Server::Response response) {
    server.set_handler([response](const Server::Request&) { return response; });
  }

  asio::io_context io;
  Server server;
  HttpClient http{io.get_executor()};
  GatewayConfig config;
};

TEST_F(WebhookGatewayTest, PostsTheContractBodyWithAnIdempotencyKey) {
  config.headers = {{"Authorization", Secret("Bearer test-token")}};
  const Message message = email();

  SendResult result = send(message);

  EXPECT_EQ(result.kind, Kind::accepted) << result.reason;
  EXPECT_EQ(result.http_status, 200);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/email");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(request.headers.at("idempotency-key"), "evt-2026-000123:email");
  EXPECT_EQ(request.headers.at("authorization"), "Bearer test-token");
  const auto body = boost::json::parse(request.body).as_object();
  EXPECT_EQ(body, boost::json::parse(R"({
      "id": "evt-2026-000123:email", "channel": "email", "to": "katie@example.org",
      "subject": "Your application GWF012345678",
      "body": "Dear Ms McNally, your decision has been dispatched.",
      "html": "<p>Dear Ms McNally</p>", "reference": "GWF012345678",
      "event_id": "evt-2026-000123", "status": "decision_dispatched", "language": "en"})"));
}

TEST_F(WebhookGatewayTest, ConfiguredHeadersCannotReplaceTheIdempotencyKey) {
  config.headers = {{"content-type", Secret("application/json; charset=utf-8")},
                    {"Idempotency-Key", Secret("forged")}};
  send(email());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(requests[0].headers.at("idempotency-key"), "evt-2026-000123:email");
}

TEST_F(WebhookGatewayTest, SendsTheHeaderWithTheEnvironmentVariableTheConfigNames) {
  // The way an operator writes it: the token stays out of herald.yaml.
  ::setenv("HERALD_TEST_HOOK_TOKEN", "hook-token-0123456789", 1);
  auto loaded = load_config_from_string(
      "rules: [{status: decision_dispatched, template: decision_dispatched, channels: [email]}]\n"
      "gateways:\n  email:\n    type: webhook\n    url: \"" +
          server.url("/email") +
          "\"\n    headers: { Authorization: \"Bearer ${HERALD_TEST_HOOK_TOKEN}\" }\n",
      "herald.yaml", "/etc/herald");
  ::unsetenv("HERALD_TEST_HOOK_TOKEN");
  ASSERT_TRUE(loaded.config) << (loaded.problems.empty() ? "" : to_string(loaded.problems[0]));
  config = loaded.config->gateways.at(Channel::email);

  EXPECT_EQ(send(email()).kind, Kind::accepted);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("authorization"), "Bearer hook-token-0123456789");
}

TEST_F(WebhookGatewayTest, TakesTheGatewaysMessageIdFromAnAcceptedAnswer) {
  answer({.status = 202, .body = R"({"id":"gw-1"})"});
  SendResult result = send(email());
  EXPECT_EQ(result.kind, Kind::accepted);
  EXPECT_EQ(result.http_status, 202);
  EXPECT_EQ(result.gateway_message_id, "gw-1");

  answer({.status = 201, .body = R"({"id":42,"status":"queued"})"});
  EXPECT_EQ(send(email()).gateway_message_id, "42");
}

TEST_F(WebhookGatewayTest, AcceptsA2xxWhoseBodyIsNotJson) {
  answer({.status = 200, .body = "OK thanks"});
  SendResult result = send(email());
  EXPECT_EQ(result.kind, Kind::accepted);
  EXPECT_EQ(result.gateway_message_id, "");
}

// The caller's check is asked once the send has its turn, right before the request; a reason from
// it means no request at all.
TEST_F(WebhookGatewayTest, ACheckRightBeforeTheRequestCanWithholdTheSend) {
  const Message message = email();
  WebhookGateway gateway(http, config);
  int asked = 0;
  std::optional<std::string> verdict = "contact not permitted any more: 20:00";
  const SendCheck check = [&]() -> asio::awaitable<std::optional<std::string>> {
    ++asked;
    co_return verdict;
  };
  auto send_checked = [&] {
    std::optional<SendResult> result;
    asio::co_spawn(io, gateway.send(message, check), [&](std::exception_ptr e, SendResult r) {
      if (e) std::rethrow_exception(e);
      result = std::move(r);
    });
    run_until([&] { return result.has_value(); });
    return result.value_or(SendResult{});
  };

  SendResult held = send_checked();
  EXPECT_EQ(held.kind, Kind::withheld);
  EXPECT_EQ(held.reason, "contact not permitted any more: 20:00");
  EXPECT_EQ(held.code, "") << "no request was made";
  EXPECT_EQ(server.requests().size(), 0u);

  verdict.reset();
  EXPECT_EQ(send_checked().kind, Kind::accepted);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(asked, 2);
}

// Sending again because the provider said more than we read would be a duplicate.
TEST_F(WebhookGatewayTest, AcceptsA2xxWhoseBodyIsTooLargeToRead) {
  answer({.status = 201, .body = std::string((1 << 20) + 1000, ' ') + R"({"id":"gw-1"})"});
  SendResult result = send(email());
  EXPECT_EQ(result.kind, Kind::accepted) << result.reason;
  EXPECT_EQ(result.http_status, 201);
  EXPECT_EQ(result.gateway_message_id, "");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(WebhookGatewayTest, TreatsServerErrorsAsTransient) {
  for (int status : {500, 503}) {
    answer({.status = status, .body = "<html>oops</html>"});
    SendResult result = send(email());
    EXPECT_EQ(result.kind, Kind::transient);
    EXPECT_EQ(result.http_status, status);
    EXPECT_EQ(result.reason, "HTTP " + std::to_string(status));
    EXPECT_EQ(result.retry_after, std::nullopt);
  }
}

TEST_F(WebhookGatewayTest, HonoursRetryAfterOnTooManyRequests) {
  answer({.status = 429, .headers = {{"Retry-After", "7"}}});
  SendResult result = send(email());
  EXPECT_EQ(result.kind, Kind::transient);
  EXPECT_EQ(result.http_status, 429);
  EXPECT_EQ(result.retry_after, 7000ms);
}

TEST_F(WebhookGatewayTest, RejectsABadRequestForGoodNamingTheProvidersCodeOnly) {
  answer({.status = 400,
          .headers = {{"Content-Type", "application/json"}},
          .body = R"({"status_code":400,"errors":[{"error":"ValidationError",)"
                  R"("message":"phone_number +447700900123 Not a UK mobile number"}]})"});
  SendResult result = send(email());
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.http_status, 400);
  EXPECT_EQ(result.reason, "HTTP 400: ValidationError");

  answer({.status = 422, .body = R"({"error":"katie@example.org is not allowed"})"});
  result = send(email());
  EXPECT_EQ(result.kind, Kind::permanent);
  EXPECT_EQ(result.reason, "HTTP 422") << "a message that echoes the request is never repeated";
}

TEST_F(WebhookGatewayTest, TreatsASlowGatewayAsATransientTimeout) {
  answer({.delay = 5s});
  config.timeout = 200ms;
  const auto start = Clock::now();
  SendResult result = send(email());
  EXPECT_EQ(result.kind, Kind::transient);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_EQ(result.reason, "timeout after 200 ms");
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(WebhookGatewayTest, TreatsAnUnreachableGatewayAsTransient) {
  asio::ip::tcp::socket unused(io);  // bound, never listening: connections are refused
  unused.open(asio::ip::tcp::v4());
  unused.bind({asio::ip::make_address_v4("127.0.0.1"), 0});
  config.url = "http://127.0.0.1:" + std::to_string(unused.local_endpoint().port()) + "/email";
  SendResult result = send(email());
  EXPECT_EQ(result.kind, Kind::transient);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_EQ(result.reason, "connect failed");
}

TEST_F(WebhookGatewayTest, NeverHasMoreThanMaxInFlightRequestsAtTheServer) {
  answer({.status = 202, .delay = 100ms});
  config.max_in_flight = 3;
  WebhookGateway gateway(http, config);
  std::vector<Message> messages;
  for (int i = 0; i < 10; ++i) messages.push_back(email("evt-" + std::to_string(i)));
  std::vector<std::optional<SendResult>> results(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) start(gateway, messages[i], results[i]);

  run_until([&] {
    return std::all_of(results.begin(), results.end(), [](auto& r) { return r.has_value(); });
  });

  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->kind, Kind::accepted) << result->reason;
  }
  EXPECT_EQ(server.requests().size(), 10u);
  EXPECT_EQ(server.max_concurrent_requests(), 3u);
}

TEST_F(WebhookGatewayTest, SendsWaitingForTheirTurnGoInArrivalOrder) {
  answer({.delay = 10ms});
  config.max_in_flight = 1;
  WebhookGateway gateway(http, config);
  std::vector<Message> messages;
  for (int i = 0; i < 5; ++i) messages.push_back(email("evt-" + std::to_string(i)));
  std::vector<std::optional<SendResult>> results(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) start(gateway, messages[i], results[i]);

  run_until([&] { return results.back().has_value(); });

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  for (std::size_t i = 0; i < requests.size(); ++i)
    EXPECT_EQ(requests[i].headers.at("idempotency-key"), messages[i].notification_id);
}

TEST_F(WebhookGatewayTest, ACancelledWaitingSendGivesUpItsTurn) {
  answer({.delay = 200ms});
  config.max_in_flight = 1;
  WebhookGateway gateway(http, config);
  const Message first = email("evt-first"), cancelled = email("evt-cancelled"),
                last = email("evt-last");
  std::optional<SendResult> first_result, cancelled_result, last_result;
  asio::cancellation_signal cancel;
  start(gateway, first, first_result);
  start(gateway, cancelled, cancelled_result, cancel.slot());
  start(gateway, last, last_result);
  run_until([&] { return server.requests().size() == 1; });

  cancel.emit(asio::cancellation_type::terminal);
  run_until([&] { return cancelled_result.has_value(); }, 1s);
  ASSERT_TRUE(cancelled_result.has_value());
  EXPECT_FALSE(first_result.has_value()) << "cancelled while still waiting for its turn";
  EXPECT_EQ(cancelled_result->kind, Kind::transient);
  EXPECT_EQ(cancelled_result->reason, "cancelled");

  run_until([&] { return last_result.has_value(); });
  ASSERT_TRUE(first_result && last_result);
  EXPECT_EQ(first_result->kind, Kind::accepted);
  EXPECT_EQ(last_result->kind, Kind::accepted);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].headers.at("idempotency-key"), "evt-last:email");
}

}  // namespace
}  // namespace herald
