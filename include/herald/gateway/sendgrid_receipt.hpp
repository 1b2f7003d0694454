#pragma once
/// SendGrid's Event Webhook: JSON batches of events about the emails an account sent, signed
/// with ECDSA (the "Signed Event Webhook"), translated into herald's receipts.
/// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
/// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "herald/event/receipt.hpp"

namespace herald {

/// Largest batch accepted, in bytes. SendGrid posts what it gathered in up to 30 seconds, up to
/// several hundred events; each event is a few hundred bytes.
inline constexpr std::size_t kMaxSendgridBatchBytes = 4 * 1024 * 1024;

/// Why `verification_key` is not a Signed Event Webhook verification key as SendGrid shows it
/// (base64 of a DER ECDSA P-256 public key), or "".
std::string sendgrid_key_problem(std::string_view verification_key);

/// Whether `signature` (the `X-Twilio-Email-Event-Webhook-Signature` header: base64 of a DER
/// ECDSA signature) is SendGrid's, under `verification_key`, of `timestamp` (the
/// `X-Twilio-Email-Event-Webhook-Timestamp` header) followed by the body as it arrived.
bool sendgrid_signature_matches(std::string_view verification_key, std::string_view timestamp,
                                std::string_view body, std::string_view signature);

/// What a batch amounts to.
struct SendgridEvents {
  /// Events that report what became of an email herald sent, in the batch's order. The id is the
  /// notification id, which herald's requests pass as the custom argument `notification_id`;
  /// `at` is the event's `timestamp`, taken as the end of its second (it is whole seconds, and a
  /// failure timed before the send under way was due would be taken for an earlier send's).
  /// - `delivered`: delivered;
  /// - `bounce` with `type` `blocked` (the receiving server refused it for now): a temporary
  ///   failure, one of the day's attempts;
  /// - any other `bounce` (no such mailbox: SendGrid then suppresses the address), and `dropped`
  ///   for the address (`reason` Bounced Address, Unsubscribed Address, Spam Reporting Address,
  ///   Invalid, or none): permanent;
  /// - `dropped` for another reason (Spam Content from the account's spam checker, Recipient
  ///   List over Package Quota...): technical, the message or the account, not the contact.
  std::vector<Receipt> receipts;
  /// Steps on the way (`processed`, `deferred`: SendGrid tries again itself), engagement (`open`,
  /// `click`, `spamreport`, `unsubscribe`...) and event types SendGrid adds later: nothing to
  /// apply.
  std::size_t interim = 0;
  /// Events without `notification_id`: about an email herald did not send (the webhook is the
  /// account's, and other systems may send from it).
  std::size_t not_herald = 0;
  /// Why events could not be read, each beginning with its place ("event 3: ...").
  std::vector<ReceiptError> malformed;
};

/// Reads a batch: a JSON array of event objects, as strictly as a receipt. One unreadable event
/// does not refuse the others; a body that is not such an array is refused whole.
std::variant<SendgridEvents, ReceiptError> sendgrid_receipts(std::string_view body);

}  // namespace herald
