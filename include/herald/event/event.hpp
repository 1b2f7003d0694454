#pragma once
/// A status-change event, as read from the stream and validated (CONTRACT.md section 3).
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "herald/core/channel.hpp"
#include "herald/core/clock.hpp"

namespace date {
class time_zone;
}

namespace herald {

/// One blackout period the recipient told the service about: [from, to).
struct UnavailablePeriod {
  Instant from;
  Instant to;
};

/// Who the message is for. Personal data: never log any of it.
struct Recipient {
  std::string name;                  ///< as given ("KATIE MCNALLY"); casing happens in templating
  std::string title;                 ///< as given ("Ms", "Mx", "" when absent)
  std::optional<std::string> email;  ///< validated address
  std::optional<std::string> phone;  ///< normalised to E.164 ("+447700900123")
  const date::time_zone* timezone = nullptr;  ///< never null in a parsed event
  std::string timezone_name;                  ///< "Europe/London"
  std::string language = "en";                ///< "en" or "cy"
  std::vector<Channel> channels;  ///< the recipient's choice; empty = the rule's channels
  bool contact_anytime = false;   ///< explicit consent to out-of-hours contact
  std::vector<UnavailablePeriod> unavailable;
};

/// A validated event.
struct Event {
  std::string id;  ///< 1-128 characters, unique per status change
  std::string case_ref;
  std::string status;
  Instant occurred_at;
  std::string occurred_at_text;  ///< exactly as received, for templates
  Recipient recipient;
  boost::json::object data;  ///< free-form template data
};

}  // namespace herald
