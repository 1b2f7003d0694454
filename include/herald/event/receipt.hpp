#pragma once
/// Delivery receipts in: `{"id": <notification id or gateway message id>, "status": ...}`, from the
/// callback endpoint or the receipts stream, optionally with `"attempt"` (the contact attempt it
/// reports on) and `"at"` (RFC 3339: when the provider reached that status). Other fields are
/// ignored (GOV.UK Notify's callbacks send this shape with more fields, some of them personal
/// data: never read, never logged).
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/value.hpp>

#include "herald/core/clock.hpp"

namespace herald {

enum class ReceiptStatus {
  delivered,          ///< the message reached the recipient
  temporary_failure,  ///< not for now (phone off, inbox full): a failed contact attempt
  permanent_failure,  ///< never (no such number or address): the notification is rejected
  technical_failure,  ///< the provider failed, not the contact: sent again, not an attempt
};

/// "delivered", "temporary-failure", "permanent-failure", "technical-failure".
std::string_view to_string(ReceiptStatus status);

struct Receipt {
  std::string id;
  ReceiptStatus status = ReceiptStatus::delivered;
  /// The contact attempt (1-based) the receipt reports on, when its sender says: a receipt that
  /// names a notification id is otherwise taken to be about the attempt under way.
  std::optional<int> attempt;
  /// When the provider reached `status`, when its sender says: a failure timed before the send
  /// under way was due is about an earlier one.
  std::optional<Instant> at;
};

/// Why a receipt is malformed, fit for a response body and the log (no personal data).
struct ReceiptError {
  std::string reason;
};

/// Largest receipt accepted, in bytes.
inline constexpr std::size_t kMaxReceiptBytes = 16 * 1024;

/// Largest `attempt` a receipt may name (contact.max_attempts_per_day x contact.max_days is at
/// most 24 x 30).
inline constexpr int kMaxReceiptAttempt = 1000;

/// Why `id` cannot be a receipt's id (empty, over 256 bytes, control characters), or nullopt.
std::optional<ReceiptError> check_receipt_id(std::string_view id);

/// A provider's own JSON callback (SendGrid's event batches), read as strictly as a receipt or an
/// event: not UTF-8, a key repeated within an object, NUL in a string, or nesting deeper than
/// `max_depth` are refused. Never throws for bad input.
std::variant<boost::json::value, ReceiptError> parse_callback_json(std::string_view text,
                                                                   std::size_t max_depth);

/// Parses and validates one receipt. Never throws for bad input.
std::variant<Receipt, ReceiptError> parse_receipt(std::string_view json);

}  // namespace herald
