#pragma once
/// How names are written (CONTRACT.md section 8, DOMAIN.md).
#include <string>
#include <string_view>

namespace herald {

/// Capitalises the first letter of each part of a name and lower-cases the rest, keeping
/// Mc/Mac, O'/D' and hyphenated parts right: "KATIE MCNALLY" -> "Katie McNally",
/// "sean o'brien" -> "Sean O'Brien", "ANNE-MARIE JONES" -> "Anne-Marie Jones". UTF-8 aware
/// for Welsh letters ("ŴYN" -> "Ŵyn").
std::string format_name(std::string_view name);

/// The accepted title, normalised ("MRS" -> "Mrs", "dr" -> "Dr"), or "" when the title is not an
/// accepted one (Mx, unverified or unknown titles are dropped).
std::string accepted_title(std::string_view title);

/// "Ms McNally" (accepted title and surname) or "Jo Bloggs" (first name and surname) when there is
/// no accepted title. The surname is the last part of the formatted name.
std::string salutation(std::string_view title, std::string_view name);

}  // namespace herald
