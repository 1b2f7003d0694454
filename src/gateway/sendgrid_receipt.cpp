#include "herald/gateway/sendgrid_receipt.hpp"

#include <chrono>

#include <boost/json/value.hpp>

#include "crypto.hpp"

namespace herald {
namespace {

namespace json = boost::json;

// An event is an object of scalars and, for categories, an array of strings.
constexpr std::size_t kMaxBatchDepth = 8;

// Whole seconds since the epoch; SendGrid's timestamps, far from either end of the range.
constexpr std::int64_t kMaxTimestamp = 253402300799;  // 9999-12-31T23:59:59Z

std::string place(std::size_t index) {
  return "event " + std::to_string(index + 1) + ": ";
}

// A field that is a string, or "" (absent, null, another type).
std::string_view string_field(const json::object& event, std::string_view name) {
  const auto* value = event.if_contains(name);
  return value && value->is_string() ? std::string_view(value->as_string()) : "";
}

// A `blocked` bounce is the receiving server refusing the email for now, and SendGrid's
// classification of its answer says whose the problem is. The sender's (its content, its
// reputation, its volume, a technical fault on the way): technical, sent again later without
// using one of the day's contact attempts, and given up on after contact.max_days as for a
// provider's failure. The mailbox's (full, unavailable, not there for now), or unclassified: a
// failed contact attempt. The names are those of SendGrid's bounce and block classifications;
// the API spells one "Technical Failure", the classification page "Technical".
ReceiptStatus blocked_status(std::string_view classification) {
  if (classification == "Content" || classification == "Reputation" ||
      classification == "Frequency or Volume Too High" || classification == "Technical" ||
      classification == "Technical Failure")
    return ReceiptStatus::technical_failure;
  return ReceiptStatus::temporary_failure;
}

}  // namespace

std::string sendgrid_key_problem(std::string_view verification_key) {
  const auto der = gateway_detail::base64_decode(verification_key);
  if (!der) return "not base64";
  return gateway_detail::p256_public_key_problem(*der);
}

bool sendgrid_signature_matches(std::string_view verification_key, std::string_view timestamp,
                                std::string_view body, std::string_view signature) {
  const auto key = gateway_detail::base64_decode(verification_key);
  const auto signature_der = gateway_detail::base64_decode(signature);
  if (!key || !signature_der || timestamp.empty()) return false;
  std::string signed_text;
  signed_text.reserve(timestamp.size() + body.size());
  signed_text.append(timestamp).append(body);
  return gateway_detail::ecdsa_p256_sha256_verify(*key, signed_text, *signature_der);
}

std::variant<SendgridEvents, ReceiptError> sendgrid_receipts(std::string_view body) {
  auto parsed = parse_callback_json(body, kMaxBatchDepth);
  if (auto* error = std::get_if<ReceiptError>(&parsed)) return std::move(*error);
  const auto& value = std::get<json::value>(parsed);
  if (!value.is_array()) return ReceiptError{"expected a JSON array of SendGrid events"};

  SendgridEvents out;
  const auto& events = value.as_array();
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto malformed = [&](const std::string& why) {
      out.malformed.push_back(ReceiptError{place(i) + why});
    };
    if (!events[i].is_object()) {
      malformed("expected an object");
      continue;
    }
    const auto& event = events[i].as_object();
    const auto* id = event.if_contains("notification_id");
    if (!id || id->is_null()) {
      ++out.not_herald;
      continue;
    }
    if (!id->is_string()) {
      malformed("notification_id: expected a string");
      continue;
    }
    Receipt receipt{.id = std::string(id->as_string())};
    if (auto bad = check_receipt_id(receipt.id)) {
      malformed("notification_id: " + bad->reason);
      continue;
    }
    const auto* type = event.if_contains("event");
    if (!type || !type->is_string()) {
      malformed("event: expected a string");
      continue;
    }
    const std::string_view name = type->as_string();
    if (name == "delivered") {
      receipt.status = ReceiptStatus::delivered;
    } else if (name == "bounce") {
      const auto* kind = event.if_contains("type");
      const bool blocked = kind && kind->is_string() && kind->as_string() == "blocked";
      receipt.status = blocked ? blocked_status(string_field(event, "bounce_classification"))
                               : ReceiptStatus::permanent_failure;
    } else if (name == "dropped") {
      // SendGrid will not send to the address (it bounced, unsubscribed or reported spam before,
      // or is no address): permanent. Other reasons are the message's or the account's (its
      // spam checker, its plan's quota): technical, sent again later and given up on after
      // contact.max_days, as for a provider's own failure.
      const std::string_view why = string_field(event, "reason");
      receipt.status = why.empty() || why == "Bounced Address" || why == "Unsubscribed Address" ||
                               why == "Spam Reporting Address" || why == "Invalid"
                           ? ReceiptStatus::permanent_failure
                           : ReceiptStatus::technical_failure;
    } else {
      ++out.interim;
      continue;
    }
    if (const auto* timestamp = event.if_contains("timestamp");
        timestamp && !timestamp->is_null()) {
      if (!timestamp->is_int64() || timestamp->as_int64() < 0 ||
          timestamp->as_int64() > kMaxTimestamp) {
        malformed("timestamp: expected whole seconds since 1970");
        continue;
      }
      receipt.at =
          Instant{std::chrono::seconds{timestamp->as_int64()}} + std::chrono::milliseconds{999};
    }
    out.receipts.push_back(std::move(receipt));
  }
  return out;
}

}  // namespace herald
