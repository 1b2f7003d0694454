#pragma once
/// Twilio SendGrid Mail Send (v3): https://www.twilio.com/docs/sendgrid/api-reference/mail-send
#include "herald/gateway/http_gateway.hpp"

namespace herald {

/// Sends email through SendGrid: `POST <base_url>/v3/mail/send` with a Bearer API key and
/// `{personalizations: [{to: [{email}]}], from: {email, name}, reply_to, subject, content:
/// [text/plain, text/html], custom_args: {notification_id}}` (the HTML part only when the
/// template has one). SendGrid answers 202 with an empty body; its `X-Message-Id` header is the
/// gateway message id. An error answer's `errors[].field` names (never the messages, which can
/// quote the address) go into the reason.
class SendgridGateway final : public HttpGateway {
 public:
  /// `http` must outlive the gateway.
  SendgridGateway(HttpClient& http, GatewayConfig config);
  std::string_view type() const override { return "sendgrid"; }

 protected:
  std::variant<HttpRequest, SendResult> build_request(const Message& message) const override;
  std::string error_detail(const HttpResponse& response) const override;
  std::string message_id(const HttpResponse& response) const override;
  /// Retry-After; else, for a 429, until X-RateLimit-Reset (the Unix time the limit resets),
  /// which is what SendGrid sends.
  std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response) const override;
};

}  // namespace herald
