#include "herald/templating/sms_length.hpp"

#include <string>
#include <utility>

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

// 246 characters of plain English but for one curly apostrophe.
const std::string kLongEnglishWithACurlyApostrophe =
    "We\u2019ve received your application GWF012345678. We will write to you within 20 working "
    "days to tell you our decision. If you need to send us more documents, please use the "
    "upload link in your email and quote your case reference when you contact us.";

TEST(SmsLength, ACurlyApostropheNoLongerMakesALongEnglishMessageUcs2) {
  const auto as_typed = measure_sms(kLongEnglishWithACurlyApostrophe);
  EXPECT_EQ(as_typed.encoding, SmsEncoding::ucs2);
  EXPECT_EQ(as_typed.fragments, 4u);

  const std::string sent = normalise_sms(kLongEnglishWithACurlyApostrophe);
  EXPECT_EQ(sent.substr(0, 6), "We've ");
  const auto length = measure_sms(sent);
  EXPECT_EQ(length.encoding, SmsEncoding::gsm7);
  EXPECT_EQ(length.units, 246u);
  EXPECT_EQ(length.fragments, 2u);
}

TEST(NormaliseSms, ReplacesTypographicQuotesDashesAndTheEllipsisAsNotifyDoes) {
  const std::pair<std::string_view, std::string_view> replaced[] = {
      {"\u2018", "'"},    // left single quotation mark
      {"\u2019", "'"},    // right single quotation mark
      {"\u201A", "'"},    // single low-9 quotation mark
      {"\u201C", "\""},   // left double quotation mark
      {"\u201D", "\""},   // right double quotation mark
      {"\u201E", "\""},   // double low-9 quotation mark
      {"\u2011", "-"},    // non-breaking hyphen
      {"\u2013", "-"},    // en dash
      {"\u2014", "-"},    // em dash
      {"\u2212", "-"},    // minus sign
      {"\u2026", "..."},  // horizontal ellipsis
  };
  for (const auto& [typed, sent] : replaced) {
    const std::string text = "a" + std::string(typed) + "b";
    EXPECT_EQ(normalise_sms(text), "a" + std::string(sent) + "b") << text;
    EXPECT_EQ(measure_sms(normalise_sms(text)).encoding, SmsEncoding::gsm7) << text;
  }
}

TEST(NormaliseSms, TurnsTabsAndNoBreakSpacesIntoPlainSpaces) {
  EXPECT_EQ(normalise_sms("Case\tGWF012345678"), "Case GWF012345678");
  EXPECT_EQ(normalise_sms("10\u00A0am"), "10 am");
  EXPECT_EQ(normalise_sms("10\u202Fam"), "10 am");
}

TEST(NormaliseSms, RemovesZeroWidthCharactersAndUnicodeLineSeparators) {
  for (std::string_view invisible :
       {"\u200B", "\u200C", "\u2060", "\uFEFF", "\u180E", "\u2028", "\u2029"}) {
    const std::string text = "www.gov" + std::string(invisible) + ".uk";
    EXPECT_EQ(normalise_sms(text), "www.gov.uk") << text;
  }
}

TEST(NormaliseSms, KeepsWelshLettersOutsideGsmSoTheMessageStaysUcs2) {
  const std::string sent =
      normalise_sms("Mae\u2019r \u0175yr yn dod \u2013 \u00E2\u2019r \u0177d.");
  EXPECT_EQ(sent, "Mae'r ŵyr yn dod - â'r ŷd.");
  EXPECT_EQ(measure_sms(sent).encoding, SmsEncoding::ucs2);
  // The accented letters GSM has keep a Welsh message GSM-7.
  const std::string gsm_welsh = normalise_sms("Caf\u00E9 yng Nghaerdydd \u2013 ar agor");
  EXPECT_EQ(measure_sms(gsm_welsh).encoding, SmsEncoding::gsm7);
}

TEST(NormaliseSms, LeavesChineseAndEmojiAloneSoTheyStillCountAsUcs2) {
  const std::string sent = normalise_sms("\u201C你好\u201D \U0001F44D");
  EXPECT_EQ(sent, "\"你好\" \U0001F44D");
  const auto length = measure_sms(sent);
  EXPECT_EQ(length.encoding, SmsEncoding::ucs2);
  EXPECT_EQ(length.units, 7u);
}

TEST(NormaliseSms, ChangesNothingButTheCharactersNotifyReplaces) {
  const std::string gsm = "Case GWF012345678: £20 fee, {paid} @ 10:00 \"ok\" é ñ €\r\n";
  // Notify removes the zero-width joiner only from ASCII text: in a text message it holds an
  // emoji together.
  const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";
  const std::string invalid("ab\xff\xe2\x80", 5);
  EXPECT_EQ(normalise_sms(gsm + "\u2019" + family + "\u2026" + invalid),
            gsm + "'" + family + "..." + invalid);
  EXPECT_EQ(normalise_sms(""), "");
}

}  // namespace
}  // namespace herald
