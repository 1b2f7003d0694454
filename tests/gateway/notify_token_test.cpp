// The GOV.UK Notify token, checked with OpenSSL directly as Notify's server would.
#include <sstream>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "herald/gateway/notify_gateway.hpp"
#include "support/provider/jwt.hpp"

namespace herald {
namespace {

constexpr const char* kServiceId = "26785a09-ab16-4eb0-8407-a37497a57506";
constexpr const char* kSecret = "3d844edf-8d35-48ac-975b-e847b4f122b0";

TEST(NotifyToken, IsAnHs256TokenWithTheServiceIdAndTheTimeItWasIssued) {
  const auto issued = std::chrono::system_clock::time_point(std::chrono::seconds(1568818578));
  const std::string token = notify_token(kServiceId, Secret(kSecret), issued);
  EXPECT_EQ(token.find('='), std::string::npos) << "base64url without padding";
  auto claims = test::verify_hs256(token, kSecret);
  ASSERT_TRUE(claims.has_value()) << token;
  EXPECT_EQ(*claims, boost::json::parse(R"({"iss": "26785a09-ab16-4eb0-8407-a37497a57506",
                                           "iat": 1568818578})"));
}

TEST(NotifyToken, DoesNotVerifyUnderAnotherSecret) {
  const std::string token =
      notify_token(kServiceId, Secret(kSecret), std::chrono::system_clock::now());
  EXPECT_FALSE(test::verify_hs256(token, "00000000-8d35-48ac-975b-e847b4f122b0").has_value());
}

TEST(NotifyToken, NeverContainsTheSecret) {
  const std::string token =
      notify_token(kServiceId, Secret(kSecret), std::chrono::system_clock::now());
  EXPECT_EQ(token.find(kSecret), std::string::npos);
  for (std::size_t start = 0; start < token.size(); start = token.find('.', start) + 1) {
    auto part = test::base64url_decode(token.substr(start, token.find('.', start) - start));
    ASSERT_TRUE(part.has_value());
    EXPECT_EQ(part->find(kSecret), std::string::npos);
    if (token.find('.', start) == std::string::npos) break;
  }
}

TEST(Secret, PrintsAsAPlaceholderWhereverItEndsUp) {
  std::ostringstream out;
  out << Secret(kSecret);
  EXPECT_EQ(out.str(), "[secret]");
  EXPECT_EQ(testing::PrintToString(Secret(kSecret)), "[secret]");
}

TEST(Secret, MatchesOnlyItsWholeValue) {
  const Secret token("receipts-token-0123456789");
  EXPECT_TRUE(token.matches("receipts-token-0123456789"));
  EXPECT_FALSE(token.matches("receipts-token-012345678"));
  EXPECT_FALSE(token.matches("receipts-token-01234567890"));
  EXPECT_FALSE(token.matches("receipts-token-0123456780"));
  EXPECT_FALSE(token.matches(""));
  EXPECT_FALSE(Secret().matches("x"));
}

}  // namespace
}  // namespace herald
