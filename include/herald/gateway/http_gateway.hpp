#pragma once
/// What every gateway that talks HTTP to a provider shares.
#include <memory>
#include <string>
#include <variant>

#include "herald/config/config.hpp"
#include "herald/core/async_semaphore.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/http/http_client.hpp"

namespace herald {

/// The common part of the webhook, GOV.UK Notify, Twilio and SendGrid gateways: each request gets
/// the config's deadlines (`timeout`, `connect_timeout`) and CA file (TLS is always verified);
/// at most `max_in_flight` requests are under way at once (more wait their turn in arrival
/// order); the answer is classified per CONTRACT.md section 6 (2xx accepted; 408, 425, 429, 5xx,
/// connection failures and timeouts transient, with Retry-After; any other 4xx permanent), and
/// its reason carries the provider's error code only, never its message, which may echo the
/// recipient's address back. Subclasses say how a message becomes a request and where their
/// provider puts its error codes and message id. Use from the HttpClient's executor only.
class HttpGateway : public Gateway {
 public:
  ~HttpGateway() override;
  /// Never throws for provider failures; a send cancelled while waiting for its turn comes back
  /// transient with reason "cancelled" and no code (no request was made).
  using Gateway::send;
  boost::asio::awaitable<SendResult> send(const Message& message, const SendCheck& check) final;

  /// After a reload: this gateway's requests count against `previous`'s `max_in_flight`, with
  /// those of its requests still under way, when both allow as many at once (else the two
  /// bounds are apart for as long as the old requests last). Call before the first send.
  void continue_from(const HttpGateway& previous);

 protected:
  /// `http` must outlive the gateway.
  HttpGateway(HttpClient& http, GatewayConfig config);

  /// The request for `message` (method, URL, headers, body; deadlines and CA file are added),
  /// or a permanent SendResult when the message cannot be sent by this gateway at all.
  virtual std::variant<HttpRequest, SendResult> build_request(const Message& message) const = 0;
  /// Adds what must be fresh when the request goes out, not when it began waiting for its turn
  /// behind `max_in_flight`: a token with an issue time (Notify refuses one over 30 s old).
  virtual void authorize(HttpRequest& /*request*/) const {}
  /// The provider's error codes in an error answer, safe for outcomes and logs: codes and short
  /// fixed texts only. "" when it gave none.
  virtual std::string error_detail(const HttpResponse& response) const = 0;
  /// The provider's id of an accepted message, "" when it gave none.
  virtual std::string message_id(const HttpResponse& response) const = 0;
  /// Whether a 4xx other than 408/425/429 means "not now" rather than "never" for this provider
  /// (a queue full, a rate limit answered 400): then it is retried like a 429.
  virtual bool means_later(const HttpResponse& /*response*/) const { return false; }
  /// How long the provider asks to be left alone after a failure: its Retry-After, by default.
  virtual std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response) const;

  const GatewayConfig& config() const { return config_; }

 private:
  SendResult interpret(const HttpResponse& response) const;

  HttpClient& http_;
  GatewayConfig config_;
  std::shared_ptr<AsyncSemaphore> in_flight_;
};

}  // namespace herald
