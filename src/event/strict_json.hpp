#pragma once
// Private to src/event: the JSON reading that events and receipts share.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/value.hpp>

namespace herald::event_detail {

/// `text` as one JSON value, or why it is refused, in words fit for a reason that leaves herald.
/// Stricter than boost::json::parse, which keeps one of a key repeated within an object silently
/// (two readers of the same text could disagree on what it says): refuses text that is not UTF-8
/// or is empty, a key repeated within one object, NUL in a string or a key, and nesting deeper
/// than `max_depth`. `what` ("event", "receipt") begins the reasons that name no place inside the
/// value: "event is not valid JSON: ...".
std::variant<boost::json::value, std::string> parse_strict_json(std::string_view text,
                                                                std::size_t max_depth,
                                                                std::string_view what);

/// A value from outside, fit to appear in a reason: " 'Europe/Londn'", with its leading space;
/// "" when it is not a plain name (letters, digits, / _ . -, fewer than 6 digits, at most 64
/// characters), so that a misplaced address, number or full name is never echoed back.
std::string quoted(std::string_view value);

}  // namespace herald::event_detail
