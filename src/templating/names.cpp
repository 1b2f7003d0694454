#include "herald/templating/names.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include <unicode/uchar.h>

namespace herald {
namespace {

// The case of a letter, in any script, from ICU (Unicode's simple case mappings, one code point
// to one). Hand-made tables of a few Latin blocks mangled the names of everyone else: Romanian
// "ȚURCANU" came out "ȚUrcanu", since a letter the tables did not know was no letter at all.
char32_t to_lower(char32_t c) {
  return static_cast<char32_t>(u_tolower(static_cast<UChar32>(c)));
}
char32_t to_upper(char32_t c) {
  return static_cast<char32_t>(u_toupper(static_cast<UChar32>(c)));
}
// The first letter of a word: the title case, which differs from upper case for the digraphs
// (ǆ -> ǅ, not Ǆ).
char32_t to_title(char32_t c) {
  return static_cast<char32_t>(u_totitle(static_cast<UChar32>(c)));
}
bool is_upper(char32_t c) {
  return to_lower(c) != c;
}
// ß and the like are lower-case letters without a single upper-case form.
bool is_lower(char32_t c) {
  return to_upper(c) != c || u_isULowercase(static_cast<UChar32>(c));
}
// Any letter, cased or not (a Chinese name's letters have no case; they are still letters).
bool is_letter(char32_t c) {
  return u_isalpha(static_cast<UChar32>(c));
}

// Bytes that are not valid UTF-8 travel through as lone surrogates (U+DC80..U+DCFF, which valid
// UTF-8 never decodes to) and come out as the same bytes, so no input is ever mangled.
constexpr char32_t kRawByte = 0xDC00;

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80           ? 1
                      : (b >> 5) == 0x6  ? 2
                      : (b >> 4) == 0xE  ? 3
                      : (b >> 3) == 0x1E ? 4
                                         : 0;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      auto cont = static_cast<unsigned char>(s[i + k]);
      ok = (cont & 0xC0) == 0x80;
      cp = (cp << 6) | (cont & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range values are not characters either.
    static constexpr std::array<char32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= kMinimum[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) {
      out.push_back(kRawByte + b);
      ++i;
    } else {
      out.push_back(cp);
      i += len;
    }
  }
  return out;
}

void encode(char32_t c, std::string& out) {
  if (c >= kRawByte + 0x80 && c <= kRawByte + 0xFF) {
    out.push_back(static_cast<char>(c - kRawByte));
  } else if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) encode(c, out);
  return out;
}

// Unicode's White_Space: besides ASCII's, the no-break, en, em, thin and ideographic spaces
// that pasted text and input methods bring.
bool is_space(char32_t c) {
  return u_isUWhiteSpace(static_cast<UChar32>(c));
}

bool is_apostrophe(char32_t c) {
  return c == U'\'' || c == 0x2019;
}

