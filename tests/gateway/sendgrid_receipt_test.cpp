// SendGrid's Event Webhook: the signature over timestamp and body, and what each event means.
#include "herald/gateway/sendgrid_receipt.hpp"

#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "support/provider/sendgrid_signer.hpp"

namespace herald {
namespace {

using test::SendgridSigner;

// A batch as SendGrid posts it: events of herald's emails carry the custom argument
// `notification_id` at the top level; others (another system sending from the same account)
// do not.
const std::string kBatch = R"([
 {"email":"katie@example.org","timestamp":1764072000,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>",
  "event":"processed","sg_event_id":"e1","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.0",
  "notification_id":"evt-1:email"},
 {"email":"katie@example.org","timestamp":1764072001,"event":"deferred","response":"400 try again later",
  "attempt":"5","sg_event_id":"e2","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.0",
  "notification_id":"evt-1:email"},
 {"email":"katie@example.org","timestamp":1764072002,"event":"delivered","response":"250 OK",
  "sg_event_id":"e3","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.0",
  "notification_id":"evt-1:email","category":["cat facts","herald"]},
 {"email":"rhys@example.org","timestamp":1764072003,"event":"bounce","type":"bounce",
  "status":"5.1.1","reason":"550 5.1.1 no such user","bounce_classification":"Invalid Address",
  "sg_event_id":"e4","sg_message_id":"x.filter1","notification_id":"evt-2:email"},
 {"email":"sian@example.org","timestamp":1764072004,"event":"bounce","type":"blocked",
  "reason":"452 mailbox full","sg_event_id":"e5","sg_message_id":"y.filter1",
  "notification_id":"evt-3:email"},
 {"email":"owen@example.org","timestamp":1764072005,"event":"dropped","reason":"Bounced Address",
  "sg_event_id":"e6","notification_id":"evt-4:email"},
 {"email":"someone@example.org","timestamp":1764072006,"event":"delivered","sg_event_id":"e7",
  "sg_message_id":"z.filter1"},
 {"email":"katie@example.org","timestamp":1764072007,"event":"open","useragent":"Mozilla/5.0",
  "ip":"255.255.255.255","sg_event_id":"e8","notification_id":"evt-1:email"},
 {"timestamp":1764072008,"event":"a_type_sendgrid_adds_later","notification_id":"evt-1:email"}
])";

SendgridEvents events_of(std::string_view body) {
  auto result = sendgrid_receipts(body);
  if (auto* error = std::get_if<ReceiptError>(&result)) {
    ADD_FAILURE() << error->reason;
    return {};
  }
  return std::get<SendgridEvents>(result);
}

// Receipts [from, to) of a batch are each read as `status`.
void expect_status(const SendgridEvents& events, std::size_t from, std::size_t to,
                   ReceiptStatus status) {
  for (std::size_t i = from; i < to; ++i)
    EXPECT_EQ(events.receipts[i].status, status) << events.receipts[i].id;
}

Instant at_end_of(std::int64_t seconds) {
  return Instant{std::chrono::seconds{seconds}} + std::chrono::milliseconds{999};
}

TEST(SendgridReceipt, EachEventOfABatchIsReadForWhatBecameOfTheEmail) {
  const auto events = events_of(kBatch);
  ASSERT_EQ(events.receipts.size(), 4u);
  EXPECT_EQ(events.receipts[0].id, "evt-1:email");
  EXPECT_EQ(events.receipts[0].status, ReceiptStatus::delivered);
  EXPECT_EQ(events.receipts[1].id, "evt-2:email");
  EXPECT_EQ(events.receipts[1].status, ReceiptStatus::permanent_failure) << "a hard bounce";
  EXPECT_EQ(events.receipts[2].id, "evt-3:email");
  EXPECT_EQ(events.receipts[2].status, ReceiptStatus::temporary_failure) << "blocked for now";
  EXPECT_EQ(events.receipts[3].id, "evt-4:email");
  EXPECT_EQ(events.receipts[3].status, ReceiptStatus::permanent_failure) << "dropped";
  for (const auto& receipt : events.receipts) EXPECT_FALSE(receipt.attempt);
  // processed, deferred (SendGrid tries again itself), open, and a type herald does not know.
  EXPECT_EQ(events.interim, 4u);
  EXPECT_EQ(events.not_herald, 1u);
  EXPECT_TRUE(events.malformed.empty());
}

