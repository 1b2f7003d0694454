#include "provider_answer.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace herald::gateway_detail {

namespace json = boost::json;

std::optional<json::object> json_object(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  return std::move(parsed.get_object());
}

std::string code_of(const json::value* v) {
  if (!v) return {};
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (!v->is_string()) return {};
  std::string_view s = v->get_string();
  if (s.empty() || s.size() > kMaxAnswerText || !std::isalpha(static_cast<unsigned char>(s[0])))
    return {};
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return {};
  return std::string(s);
}

std::string field_of(const json::value* v) {
  if (!v || !v->is_string()) return {};
  std::string_view s = v->get_string();
  if (s.empty() || s.size() > kMaxAnswerText) return {};
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
        c != '[' && c != ']')
      return {};
  return std::string(s);
}

std::string id_of(const json::value* v) {
  if (!v) return {};
  std::string text;
  if (v->is_string())
    text = std::string(v->get_string());
  else if (v->is_number())
    text = json::serialize(*v);
  return text.size() <= kMaxAnswerText ? text : std::string();
}

std::string join_unique(const std::vector<std::string>& texts) {
  std::vector<std::string> seen;
  std::string out;
  for (const auto& t : texts) {
    if (t.empty() || std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
    seen.push_back(t);
    if (!out.empty()) out += ", ";
    out += t;
  }
  return out;
}

}  // namespace herald::gateway_detail
