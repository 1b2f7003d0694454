#pragma once
/// Delivery receipts from providers on callbacks.listen: `POST /receipts`, herald's JSON (GOV.UK
/// Notify's callbacks), authenticated with a bearer token; `POST /receipts/twilio`, Twilio's
/// status callbacks, and `POST /receipts/sendgrid`, SendGrid's event batches, each authenticated
/// by their signature. The same JSON also arrives on the receipts stream (Daemon).
#include <chrono>
#include <cstddef>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "herald/app/http_server.hpp"
#include "herald/core/repeated_failure.hpp"
#include "herald/core/secret.hpp"
#include "herald/event/receipt.hpp"

namespace herald {

class Dispatcher;
enum class ReceiptResult;
class Metrics;

class ReceiptEndpoint : public HttpHandler {
 public:
  /// Connections served at once (fewer under a low descriptor limit: a quarter of it). Providers
  /// post a receipt per message, a few at a time and seldom keeping connections open; the cap is
  /// what an unauthenticated client can hold, not what they need.
  static constexpr std::size_t kMaxConnections = 256;

  /// Binds `listen`; throws std::runtime_error when it cannot. `token` is the bearer token
  /// callers must present (never logged).
  ReceiptEndpoint(boost::asio::any_io_executor executor, const std::string& listen, Secret token,
                  Dispatcher& dispatcher, Metrics& metrics);

  boost::asio::awaitable<void> run() { return server_.run(); }
  void stop() { server_.stop(); }
  unsigned short port() const { return server_.port(); }
  /// The connection cap in force (kMaxConnections, or lower under a low descriptor limit).
  std::size_t max_connections() const { return server_.max_connections(); }

  /// 200 applied (or, from Twilio, a step on the way: nothing to apply); 400 malformed; 401 no
  /// or wrong token; 403 no or wrong Twilio signature (or a body that is not a form, which no
  /// signature can cover); 404 unknown id; 405 not POST; 409 duplicate; 413 over 16 KiB; 503
  /// Redis unavailable (the provider should try again). Nothing changes state unless the answer
  /// is 200. Every refusal is counted; those of requests nobody authenticated are logged at most
  /// once a minute, for anyone can send them as fast as they like.
  ///
  /// A SendGrid batch is answered for the whole: 200 once each event is applied or refused for
  /// good (the counts in the body), 403 with no or a wrong signature, 400 when it is not a JSON
  /// array, 413 over 4 MiB, and 503 when Redis is unavailable or an event came before its send
  /// was recorded: SendGrid posts the batch again, and the events applied the first time are then
  /// duplicates.
  boost::asio::awaitable<ServerResponse> handle(ServerRequest request) override;

 private:
  boost::asio::awaitable<ServerResponse> handle_twilio(ServerRequest request);
  boost::asio::awaitable<ServerResponse> handle_sendgrid(ServerRequest request);
  boost::asio::awaitable<ServerResponse> apply(Receipt receipt);
  /// Counts and logs a malformed receipt; malformed() also answers it (400).
  void count_malformed(const ReceiptError& error);
  ServerResponse malformed(const ReceiptError& error);
  /// Counts a receipt Redis refused (unknown, duplicate, early) in herald_receipts_refused_total.
  void count(ReceiptResult result);
  /// `unauthenticated`, when given, rate-limits the log line. `limit`: the path's, in bytes.
  ServerResponse too_large(RepeatedFailure* unauthenticated = nullptr,
                           std::size_t limit = kMaxReceiptBytes);

  Secret token_;
  // Unauthenticated refusals, each kind logged at most once a minute.
  RepeatedFailure bad_tokens_{std::chrono::minutes(1)};
  RepeatedFailure bad_signatures_{std::chrono::minutes(1)};
  RepeatedFailure bad_sendgrid_signatures_{std::chrono::minutes(1)};
  RepeatedFailure unsigned_too_large_{std::chrono::minutes(1)};
  Dispatcher& dispatcher_;
  Metrics& metrics_;
  HttpServer server_;
};

}  // namespace herald
