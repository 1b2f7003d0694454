#pragma once
/// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), for
/// the event parser, which refuses anything else, and the log, which escapes it.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// The length (1 to 4) of the well-formed UTF-8 character at `text[at]`, its code point in
/// `*code_point` when given; 0 when the bytes there are not one.
std::size_t utf8_char_at(std::string_view text, std::size_t at, char32_t* code_point = nullptr);

/// Offset of the first byte that is not part of well-formed UTF-8, or npos.
std::size_t invalid_utf8_at(std::string_view text);

/// Where a file that must be UTF-8 (the config, a template) is not, for a problem report: the
/// line and "not valid UTF-8 (byte 0xE2): save the file as UTF-8"; nullopt when it is.
struct Utf8Fault {
  int line = 0;  ///< 1-based
  std::string message;
};
std::optional<Utf8Fault> utf8_fault(std::string_view text);

}  // namespace herald
