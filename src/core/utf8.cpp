#include "herald/core/utf8.hpp"

#include <algorithm>

namespace herald {

std::size_t utf8_char_at(std::string_view text, std::size_t at, char32_t* code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[at + k]); };
  const unsigned char c = byte(0);
  if (c < 0x80) {
    if (code_point) *code_point = c;
    return 1;
  }
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;  // overlong
    if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (at + len > text.size()) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (byte(k) < 0x80 || byte(k) > 0xbf) return 0;
  if (code_point) {
    char32_t cp = c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (byte(k) & 0x3f);
    *code_point = cp;
  }
  return len;
}

std::size_t invalid_utf8_at(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_char_at(text, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::optional<Utf8Fault> utf8_fault(std::string_view text) {
  const auto at = invalid_utf8_at(text);
  if (at == std::string_view::npos) return std::nullopt;
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(text[at]);
  Utf8Fault fault;
  fault.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  fault.message = std::string("not valid UTF-8 (byte 0x") + kHex[byte >> 4] + kHex[byte & 15] +
                  "): save the file as UTF-8";
  return fault;
}

}  // namespace herald
