#pragma once
/// Twilio's delivery status callbacks (the `StatusCallback` of a sent message): a form-encoded
/// POST signed with `X-Twilio-Signature`, translated into herald's receipt.
/// https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
/// https://www.twilio.com/docs/usage/webhooks/webhooks-security
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "herald/event/receipt.hpp"

namespace herald {

/// The fields of an `application/x-www-form-urlencoded` body, decoded, in order.
using FormFields = std::vector<std::pair<std::string, std::string>>;

/// Decodes a form body (`+` is a space, `%XX` a byte); nullopt when it is not one.
std::optional<FormFields> parse_form(std::string_view body);

/// Twilio's signature of a request to `url` with these fields: base64 of the HMAC-SHA1, under
/// the account's auth token, of the URL followed by each field's name and value, sorted by name.
std::string twilio_signature(std::string_view auth_token, std::string_view url, FormFields fields);

/// Whether `signature` (the `X-Twilio-Signature` header) is Twilio's for this request, compared
/// in constant time. `url` is the callback URL exactly as Twilio was given it (`status_callback`).
bool twilio_signature_matches(std::string_view auth_token, std::string_view url,
                              const FormFields& fields, std::string_view signature);

/// A callback that reports a step on the way (queued, sent...), not an end: nothing to apply.
struct ReceiptInterim {
  std::string status;  ///< Twilio's `MessageStatus`
};

/// The receipt a status callback amounts to. `MessageSid` is the id (the gateway message id of
/// the `sent` outcome). `delivered` and `read` are delivered; `undelivered` and `failed` are
/// decided by `ErrorCode`:
/// - 30003 (handset unreachable: off, out of coverage) and 30008 (unknown error): a temporary
///   failure, one of the day's attempts;
/// - 30004 (blocked), 30005 (unknown handset), 30006 (landline or unreachable carrier), 30007
///   (filtered), 21211 (invalid number), 21610 (opted out), 21612, 21614 (not a mobile): permanent;
/// - 30001 (queue overflow), 30002 (account suspended), 30009 (missing segment), 30010 (price
///   over the maximum): technical, Twilio's side, sent again without counting an attempt;
/// - any other code, or none: `undelivered` is temporary, `failed` technical.
std::variant<Receipt, ReceiptInterim, ReceiptError> twilio_receipt(const FormFields& fields);

}  // namespace herald
