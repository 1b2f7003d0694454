// Rate limit, circuit breaker and metrics in front of a real HTTP gateway and server.
#include "herald/gateway/protected_gateway.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "herald/gateway/file_gateway.hpp"
#include "herald/gateway/webhook_gateway.hpp"
#include "support/http/http_test_server.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Server = test::HttpTestServer;
using Kind = SendResult::Kind;
using State = CircuitBreaker::State;

// What ProtectedGateway reports, as the metrics would see it.
struct Recorder final : GatewayObserver {
  struct Request {
    std::string gateway, code;
  };
  std::vector<Request> requests;
  std::vector<std::pair<std::string, State>> states;
  std::map<std::string, int> waits;
  std::map<std::string, std::size_t> fragments;

  std::vector<std::string> registered;
  void gateway_registered(std::string_view gateway) override { registered.emplace_back(gateway); }
  void gateway_request(std::string_view gateway, std::string_view code, double seconds) override {
    EXPECT_GE(seconds, 0.0);
    requests.push_back({std::string(gateway), std::string(code)});
  }
  void gateway_breaker_state(std::string_view gateway, State state) override {
    states.emplace_back(std::string(gateway), state);
  }
  void gateway_rate_limit_wait(std::string_view gateway) override { ++waits[std::string(gateway)]; }
  void sms_fragments(std::string_view gateway, std::size_t n) override {
    fragments[std::string(gateway)] += n;
  }
  std::vector<State> states_of(const std::string& gateway) const {
    std::vector<State> out;
    for (const auto& [g, s] : states)
      if (g == gateway) out.push_back(s);
    return out;
  }
};

Message message(std::string event_id, Channel channel = Channel::email) {
  Message m;
  m.notification_id = notification_id(event_id, channel);
  m.channel = channel;
  m.to = channel == Channel::email ? "katie@example.org" : "+447700900123";
  m.body = "Hello";
  m.language = "en";
  m.template_name = "t";
  m.event_id = std::move(event_id);
  m.case_ref = "GWF1";
  m.status = "s";
  m.fragments = channel == Channel::sms ? 2 : 0;
  return m;
}

class ProtectedGatewayTest : public ::testing::Test {
 protected:
  ProtectedGatewayTest() {
    config.type = "webhook";
    config.name = "provider";
    config.url = server.url("/send");
    config.timeout = 3000ms;
    config.circuit_breaker = {3, 300ms};
  }

  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_one_for(10ms);
      if (io.stopped()) io.restart();
    }
  }

  std::shared_ptr<ProtectedGateway> make() {
    if (!guard) guard = std::make_shared<GatewayGuard>(config, &recorder);
    return std::make_shared<ProtectedGateway>(std::make_shared<WebhookGateway>(http, config),
                                              guard);
  }

  void start(Gateway& gateway, const Message& m, std::optional<SendResult>& result) {
    asio::co_spawn(io, gateway.send(m), [&result](std::exception_ptr e, SendResult r) {
      if (e) std::rethrow_exception(e);
      result = std::move(r);
    });
  }

  // Sends `n` messages at once (evt-0, evt-1, ...) and runs until every one has its result.
  std::vector<std::optional<SendResult>> send_all_at_once(Gateway& gateway, int n) {
    std::vector<Message> messages;
    for (int i = 0; i < n; ++i) messages.push_back(message("evt-" + std::to_string(i)));
    std::vector<std::optional<SendResult>> results(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) start(gateway, messages[i], results[i]);
    run_until([&] {
      return std::all_of(results.begin(), results.end(), [](auto& r) { return r.has_value(); });
    });
    return results;
  }

  SendResult send(Gateway& gateway, const Message& m) {
    std::optional<SendResult> result;
    start(gateway, m, result);
    run_until([&] { return result.has_value(); });
    if (!result) ADD_FAILURE() << "send did not complete";
    return result.value_or(SendResult{});
  }

  // Sends until the breaker lets a request through (after its cool-down), failing the test if
  // that takes far longer than the cool-down.
  SendResult send_when_admitted(Gateway& gateway, const Message& m) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      SendResult r = send(gateway, m);
      if (r.reason != "circuit breaker open" || std::chrono::steady_clock::now() > deadline)
        return r;
      std::this_thread::sleep_for(20ms);
    }
  }

  void answer(int status) {
    server.set_handler(
        [status](const Server::Request&) { return Server::Response{.status = status}; });
  }

  asio::io_context io;
  Server server;
  HttpClient http{io.get_executor()};
  GatewayConfig config;
  Recorder recorder;
  std::shared_ptr<GatewayGuard> guard;
};

