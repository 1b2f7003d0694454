#pragma once
/// Outcomes: one per decision, published to the outcomes stream (CONTRACT.md section 4).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "herald/core/channel.hpp"
#include "herald/core/clock.hpp"

namespace herald {

enum class OutcomeResult { sent, deferred, retry_scheduled, failed, rejected, suppressed, invalid };

/// "sent", "deferred", ...
std::string_view to_string(OutcomeResult result);

/// One decision about one notification (or about an invalid event, with no channel).
struct Outcome {
  std::string event_id;  ///< "" when the event was too broken to have one
  std::string case_ref;
  std::string status;
  std::optional<Channel> channel;
  OutcomeResult result = OutcomeResult::sent;
  int attempt = 0;  ///< contact attempt number, 1-based; 0 when none was made
  Instant at;       ///< when the decision was made; for `deferred`, when it is due
  std::string reason;
  std::string gateway_message_id;
  /// SMS: the message's fragments (billable parts), when a message was rendered (issue 4).
  std::optional<std::size_t> fragments;
};

/// `{"event_id","case_ref","status","channel","result","attempt","at","reason",
/// "gateway_message_id"}`, plus `"fragments"` when set; unknown strings are null.
std::string outcome_json(const Outcome& outcome);

}  // namespace herald
