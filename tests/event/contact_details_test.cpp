#include "herald/event/contact_details.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

TEST(Email, AcceptsOrdinaryMailboxAddresses) {
  for (auto address :
       {"katie@example.org", "k.mcnally+visa@mail.example.co.uk", "o'brien@example.ie",
        "x_y-z@sub-domain.example.com", "a@b.cd", "user!#$%&*=?^`{|}~@example.org"})
    EXPECT_TRUE(is_valid_email(address)) << address;
}

TEST(Email, RefusesAnythingThatCouldInjectHeadersOrIsMalformed) {
  const std::string long_local(65, 'a');
  const std::string long_label(64, 'b');
  const std::string too_long = std::string(64, 'a') + "@" + std::string(60, 'b') + "." +
                               std::string(60, 'c') + "." + std::string(60, 'd') + ".example.org";
  for (const std::string& address : {std::string("a@b.com\r\nBcc: x@y.com"),
                                     std::string("a@b.com\nBcc: x@y.com"),
                                     std::string("Katie <katie@example.org>"),
                                     std::string("katie@example.org, x@y.com"),
                                     std::string("katie @example.org"),
                                     std::string("katie@exa mple.org"),
                                     std::string(""),
                                     std::string("katie"),
                                     std::string("@example.org"),
                                     std::string("katie@"),
                                     std::string("katie@@example.org"),
                                     std::string("a@b@example.org"),
                                     std::string(".katie@example.org"),
                                     std::string("katie.@example.org"),
                                     std::string("ka..tie@example.org"),
                                     std::string("katie@example"),
                                     std::string("katie@example.o"),
                                     std::string("katie@example.123"),
                                     std::string("katie@-example.org"),
                                     std::string("katie@example-.org"),
                                     std::string("katie@example..org"),
                                     std::string("katie@.example.org"),
                                     std::string("katie@example.org."),
                                     std::string("\"katie\"@example.org"),
                                     std::string("katie@exam\tple.org"),
                                     std::string("kat\x01ie@example.org"),
                                     std::string("katie@[127.0.0.1]"),
                                     std::string("kätie@example.org"),
                                     long_local + "@example.org",
                                     "katie@" + long_label + ".org",
                                     too_long,
                                     std::string("katie@example.org\0x", 19)})
    EXPECT_FALSE(is_valid_email(address)) << address;
}

TEST(Phone, NormalisesUkNationalAndInternationalFormsToE164) {
  EXPECT_EQ(normalize_phone("07700 900123"), "+447700900123");
  EXPECT_EQ(normalize_phone("07700900123"), "+447700900123");
  EXPECT_EQ(normalize_phone("+447700900123"), "+447700900123");
  EXPECT_EQ(normalize_phone("+44 (0)7700 900123"), "+447700900123");
  EXPECT_EQ(normalize_phone("0044 7700 900123"), "+447700900123");
  EXPECT_EQ(normalize_phone("020 7946 0018"), "+442079460018");
  EXPECT_EQ(normalize_phone("+44 (0)7911 123456"), "+447911123456");
  EXPECT_EQ(normalize_phone("+1 650-253-0000"), "+16502530000");
  EXPECT_EQ(normalize_phone("+353 85 123 4567"), "+353851234567");
}

TEST(Phone, AcceptsOfcomDramaMobilesButNotTheirNeighbours) {
  EXPECT_EQ(normalize_phone("07700 900000"), "+447700900000");
  EXPECT_EQ(normalize_phone("07700 900999"), "+447700900999");
  EXPECT_EQ(normalize_phone("07700 901000"), std::nullopt);
  EXPECT_EQ(normalize_phone("07700 90099"), std::nullopt);
}

TEST(Phone, ReadsNationalNumbersInTheGivenRegion) {
  EXPECT_EQ(normalize_phone("085 123 4567", "IE"), "+353851234567");
  EXPECT_EQ(normalize_phone("085 123 4567", "GB"), std::nullopt);
}

TEST(Phone, RefusesInvalidNumbers) {
  for (auto number :
       {"", "12345", "07700 90012", "07700 9001234567", "not a number", "0800 FLOWERS",
        "07700 900123 ext. 12", "+44 7700 900123;ext=1", "tel:+447700900123", "+44+7700900123",
        "7700 +900123", "00000000000", "07700\n900123", "+447700900123456789012345678901234"})
    EXPECT_EQ(normalize_phone(number), std::nullopt) << number;
}

TEST(Phone, TellsUkNumbersApart) {
  EXPECT_TRUE(is_uk_number("+447700900123"));
  EXPECT_FALSE(is_uk_number("+353851234567"));
  EXPECT_FALSE(is_uk_number("+4"));
  EXPECT_FALSE(is_uk_number("07700900123"));
}

}  // namespace
}  // namespace herald
