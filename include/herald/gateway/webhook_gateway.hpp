#pragma once
/// The reference gateway (CONTRACT.md section 6): POSTs the message as JSON.
#include "herald/config/config.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/http/http_client.hpp"

namespace herald {

/// POSTs `{"id","channel","to","subject","body","html","reference","event_id","status",
/// "language"}` to the configured URL with `Idempotency-Key: <notification id>`, and classifies the
/// answer per section 6. At most `max_in_flight` requests at once; more wait their turn.
class WebhookGateway final : public Gateway {
 public:
  WebhookGateway(HttpClient& http, GatewayConfig config);
  boost::asio::awaitable<SendResult> send(const Message& message) override;
  std::string_view type() const override { return "webhook"; }

 private:
  HttpClient& http_;
  GatewayConfig config_;
  std::size_t in_flight_ = 0;
  class Waiters;
  std::shared_ptr<Waiters> waiters_;
};

/// The JSON body both the webhook and the file gateway write.
std::string message_json(const Message& message);

}  // namespace herald