std::vector<std::u32string> split_parts(std::string_view name) {
  std::vector<std::u32string> parts;
  std::u32string current;
  for (char32_t c : decode(name)) {
    if (is_space(c)) {
      if (!current.empty()) parts.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) parts.push_back(std::move(current));
  return parts;
}

std::u32string lower(std::u32string s) {
  for (auto& c : s) c = to_lower(c);
  // Greek's one mapping that depends on its place: a sigma that ends a word is ς, not σ.
  for (std::size_t i = 1; i < s.size(); ++i)
    if (s[i] == U'σ' && is_letter(s[i - 1]) && (i + 1 == s.size() || !is_letter(s[i + 1])))
      s[i] = U'ς';
  return s;
}

// Particles that belong to the surname and are written in lower case inside a name.
bool is_particle(const std::u32string& lowered) {
  static const std::u32string kParticles[] = {
      U"ap", U"ab", U"ferch", U"verch", U"van", U"von", U"der", U"den", U"de",  U"del", U"della",
      U"di", U"da", U"du",    U"la",    U"le",  U"dos", U"das", U"ter", U"ten", U"'t",  U"\u2019t"};
  return std::find(std::begin(kParticles), std::end(kParticles), lowered) != std::end(kParticles);
}

// Words that begin a surname and are capitalised: Irish Ó, Ní, Nic, Mac, Uí, Mhic and Ua
// ("Seán Ó Briain", "Siobhán Ní Bhriain"), Arabic Al and El ("Ahmed Al Farsi").
bool is_surname_prefix(const std::u32string& lowered) {
  static const std::u32string kPrefixes[] = {U"ó",    U"ní", U"nic", U"mac", U"uí",
                                             U"mhic", U"ua", U"al",  U"el"};
  return std::find(std::begin(kPrefixes), std::end(kPrefixes), lowered) != std::end(kPrefixes);
}

// Welsh patronymics are always lower-case inside a name ("Dafydd ap Gwilym").
// "ap" and "ab" (son of), "ferch" and "verch" (daughter of): always in lower case.
bool is_welsh_patronymic(const std::u32string& lowered) {
  return lowered == U"ap" || lowered == U"ab" || lowered == U"ferch" || lowered == U"verch";
}

// A piece is one run between hyphens or dots: "Anne" and "Marie" in "Anne-Marie".
bool is_piece_separator(char32_t c) {
  return c == U'-' || c == U'.';
}

// Someone who wrote "MacDonald" or "DeVito" meant it. A piece counts as deliberately cased when
// it starts with a capital, has lower-case letters, and never has two capitals in a row (which
// is what shouting looks like: "McNALLY").
bool is_deliberately_cased(const std::u32string& piece) {
  bool first_letter_seen = false;
  bool has_lower = false;
  bool previous_upper = false;
  for (char32_t c : piece) {
    if (!is_letter(c)) {
      previous_upper = false;
      continue;
    }
    bool upper = is_upper(c);
    if (!first_letter_seen && !upper) return false;
    first_letter_seen = true;
    if (upper && previous_upper) return false;
    has_lower = has_lower || !upper;
    previous_upper = upper;
  }
  return has_lower;
}

void capitalise_mc(std::u32string& piece) {
  if (piece.size() >= 3 && piece[0] == U'M' && piece[1] == U'c' && is_letter(piece[2]))
    piece[2] = to_upper(piece[2]);
}

std::u32string normalise_piece(const std::u32string& piece) {
  if (is_deliberately_cased(piece)) {
    std::u32string kept = piece;
    capitalise_mc(kept);
    return kept;
  }
  std::u32string out = lower(piece);
  std::size_t first = 0;
  while (first < out.size() && !is_letter(out[first])) ++first;
  if (first == out.size()) return out;
  out[first] = to_title(out[first]);
  capitalise_mc(out);
  // O'Brien, D'Arcy: one letter and an apostrophe is a prefix; "Ng'ang'a" is not.
  if (first + 2 < out.size() && is_apostrophe(out[first + 1]) && is_letter(out[first + 2]))
    out[first + 2] = to_upper(out[first + 2]);
  return out;
}

std::u32string normalise_part(const std::u32string& part) {
  std::u32string out;
  std::u32string piece;
  for (char32_t c : part) {
    if (is_piece_separator(c)) {
      out += normalise_piece(piece);
      out.push_back(c);
      piece.clear();
    } else {
      piece.push_back(c);
    }
  }
  out += normalise_piece(piece);
  return out;
}

bool has_upper(const std::u32string& s) {
  return std::any_of(s.begin(), s.end(), is_upper);
}

bool has_lower(const std::u32string& s) {
  return std::any_of(s.begin(), s.end(), is_lower);
}

// A generational suffix after the surname ("John Smith Jr", "Henry Ford III") as it is
// customarily written, or "" when `part` is none. It is not the surname, and roman numerals stay
// in capitals.
std::u32string generational_suffix(const std::u32string& part) {
  static const std::pair<std::u32string_view, std::u32string_view> kSuffixes[] = {
      {U"jr", U"Jr"}, {U"jr.", U"Jr."}, {U"jnr", U"Jnr"}, {U"jnr.", U"Jnr."},
      {U"sr", U"Sr"}, {U"sr.", U"Sr."}, {U"snr", U"Snr"}, {U"snr.", U"Snr."},
      {U"ii", U"II"}, {U"iii", U"III"}, {U"iv", U"IV"}};
  const auto lowered = lower(part);
  for (const auto& [spelt, written] : kSuffixes)
    if (lowered == spelt) return std::u32string(written);
  return {};
}

// Whether the last of `parts` is a generational suffix: only after a first name and a surname.
bool ends_in_suffix(const std::vector<std::u32string>& parts) {
  return parts.size() >= 3 && !generational_suffix(parts.back()).empty();
}

std::vector<std::u32string> formatted_parts(std::string_view name) {
  auto parts = split_parts(name);
  bool mixed_input = false;
  {
    bool upper = false;
    bool lower_seen = false;
    for (const auto& p : parts) {
      upper = upper || has_upper(p);
      lower_seen = lower_seen || has_lower(p);
    }
    mixed_input = upper && lower_seen;
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto lowered = lower(parts[i]);
    bool inside = i > 0 && i + 1 < parts.size();
    if (inside && is_welsh_patronymic(lowered)) {
      parts[i] = lowered;
    } else if (inside && mixed_input && lowered == parts[i] && is_particle(lowered)) {
      // "Ludwig van Beethoven" as written; an all-caps or all-lower name gives no such hint.
    } else {
      parts[i] = normalise_part(parts[i]);
    }
  }
  if (ends_in_suffix(parts)) {
    parts.back() = generational_suffix(parts.back());
    // "Smith, Jr.": the comma belongs to neither the surname nor the suffix.
    auto& surname = parts[parts.size() - 2];
    if (surname.size() > 1 && surname.back() == U',') surname.pop_back();
  }
  return parts;
}

std::string join(const std::vector<std::u32string>& parts, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to; ++i) {
    if (!out.empty()) out.push_back(' ');
    out += encode(parts[i]);
  }
  return out;
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 0x20) : c;
}

