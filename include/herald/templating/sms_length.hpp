#pragma once
/// How many fragments (billable parts) a text message takes, counted as GOV.UK Notify counts them.
#include <cstddef>
#include <string>
#include <string_view>

namespace herald {

/// The alphabet a message goes out in.
enum class SmsEncoding {
  gsm7,  ///< the GSM 03.38 default alphabet and its extension table
  ucs2,  ///< anything else (Welsh ŵ, ŷ, â, emoji ...): the whole message becomes UCS-2
};

/// "gsm7" or "ucs2".
std::string_view to_string(SmsEncoding encoding);

/// The size of one text message.
struct SmsLength {
  SmsEncoding encoding = SmsEncoding::gsm7;
  /// GSM-7 septets (`^ { } \ [ ~ ] | €` and form feed count two), or UTF-16 code units for UCS-2.
  std::size_t units = 0;
  /// 1 up to 160 septets (70 UCS-2 units), then one per 153 (67); an empty text is one fragment.
  std::size_t fragments = 1;
};

/// Measures a UTF-8 text. A byte that is not valid UTF-8 counts as one UCS-2 unit.
SmsLength measure_sms(std::string_view utf8);

/// The text as it is sent and counted: typographic quotes, dashes, the ellipsis, tabs and odd
/// spaces replaced by their plain forms, invisible characters removed (see sms_length.cpp).
std::string normalise_sms(std::string_view utf8);

}  // namespace herald
