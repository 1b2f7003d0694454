#pragma once
/// A gateway delivers rendered messages to a provider (CONTRACT.md section 6).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "herald/templating/message.hpp"

namespace herald {

/// How a provider answered one send.
struct SendResult {
  enum class Kind {
    accepted,   ///< 2xx: the provider has it
    transient,  ///< 408, 425, 429, 5xx, connect failure, timeout: try again later
    permanent,  ///< any other 4xx: never retried, the message is `rejected`
    withheld,   ///< not sent after all: the caller's SendCheck said no once it had its turn
  };
  Kind kind = Kind::accepted;
  int http_status = 0;             ///< 0 when no HTTP response came back
  std::string gateway_message_id;  ///< the provider's id, when it gave one
  std::string reason;              ///< for outcomes and logs: no personal data, no secrets
  std::optional<std::chrono::milliseconds> retry_after;  ///< from Retry-After, when given
  /// What herald_gateway_requests_total counts this answer as: the HTTP status ("201"),
  /// "timeout", "connect" or "error" (TLS, protocol; for the file gateway a failed write), "ok"
  /// for a file written; "" when no request was made (cancelled while waiting for a turn,
  /// refused by an open circuit breaker).
  std::string code;
  /// How long the request itself took (not the wait for a turn or for the rate limit).
  std::chrono::steady_clock::duration duration{};
};

/// A `withheld` result: no request made, for `reason`.
SendResult withheld(std::string reason);

/// "accepted", "transient", "permanent" or "withheld".
std::string_view to_string(SendResult::Kind kind);

/// Asked by a gateway once a send has its turn (rate limit, max_in_flight), right before the
/// request: a reason not to send after all (the contact window closed while it waited, the
/// case moved on), or nullopt to go ahead. A send can wait long for its turn.
using SendCheck = std::function<boost::asio::awaitable<std::optional<std::string>>()>;

/// Interface of every gateway type.
class Gateway {
 public:
  virtual ~Gateway() = default;
  /// Sends `message`. Never throws for provider failures: they come back as a SendResult.
  /// `check`, when given, is asked right before the request; when it gives a reason, nothing is
  /// sent and the result is `withheld` with that reason. It must outlive the send.
  virtual boost::asio::awaitable<SendResult> send(const Message& message,
                                                  const SendCheck& check) = 0;
  /// Sends without a check. (A coroutine itself: the empty check must outlive the send.)
  boost::asio::awaitable<SendResult> send(const Message& message) {
    const SendCheck none;
    co_return co_await send(message, none);
  }
  /// The gateway's name in logs and metrics: its type ("webhook", "file", "govuk_notify"), or for
  /// a ProtectedGateway its configured name (which defaults to the type).
  virtual std::string_view type() const = 0;
  /// herald is stopping: a send still waiting for its turn is told so, where the gateway has
  /// such waits of its own (ProtectedGateway's rate limit). Nothing by default.
  virtual void stop() {}
};

/// Classifies an HTTP status per section 6: 2xx accepted; 408, 425, 429 and 5xx transient; any
/// other 4xx permanent; anything else (1xx, 3xx: we follow no redirects) transient.
SendResult::Kind classify_http_status(long status);

/// Parses a Retry-After value: delta-seconds, or an HTTP date (IMF-fixdate, RFC 850 or asctime
/// form) taken relative to `now`. A date in the past gives 0; anything over a day is capped at a
/// day. Nullopt when `value` is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

/// The JSON body of CONTRACT.md section 6, which both the webhook and the file gateway write:
/// `{"id","channel","to","subject","body","html","reference","event_id","status","language"}`
/// with `subject` and `html` for email only, `reference` being the case reference.
std::string message_json(const Message& message);

}  // namespace herald
