#pragma once
// Private to src/gateway: reading providers' answers without repeating personal data.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace herald::gateway_detail {

/// Longest text taken from an answer (an id, a code).
inline constexpr std::size_t kMaxAnswerText = 200;

/// `body` parsed as a JSON object, or nullopt.
std::optional<boost::json::object> json_object(std::string_view body);

/// A provider's error code, only when it looks like a code: an integer, or a word of letters,
/// digits and `_.-` starting with a letter. Messages, which may quote the recipient's address or
/// number back at us, never qualify. "" otherwise.
std::string code_of(const boost::json::value* value);

/// Like code_of, for a request field path ("personalizations.0.to.0.email", "from"): letters,
/// digits and `_.[]-`.
std::string field_of(const boost::json::value* value);

/// An id (string or number) of at most kMaxAnswerText bytes, else "".
std::string id_of(const boost::json::value* value);

/// `texts` joined with ", ", each once, in order.
std::string join_unique(const std::vector<std::string>& texts);

}  // namespace herald::gateway_detail
