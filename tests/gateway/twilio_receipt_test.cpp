// Twilio's status callbacks: the form, the signature and what each status and error code means.
#include "herald/gateway/twilio_receipt.hpp"

#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace herald {
namespace {

const std::string kSid = "SM0123456789abcdef0123456789abcdef";

FormFields callback(std::string status, std::string error_code = {}) {
  FormFields fields{{"AccountSid", "AC0123456789abcdef0123456789abcdef"},
                    {"MessageSid", kSid},
                    {"MessageStatus", std::move(status)},
                    {"To", "+447700900123"}};
  if (!error_code.empty()) fields.emplace_back("ErrorCode", std::move(error_code));
  return fields;
}

ReceiptStatus status_of(const FormFields& fields) {
  auto result = twilio_receipt(fields);
  if (!std::holds_alternative<Receipt>(result)) {
    ADD_FAILURE() << "not a receipt";
    return ReceiptStatus::delivered;
  }
  EXPECT_EQ(std::get<Receipt>(result).id, kSid);
  return std::get<Receipt>(result).status;
}

// Boost 1.81's query parser runs strlen over its input: a view that is not NUL-terminated was
// read past its end (the fuzzer found it; the ASan build of this test does too, without the fix).
TEST(TwilioReceipt, ReadsAFormFromAViewWithoutATerminator) {
  const std::string text = "MessageSid=SM1&MessageStatus=sent";
  const std::vector<char> bytes(text.begin(), text.end());  // exactly its size, on the heap
  auto fields = parse_form(std::string_view(bytes.data(), bytes.size()));
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->size(), 2u);
  const std::vector<char> none;
  auto empty = parse_form(std::string_view(none.data(), 0));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(TwilioReceipt, DecodesAFormBody) {
  auto fields = parse_form("MessageSid=SM1&To=%2B447700900123&Body=Diolch+yn+fawr%C5%B5&Empty=");
  ASSERT_TRUE(fields);
  const FormFields expected{{"MessageSid", "SM1"},
                            {"To", "+447700900123"},
                            {"Body", "Diolch yn fawr\u0175"},
                            {"Empty", ""}};
  EXPECT_EQ(*fields, expected);
  EXPECT_EQ(parse_form("a=%zz"), std::nullopt);
}

// The worked example of Twilio's webhook security documentation.
TEST(TwilioReceipt, SignsAsTwilioDocumentsIt) {
  const std::string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const FormFields fields{{"To", "+18005551212"},
                          {"From", "+14158675309"},
                          {"Digits", "1234"},
                          {"Caller", "+14158675309"},
                          {"CallSid", "CA1234567890ABCDE"}};
  EXPECT_EQ(twilio_signature("12345", url, fields), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  EXPECT_TRUE(twilio_signature_matches("12345", url, fields, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

  EXPECT_FALSE(twilio_signature_matches("12346", url, fields, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  EXPECT_FALSE(
      twilio_signature_matches("12345", url + "&x=1", fields, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  FormFields changed = fields;
  changed[2].second = "9999";
  EXPECT_FALSE(twilio_signature_matches("12345", url, changed, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  EXPECT_FALSE(twilio_signature_matches("12345", url, fields, ""));
}

TEST(TwilioReceipt, DeliveredIsDelivered) {
  EXPECT_EQ(status_of(callback("delivered")), ReceiptStatus::delivered);
  EXPECT_EQ(status_of(callback("read")), ReceiptStatus::delivered);
}

TEST(TwilioReceipt, AHandsetOutOfReachIsAFailedAttempt) {
  EXPECT_EQ(status_of(callback("undelivered", "30003")), ReceiptStatus::temporary_failure);
  EXPECT_EQ(status_of(callback("undelivered", "30008")), ReceiptStatus::temporary_failure);
  EXPECT_EQ(status_of(callback("undelivered")), ReceiptStatus::temporary_failure);
  EXPECT_EQ(status_of(callback("undelivered", "39999")), ReceiptStatus::temporary_failure);
}

TEST(TwilioReceipt, ANumberThatCanNeverBeReachedIsPermanent) {
  for (const char* code : {"30004", "30005", "30006", "30007", "21211", "21610", "21614"})
    EXPECT_EQ(status_of(callback("undelivered", code)), ReceiptStatus::permanent_failure) << code;
  EXPECT_EQ(status_of(callback("failed", "21610")), ReceiptStatus::permanent_failure);
}

TEST(TwilioReceipt, TwilioOrTheAccountFailingIsTechnical) {
  for (const char* code : {"30001", "30002", "30009", "30010"})
    EXPECT_EQ(status_of(callback("failed", code)), ReceiptStatus::technical_failure) << code;
  EXPECT_EQ(status_of(callback("failed")), ReceiptStatus::technical_failure);
}

TEST(TwilioReceipt, StepsOnTheWayAreNotReceipts) {
  for (const char* status : {"accepted", "queued", "sending", "sent", "scheduled"}) {
    auto result = twilio_receipt(callback(status));
    ASSERT_TRUE(std::holds_alternative<ReceiptInterim>(result)) << status;
    EXPECT_EQ(std::get<ReceiptInterim>(result).status, status);
  }
}

TEST(TwilioReceipt, RefusesWhatIsNotAStatusCallback) {
  auto reason = [](const FormFields& fields) {
    auto result = twilio_receipt(fields);
    return std::holds_alternative<ReceiptError>(result) ? std::get<ReceiptError>(result).reason
                                                        : std::string("(accepted)");
  };
  EXPECT_EQ(reason({{"MessageStatus", "delivered"}}), "MessageSid: required");
  EXPECT_EQ(reason({{"MessageSid", kSid}}), "MessageStatus: required");
  EXPECT_EQ(reason(callback("exploded")), "MessageStatus: not one of Twilio's message statuses");
  EXPECT_EQ(reason(callback("undelivered", "30003x")), "ErrorCode: expected a number");
  EXPECT_EQ(reason({{"MessageSid", "SM\n1"}, {"MessageStatus", "delivered"}}),
            "MessageSid: control characters are not allowed");
}

}  // namespace
}  // namespace herald
