#include "herald/templating/sms_length.hpp"

#include <string>

#include <gtest/gtest.h>

namespace herald {
namespace {

std::string repeat(std::string_view text, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

TEST(SmsLength, PlainEnglishIsGsm7WithOneFragmentUpTo160Characters) {
  auto length = measure_sms("Your application GWF012345678 has been received.");
  EXPECT_EQ(length.encoding, SmsEncoding::gsm7);
  EXPECT_EQ(length.units, 48u);
  EXPECT_EQ(length.fragments, 1u);

  EXPECT_EQ(measure_sms(repeat("a", 160)).fragments, 1u);
  EXPECT_EQ(measure_sms(repeat("a", 161)).fragments, 2u);
}

TEST(SmsLength, LongGsm7MessagesTake153CharactersPerFragment) {
  EXPECT_EQ(measure_sms(repeat("a", 306)).fragments, 2u);
  EXPECT_EQ(measure_sms(repeat("a", 307)).fragments, 3u);
  EXPECT_EQ(measure_sms(repeat("a", 459)).fragments, 3u);
  EXPECT_EQ(measure_sms(repeat("a", 460)).fragments, 4u);
}

TEST(SmsLength, TheExtensionTableCountsTwo) {
  for (std::string_view c : {"^", "{", "}", "\\", "[", "~", "]", "|", "€"}) {
    auto length = measure_sms(c);
    EXPECT_EQ(length.encoding, SmsEncoding::gsm7) << c;
    EXPECT_EQ(length.units, 2u) << c;
  }
  // 80 euro signs are 160 septets: one fragment; one more character makes two.
  EXPECT_EQ(measure_sms(repeat("€", 80)).fragments, 1u);
  EXPECT_EQ(measure_sms(repeat("€", 80) + ".").fragments, 2u);
}

TEST(SmsLength, AccentsInTheGsmAlphabetKeepGsm7) {
  auto length = measure_sms("é è ù ì ò Ç Ø ø Å å Ä Ö Ñ Ü ß ä ö ñ ü à £ ¥ § ¿ ¡ Δ Ω");
  EXPECT_EQ(length.encoding, SmsEncoding::gsm7);
  EXPECT_EQ(length.units, 53u);  // 27 letters and 26 spaces
}

TEST(SmsLength, AWelshCharacterOutsideGsmMakesTheWholeMessageUcs2) {
  for (std::string_view text :
       {"Mae eich cais wedi dod i law. Diolch yn fawr, ŵyr.",
        "Dyddiad: dydd Llun. Byddwch yn derbyn eich pasbort yn fuan ŷ", "â"}) {
    auto length = measure_sms(text);
    EXPECT_EQ(length.encoding, SmsEncoding::ucs2) << text;
  }
  EXPECT_EQ(measure_sms("ŵ").units, 1u);
  EXPECT_EQ(measure_sms(repeat("ŵ", 70)).fragments, 1u);
  EXPECT_EQ(measure_sms(repeat("ŵ", 71)).fragments, 2u);
  EXPECT_EQ(measure_sms(repeat("ŵ", 134)).fragments, 2u);
  EXPECT_EQ(measure_sms(repeat("ŵ", 135)).fragments, 3u);
  // In UCS-2 the extension characters are one unit like any other.
  EXPECT_EQ(measure_sms("ŵ€").units, 2u);
}

TEST(SmsLength, CharactersBeyondTheBasicPlaneCountTwoUnits) {
  auto length = measure_sms("Diolch 👍");
  EXPECT_EQ(length.encoding, SmsEncoding::ucs2);
  EXPECT_EQ(length.units, 9u);
}

TEST(SmsLength, AnEmptyTextIsOneFragment) {
  auto length = measure_sms("");
  EXPECT_EQ(length.units, 0u);
  EXPECT_EQ(length.fragments, 1u);
}

TEST(SmsLength, InvalidUtf8CountsAsUcs2) {
  auto length = measure_sms(std::string("ab\xff", 3));
  EXPECT_EQ(length.encoding, SmsEncoding::ucs2);
  EXPECT_EQ(length.units, 3u);
}

}  // namespace
}  // namespace herald
