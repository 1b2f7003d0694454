#pragma once
/// GOV.UK Notify (API v2): https://docs.notifications.service.gov.uk/rest-api.html
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "herald/gateway/http_gateway.hpp"

namespace herald {

/// Sends through GOV.UK Notify: `POST <base_url>/v2/notifications/email` with
/// `{email_address, template_id, personalisation, reference, email_reply_to_id}` or
/// `/v2/notifications/sms` with `{phone_number, template_id, personalisation, reference,
/// sms_sender_id}`, authorised by a JSON Web Token minted for each request (Notify refuses one
/// issued more than 30 seconds ago).
///
/// Notify renders its own templates: `template_id` is `config.templates[herald template]
/// [language]`, and `personalisation` is the message's variables (case_ref, status,
/// occurred_at, salutation, data.*) plus herald's rendered `body` and, for email, `subject`, so
/// that a Notify template of just `((subject))` / `((body))` sends herald's text as it is.
/// `reference` is the notification id. The answer's `id` is the gateway message id; an error
/// answer's `errors[].error` codes (never their messages) go into the reason.
class NotifyGateway final : public HttpGateway {
 public:
  using Now = std::function<std::chrono::system_clock::time_point()>;

  /// `config.api_key` is a Notify API key (`{name}-{service id}-{secret}`, checked by the config
  /// loader); `now` gives the token's `iat`.
  NotifyGateway(HttpClient& http, GatewayConfig config, Now now = std::chrono::system_clock::now);
  std::string_view type() const override { return "govuk_notify"; }

 protected:
  std::variant<HttpRequest, SendResult> build_request(const Message& message) const override;
  /// The token, minted when the request goes out.
  void authorize(HttpRequest& request) const override;
  std::string error_detail(const HttpResponse& response) const override;
  std::string message_id(const HttpResponse& response) const override;

 private:
  std::string service_id_;
  Secret secret_;
  Now now_;
};

/// The JSON Web Token Notify expects: header `{"typ":"JWT","alg":"HS256"}`, claims
/// `{"iss": service_id, "iat": issued_at}` (seconds since the epoch), signed with HMAC-SHA256
/// under `secret`.
std::string notify_token(std::string_view service_id, const Secret& secret,
                         std::chrono::system_clock::time_point issued_at);

}  // namespace herald
