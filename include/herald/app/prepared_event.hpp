#pragma once
/// From event JSON to the messages it asks for: parse, find the rule, choose the channels, render
/// every message. Pure: shared by the daemon and the `render` and `plan` commands, so that what
/// they print is what the daemon does.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/core/time_zones.hpp"
#include "herald/event/event.hpp"
#include "herald/templating/message.hpp"
#include "herald/templating/template_set.hpp"

namespace herald {

/// A valid event with its rule and one rendered message per channel it goes out on.
struct PreparedEvent {
  Event event;
  const Rule* rule = nullptr;     ///< points into the Config it was prepared with
  std::vector<Message> messages;  ///< in rule channel order
  /// Channels chosen but left out, with why (SMS to an overseas number): for `plan`.
  std::vector<std::pair<Channel, std::string>> left_out;
};

/// Why an event cannot be delivered (the dead-letter reason), with what could be read of it
/// for the outcome.
struct PreparationError {
  std::string reason;
  std::string event_id;  ///< "" when unreadable
  std::string case_ref;
  std::string status;
};

/// For the outcome of an invalid event: the id, case_ref and status that can be read from `json`,
/// so that the case system can match the outcome to what it published. Each is taken only when it
/// follows the event parser's rule for its field (is_valid_event_id, is_valid_case_ref,
/// is_valid_status), so nothing else of the event reaches the log, the outcome or a case's
/// timeline; a field that breaks it stays empty (null in the outcome).
void read_event_identifiers(std::string_view json, PreparationError& error);

/// Why `event` cannot be taken at `now` although it is well-formed: it says it happened more than
/// a day ahead of `now` (a typo in a year, or a producer's clock gone wrong: as the newest event of
/// its case it would make every real event after it stale). nullopt when it can.
std::optional<std::string> from_the_future(const Event& event, Instant now);

/// Parses `json` and renders its messages; every message or none (no half-filled message).
/// Without `channel`, the messages of every channel the event goes out on (select_channels);
/// with it, that channel's message only, as long as the rule still sends on it and the recipient
/// has the details (a due notification, or an email falling back for a refused SMS).
std::variant<PreparedEvent, PreparationError> prepare_event(
    std::string_view json, const Config& config, const TemplateSet& templates, TimeZones& zones,
    std::optional<Channel> channel = std::nullopt);

}  // namespace herald
