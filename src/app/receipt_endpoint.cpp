#include "herald/app/receipt_endpoint.hpp"

#include <chrono>
#include <map>

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include "herald/app/dispatcher.hpp"
#include "herald/app/metrics.hpp"
#include "herald/core/logging.hpp"
#include "herald/event/receipt.hpp"
#include "herald/gateway/sendgrid_receipt.hpp"
#include "herald/gateway/twilio_receipt.hpp"

namespace herald {
namespace {

// What a receipt for a send not recorded yet is told to wait before it is posted again.
constexpr std::chrono::seconds kEarlyRetryAfter{10};

ServerResponse answer(int status, std::string_view result, std::string_view detail = {}) {
  boost::json::object body{{"result", result}};
  if (!detail.empty()) body["detail"] = detail;
  ServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = boost::json::serialize(body) + "\n";
  return r;
}

// A receipt's fate by the name both the answer (`result`) and the refusal metric (`why`) use.
std::string_view name_of(ReceiptResult result) {
  switch (result) {
    case ReceiptResult::applied:
      return "applied";
    case ReceiptResult::unknown:
      return "unknown";
    case ReceiptResult::duplicate:
      return "duplicate";
    case ReceiptResult::early:
      return "early";
  }
  return "error";
}

HttpServerLimits receipt_limits() {
  HttpServerLimits limits;
  limits.max_body_bytes = kMaxReceiptBytes;
  limits.large_body_paths = {{"/receipts/sendgrid", kMaxSendgridBatchBytes}};
  limits.max_connections = ReceiptEndpoint::kMaxConnections;
  limits.descriptor_share = 4;
  return limits;
}

ServerResponse method_not_allowed(std::string_view what) {
  auto r = answer(405, "method_not_allowed", what);
  r.headers.emplace_back("Allow", "POST");
  return r;
}

}  // namespace

ReceiptEndpoint::ReceiptEndpoint(boost::asio::any_io_executor executor, const std::string& listen,
                                 Secret token, Dispatcher& dispatcher, Metrics& metrics)
    : token_(std::move(token)),
      dispatcher_(dispatcher),
      metrics_(metrics),
      server_(std::move(executor), listen, "callbacks.listen", *this, receipt_limits()) {}

boost::asio::awaitable<ServerResponse> ReceiptEndpoint::handle(ServerRequest request) {
  if (request.target == "/receipts/twilio") co_return co_await handle_twilio(std::move(request));
  if (request.target == "/receipts/sendgrid")
    co_return co_await handle_sendgrid(std::move(request));
  auto log = logger("receipts");
  if (request.target != "/receipts") co_return answer(404, "not_found", "POST /receipts");
  if (request.method != "POST") co_return method_not_allowed("POST /receipts");
  // The scheme's name is case-insensitive (RFC 9110 section 11.1): "bearer" is "Bearer".
  constexpr std::string_view kBearer = "bearer ";
  const std::string_view authorization = request.header("authorization");
  const bool bearer = authorization.size() > kBearer.size() &&
                      boost::beast::iequals(authorization.substr(0, kBearer.size()), kBearer);
  if (!bearer || !token_.matches(authorization.substr(kBearer.size()))) {
    metrics_.receipt_refused("unauthorized");
    if (bad_tokens_.failed(std::chrono::steady_clock::now()))
      log->warn("msg=\"receipt refused: missing or wrong bearer token\" suppressed={}",
                bad_tokens_.suppressed());
    auto r = answer(401, "unauthorized", "a bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    co_return r;
  }
  if (request.body_too_large) co_return too_large();
  auto parsed = parse_receipt(request.body);
  if (auto* error = std::get_if<ReceiptError>(&parsed)) co_return malformed(*error);
  co_return co_await apply(std::get<Receipt>(std::move(parsed)));
}

// Twilio signs each callback with the account's auth token over the URL it was given
// (`status_callback`) and the form's fields; the bearer token is not Twilio's to send.
boost::asio::awaitable<ServerResponse> ReceiptEndpoint::handle_twilio(ServerRequest request) {
  auto log = logger("receipts");
  const GatewayConfig* twilio = nullptr;
  const auto config = dispatcher_.settings().config;  // a reload may replace it meanwhile
  for (const auto& [channel, gateway] : config->gateways)
    if (gateway.type == "twilio" && !gateway.status_callback.empty()) twilio = &gateway;
  if (!twilio) co_return answer(404, "not_found", "no twilio gateway has a status_callback");
  if (request.method != "POST") co_return method_not_allowed("POST /receipts/twilio");
  // Nothing is known to come from Twilio until the signature is checked, and the signature
  // covers the form's fields: a body too large to read, or not a form, cannot be Twilio's.
  if (request.body_too_large) co_return too_large(&unsigned_too_large_);
  const auto form = parse_form(request.body);
  if (!form || !twilio_signature_matches(twilio->auth_token.reveal(), twilio->status_callback,
                                         *form, request.header("x-twilio-signature"))) {
    metrics_.receipt_refused("unauthorized");
    if (bad_signatures_.failed(std::chrono::steady_clock::now()))
      log->warn(
          "msg=\"receipt refused: missing or wrong X-Twilio-Signature, or not a form\" "
          "suppressed={}",
          bad_signatures_.suppressed());
    co_return answer(403, "unauthorized", "a valid X-Twilio-Signature is required");
  }
  auto receipt = twilio_receipt(*form);
  if (auto* error = std::get_if<ReceiptError>(&receipt)) co_return malformed(*error);
  if (auto* interim = std::get_if<ReceiptInterim>(&receipt)) {
    log->debug("msg=\"receipt: a step on the way, nothing to apply\" status={}",
               log_value(interim->status));
    co_return answer(200, "interim");
  }
  co_return co_await apply(std::get<Receipt>(std::move(receipt)));
}

// SendGrid signs each batch with the account's Signed Event Webhook key (ECDSA P-256 over the
// timestamp header and the body); the bearer token is not SendGrid's to send. A batch is
// answered as a whole, and SendGrid posts it again after an error answer: so 503 when any of its
// events could not be decided now, 200 once each was applied or refused for good.
boost::asio::awaitable<ServerResponse> ReceiptEndpoint::handle_sendgrid(ServerRequest request) {
  auto log = logger("receipts");
  const auto config = dispatcher_.settings().config;  // a reload may replace it meanwhile
  const GatewayConfig* sendgrid = nullptr;
  for (const auto& [channel, gateway] : config->gateways)
    if (gateway.type == "sendgrid" && !gateway.event_webhook_key.empty()) sendgrid = &gateway;
  if (!sendgrid) co_return answer(404, "not_found", "no sendgrid gateway has an event_webhook_key");
  if (request.method != "POST") co_return method_not_allowed("POST /receipts/sendgrid");
  if (request.body_too_large) co_return too_large(&unsigned_too_large_, kMaxSendgridBatchBytes);
  if (!sendgrid_signature_matches(
          sendgrid->event_webhook_key, request.header("x-twilio-email-event-webhook-timestamp"),
          request.body, request.header("x-twilio-email-event-webhook-signature"))) {
    metrics_.receipt_refused("unauthorized");
    if (bad_sendgrid_signatures_.failed(std::chrono::steady_clock::now()))
      log->warn(
          "msg=\"receipt refused: missing or wrong X-Twilio-Email-Event-Webhook-Signature\" "
          "suppressed={}",
          bad_sendgrid_signatures_.suppressed());
    co_return answer(403, "unauthorized",
                     "a valid X-Twilio-Email-Event-Webhook-Signature is required");
  }
  auto parsed = sendgrid_receipts(request.body);
  if (auto* error = std::get_if<ReceiptError>(&parsed)) co_return malformed(*error);
  auto& batch = std::get<SendgridEvents>(parsed);
  for (const auto& error : batch.malformed) count_malformed(error);
  std::map<ReceiptResult, std::size_t> tally;
  for (auto& receipt : batch.receipts) {
    auto result = co_await dispatcher_.receipt(std::move(receipt));
    if (!result) {
      log->warn("msg=\"receipts not applied: Redis unavailable\" error={}",
                log_value(result.error().message()));
      co_return answer(503, "unavailable", "try again later");
    }
    count(*result);
    ++tally[*result];
  }
  const std::size_t early = tally[ReceiptResult::early];
  boost::json::object counts{{"result", early > 0 ? "early" : "applied"}};
  for (auto result : {ReceiptResult::applied, ReceiptResult::duplicate, ReceiptResult::unknown,
                      ReceiptResult::early})
    counts[name_of(result)] = tally[result];
  counts["interim"] = batch.interim;
  counts["not_herald"] = batch.not_herald;
  counts["malformed"] = batch.malformed.size();
  ServerResponse r;
  r.content_type = "application/json";
  if (early > 0) {
    r.status = 503;
    r.headers.emplace_back("Retry-After", std::to_string(kEarlyRetryAfter.count()));
  }
  r.body = boost::json::serialize(counts) + "\n";
  co_return r;
}

void ReceiptEndpoint::count_malformed(const ReceiptError& error) {
  metrics_.receipt_refused("malformed");
  logger("receipts")->warn("msg=\"receipt refused: malformed\" reason={}", log_value(error.reason));
}

ServerResponse ReceiptEndpoint::malformed(const ReceiptError& error) {
  count_malformed(error);
  return answer(400, "malformed", error.reason);
}

void ReceiptEndpoint::count(ReceiptResult result) {
  if (result != ReceiptResult::applied) metrics_.receipt_refused(name_of(result));
}

ServerResponse ReceiptEndpoint::too_large(RepeatedFailure* unauthenticated, std::size_t limit) {
  metrics_.receipt_refused("malformed");
  if (!unauthenticated)
    logger("receipts")
        ->warn("msg=\"receipt refused: malformed\" reason={}",
               log_value("larger than " + std::to_string(limit) + " bytes"));
  else if (unauthenticated->failed(std::chrono::steady_clock::now()))
    logger("receipts")
        ->warn("msg=\"receipt refused: malformed\" reason={} suppressed={}",
               log_value("larger than " + std::to_string(limit) +
                         " bytes, before any signature could be checked"),
               unauthenticated->suppressed());
  return answer(413, "too_large", "a receipt is at most " + std::to_string(limit) + " bytes");
}

boost::asio::awaitable<ServerResponse> ReceiptEndpoint::apply(Receipt receipt) {
  auto result = co_await dispatcher_.receipt(std::move(receipt));
  if (!result) {
    logger("receipts")
        ->warn("msg=\"receipt not applied: Redis unavailable\" error={}",
               log_value(result.error().message()));
    co_return answer(503, "unavailable", "try again later");
  }
  count(*result);
  switch (*result) {
    case ReceiptResult::applied:
      co_return answer(200, "applied");
    case ReceiptResult::unknown:
      co_return answer(404, "unknown", "no notification has this id, or not this attempt");
    case ReceiptResult::duplicate:
      co_return answer(409, "duplicate", "already applied, or for an earlier attempt");
    case ReceiptResult::early: {
      // Providers retry a callback answered 5xx (GOV.UK Notify does), not one answered 4xx: by
      // the time they do, the send in flight has its outcome (the gateway's timeout_ms is 10 s
      // by default).
      auto r = answer(503, "early", "the send this receipt is for is not recorded yet; try again");
      r.headers.emplace_back("Retry-After", std::to_string(kEarlyRetryAfter.count()));
      co_return r;
    }
  }
  co_return answer(500, "error");
}

}  // namespace herald
