#include "herald/gateway/notify_gateway.hpp"

#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "crypto.hpp"
#include "provider_answer.hpp"

namespace herald {

namespace json = boost::json;
using namespace gateway_detail;

namespace {

// The API key's last two parts: `{name}-{service id (36)}-{secret (36)}`.
constexpr std::size_t kUuidLength = 36;

}  // namespace

std::string notify_token(std::string_view service_id, const Secret& secret,
                         std::chrono::system_clock::time_point issued_at) {
  json::object claims;
  claims["iss"] = service_id;
  claims["iat"] =
      std::chrono::duration_cast<std::chrono::seconds>(issued_at.time_since_epoch()).count();
  const std::string signing_input =
      base64url(R"({"typ":"JWT","alg":"HS256"})") + "." + base64url(json::serialize(claims));
  return signing_input + "." + base64url(hmac_sha256(secret.reveal(), signing_input));
}

NotifyGateway::NotifyGateway(HttpClient& http, GatewayConfig config, Now now)
    : HttpGateway(http, std::move(config)), now_(std::move(now)) {
  const std::string& key = this->config().api_key.reveal();
  if (key.size() > 2 * kUuidLength + 1) {
    service_id_ = key.substr(key.size() - 2 * kUuidLength - 1, kUuidLength);
    secret_ = Secret(key.substr(key.size() - kUuidLength));
  }
}

std::variant<HttpRequest, SendResult> NotifyGateway::build_request(const Message& message) const {
  const bool email = message.channel == Channel::email;
  std::string template_id;
  if (auto ids = config().templates.find(message.template_name); ids != config().templates.end())
    if (auto id = ids->second.find(message.language); id != ids->second.end())
      template_id = id->second;
  if (template_id.empty()) {
    // check-config makes sure of the mapping; a template renamed without it ends here.
    SendResult refused;
    refused.kind = SendResult::Kind::permanent;
    refused.reason =
        "no Notify template id for template " + message.template_name + " in " + message.language;
    return refused;
  }

  json::object personalisation = message.variables;
  if (email) personalisation["subject"] = message.subject;
  personalisation["body"] = message.body;

  json::object body;
  body[email ? "email_address" : "phone_number"] = message.to;
  body["template_id"] = template_id;
  body["personalisation"] = std::move(personalisation);
  body["reference"] = message.notification_id;
  if (email && !config().email_reply_to_id.empty())
    body["email_reply_to_id"] = config().email_reply_to_id;
  if (!email && !config().sms_sender_id.empty()) body["sms_sender_id"] = config().sms_sender_id;

  HttpRequest request;
  request.method = "POST";
  request.url = config().base_url + (email ? "/v2/notifications/email" : "/v2/notifications/sms");
  request.body = json::serialize(body);
  request.headers = {{"Content-Type", "application/json"}};
  return request;
}

void NotifyGateway::authorize(HttpRequest& request) const {
  request.headers.emplace_back("Authorization",
                               "Bearer " + notify_token(service_id_, secret_, now_()));
}

// `{"status_code": 400, "errors": [{"error": "BadRequestError", "message": "..."}]}`. Notify's
// own documentation says to go by the status and the error type, never the message's words.
std::string NotifyGateway::error_detail(const HttpResponse& response) const {
  auto o = json_object(response.body);
  if (!o) return {};
  std::vector<std::string> codes;
  if (auto* errors = o->if_contains("errors"); errors && errors->is_array())
    for (const auto& e : errors->get_array())
      if (e.is_object()) codes.push_back(code_of(e.get_object().if_contains("error")));
  return join_unique(codes);
}

std::string NotifyGateway::message_id(const HttpResponse& response) const {
  auto o = json_object(response.body);
  return o ? id_of(o->if_contains("id")) : std::string();
}

}  // namespace herald
