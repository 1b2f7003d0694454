#include "herald/gateway/webhook_gateway.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "provider_answer.hpp"

namespace herald {

namespace json = boost::json;
using gateway_detail::code_of;
using gateway_detail::id_of;
using gateway_detail::json_object;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

WebhookGateway::WebhookGateway(HttpClient& http, GatewayConfig config)
    : HttpGateway(http, std::move(config)) {}

std::variant<HttpRequest, SendResult> WebhookGateway::build_request(const Message& message) const {
  HttpRequest request;
  request.method = "POST";
  request.url = config().url;
  request.body = message_json(message);
  request.headers = {{"Content-Type", "application/json"},
                     {"Idempotency-Key", message.notification_id}};
  for (const auto& [name, value] : config().headers) {
    if (iequals(name, "Idempotency-Key")) continue;
    auto same = [&](const auto& h) { return iequals(h.first, name); };
    std::erase_if(request.headers, same);
    request.headers.emplace_back(name, value.reveal());
  }
  return request;
}

// The short error code in an error body: GOV.UK Notify's errors[0].error, or a top-level "code",
// "error_code" or "error" (Twilio, most webhooks), or error.code.
std::string WebhookGateway::error_detail(const HttpResponse& response) const {
  auto o = json_object(response.body);
  if (!o) return {};
  if (auto* errors = o->if_contains("errors"); errors && errors->is_array()) {
    const json::array& list = errors->get_array();
    if (!list.empty() && list[0].is_object()) {
      if (auto code = code_of(list[0].get_object().if_contains("error")); !code.empty())
        return code;
      if (auto code = code_of(list[0].get_object().if_contains("code")); !code.empty()) return code;
    }
  }
  for (std::string_view key : {"code", "error_code", "error"})
    if (auto code = code_of(o->if_contains(key)); !code.empty()) return code;
  if (auto* error = o->if_contains("error"); error && error->is_object())
    return code_of(error->get_object().if_contains("code"));
  return {};
}

std::string WebhookGateway::message_id(const HttpResponse& response) const {
  auto o = json_object(response.body);
  return o ? id_of(o->if_contains("id")) : std::string();
}

}  // namespace herald
