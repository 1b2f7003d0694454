#include "herald/event/receipt.hpp"

#include <boost/json/value.hpp>

#include "herald/core/time_format.hpp"
#include "strict_json.hpp"

namespace herald {
namespace {

constexpr std::size_t kMaxReceiptDepth = 8;

}  // namespace

std::string_view to_string(ReceiptStatus status) {
  switch (status) {
    case ReceiptStatus::delivered:
      return "delivered";
    case ReceiptStatus::temporary_failure:
      return "temporary-failure";
    case ReceiptStatus::permanent_failure:
      return "permanent-failure";
    case ReceiptStatus::technical_failure:
      return "technical-failure";
  }
  return "unknown";
}

std::optional<ReceiptError> check_receipt_id(std::string_view id) {
  if (id.empty() || id.size() > 256) return ReceiptError{"expected 1 to 256 characters"};
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f) return ReceiptError{"control characters are not allowed"};
  return std::nullopt;
}

std::variant<boost::json::value, ReceiptError> parse_callback_json(std::string_view text,
                                                                   std::size_t max_depth) {
  auto parsed = event_detail::parse_strict_json(text, max_depth, "callback");
  if (auto* reason = std::get_if<std::string>(&parsed)) return ReceiptError{std::move(*reason)};
  return std::get<boost::json::value>(std::move(parsed));
}

std::variant<Receipt, ReceiptError> parse_receipt(std::string_view json) {
  if (json.size() > kMaxReceiptBytes)
    return ReceiptError{"receipt larger than " + std::to_string(kMaxReceiptBytes) + " bytes"};
  // As strictly as an event: boost::json::parse keeps the last of a repeated key, so
  // {"id":"x","id":"evt-1:sms",...} would be applied to evt-1:sms while a relay or a reader that
  // keeps the first sees "x".
  auto parsed = event_detail::parse_strict_json(json, kMaxReceiptDepth, "receipt");
  if (auto* reason = std::get_if<std::string>(&parsed)) return ReceiptError{std::move(*reason)};
  const auto& value = std::get<boost::json::value>(parsed);
  if (!value.is_object()) return ReceiptError{"receipt is not a JSON object"};
  const auto& object = value.as_object();

  Receipt receipt;
  const auto* id = object.if_contains("id");
  if (!id) return ReceiptError{"id: required"};
  if (!id->is_string()) return ReceiptError{"id: expected a string"};
  receipt.id = std::string(id->as_string());
  if (auto bad = check_receipt_id(receipt.id)) return ReceiptError{"id: " + bad->reason};

  const auto* status = object.if_contains("status");
  if (!status) return ReceiptError{"status: required"};
  if (!status->is_string()) return ReceiptError{"status: expected a string"};
  const auto text = std::string_view(status->as_string());
  bool known = false;
  for (auto s : {ReceiptStatus::delivered, ReceiptStatus::temporary_failure,
                 ReceiptStatus::permanent_failure, ReceiptStatus::technical_failure})
    if (to_string(s) == text) receipt.status = s, known = true;
  if (!known)
    return ReceiptError{
        "status: expected delivered, temporary-failure, permanent-failure or technical-failure"};

  // Optional; null is taken as absent, as a sender that always writes the field may send it.
  if (const auto* attempt = object.if_contains("attempt"); attempt && !attempt->is_null()) {
    const std::string expected =
        "attempt: expected a whole number from 1 to " + std::to_string(kMaxReceiptAttempt);
    if (attempt->is_int64()) {
      const auto n = attempt->as_int64();
      if (n < 1 || n > kMaxReceiptAttempt) return ReceiptError{expected};
      receipt.attempt = static_cast<int>(n);
    } else {
      return ReceiptError{expected};  // a fraction, a string, or beyond int64 (uint64)
    }
  }
  if (const auto* at = object.if_contains("at"); at && !at->is_null()) {
    std::optional<Instant> when;
    if (at->is_string()) when = parse_rfc3339(at->as_string());
    if (!when) return ReceiptError{"at: expected an RFC 3339 date-time"};
    receipt.at = when;
  }
  return receipt;
}

}  // namespace herald
