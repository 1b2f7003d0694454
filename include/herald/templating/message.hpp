#pragma once
/// A rendered message, ready for a gateway.
#include <string>

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
};

}  // namespace herald