// A title written at the start of the name ("Mx Jo Bloggs", "Dr. Jane Smith", "Rt Hon Jo
// Bloggs"): whether `part` is one, accepted or not. Not the title's place, and DOMAIN.md's "Dear
// Mx Bloggs" must not come out of it.
bool is_title_word(const std::u32string& part) {
  static const std::u32string_view kOthers[] = {
      U"mx",     U"mstr",      U"master",   U"mme", U"mlle", U"madam", U"madame",
      U"doctor", U"professor", U"reverend", U"rt",  U"hon",  U"right", U"honourable"};
  auto lowered = lower(part);
  if (!lowered.empty() && lowered.back() == U'.') lowered.pop_back();
  for (std::u32string_view other : kOthers)
    if (lowered == other) return true;
  return !accepted_title(encode(lowered)).empty();
}

// How many of `parts` lead with titles (always leaving one part), and the first of them that is
// an accepted title ("" when none is).
std::size_t leading_titles(const std::vector<std::u32string>& parts, std::string& accepted) {
  std::size_t n = 0;
  while (n + 1 < parts.size() && is_title_word(parts[n])) {
    if (accepted.empty()) accepted = accepted_title(encode(parts[n]));
    ++n;
  }
  return n;
}

}  // namespace

std::string format_name(std::string_view name) {
  auto parts = formatted_parts(name);
  // A title inside the name stays only when it is an accepted one ("Dr Jane Smith").
  std::size_t from = 0;
  while (from + 1 < parts.size() && is_title_word(parts[from]) &&
         accepted_title(encode(parts[from])).empty())
    ++from;
  return join(parts, from, parts.size());
}

std::string accepted_title(std::string_view title) {
  static constexpr std::string_view kTitles[] = {"Mr",  "Mrs",  "Miss", "Ms",   "Dr",  "Prof",
                                                 "Sir", "Dame", "Lord", "Lady", "Rev", "Revd"};
  while (!title.empty() && (title.front() == ' ' || title.front() == '\t')) title.remove_prefix(1);
  while (!title.empty() && (title.back() == ' ' || title.back() == '\t')) title.remove_suffix(1);
  if (!title.empty() && title.back() == '.') title.remove_suffix(1);
  for (std::string_view accepted : kTitles) {
    if (accepted.size() != title.size()) continue;
    if (std::equal(accepted.begin(), accepted.end(), title.begin(),
                   [](char a, char b) { return ascii_lower(a) == ascii_lower(b); }))
      return std::string(accepted);
  }
  return "";
}

std::string salutation(std::string_view title, std::string_view name) {
  auto parts = formatted_parts(name);
  if (parts.empty()) return "";
  // A title written in the name is dropped from it; an accepted one serves when the title field
  // gives none ("Dr Jane Smith" -> "Dr Smith"), any other is not used ("Mx Jo Bloggs" -> "Jo
  // Bloggs").
  std::string title_in_name;
  parts.erase(parts.begin(),
              parts.begin() + static_cast<std::ptrdiff_t>(leading_titles(parts, title_in_name)));
  // "Jo Bloggs Jr" by name, "Mr Bloggs" by title: a suffix goes with the full name only.
  const std::size_t end = parts.size() - (ends_in_suffix(parts) ? 1 : 0);
  std::size_t surname = end - 1;
  while (surname > 1 &&
         (is_particle(lower(parts[surname - 1])) || is_surname_prefix(lower(parts[surname - 1]))))
    --surname;
  std::string accepted = accepted_title(title);
  if (accepted.empty()) accepted = title_in_name;
  if (accepted.empty()) {
    if (parts.size() == 1) return encode(parts[0]);
    return encode(parts[0]) + " " + join(parts, surname, parts.size());
  }
  if (accepted == "Sir" || accepted == "Dame") return accepted + " " + encode(parts[0]);
  return accepted + " " + join(parts, surname, end);
}

}  // namespace herald
