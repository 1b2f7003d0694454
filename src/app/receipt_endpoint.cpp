#include "herald/app/receipt_endpoint.hpp"

#include <boost/json.hpp>

#include "herald/app/dispatcher.hpp"
#include "herald/app/metrics.hpp"
#include "herald/core/logging.hpp"
#include "herald/event/receipt.hpp"

namespace herald {
namespace {

// Compares without stopping at the first difference, so that the time taken does not tell a
// caller how much of a guessed token was right.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

ServerResponse answer(int status, std::string_view result, std::string_view detail = {}) {
  boost::json::object body{{"result", result}};
  if (!detail.empty()) body["detail"] = detail;
  ServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = boost::json::serialize(body) + "\n";
  return r;
}

}  // namespace

ReceiptEndpoint::ReceiptEndpoint(boost::asio::any_io_executor executor, const std::string& listen,
                                 std::string token, Dispatcher& dispatcher, Metrics& metrics)
    : token_(std::move(token)),
      dispatcher_(dispatcher),
      metrics_(metrics),
      server_(std::move(executor), listen, "callbacks.listen", *this, kMaxReceiptBytes) {}

boost::asio::awaitable<ServerResponse> ReceiptEndpoint::handle(ServerRequest request) {
  auto log = logger("receipts");
  if (request.target != "/receipts") co_return answer(404, "not_found", "POST /receipts");
  if (request.method != "POST") {
    auto r = answer(405, "method_not_allowed", "POST /receipts");
    r.headers.emplace_back("Allow", "POST");
    co_return r;
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (!request.authorization.starts_with(kBearer) ||
      !same_secret(std::string_view(request.authorization).substr(kBearer.size()), token_)) {
    metrics_.receipt_refused("unauthorized");
    log->warn("msg=\"receipt refused: missing or wrong bearer token\"");
    auto r = answer(401, "unauthorized", "a bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    co_return r;
  }
  auto parsed = parse_receipt(request.body);
  if (auto* error = std::get_if<ReceiptError>(&parsed)) {
    metrics_.receipt_refused("malformed");
    log->warn("msg=\"receipt refused: malformed\" reason={}", log_value(error->reason));
    co_return answer(400, "malformed", error->reason);
  }
  auto result = co_await dispatcher_.receipt(std::get<Receipt>(std::move(parsed)));
  if (!result) {
    log->warn("msg=\"receipt not applied: Redis unavailable\" error={}",
              log_value(result.error().message()));
    co_return answer(503, "unavailable", "try again later");
  }
  switch (*result) {
    case ReceiptResult::applied:
      co_return answer(200, "applied");
    case ReceiptResult::unknown:
      metrics_.receipt_refused("unknown");
      co_return answer(404, "unknown", "no notification has this id");
    case ReceiptResult::duplicate:
      metrics_.receipt_refused("duplicate");
      co_return answer(409, "duplicate", "already applied, or for an earlier attempt");
  }
  co_return answer(500, "error");
}

}  // namespace herald
