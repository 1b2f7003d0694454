#pragma once
/// The reference gateway (CONTRACT.md section 6): POSTs the message as JSON.
#include <cstddef>
#include <memory>

#include "herald/config/config.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/http/http_client.hpp"

namespace herald {

/// POSTs message_json() to `config.url` with `Content-Type: application/json`,
/// `Idempotency-Key: <notification id>` and `config.headers` (which may replace Content-Type but
/// never the Idempotency-Key), within `config.timeout` and `config.connect_timeout`, and
/// classifies the answer per section 6. A 2xx JSON body `{"id": ...}` gives gateway_message_id;
/// Retry-After is honoured. At most `config.max_in_flight` requests at once; more wait their turn
/// in arrival order. Use from the HttpClient's executor only.
class WebhookGateway final : public Gateway {
 public:
  /// `http` must outlive the gateway.
  WebhookGateway(HttpClient& http, GatewayConfig config);
  ~WebhookGateway() override;
  /// Never throws for provider failures; a send cancelled while waiting for its turn comes back
  /// transient with reason "cancelled".
  boost::asio::awaitable<SendResult> send(const Message& message) override;
  std::string_view type() const override { return "webhook"; }

 private:
  HttpClient& http_;
  GatewayConfig config_;
  class Waiters;
  std::shared_ptr<Waiters> waiters_;
};

}  // namespace herald
