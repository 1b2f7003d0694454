#pragma once
/// The reference gateway (CONTRACT.md section 6): POSTs the message as JSON.
#include "herald/gateway/http_gateway.hpp"

namespace herald {

/// POSTs message_json() to `config.url` with `Content-Type: application/json`,
/// `Idempotency-Key: <notification id>` and `config.headers` (which may replace Content-Type but
/// never the Idempotency-Key). A 2xx JSON body `{"id": ...}` gives gateway_message_id; an error
/// body's code (`errors[0].error`, `code`, `error_code`, `error` or `error.code`, when it looks
/// like a code) goes into the reason. Deadlines, turns and classification: see HttpGateway.
class WebhookGateway final : public HttpGateway {
 public:
  /// `http` must outlive the gateway.
  WebhookGateway(HttpClient& http, GatewayConfig config);
  std::string_view type() const override { return "webhook"; }

 protected:
  std::variant<HttpRequest, SendResult> build_request(const Message& message) const override;
  std::string error_detail(const HttpResponse& response) const override;
  std::string message_id(const HttpResponse& response) const override;
};

}  // namespace herald
