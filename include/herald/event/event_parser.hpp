#pragma once
/// Strict parsing of the event JSON (CONTRACT.md section 3).
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "herald/event/event.hpp"

namespace herald {

class TimeZones;

/// Why an event is invalid, in words fit for the dead-letter stream (no personal data in it:
/// it names the field and the problem, never the value of a name, address or number).
struct EventError {
  std::string reason;
};

struct EventParserOptions {
  std::size_t max_event_bytes = 64 * 1024;         ///< larger entries are invalid
  std::string default_timezone = "Europe/London";  ///< for recipients without one
  std::string default_region = "GB";               ///< for national phone numbers
};

/// The parser's rules for the event's identifiers, for whoever shows them without parsing the
/// whole event (the outcome of an invalid event, `herald dead list`): a value that breaks them may
/// be anything (an address, a number, a name pasted into the field), so it is not shown at all.
/// `id`: 1-128 printable ASCII characters without spaces.
bool is_valid_event_id(std::string_view id);
/// `case_ref`: 1-64 characters of A-Z, a-z, 0-9, /, _ and -.
bool is_valid_case_ref(std::string_view case_ref);
/// `status`: 1-64 characters of a-z, 0-9 and _.
bool is_valid_status(std::string_view status);

/// Parses and validates one event. Never throws for bad input.
std::variant<Event, EventError> parse_event(std::string_view json,
                                            const EventParserOptions& options, TimeZones& zones);

}  // namespace herald
