#include "herald/event/receipt.hpp"

#include <gtest/gtest.h>

#include "herald/core/time_format.hpp"

namespace herald {
namespace {

// The receipt, or the reason it is malformed ("" when it parsed).
std::string error_of(std::string_view json) {
  auto parsed = parse_receipt(json);
  if (auto* error = std::get_if<ReceiptError>(&parsed)) return error->reason;
  return "";
}

TEST(Receipt, IdAndStatusAloneStillMakeAReceiptAndOtherFieldsAreIgnored) {
  // GOV.UK Notify's callback shape: more fields than herald reads, personal data among them.
  auto parsed = parse_receipt(
      R"({"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":"evt-1:sms","to":"07700900123",)"
      R"("status":"temporary-failure","created_at":"2026-11-23T12:00:00.000000Z",)"
      R"("completed_at":"2026-11-23T12:00:05.000000Z","notification_type":"sms"})");
  ASSERT_TRUE(std::holds_alternative<Receipt>(parsed));
  const auto& r = std::get<Receipt>(parsed);
  EXPECT_EQ(r.id, "740e5834-3a29-46b4-9a6f-16142fde533a");
  EXPECT_EQ(r.status, ReceiptStatus::temporary_failure);
  EXPECT_FALSE(r.attempt);
  EXPECT_FALSE(r.at);
}

TEST(Receipt, AttemptAndTimeAreReadWhenGivenAndNullIsAbsent) {
  auto parsed = parse_receipt(R"({"id":"evt-1:email","status":"permanent-failure","attempt":2,)"
                              R"("at":"2026-11-23T12:00:05.250+01:00"})");
  ASSERT_TRUE(std::holds_alternative<Receipt>(parsed));
  const auto& r = std::get<Receipt>(parsed);
  EXPECT_EQ(r.attempt, 2);
  ASSERT_TRUE(r.at);
  EXPECT_EQ(format_rfc3339(*r.at), "2026-11-23T11:00:05.250Z");

  parsed = parse_receipt(R"({"id":"evt-1:email","status":"delivered","attempt":null,"at":null})");
  ASSERT_TRUE(std::holds_alternative<Receipt>(parsed));
  EXPECT_FALSE(std::get<Receipt>(parsed).attempt);
  EXPECT_FALSE(std::get<Receipt>(parsed).at);
}

TEST(Receipt, AnAttemptOrTimeOfTheWrongKindMakesTheReceiptMalformed) {
  const std::string attempt_error = "attempt: expected a whole number from 1 to 1000";
  for (const char* attempt : {"0", "-1", "1001", "1.5", "\"1\"", "true", "18446744073709551615"})
    EXPECT_EQ(
        error_of(std::string(R"({"id":"n:email","status":"delivered","attempt":)") + attempt + "}"),
        attempt_error)
        << attempt;
  for (const char* at : {"\"yesterday\"", "\"2026-11-23\"", "\"2026-13-01T00:00:00Z\"", "0"})
    EXPECT_EQ(error_of(std::string(R"({"id":"n:email","status":"delivered","at":)") + at + "}"),
              "at: expected an RFC 3339 date-time")
        << at;
  EXPECT_EQ(error_of(R"({"id":"n:email","status":"delivered","attempt":1000})"), "");
}

// boost::json::parse kept the last of a repeated key: {"id":"x","id":"evt-1:sms",...} was applied
// to evt-1:sms, where a relay or a reader keeping the first sees "x". Events with a repeated key
// are invalid; a receipt with one is malformed.
TEST(Receipt, ARepeatedKeyMakesTheReceiptMalformed) {
  EXPECT_EQ(error_of(R"({"id":"x","id":"evt-1:sms","status":"delivered"})"), "repeated key 'id'");
  EXPECT_EQ(error_of(R"({"id":"evt-1:sms","status":"temporary-failure","status":"delivered"})"),
            "repeated key 'status'");
  EXPECT_EQ(error_of(R"({"id":"x","\u0069d":"evt-1:sms","status":"delivered"})"),
            "repeated key 'id'")
      << "spelled with an escape";
  EXPECT_EQ(error_of(R"({"id":"evt-1:sms","status":"delivered","to":"a","to":"b"})"),
            "repeated key 'to'")
      << "a field herald does not read";
  EXPECT_EQ(error_of(R"({"id":"evt-1:sms","status":"delivered","meta":{"n":1,"n":2}})"),
            "meta: repeated key 'n'");
  EXPECT_EQ(error_of(R"({"id":"evt-1:sms","status":"delivered","a@b.org":1,"a@b.org":2})"),
            "repeated key")
      << "a key that is not a plain name is not echoed back";
}

TEST(Receipt, ANulInAStringOrAKeyMakesTheReceiptMalformed) {
  EXPECT_EQ(error_of(R"({"id":"evt-1:sms","status":"delivered","reference":"a\u0000b"})"),
            "reference: a string contains a NUL character");
  EXPECT_EQ(error_of(R"({"id":"evt-1\u0000:sms","status":"delivered"})"),
            "id: a string contains a NUL character");
  EXPECT_EQ(error_of(R"({"id":"evt-1:sms","status":"delivered","ref\u0000":"a"})"),
            "a key contains a NUL character");
}

TEST(Receipt, TheReceiptKeepsItsOwnSizeAndDepthLimits) {
  const std::string head = R"({"id":"n:email","status":"delivered","x":)";
  EXPECT_EQ(error_of(head + "[[[[[[[1]]]]]]]}"), "") << "8 levels";
  EXPECT_EQ(error_of(head + "[[[[[[[[1]]]]]]]]}"), "receipt is nested deeper than 8 levels");
  EXPECT_EQ(error_of(head + std::string(20000, '[')), "receipt larger than 16384 bytes");
  EXPECT_EQ(error_of(head + "\"" + std::string(16384 - head.size() - 3, 'a') + "\"}"), "")
      << "16 KiB exactly";
  EXPECT_EQ(error_of(R"({"id": "n:email")"),
            "receipt is not valid JSON: incomplete JSON (at byte 16)");
  EXPECT_EQ(error_of("[]"), "receipt is not a JSON object");
}

}  // namespace
}  // namespace herald
