#include "herald/templating/sms_length.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace herald {
namespace {

// The GSM 03.38 default alphabet as Unicode code points (0x1B, the escape to the extension
// table, is not a character of its own). Written out by hand: no Debian library carries the
// table, and it has not changed since 1995.
constexpr std::array<char32_t, 127> kGsmBasic = {
    U'@', U'£', U'$', U'¥', U'è', U'é', U'ù', U'ì', U'ò',  U'Ç', U'\n', U'Ø', U'ø', U'\r', U'Å',
    U'å', U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ',  U'Σ', U'Θ',  U'Ξ', U'Æ', U'æ',  U'ß',
    U'É', U' ', U'!', U'"', U'#', U'¤', U'%', U'&', U'\'', U'(', U')',  U'*', U'+', U',',  U'-',
    U'.', U'/', U'0', U'1', U'2', U'3', U'4', U'5', U'6',  U'7', U'8',  U'9', U':', U';',  U'<',
    U'=', U'>', U'?', U'¡', U'A', U'B', U'C', U'D', U'E',  U'F', U'G',  U'H', U'I', U'J',  U'K',
    U'L', U'M', U'N', U'O', U'P', U'Q', U'R', U'S', U'T',  U'U', U'V',  U'W', U'X', U'Y',  U'Z',
    U'Ä', U'Ö', U'Ñ', U'Ü', U'§', U'¿', U'a', U'b', U'c',  U'd', U'e',  U'f', U'g', U'h',  U'i',
    U'j', U'k', U'l', U'm', U'n', U'o', U'p', U'q', U'r',  U's', U't',  U'u', U'v', U'w',  U'x',
    U'y', U'z', U'ä', U'ö', U'ñ', U'ü', U'à'};

static_assert(std::find(kGsmBasic.begin(), kGsmBasic.end(), U'\0') == kGsmBasic.end(),
              "every position of the default alphabet is filled");

// The extension table: each is sent as escape + character, two septets.
constexpr std::array<char32_t, 10> kGsmExtension = {U'\f', U'^', U'{', U'}', U'\\',
                                                    U'[',  U'~', U']', U'|', U'€'};

// What GOV.UK Notify replaces before it counts and sends a text message: the table of
// SanitiseSMS.REPLACEMENT_CHARACTERS in alphagov/notifications-utils
// (notifications_utils/sanitise_text.py). It replaces nothing else: since Notify's PR #1443 it
// strips no accents (a Welsh ŵ stays, and makes the message UCS-2), and it keeps U+200D, the
// zero-width joiner that holds emoji sequences together.
constexpr std::array<std::pair<char32_t, std::string_view>, 21> kSmsReplacements = {{
    {U'\u2011', "-"},    // non-breaking hyphen
    {U'\u2013', "-"},    // en dash
    {U'\u2014', "-"},    // em dash
    {U'\u2212', "-"},    // minus sign
    {U'\u2026', "..."},  // horizontal ellipsis
    {U'\u2018', "'"},    // left single quotation mark
    {U'\u2019', "'"},    // right single quotation mark
    {U'\u201C', "\""},   // left double quotation mark
    {U'\u201D', "\""},   // right double quotation mark
    {U'\u201A', "'"},    // single low-9 quotation mark
    {U'\u201E', "\""},   // double low-9 quotation mark
    {U'\u180E', ""},     // Mongolian vowel separator
    {U'\u200B', ""},     // zero-width space
    {U'\u200C', ""},     // zero-width non-joiner
    {U'\u2060', ""},     // word joiner
    {U'\uFEFF', ""},     // zero-width no-break space (byte order mark)
    {U'\u2028', ""},     // line separator
    {U'\u2029', ""},     // paragraph separator
    {U'\u00A0', " "},    // no-break space
    {U'\u202F', " "},    // narrow no-break space
    {U'\t', " "},        // tab
}};

constexpr std::size_t kGsmSingle = 160, kGsmPart = 153;
constexpr std::size_t kUcs2Single = 70, kUcs2Part = 67;

template <std::size_t N>
bool in(const std::array<char32_t, N>& table, char32_t c) {
  return std::find(table.begin(), table.end(), c) != table.end();
}

// Decodes one UTF-8 sequence at `i`, advancing it; nullopt-like 0xFFFFFFFF for an invalid byte
// (which is then skipped alone).
constexpr char32_t kInvalid = 0xFFFFFFFF;

char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int length = b0 < 0x80           ? 1
               : (b0 >> 5) == 0x6  ? 2
               : (b0 >> 4) == 0xE  ? 3
               : (b0 >> 3) == 0x1E ? 4
                                   : 0;
  if (length == 0 || i + length > s.size()) {
    ++i;
    return kInvalid;
  }
  char32_t c = length == 1 ? b0 : b0 & (0x7F >> length);
  for (int k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return kInvalid;
    }
    c = (c << 6) | (b & 0x3F);
  }
  i += length;
  return c;
}

std::size_t fragments(std::size_t units, std::size_t single, std::size_t part) {
  if (units <= single) return 1;
  return (units + part - 1) / part;
}

}  // namespace

std::string_view to_string(SmsEncoding encoding) {
  return encoding == SmsEncoding::gsm7 ? "gsm7" : "ucs2";
}

SmsLength measure_sms(std::string_view utf8) {
  std::size_t septets = 0, utf16 = 0;
  bool gsm = true;
  for (std::size_t i = 0; i < utf8.size();) {
    const char32_t c = next_code_point(utf8, i);
    utf16 += c != kInvalid && c > 0xFFFF ? 2 : 1;
    if (!gsm) continue;
    if (in(kGsmBasic, c))
      septets += 1;
    else if (in(kGsmExtension, c))
      septets += 2;
    else
      gsm = false;
  }
  SmsLength length;
  if (gsm) {
    length.encoding = SmsEncoding::gsm7;
    length.units = septets;
    length.fragments = fragments(septets, kGsmSingle, kGsmPart);
  } else {
    length.encoding = SmsEncoding::ucs2;
    length.units = utf16;
    length.fragments = fragments(utf16, kUcs2Single, kUcs2Part);
  }
  return length;
}

std::string normalise_sms(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    const std::size_t start = i;
    const char32_t c = next_code_point(utf8, i);
    auto replacement = std::find_if(kSmsReplacements.begin(), kSmsReplacements.end(),
                                    [c](const auto& entry) { return entry.first == c; });
    if (replacement != kSmsReplacements.end())
      out += replacement->second;
    else
      out += utf8.substr(start, i - start);  // as it was, an invalid byte included
  }
  return out;
}

}  // namespace herald
