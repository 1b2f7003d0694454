#include "support/provider/fake_providers.hpp"

#include <boost/json.hpp>

#include "support/provider/jwt.hpp"

namespace herald::test {
namespace {

namespace json = boost::json;

Response json_response(int status, const json::value& body) {
  return Response{.status = status,
                  .headers = {{"Content-Type", "application/json"}},
                  .body = json::serialize(body)};
}

Response notify_error(int status, const char* error, const std::string& message) {
  return json_response(
      status, {{"errors", json::array{json::object{{"error", error}, {"message", message}}}},
               {"status_code", status}});
}

Response twilio_error(int status, int code, const std::string& message) {
  return json_response(status,
                       {{"code", code},
                        {"message", message},
                        {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
                        {"status", status}});
}

Response sendgrid_error(int status, const json::value& field, const std::string& message) {
  return json_response(
      status, {{"errors", json::array{json::object{
                              {"message", message}, {"field", field}, {"help", nullptr}}}}});
}

std::string header(const Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

std::optional<json::object> json_body(const Request& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.get_object();
}

bool is_string(const json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() && !v->get_string().empty();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> form_decode(const std::string& body) {
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    std::string_view pair(body.data() + start, end - start);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      fields[percent_decode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return fields;
}

Response FakeNotify::operator()(const Request& r) const {
  const bool email = r.target == "/v2/notifications/email";
  if (r.method != "POST" || (!email && r.target != "/v2/notifications/sms"))
    return notify_error(404, "BadRequestError", "Not found");
  const std::string authorization = header(r, "authorization");
  if (!authorization.starts_with("Bearer "))
    return notify_error(401, "AuthError",
                        "Unauthorized: authentication bearer scheme must be used");
  auto claims = verify_hs256(authorization.substr(7), secret);
  if (!claims) return notify_error(403, "AuthError", "Invalid token: API key not found");
  auto* iss = claims->if_contains("iss");
  if (!iss || !iss->is_string() || iss->get_string() != service_id)
    return notify_error(403, "AuthError", "Invalid token: API key not found");
  auto* iat = claims->if_contains("iat");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (!iat || !iat->is_int64() || std::abs(iat->get_int64() - now) > 30)
    return notify_error(403, "AuthError",
                        "Error: Your system clock must be accurate to within 30 seconds");
  if (header(r, "content-type") != "application/json")
    return notify_error(400, "BadRequestError", "Content-Type must be application/json");
  auto body = json_body(r);
  if (!body) return notify_error(400, "BadRequestError", "Invalid JSON supplied in POST data");
  const char* address = email ? "email_address" : "phone_number";
  if (!is_string(*body, address))
    return notify_error(400, "ValidationError", std::string(address) + " is a required property");
  if (!is_string(*body, "template_id"))
    return notify_error(400, "ValidationError", "template_id is a required property");
  if (auto* p = body->if_contains("personalisation"); p && !p->is_object())
    return notify_error(400, "ValidationError", "personalisation is not of type object");
  json::object content{{"body", "(rendered by Notify)"}};
  if (email) {
    content["subject"] = "(rendered by Notify)";
    content["from_email"] = "customer.dispatch@notifications.service.gov.uk";
  } else {
    content["from_number"] = "GOVUK";
  }
  const std::string id = "740e5834-3a29-46b4-9a6f-16142fde533a";
  return json_response(
      201, {{"id", id},
            {"reference", body->contains("reference") ? body->at("reference") : json::value()},
            {"content", content},
            {"uri", "https://api.notifications.service.gov.uk/v2/notifications/" + id},
            {"template",
             {{"id", body->at("template_id")},
              {"version", 1},
              {"uri", "https://api.notifications.service.gov.uk/v2/template/" +
                          std::string(body->at("template_id").get_string()) + "/version/1"}}}});
}

Response FakeTwilio::operator()(const Request& r) const {
  const std::string path = "/2010-04-01/Accounts/" + account_sid + "/Messages.json";
  if (r.method != "POST" || r.target != path)
    return twilio_error(404, 20404, "The requested resource " + r.target + " was not found");
  const std::string authorization = header(r, "authorization");
  auto credentials = authorization.starts_with("Basic ") ? base64url_decode([&] {
    std::string s = authorization.substr(6);
    while (!s.empty() && s.back() == '=') s.pop_back();
    for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return s;
  }())
                                                         : std::nullopt;
  if (!credentials || *credentials != account_sid + ":" + auth_token)
    return twilio_error(401, 20003, "Authenticate");
  if (header(r, "content-type") != "application/x-www-form-urlencoded")
    return twilio_error(400, 21602, "Message body is required.");
  auto fields = form_decode(r.body);
  if (!fields.count("To")) return twilio_error(400, 21604, "A 'To' phone number is required.");
  if (fields["To"].empty() || fields["To"][0] != '+')
    return twilio_error(400, 21211,
                        "The 'To' number " + fields["To"] + " is not a valid phone number.");
  if (fields.count("From") == fields.count("MessagingServiceSid"))
    return twilio_error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required");
  if (!fields.count("Body") || fields["Body"].empty())
    return twilio_error(400, 21602, "Message body is required.");
  const std::string sid = "SM1f0e8ae6ade43cb3c0ce4525424e404f";
  return json_response(
      201, {{"account_sid", account_sid},
            {"api_version", "2010-04-01"},
            {"body", fields["Body"]},
            {"date_created", "Thu, 24 Aug 2023 05:01:45 +0000"},
            {"direction", "outbound-api"},
            {"error_code", nullptr},
            {"error_message", nullptr},
            {"from", fields.count("From") ? json::value(fields["From"]) : json::value()},
            {"messaging_service_sid", fields.count("MessagingServiceSid")
                                          ? json::value(fields["MessagingServiceSid"])
                                          : json::value()},
            {"num_segments", "1"},
            {"sid", sid},
            {"status", "queued"},
            {"to", fields["To"]},
            {"uri", "/2010-04-01/Accounts/" + account_sid + "/Messages/" + sid + ".json"}});
}

Response FakeSendgrid::operator()(const Request& r) const {
  if (r.method != "POST" || r.target != "/v3/mail/send")
    return sendgrid_error(404, nullptr, "not found");
  if (header(r, "authorization") != "Bearer " + api_key)
    return sendgrid_error(401, nullptr,
                          "The provided authorization grant is invalid, expired, or revoked");
  auto body = json_body(r);
  if (!body || header(r, "content-type") != "application/json")
    return sendgrid_error(400, nullptr, "Bad Request");
  auto* personalizations = body->if_contains("personalizations");
  const json::value* to = nullptr;
  if (personalizations && personalizations->is_array() && !personalizations->get_array().empty() &&
      personalizations->get_array()[0].is_object())
    to = personalizations->get_array()[0].get_object().if_contains("to");
  if (!to || !to->is_array() || to->get_array().empty() || !to->get_array()[0].is_object() ||
      !is_string(to->get_array()[0].get_object(), "email"))
    return sendgrid_error(400, "personalizations.0.to",
                          "The to array is required for all personalization objects, and must "
                          "have at least one email object with a valid email address.");
  auto* from = body->if_contains("from");
  if (!from || !from->is_object() || !is_string(from->get_object(), "email"))
    return sendgrid_error(400, "from.email", "The from email is required.");
  if (!is_string(*body, "subject"))
    return sendgrid_error(400, "subject", "The subject is required.");
  auto* content = body->if_contains("content");
  if (!content || !content->is_array() || content->get_array().empty())
    return sendgrid_error(400, "content",
                          "The content value must be a string at least one "
                          "character in length.");
  const auto& parts = content->get_array();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].is_object() || !is_string(parts[i].get_object(), "type") ||
        !is_string(parts[i].get_object(), "value"))
      return sendgrid_error(400, json::string("content." + std::to_string(i) + ".value"),
                            "The content value must be a string at least one character in "
                            "length.");
  }
  if (parts[0].get_object().at("type") != "text/plain")
    return sendgrid_error(400, "content",
                          "If present, text/plain and text/html may only be provided in the "
                          "following order: text/plain, text/html.");
  return Response{
      .status = 202, .headers = {{"X-Message-Id", "W6A2Yv3kQKe4wJ5rZtW2dQ"}}, .body = ""};
}

}  // namespace herald::test