TEST_F(ProtectedGatewayTest, OpensAfterFailuresFailsFastThenProbesAndCloses) {
  answer(503);
  auto gateway = make();
  EXPECT_EQ(recorder.registered, std::vector<std::string>{"provider"});
  EXPECT_EQ(recorder.states_of("provider"), std::vector<State>{State::closed});
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send(*gateway, message("evt-" + std::to_string(i))).code, "503");
  EXPECT_EQ(recorder.states_of("provider"), (std::vector<State>{State::closed, State::open}));
  EXPECT_EQ(guard->breaker_state(), State::open);

  SendResult fast = send(*gateway, message("evt-fast"));
  EXPECT_EQ(fast.kind, Kind::transient);
  EXPECT_EQ(fast.reason, "circuit breaker open");
  ASSERT_TRUE(fast.retry_after.has_value());
  EXPECT_GT(*fast.retry_after, 0ms);
  EXPECT_LE(*fast.retry_after, 300ms + 30ms);
  EXPECT_EQ(server.requests().size(), 3u) << "an open breaker does not call the provider";
  EXPECT_EQ(recorder.requests.size(), 3u) << "a fast failure is not a request";

  answer(202);
  SendResult probe = send_when_admitted(*gateway, message("evt-probe"));
  EXPECT_EQ(probe.kind, Kind::accepted) << probe.reason;
  EXPECT_EQ(recorder.states_of("provider"),
            (std::vector<State>{State::closed, State::open, State::half_open, State::closed}));
  EXPECT_EQ(send(*gateway, message("evt-after")).kind, Kind::accepted);
  EXPECT_EQ(server.requests().size(), 5u);
}

TEST_F(ProtectedGatewayTest, AFailedProbeOpensTheBreakerAgain) {
  answer(500);
  auto gateway = make();
  for (int i = 0; i < 3; ++i) send(*gateway, message("evt-" + std::to_string(i)));
  SendResult probe = send_when_admitted(*gateway, message("evt-probe"));
  EXPECT_EQ(probe.code, "500");
  EXPECT_EQ(recorder.states_of("provider"),
            (std::vector<State>{State::closed, State::open, State::half_open, State::open}));
  EXPECT_EQ(send(*gateway, message("evt-fast")).reason, "circuit breaker open");
}

TEST_F(ProtectedGatewayTest, PermanentRefusalsShowTheProviderIsUpAndNeverOpenIt) {
  answer(400);
  auto gateway = make();
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(send(*gateway, message("evt-" + std::to_string(i))).kind, Kind::permanent);
  EXPECT_EQ(guard->breaker_state(), State::closed);
}

TEST_F(ProtectedGatewayTest, GatewaysSharingANameShareTheBreaker) {
  answer(503);
  auto email = make();
  auto sms = make();  // same guard: one provider account behind both channels
  for (int i = 0; i < 3; ++i) send(*email, message("evt-" + std::to_string(i)));
  EXPECT_EQ(send(*sms, message("evt-sms", Channel::sms)).reason, "circuit breaker open");
}

TEST_F(ProtectedGatewayTest, TheRateLimitMakesABurstWaitItsTurn) {
  answer(202);
  config.rate_per_second = 20;
  config.burst = 1;
  auto gateway = make();
  for (const auto& r : send_all_at_once(*gateway, 6)) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->kind, Kind::accepted) << r->reason;
  }
  EXPECT_EQ(recorder.waits["provider"], 5) << "one went at once, five waited for a token";
  EXPECT_EQ(server.requests().size(), 6u);
}

