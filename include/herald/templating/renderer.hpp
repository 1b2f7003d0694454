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

/// Renders `tmpl` for `event` on `channel`, in the recipient's language. The recipient address
/// comes from the event (email or phone), never from anywhere else. A variable the template uses
/// but the event lacks is an error: no half-filled message is ever produced. Values are inserted
/// as they are (no HTML escaping) except in the `html` part, where they are HTML-escaped.
std::variant<Message, RenderError> render_message(const Template& tmpl, const Event& event,
                                                  Channel channel);

}  // namespace herald
