#include "herald/event/contact_details.hpp"

#include <algorithm>

#include <phonenumbers/phonenumberutil.h>

namespace herald {
namespace {

// RFC 5322 atext, the characters of an unquoted local part besides dots. Quoted local parts
// ("a b"@x) are refused: no gateway needs them and they carry the characters injection uses.
bool is_atext(char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+/=?^_`{|}~-";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kSpecials.find(c) != std::string_view::npos;
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_label_char(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '-';
}

bool valid_local_part(std::string_view local) {
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  if (local.find("..") != std::string_view::npos) return false;
  return std::all_of(local.begin(), local.end(), [](char c) { return c == '.' || is_atext(c); });
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t dots = 0;
  std::string_view last_label;
  std::size_t start = 0;
  while (true) {
    auto dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    if (!std::all_of(label.begin(), label.end(), is_label_char)) return false;
    last_label = label;
    if (dot == std::string_view::npos) break;
    ++dots;
    start = dot + 1;
  }
  return dots >= 1 && last_label.size() >= 2 &&
         std::all_of(last_label.begin(), last_label.end(), is_alpha);
}

// Characters a written phone number may hold. Letters are refused, which also keeps out
// extensions ("ext. 12") and vanity numbers that libphonenumber would otherwise accept.
bool is_phone_char(char c) {
  return (c >= '0' && c <= '9') || c == ' ' || c == '+' || c == '-' || c == '(' || c == ')' ||
         c == '.';
}

// Ofcom reserves 07700 900000-900999 for drama and examples; CONTRACT.md's sample recipient
// uses one. Debian 12's libphonenumber (8.12.57) marks the range invalid, so without this the
// documented example event would be refused. They are never assigned to a real phone, so
// accepting them sends nothing to a stranger.
bool is_drama_mobile(const i18n::phonenumbers::PhoneNumberUtil& util,
                     const i18n::phonenumbers::PhoneNumber& number) {
  if (number.country_code() != 44) return false;
  std::string national;
  util.GetNationalSignificantNumber(number, &national);
  return national.size() == 10 && national.compare(0, 7, "7700900") == 0;
}

}  // namespace

bool is_valid_email(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  auto at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos)
    return false;
  return valid_local_part(address.substr(0, at)) && valid_domain(address.substr(at + 1));
}

std::optional<std::string> normalize_phone(std::string_view number,
                                           std::string_view default_region) {
  if (number.empty() || number.size() > 32) return std::nullopt;
  if (!std::all_of(number.begin(), number.end(), is_phone_char)) return std::nullopt;
  if (std::count(number.begin(), number.end(), '+') > 1) return std::nullopt;
  if (auto plus = number.find('+');
      plus != std::string_view::npos && number.find_first_not_of(' ') != plus)
    return std::nullopt;
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber parsed;
  if (util.Parse(std::string(number), std::string(default_region), &parsed) !=
      PhoneNumberUtil::NO_PARSING_ERROR)
    return std::nullopt;
  if (parsed.has_extension()) return std::nullopt;
  // The cheap test first: for a number libphonenumber does not know (the drama range) its
  // validity check tries every region sharing the country code, dozens of ICU regex matches.
  if (!is_drama_mobile(util, parsed) && !util.IsValidNumber(parsed)) return std::nullopt;
  std::string e164;
  util.Format(parsed, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool is_uk_number(std::string_view e164) {
  return e164.size() > 3 && e164.substr(0, 3) == "+44";
}

}  // namespace herald
