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

/// Parses and validates one event. Never throws for bad input.
std::variant<Event, EventError> parse_event(std::string_view json,
                                            const EventParserOptions& options, TimeZones& zones);

}  // namespace herald
