#pragma once
/// Rendering a template for an event (Mustache via kainjow).
#include <string>
#include <variant>

#include "herald/core/channel.hpp"
#include "herald/event/event.hpp"
#include "herald/templating/message.hpp"
#include "herald/templating/template_set.hpp"

namespace herald {

/// Why a message could not be rendered ("template decision_dispatched (email, cy) uses
/// data.vac_name, which the event lacks"). Names variables, never their values.
struct RenderError {
  std::string reason;
};

/// Renders `tmpl` for `event` on `channel`, in the recipient's language, into a complete Message
/// (`to` is the event's email address or phone number, never anything else).
///
/// Variables: case_ref, status, occurred_at (as received), salutation, recipient.{name, title,
/// email, phone, language, timezone} and data.* (nested objects through dotted names, lists as
/// sections, numbers and booleans printed as text). A variable or `{{#section}}` the event lacks
/// is an error, so no half-filled message is ever produced; `{{^x}}` is how a template says what
/// to write when x is absent, and a template that has one may also use `{{#x}}` on an event
/// lacking x. null counts as absent; false, [] and "" are false. Absent in every event that does
/// not have them: salutation and recipient.name without a name, recipient.email/phone without
/// the address. recipient.title is "" when the title is not an accepted one.
///
/// Values are inserted as they are (never expanded as Mustache); only the `html` part
/// HTML-escapes them. The subject is made one line (line breaks become spaces) because it is a
/// mail header; an SMS loses trailing whitespace.
std::variant<Message, RenderError> render_message(const Template& tmpl, const Event& event,
                                                  Channel channel);

}  // namespace herald
