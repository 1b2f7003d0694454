#include "herald/gateway/sendgrid_gateway.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "provider_answer.hpp"

namespace herald {

namespace json = boost::json;
using namespace gateway_detail;

SendgridGateway::SendgridGateway(HttpClient& http, GatewayConfig config)
    : HttpGateway(http, std::move(config)) {}

std::variant<HttpRequest, SendResult> SendgridGateway::build_request(const Message& message) const {
  if (message.channel != Channel::email) {
    SendResult refused;
    refused.kind = SendResult::Kind::permanent;
    refused.reason = "sendgrid sends email only";
    return refused;
  }
  json::object from{{"email", config().from_email}};
  const auto in_language = config().from_name_in.find(message.language);
  const std::string& from_name =
      in_language != config().from_name_in.end() ? in_language->second : config().from_name;
  if (!from_name.empty()) from["name"] = from_name;
  // text/plain must come first, text/html after it (SendGrid refuses another order).
  json::array content{json::object{{"type", "text/plain"}, {"value", message.body}}};
  if (!message.html.empty())
    content.push_back(json::object{{"type", "text/html"}, {"value", message.html}});

  json::object body;
  body["personalizations"] =
      json::array{json::object{{"to", json::array{json::object{{"email", message.to}}}}}};
  body["from"] = std::move(from);
  if (!config().reply_to.empty()) body["reply_to"] = json::object{{"email", config().reply_to}};
  body["subject"] = message.subject;
  body["content"] = std::move(content);
  // Comes back in SendGrid's event webhook, where delivery receipts are matched.
  body["custom_args"] = json::object{{"notification_id", message.notification_id}};

  HttpRequest request;
  request.method = "POST";
  request.url = config().base_url + "/v3/mail/send";
  request.body = json::serialize(body);
  request.headers = {{"Content-Type", "application/json"},
                     {"Authorization", "Bearer " + config().api_key.reveal()}};
  return request;
}

// `{"errors": [{"message": "...", "field": "personalizations.0.to.0.email", "help": null}]}`.
std::string SendgridGateway::error_detail(const HttpResponse& response) const {
  auto o = json_object(response.body);
  if (!o) return {};
  std::vector<std::string> fields;
  if (auto* errors = o->if_contains("errors"); errors && errors->is_array())
    for (const auto& e : errors->get_array())
      if (e.is_object()) fields.push_back(field_of(e.get_object().if_contains("field")));
  auto joined = join_unique(fields);
  return joined.empty() ? joined : "field " + joined;
}

std::string SendgridGateway::message_id(const HttpResponse& response) const {
  std::string id = response.header("x-message-id");
  return id.size() <= kMaxAnswerText ? id : std::string();
}

std::optional<std::chrono::milliseconds> SendgridGateway::retry_after(
    const HttpResponse& response) const {
  if (auto asked = HttpGateway::retry_after(response)) return asked;
  if (response.status != 429) return std::nullopt;
  const std::string reset = response.header("x-ratelimit-reset");
  if (reset.empty()) return std::nullopt;
  std::int64_t at = 0;
  auto [end, ec] = std::from_chars(reset.data(), reset.data() + reset.size(), at);
  if (ec != std::errc() || end != reset.data() + reset.size()) return std::nullopt;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  // A reset more than an hour away is not a rate limit's: the backoff decides then.
  const auto wait = std::chrono::milliseconds{std::chrono::seconds{at}} - now;
  if (wait > std::chrono::hours{1}) return std::nullopt;
  return std::max(wait, std::chrono::milliseconds{0});
}

}  // namespace herald