// SendGrid drops an email for the address (it bounced before, unsubscribed, reported spam, or is
// no address), or for the message or the account: only the first is the contact's.
TEST(SendgridReceipt, ADroppedEmailIsRefusedForGoodOnlyForTheAddress) {
  const auto events = events_of(R"json([
    {"event":"dropped","reason":"Bounced Address","notification_id":"evt-1:email"},
    {"event":"dropped","reason":"Unsubscribed Address","notification_id":"evt-2:email"},
    {"event":"dropped","reason":"Spam Reporting Address","notification_id":"evt-3:email"},
    {"event":"dropped","reason":"Invalid","notification_id":"evt-4:email"},
    {"event":"dropped","notification_id":"evt-5:email"},
    {"event":"dropped","reason":"Spam Content (if spam checker app enabled)","notification_id":"evt-6:email"},
    {"event":"dropped","reason":"Recipient List over Package Quota","notification_id":"evt-7:email"}
  ])json");
  ASSERT_EQ(events.receipts.size(), 7u);
  expect_status(events, 0, 5, ReceiptStatus::permanent_failure);
  expect_status(events, 5, 7, ReceiptStatus::technical_failure);
}

// A block (the receiving server refusing the email for now) is a failed contact attempt when it
// is the mailbox's, and a technical failure when SendGrid's classification says it is the
// sender's: the citizen's attempts of the day are not spent on herald's reputation.
TEST(SendgridReceipt, ABlockForTheSendersContentOrReputationIsNoContactAttempt) {
  const auto events = events_of(R"json([
    {"event":"bounce","type":"blocked","bounce_classification":"Mailbox Unavailable","notification_id":"evt-1:email"},
    {"event":"bounce","type":"blocked","bounce_classification":"Invalid Address","notification_id":"evt-2:email"},
    {"event":"bounce","type":"blocked","bounce_classification":"Unclassified","notification_id":"evt-3:email"},
    {"event":"bounce","type":"blocked","notification_id":"evt-4:email"},
    {"event":"bounce","type":"blocked","bounce_classification":7,"notification_id":"evt-5:email"},
    {"event":"bounce","type":"blocked","bounce_classification":"Content","notification_id":"evt-6:email"},
    {"event":"bounce","type":"blocked","bounce_classification":"Reputation","notification_id":"evt-7:email"},
    {"event":"bounce","type":"blocked","bounce_classification":"Frequency or Volume Too High","notification_id":"evt-8:email"},
    {"event":"bounce","type":"blocked","bounce_classification":"Technical","notification_id":"evt-9:email"},
    {"event":"bounce","type":"blocked","bounce_classification":"Technical Failure","notification_id":"evt-10:email"},
    {"event":"bounce","type":"bounce","bounce_classification":"Reputation","notification_id":"evt-11:email"}
  ])json");
  ASSERT_EQ(events.receipts.size(), 11u);
  expect_status(events, 0, 5, ReceiptStatus::temporary_failure);
  expect_status(events, 5, 10, ReceiptStatus::technical_failure);
  // A hard bounce puts the address on SendGrid's bounce list, whatever its cause: sent again, it
  // would only be dropped as a "Bounced Address".
  EXPECT_EQ(events.receipts[10].status, ReceiptStatus::permanent_failure);
}

// Whole seconds: a failure reported in the second a send fell due must not be taken for an
// earlier send's (timed before the send under way was due), so `at` is the second's end.
TEST(SendgridReceipt, AnEventsTimeIsTheEndOfItsSecond) {
  const auto events = events_of(kBatch);
  ASSERT_EQ(events.receipts.size(), 4u);
  EXPECT_EQ(events.receipts[0].at, at_end_of(1764072002));
  EXPECT_EQ(events.receipts[3].at, at_end_of(1764072005));
  const auto untimed = events_of(R"([{"event":"delivered","notification_id":"evt-1:email"}])");
  ASSERT_EQ(untimed.receipts.size(), 1u);
  EXPECT_FALSE(untimed.receipts[0].at);
}

