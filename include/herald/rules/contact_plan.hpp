#pragma once
/// The contact rules of CONTRACT.md section 5 as pure functions of their inputs and "now".
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/core/clock.hpp"
#include "herald/event/event.hpp"

namespace date {
class time_zone;
}

namespace herald {

enum class PlanAction { send, defer, give_up, suppress };

/// "send", "defer", "give_up", "suppress".
std::string_view to_string(PlanAction action);

/// Why a decision waits (the `reason` label of herald_scheduled).
enum class PlanCause {
  open,          ///< the window is open: send now
  window,        ///< outside the window (or the day's cap is used up): the next window start
  unavailable,   ///< inside a period the recipient said they are unavailable
  next_attempt,  ///< a failed contact attempt: the next one after the spacing
  gave_up,       ///< no permitted day left
};

/// "open", "window", "unavailable", "next_attempt", "gave_up".
std::string_view to_string(PlanCause cause);

/// What to do with one notification now.
struct PlanDecision {
  PlanAction action = PlanAction::send;
  std::optional<Instant> at;  ///< when to send (now for `send`); absent for give_up/suppress
  std::string reason;         ///< an explanation fit for logs: no personal data
  PlanCause cause = PlanCause::open;
};

/// Everything the rules need to know about the recipient and the channel.
struct ContactPolicy {
  const date::time_zone* timezone = nullptr;  ///< the recipient's zone (never null)
  ContactWindow window;                       ///< the channel's window
  bool contact_anytime = false;               ///< makes the window 00:00-24:00
  int max_attempts_per_day = 3;
  int max_days = 3;
  std::span<const UnavailablePeriod> unavailable;  ///< no attempt inside one of these
};

/// Section 5: the next attempt of a notification at `now`, given the instants of its earlier
/// failed contact attempts (oldest first; empty for the first attempt).
PlanDecision plan_attempt(Instant now, const ContactPolicy& policy,
                          std::span<const Instant> failed_attempts);

/// The channels an event goes out on, and the ones it does not with the reason.
struct ChannelSelection {
  std::vector<Channel> channels;                          ///< in rule order
  std::vector<std::pair<Channel, std::string>> left_out;  ///< chosen, but not used: why
};

/// The recipient's choice (default: the rule's channels) intersected with the rule's channels and
/// with the contact details present, in rule order. SMS to a number outside the UK is left out
/// unless `sms.international`; such a recipient gets email instead when the rule sends email and
/// the recipient has an address ("customers overseas get email only").
ChannelSelection select_channels(const Event& event, const Rule& rule, const SmsConfig& sms);

/// The channel a message falls back to when `failed` was refused for good: email for SMS, when
/// the rule sends email and the recipient has an address; nullopt otherwise.
std::optional<Channel> fallback_channel(const Event& event, const Rule& rule, Channel failed);

/// The policy for `event` on `channel` under `contact`.
ContactPolicy contact_policy(const Event& event, Channel channel, const ContactConfig& contact);

}  // namespace herald
