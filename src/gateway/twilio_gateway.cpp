#include "herald/gateway/twilio_gateway.hpp"

#include <array>
#include <utility>

#include "crypto.hpp"
#include "provider_answer.hpp"

namespace herald {

using namespace gateway_detail;

namespace {

void percent_encode(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
}

// Fixed descriptions of the errors a sender meets most (twilio.com/docs/api/errors); any other
// code is reported as its number alone.
constexpr std::array<std::pair<long, std::string_view>, 13> kKnownErrors = {{
    {20003, "authentication failed"},
    {20404, "not found"},
    {20429, "too many requests"},
    {21211, "invalid To number"},
    {21408, "region not enabled for this account"},
    {21606, "From number cannot send this message"},
    {21608, "unverified To number (trial account)"},
    {21610, "recipient has opted out (STOP)"},
    {21612, "To number cannot be reached from this sender"},
    {21614, "To number is not a mobile number"},
    {21617, "body too long"},
    {21611, "the sender's queue is full"},
    {14107, "sending rate exceeded"},
}};

}  // namespace

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    percent_encode(name, out);
    out += '=';
    percent_encode(value, out);
  }
  return out;
}

TwilioGateway::TwilioGateway(HttpClient& http, GatewayConfig config)
    : HttpGateway(http, std::move(config)),
      authorization_("Basic " + base64(this->config().account_sid + ":" +
                                       this->config().auth_token.reveal())) {}

std::variant<HttpRequest, SendResult> TwilioGateway::build_request(const Message& message) const {
  if (message.channel != Channel::sms) {
    SendResult refused;
    refused.kind = SendResult::Kind::permanent;
    refused.reason = "twilio sends text messages only";
    return refused;
  }
  std::vector<std::pair<std::string, std::string>> fields = {{"To", message.to}};
  if (!config().messaging_service_sid.empty())
    fields.emplace_back("MessagingServiceSid", config().messaging_service_sid);
  else
    fields.emplace_back("From", config().from);
  fields.emplace_back("Body", message.body);
  if (!config().status_callback.empty())
    fields.emplace_back("StatusCallback", config().status_callback);

  HttpRequest request;
  request.method = "POST";
  request.url =
      config().base_url + "/2010-04-01/Accounts/" + config().account_sid + "/Messages.json";
  request.body = form_encode(fields);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Authorization", authorization_.reveal()}};
  return request;
}

// `{"code": 21211, "message": "The 'To' number ... is not a valid phone number.", "more_info":
// "...", "status": 400}`: the message quotes the number, so only the code is kept.
std::string TwilioGateway::error_detail(const HttpResponse& response) const {
  auto o = json_object(response.body);
  if (!o) return {};
  const auto* code = o->if_contains("code");
  if (!code || !code->is_int64()) return {};
  const long number = static_cast<long>(code->get_int64());
  std::string detail = "Twilio " + std::to_string(number);
  for (const auto& [known, text] : kKnownErrors)
    if (known == number) detail += " (" + std::string(text) + ")";
  return detail;
}

bool TwilioGateway::means_later(const HttpResponse& response) const {
  auto o = json_object(response.body);
  const auto* code = o ? o->if_contains("code") : nullptr;
  if (!code || !code->is_int64()) return false;
  const auto number = code->get_int64();
  return number == 21611 || number == 14107 || number == 20429;
}

std::string TwilioGateway::message_id(const HttpResponse& response) const {
  auto o = json_object(response.body);
  return o ? id_of(o->if_contains("sid")) : std::string();
}

}  // namespace herald
