#pragma once
/// A rendered message, ready for a gateway.
#include <cstddef>
#include <string>

#include <boost/json/object.hpp>

#include "herald/core/channel.hpp"

namespace herald {

/// `<event id>:<channel>`: stable across every retry and attempt of the same message.
inline std::string notification_id(std::string_view event_id, Channel channel) {
  std::string id(event_id);
  id += ':';
  id += to_string(channel);
  return id;
}

/// One message to one recipient on one channel. Personal data: never log `to`, `subject`,
/// `body` or `html`.
struct Message {
  std::string notification_id;  ///< `<event id>:<channel>`
  Channel channel = Channel::email;
  std::string to;        ///< email address or E.164 number
  std::string subject;   ///< email only
  std::string body;      ///< plain text
  std::string html;      ///< email only; empty when the template has none
  std::string language;  ///< "en" or "cy"
  std::string template_name;
  std::string event_id;
  std::string case_ref;
  std::string status;
  /// SMS only: the fragments (billable parts) of `body`, see measure_sms(); 0 for email.
  std::size_t fragments = 0;
  /// The event's template variables, flat, for providers that fill in templates of their own
  /// (GOV.UK Notify's personalisation): case_ref, status, occurred_at, salutation (when there is
  /// a name) and every value under data as "data.<name>" ("data.office.city" for nested objects;
  /// numbers and booleans as text; a list of plain values stays a list). Personal data.
  boost::json::object variables;
};

}  // namespace herald
