#pragma once
/// Validation of the recipient's address and number.
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// True for a plausible single mailbox address ("local@domain.tld"): no display name, no
/// whitespace, CR, LF or other control characters (header injection), one '@', a dotted domain.
bool is_valid_email(std::string_view address);

/// The number in E.164 ("+447700900123"), from E.164 or a national number of `default_region`
/// ("07700 900123"); nullopt when libphonenumber does not consider it a valid number.
std::optional<std::string> normalize_phone(std::string_view number,
                                           std::string_view default_region = "GB");

/// True when an E.164 number is a UK (+44) number.
bool is_uk_number(std::string_view e164);

}  // namespace herald