// A provider slow for a while must not bank turns: sends queued behind max_in_flight take their
// token when they get their place, so when the provider recovers they still go at the rate.
TEST_F(ProtectedGatewayTest, SendsWaitingForMaxInFlightStillGoAtTheRateWhenTheProviderRecovers) {
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  server.set_handler([&](const Server::Request&) {
    std::lock_guard lock(mutex);
    arrivals.push_back(std::chrono::steady_clock::now());
    // The first answer is slow: the provider is having a bad moment.
    return Server::Response{.status = 202, .delay = arrivals.size() == 1 ? 1500ms : 0ms};
  });
  config.rate_per_second = 5;
  config.burst = 1;
  config.max_in_flight = 1;
  auto gateway = make();
  for (const auto& r : send_all_at_once(*gateway, 5)) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->kind, Kind::accepted) << r->reason;
  }
  std::lock_guard lock(mutex);
  ASSERT_EQ(arrivals.size(), 5u);
  // 5 a second is one each 200 ms; the first after the slow answer goes at once (the bucket
  // refilled meanwhile), each later one waits its turn.
  for (std::size_t i = 2; i < arrivals.size(); ++i)
    EXPECT_GE(arrivals[i] - arrivals[i - 1], 150ms) << "request " << i;
}

TEST_F(ProtectedGatewayTest, SendsWaitingForMaxInFlightFailFastOnceTheBreakerOpens) {
  // Ten sends admitted while the breaker is closed, one at a time to a provider that is down:
  // once the first has failed and opened the breaker, the nine still waiting for the connection
  // slot must not call it any more.
  std::atomic<int> requests = 0;
  server.set_handler([&](const Server::Request&) {
    ++requests;
    return Server::Response{.status = 503, .delay = 100ms};
  });
  config.max_in_flight = 1;
  config.circuit_breaker = {1, 60s};
  auto gateway = make();
  int failed = 0, refused = 0;
  for (const auto& r : send_all_at_once(*gateway, 10)) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->kind, Kind::transient);
    if (r->reason == "circuit breaker open") {
      ++refused;
      ASSERT_TRUE(r->retry_after);
      EXPECT_GT(*r->retry_after, 50s) << "due again once the cool-down allows a probe";
    } else {
      ++failed;
    }
  }
  EXPECT_EQ(requests.load(), 1);
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(refused, 9);
  EXPECT_EQ(recorder.requests.size(), 1u) << "refused sends are not requests";
  EXPECT_EQ(guard->breaker_state(), State::open);
}

TEST_F(ProtectedGatewayTest, SendsWaitingForTheRateLimitFailFastTheMomentTheBreakerOpens) {
  // One a second; the first send fails and opens the breaker. The nine waiting for their turn
  // must not wait up to nine seconds more, holding their slots, to be refused one by one.
  std::atomic<int> requests = 0;
  server.set_handler([&](const Server::Request&) {
    ++requests;
    return Server::Response{.status = 503};
  });
  config.rate_per_second = 1;
  config.burst = 1;
  config.circuit_breaker = {1, 60s};
  auto gateway = make();
  const auto began = std::chrono::steady_clock::now();
  int refused = 0;
  for (const auto& r : send_all_at_once(*gateway, 10)) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->kind, Kind::transient);
    if (r->reason == "circuit breaker open") ++refused;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - began, 900ms) << "refused at once, not per turn";
  EXPECT_EQ(requests.load(), 1);
  EXPECT_EQ(refused, 9);
  EXPECT_EQ(guard->breaker_state(), State::open);
}

TEST_F(ProtectedGatewayTest, ReportsEveryRequestByCodeAndTheFragmentsOfAcceptedSms) {
  auto gateway = make();
  answer(202);
  send(*gateway, message("evt-1", Channel::sms));
  send(*gateway, message("evt-2", Channel::sms));
  answer(429);
  send(*gateway, message("evt-3", Channel::sms));
  ASSERT_EQ(recorder.requests.size(), 3u);
  EXPECT_EQ(recorder.requests[0].gateway, "provider");
  EXPECT_EQ(recorder.requests[0].code, "202");
  EXPECT_EQ(recorder.requests[2].code, "429");
  EXPECT_EQ(recorder.fragments["provider"], 4u) << "two accepted SMS of two fragments each";
  EXPECT_EQ(gateway->type(), "provider");
}

TEST_F(ProtectedGatewayTest, FileWritesAreCountedAsRequestsToo) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herald-protected-" + std::to_string(::getpid()));
  GatewayConfig file;
  file.type = "file";
  file.name = "file";
  ProtectedGateway gateway(std::make_shared<FileGateway>(dir),
                           std::make_shared<GatewayGuard>(file, &recorder));
  EXPECT_EQ(send(gateway, message("evt-file")).kind, Kind::accepted);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(recorder.requests.size(), 1u);
  EXPECT_EQ(recorder.requests[0].code, "ok");
}

}  // namespace
}  // namespace herald
