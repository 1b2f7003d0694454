#include "herald/gateway/webhook_gateway.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "herald/core/logging.hpp"

namespace herald {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTextBytes = 200;

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// A provider's error code is safe to repeat only when it looks like a code: an integer, or a
// word of letters, digits and `_.-` starting with a letter. Messages, which may quote the
// recipient's address or number back at us, never qualify.
std::string code_of(const json::value* v) {
  if (!v) return {};
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (!v->is_string()) return {};
  std::string_view s = v->get_string();
  if (s.empty() || s.size() > kMaxTextBytes || !std::isalpha(static_cast<unsigned char>(s[0])))
    return {};
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return {};
  return std::string(s);
}

// The short error code in a provider's error body: GOV.UK Notify's errors[0].error, or a
// top-level "code", "error_code" or "error" (Twilio, most webhooks), or error.code.
std::string provider_error_code(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return {};
  const json::object& o = parsed.get_object();
  if (auto* errors = o.if_contains("errors"); errors && errors->is_array()) {
    const json::array& list = errors->get_array();
    if (!list.empty() && list[0].is_object()) {
      if (auto code = code_of(list[0].get_object().if_contains("error")); !code.empty())
        return code;
      if (auto code = code_of(list[0].get_object().if_contains("code")); !code.empty()) return code;
    }
  }
  for (std::string_view key : {"code", "error_code", "error"})
    if (auto code = code_of(o.if_contains(key)); !code.empty()) return code;
  if (auto* error = o.if_contains("error"); error && error->is_object())
    return code_of(error->get_object().if_contains("code"));
  return {};
}

// The provider's message id from a 2xx body `{"id": ...}`; "" when there is none.
std::string gateway_message_id(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return {};
  const json::value* id = parsed.get_object().if_contains("id");
  if (!id) return {};
  std::string text;
  if (id->is_string())
    text = std::string(id->get_string());
  else if (id->is_number())
    text = json::serialize(*id);
  return text.size() <= kMaxTextBytes ? text : std::string();
}

SendResult interpret(const HttpResponse& response, const GatewayConfig& config) {
  SendResult result;
  switch (response.error) {
    case HttpResponse::Error::none:
      break;
    case HttpResponse::Error::connect:
      result.kind = SendResult::Kind::transient;
      result.reason = "connect failed";
      return result;
    case HttpResponse::Error::timeout:
      result.kind = SendResult::Kind::transient;
      result.reason = "timeout after " + std::to_string(config.timeout.count()) + " ms";
      return result;
    case HttpResponse::Error::other:
      result.kind = SendResult::Kind::transient;
      result.reason = "request failed: " + response.error_message.substr(0, kMaxTextBytes);
      return result;
  }
  result.http_status = static_cast<int>(response.status);
  result.kind = classify_http_status(response.status);
  if (result.kind == SendResult::Kind::accepted) {
    result.gateway_message_id = gateway_message_id(response.body);
    return result;
  }
  result.reason = "HTTP " + std::to_string(response.status);
  if (auto code = provider_error_code(response.body); !code.empty()) result.reason += ": " + code;
  if (auto retry_after = response.header("retry-after"); !retry_after.empty())
    result.retry_after = parse_retry_after(retry_after, std::chrono::system_clock::now());
  return result;
}

}  // namespace

// Bounds the requests in flight. Waiters sleep on a timer that never expires and are woken, in
// arrival order, by cancelling it; a unit is handed straight from release() to the oldest waiter.
// A waiter whose coroutine is cancelled leaves the queue without taking a unit.
class WebhookGateway::Waiters {
 public:
  explicit Waiters(std::size_t limit) : limit_(std::max<std::size_t>(limit, 1)) {}

  asio::awaitable<bool> acquire() {
    if (in_use_ < limit_ && queue_.empty()) {
      ++in_use_;
      co_return true;
    }
    auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
    queue_.push_back(waiter);
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (waiter->granted) co_return true;  // even if cancelled meanwhile: the caller releases it
    std::erase(queue_, waiter);
    co_return false;
  }

  void release() {
    if (queue_.empty()) {
      --in_use_;
      return;
    }
    auto waiter = std::move(queue_.front());
    queue_.pop_front();
    waiter->granted = true;
    waiter->timer.cancel();
  }

 private:
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor)
        : timer(executor, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    bool granted = false;
  };

  std::size_t limit_;
  std::size_t in_use_ = 0;
  std::deque<std::shared_ptr<Waiter>> queue_;
};

namespace {

// Gives the unit back however send() ends (return, exception, destroyed frame).
template <typename W>
class Unit {
 public:
  explicit Unit(std::shared_ptr<W> waiters) : waiters_(std::move(waiters)) {}
  ~Unit() { waiters_->release(); }
  Unit(const Unit&) = delete;
  Unit& operator=(const Unit&) = delete;

 private:
  std::shared_ptr<W> waiters_;
};

}  // namespace

WebhookGateway::WebhookGateway(HttpClient& http, GatewayConfig config)
    : http_(http),
      config_(std::move(config)),
      waiters_(std::make_shared<Waiters>(config_.max_in_flight)) {}

WebhookGateway::~WebhookGateway() = default;

asio::awaitable<SendResult> WebhookGateway::send(const Message& message) {
  // Take what we need from `message` before the first suspension.
  const std::string id = message.notification_id;
  HttpRequest request;
  request.method = "POST";
  request.url = config_.url;
  request.timeout = config_.timeout;
  request.connect_timeout = config_.connect_timeout;
  request.body = message_json(message);
  request.headers = {{"Content-Type", "application/json"}, {"Idempotency-Key", id}};
  for (const auto& [name, value] : config_.headers) {
    if (iequals(name, "Idempotency-Key")) continue;
    auto same = [&](const auto& h) { return iequals(h.first, name); };
    std::erase_if(request.headers, same);
    request.headers.emplace_back(name, value);
  }

  auto log = logger("gateway");
  std::shared_ptr<Waiters> waiters = waiters_;  // outlives us even if the gateway goes first
  if (!co_await waiters->acquire()) {
    SendResult cancelled;
    cancelled.kind = SendResult::Kind::transient;
    cancelled.reason = "cancelled";
    co_return cancelled;
  }
  Unit<Waiters> unit(waiters);
  const auto start = std::chrono::steady_clock::now();
  HttpResponse response = co_await http_.perform(std::move(request));
  SendResult result = interpret(response, config_);
  log->debug(
      "msg=\"webhook answered\" notification_id={} result={} http_status={} duration_ms={} "
      "reason={}",
      log_value(id), to_string(result.kind), result.http_status,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                            start)
          .count(),
      log_value(result.reason));
  co_return result;
}

}  // namespace herald
