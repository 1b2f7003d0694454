#pragma once
/// Twilio Programmable Messaging: https://www.twilio.com/docs/messaging/api/message-resource
#include "herald/gateway/http_gateway.hpp"

namespace herald {

/// Sends text messages through Twilio: `POST <base_url>/2010-04-01/Accounts/<account_sid>/
/// Messages.json`, form-encoded `To`, `From` (or `MessagingServiceSid`), `Body` and, when
/// configured, `StatusCallback`, with HTTP Basic authentication (account SID and auth token).
/// The answer's `sid` is the gateway message id; an error answer's numeric `code` (with a short
/// fixed description for the common ones), never its `message`, goes into the reason.
class TwilioGateway final : public HttpGateway {
 public:
  /// `http` must outlive the gateway.
  TwilioGateway(HttpClient& http, GatewayConfig config);
  std::string_view type() const override { return "twilio"; }

 protected:
  std::variant<HttpRequest, SendResult> build_request(const Message& message) const override;
  std::string error_detail(const HttpResponse& response) const override;
  std::string message_id(const HttpResponse& response) const override;
  /// 21611 (the sender's queue is full), 14107 (sending rate exceeded), 20429 (too many
  /// requests): Twilio answers 400 but asks for the message later, not never.
  bool means_later(const HttpResponse& response) const override;

 private:
  Secret authorization_;  // "Basic <base64(sid:token)>"
};

/// `application/x-www-form-urlencoded` of `fields`, in order: every byte but A-Z a-z 0-9 - . _ ~
/// percent-encoded (UTF-8 bytes included).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace herald
