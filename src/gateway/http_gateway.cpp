#include "herald/gateway/http_gateway.hpp"

#include <chrono>
#include <utility>

#include "herald/core/logging.hpp"
#include "provider_answer.hpp"

namespace herald {

namespace asio = boost::asio;
using gateway_detail::kMaxAnswerText;

HttpGateway::HttpGateway(HttpClient& http, GatewayConfig config)
    : http_(http),
      config_(std::move(config)),
      in_flight_(std::make_shared<AsyncSemaphore>(
          http.get_executor(), std::max<std::size_t>(config_.max_in_flight, 1))) {}

HttpGateway::~HttpGateway() = default;

void HttpGateway::continue_from(const HttpGateway& previous) {
  if (previous.config_.max_in_flight == config_.max_in_flight) in_flight_ = previous.in_flight_;
}

SendResult HttpGateway::interpret(const HttpResponse& response) const {
  SendResult result;
  switch (response.error) {
    case HttpResponse::Error::none:
      break;
    case HttpResponse::Error::connect:
      result.kind = SendResult::Kind::transient;
      result.reason = "connect failed";
      result.code = "connect";
      return result;
    case HttpResponse::Error::timeout:
      result.kind = SendResult::Kind::transient;
      result.reason = "timeout after " + std::to_string(config_.timeout.count()) + " ms";
      result.code = "timeout";
      return result;
    case HttpResponse::Error::other:
      // TLS failures land here: curl's words name the problem (certificate, handshake) and
      // never the request's content.
      result.kind = SendResult::Kind::transient;
      result.reason = "request failed: " + response.error_message.substr(0, kMaxAnswerText);
      result.code = "error";
      return result;
  }
  result.http_status = static_cast<int>(response.status);
  result.code = std::to_string(response.status);
  result.kind = classify_http_status(response.status);
  if (result.kind == SendResult::Kind::permanent && means_later(response))
    result.kind = SendResult::Kind::transient;
  if (result.kind == SendResult::Kind::accepted) {
    result.gateway_message_id = message_id(response);
    return result;
  }
  result.reason = "HTTP " + std::to_string(response.status);
  if (auto detail = error_detail(response); !detail.empty())
    result.reason += ": " + detail.substr(0, kMaxAnswerText);
  result.retry_after = retry_after(response);
  return result;
}

std::optional<std::chrono::milliseconds> HttpGateway::retry_after(
    const HttpResponse& response) const {
  auto value = response.header("retry-after");
  if (value.empty()) return std::nullopt;
  return parse_retry_after(value, std::chrono::system_clock::now());
}

asio::awaitable<SendResult> HttpGateway::send(const Message& message, const SendCheck& check) {
  // Everything needed from `message` is taken before the first suspension.
  const std::string id = message.notification_id;
  auto built = build_request(message);
  if (auto* refused = std::get_if<SendResult>(&built)) co_return std::move(*refused);
  HttpRequest request = std::move(std::get<HttpRequest>(built));
  request.timeout = config_.timeout;
  request.connect_timeout = config_.connect_timeout;
  request.ca_file = config_.ca_file.string();

  auto log = logger("gateway");
  std::shared_ptr<AsyncSemaphore> in_flight = in_flight_;  // outlives us even if we go first
  if (!co_await in_flight->acquire()) {
    SendResult cancelled;
    cancelled.kind = SendResult::Kind::transient;
    cancelled.reason = "cancelled";
    co_return cancelled;
  }
  SemaphoreUnit unit(*in_flight);
  if (check) {
    if (auto reason = co_await check()) co_return withheld(std::move(*reason));
  }
  authorize(request);
  const auto start = std::chrono::steady_clock::now();
  HttpResponse response = co_await http_.perform(std::move(request));
  SendResult result = interpret(response);
  result.duration = std::chrono::steady_clock::now() - start;
  log->debug(
      "msg=\"gateway answered\" gateway={} notification_id={} result={} code={} duration_ms={} "
      "reason={}",
      type(), log_value(id), to_string(result.kind), log_value(result.code),
      std::chrono::duration_cast<std::chrono::milliseconds>(result.duration).count(),
      log_value(result.reason));
  co_return result;
}

}  // namespace herald