TEST(SendgridReceipt, AnUnreadableEventIsRefusedAloneAndNamedByItsPlace) {
  const auto events = events_of(R"([
    {"event":"delivered","notification_id":"evt-1:email","timestamp":1764072002},
    "not an object",
    {"event":"bounce","notification_id":42},
    {"event":"bounce","notification_id":"evt-2\u0001:email"},
    {"notification_id":"evt-2:email"},
    {"event":"dropped","notification_id":"evt-2:email","timestamp":"yesterday"},
    {"event":"dropped","notification_id":"evt-2:email","timestamp":-1},
    {"event":"dropped","notification_id":"evt-5:email","timestamp":null}
  ])");
  ASSERT_EQ(events.receipts.size(), 2u);
  EXPECT_EQ(events.receipts[0].id, "evt-1:email");
  EXPECT_EQ(events.receipts[1].id, "evt-5:email");
  ASSERT_EQ(events.malformed.size(), 6u);
  EXPECT_EQ(events.malformed[0].reason, "event 2: expected an object");
  EXPECT_EQ(events.malformed[1].reason, "event 3: notification_id: expected a string");
  EXPECT_EQ(events.malformed[2].reason.rfind("event 4: notification_id: ", 0), 0u);
  EXPECT_EQ(events.malformed[3].reason, "event 5: event: expected a string");
  EXPECT_EQ(events.malformed[4].reason, "event 6: timestamp: expected whole seconds since 1970");
  EXPECT_EQ(events.malformed[5].reason, "event 7: timestamp: expected whole seconds since 1970");
}

TEST(SendgridReceipt, ABodyThatIsNotAnArrayOfEventsIsRefusedWhole) {
  for (const char* body : {"", "{}", R"({"event":"delivered"})", "[{]", "\"[]\"",
                           R"([{"event":"delivered","event":"bounce"}])"}) {
    auto result = sendgrid_receipts(body);
    EXPECT_TRUE(std::holds_alternative<ReceiptError>(result)) << body;
  }
  const auto empty = events_of("[]");
  EXPECT_TRUE(empty.receipts.empty());
}

TEST(SendgridReceipt, TheSignatureCoversTheTimestampAndTheBodyAsTheyArrived) {
  SendgridSigner sendgrid;
  const std::string timestamp = "1764072010";
  const std::string signature = sendgrid.sign(timestamp, kBatch);
  EXPECT_TRUE(
      sendgrid_signature_matches(sendgrid.verification_key(), timestamp, kBatch, signature));

  EXPECT_FALSE(
      sendgrid_signature_matches(sendgrid.verification_key(), "1764072011", kBatch, signature))
      << "another timestamp";
  std::string changed = kBatch;
  changed.replace(changed.find("\"bounce\""), 8, "\"opened\"");
  EXPECT_FALSE(
      sendgrid_signature_matches(sendgrid.verification_key(), timestamp, changed, signature))
      << "another body";
  SendgridSigner other;
  EXPECT_FALSE(sendgrid_signature_matches(other.verification_key(), timestamp, kBatch, signature))
      << "another account's key";
  for (const std::string bad : {"", "not base64!", "bm90IGEgc2lnbmF0dXJl"})
    EXPECT_FALSE(sendgrid_signature_matches(sendgrid.verification_key(), timestamp, kBatch, bad))
        << bad;
  EXPECT_FALSE(sendgrid_signature_matches(sendgrid.verification_key(), "", kBatch,
                                          sendgrid.sign("", kBatch)))
      << "no timestamp header";
}

TEST(SendgridReceipt, AVerificationKeyMustBeAP256PublicKeyInBase64) {
  SendgridSigner sendgrid;
  EXPECT_EQ(sendgrid_key_problem(sendgrid.verification_key()), "");
  EXPECT_EQ(sendgrid.verification_key().size(), 124u);
  EXPECT_EQ(sendgrid_key_problem("MFkw EwYH"), "not base64");
  EXPECT_EQ(sendgrid_key_problem("bm90IGEga2V5"), "not a DER public key");
  // The right shape, but a point off the curve: a character inside y changed (not one of the
  // last group's, whose low bits are padding and may not count).
  std::string key = sendgrid.verification_key();
  key[key.size() - 10] = key[key.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_NE(sendgrid_key_problem(key), "");
}

}  // namespace
}  // namespace herald
