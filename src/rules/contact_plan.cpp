#include "herald/rules/contact_plan.hpp"

#include "herald/event/contact_details.hpp"

#include <algorithm>
#include <map>

#include <date/date.h>
#include <date/tz.h>

namespace herald {
namespace {

using namespace std::chrono;
using LocalDay = date::local_days;

// The recipient's calendar, as section 5 needs it: local days and the window on each day.
class Calendar {
 public:
  explicit Calendar(const ContactPolicy& p)
      : tz_(*p.timezone),
        start_(p.contact_anytime ? minutes{0} : p.window.start),
        end_(p.contact_anytime ? minutes{24 * 60} : p.window.end) {}

  LocalDay day_of(Instant t) const {
    return date::floor<date::days>(tz_.to_local(date::floor<seconds>(t)));
  }
  // A wall time that does not exist (a DST gap) maps to the first instant after the gap.
  Instant at(LocalDay day, minutes m) const {
    return Instant{duration_cast<milliseconds>(
        tz_.to_sys(date::local_seconds{day} + m, date::choose::earliest).time_since_epoch())};
  }
  Instant window_start(LocalDay d) const { return at(d, start_); }
  Instant window_end(LocalDay d) const { return at(d, end_); }
  bool in_window(Instant t) const {
    auto d = day_of(t);
    return window_start(d) <= t && t < window_end(d);
  }
  // `t` itself when the window is open then, else the start of the next window. A window can
  // be empty only on a day whose DST gap swallows it; such a day is skipped.
  Instant first_open_at_or_after(Instant t) const {
    auto d = day_of(t);
    for (int i = 0; i < 3; ++i, d += date::days{1}) {
      const Instant s = window_start(d), e = window_end(d);
      if (s < e && t < e) return std::max(t, s);
    }
    return window_start(d);
  }
  std::string describe() const {
    auto hhmm = [](minutes m) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m.count() / 60),
                    static_cast<int>(m.count() % 60));
      return std::string(buf);
    };
    return hhmm(start_) + "-" + hhmm(end_) + " " + tz_.name();
  }
  // To the minute, or to the second when it is not a whole minute (the end of an unavailable
  // period can be any instant).
  std::string local_text(Instant t) const {
    const auto local = tz_.to_local(date::floor<std::chrono::seconds>(t));
    if (local.time_since_epoch() % minutes{1} == std::chrono::seconds{0})
      return date::format("%Y-%m-%dT%H:%M", date::floor<minutes>(local));
    return date::format("%Y-%m-%dT%H:%M:%S", local);
  }
  minutes length() const { return end_ - start_; }

 private:
  const date::time_zone& tz_;
  minutes start_, end_;
};

}  // namespace

std::string_view to_string(PlanCause cause) {
  switch (cause) {
    case PlanCause::open:
      return "open";
    case PlanCause::window:
      return "window";
    case PlanCause::unavailable:
      return "unavailable";
    case PlanCause::next_attempt:
      return "next_attempt";
    case PlanCause::gave_up:
      return "gave_up";
  }
  return "unknown";
}

std::string_view to_string(PlanAction action) {
  switch (action) {
    case PlanAction::send:
      return "send";
    case PlanAction::defer:
      return "defer";
    case PlanAction::give_up:
      return "give_up";
    case PlanAction::suppress:
      return "suppress";
  }
  return "unknown";
}

PlanDecision plan_attempt(Instant now, const ContactPolicy& policy,
                          std::span<const Instant> failed_attempts) {
  const Calendar cal(policy);
  const int cap = std::max(1, policy.max_attempts_per_day);
  const int max_days = std::max(1, policy.max_days);

  std::vector<Instant> failed(failed_attempts.begin(), failed_attempts.end());
  std::sort(failed.begin(), failed.end());
  std::map<LocalDay, int> per_day;
  for (auto t : failed) ++per_day[cal.day_of(t)];

  std::string why;
  PlanCause cause = failed.empty() ? PlanCause::window : PlanCause::next_attempt;
  Instant t = now;
  if (!failed.empty()) {
    const Instant last = failed.back();
    const auto last_day = cal.day_of(last);
    const auto spacing = duration_cast<milliseconds>(cal.length()) / cap;
    Instant candidate = last + spacing;
    if (per_day[last_day] >= cap) {
      candidate = cal.window_start(last_day + date::days{1});
      why = "daily cap of " + std::to_string(cap) + " reached; next window start";
    } else if (cal.day_of(candidate) != last_day || !cal.in_window(candidate)) {
      candidate = cal.window_start(last_day + date::days{1});
      why = "last failure + spacing falls outside the window; next window start";
    } else {
      why = "attempt " + std::to_string(failed.size() + 1) + " at last failure + spacing";
    }
    t = std::max(candidate, now);
    if (candidate < now) why = "overdue; next permitted instant";
  }

  // The first instant at or after t that is in the window, on a day below the cap and outside
  // every unavailable period. Each step moves t forward; the bound only guards against configs
  // that no instant satisfies.
  const int bound = 8 * (max_days + static_cast<int>(policy.unavailable.size()) + 4);
  bool found = false;
  for (int i = 0; i < bound; ++i) {
    Instant open = cal.first_open_at_or_after(t);
    if (open != t && why.empty()) why = "outside window " + cal.describe() + "; next window start";
    t = open;
    auto day = cal.day_of(t);
    if (auto it = per_day.find(day); it != per_day.end() && it->second >= cap) {
      t = cal.window_start(day + date::days{1});
      continue;
    }
    bool moved = false;
    for (const auto& period : policy.unavailable)
      if (period.from <= t && t < period.to) {
        t = period.to;
        moved = true;
        why = "recipient unavailable until " + cal.local_text(period.to) + " local";
        cause = PlanCause::unavailable;
      }
    if (moved) continue;
    found = true;
    break;
  }

  // Giving up: the next attempt would fall on a new local day, and max_days days already had
  // attempts.
  if (!found ||
      (static_cast<int>(per_day.size()) >= max_days && !per_day.contains(cal.day_of(t)))) {
    return {PlanAction::give_up, std::nullopt,
            "gave up: " + std::to_string(failed.size()) + " failed attempts over " +
                std::to_string(per_day.size()) + " local days",
            PlanCause::gave_up};
  }
  if (why.empty()) why = "inside window " + cal.describe();
  if (t == now) return {PlanAction::send, t, why, PlanCause::open};
  // When the reason already ends at that instant (the end of an unavailable period), it is not
  // said twice.
  const std::string at = cal.local_text(t) + " local";
  if (why.ends_with(at)) return {PlanAction::defer, t, why, cause};
  return {PlanAction::defer, t, why + " (" + at + ")", cause};
}

ChannelSelection select_channels(const Event& event, const Rule& rule, const SmsConfig& sms) {
  const auto& chosen = event.recipient.channels.empty() ? rule.channels : event.recipient.channels;
  auto has = [](const std::vector<Channel>& list, Channel c) {
    return std::find(list.begin(), list.end(), c) != list.end();
  };
  ChannelSelection out;
  bool email_instead = false;
  for (auto c : rule.channels) {
    if (!has(chosen, c) || has(out.channels, c)) continue;
    if (c == Channel::email && !event.recipient.email) continue;
    if (c == Channel::sms && !event.recipient.phone) continue;
    if (c == Channel::sms && !sms.international && !is_uk_number(*event.recipient.phone)) {
      out.left_out.emplace_back(
          c, "SMS to numbers outside the UK is off (sms.international: false); email instead");
      email_instead = true;
      continue;
    }
    out.channels.push_back(c);
  }
  if (email_instead && !has(out.channels, Channel::email) && has(rule.channels, Channel::email) &&
      event.recipient.email) {
    std::vector<Channel> ordered;  // keep rule order
    for (auto c : rule.channels)
      if (c == Channel::email || has(out.channels, c)) ordered.push_back(c);
    out.channels = std::move(ordered);
  }
  if (email_instead && !has(out.channels, Channel::email))
    out.left_out.back().second =
        "SMS to numbers outside the UK is off (sms.international: false) and there is no email "
        "to send instead";
  return out;
}

std::optional<Channel> fallback_channel(const Event& event, const Rule& rule, Channel failed) {
  if (failed != Channel::sms || !event.recipient.email) return std::nullopt;
  if (std::find(rule.channels.begin(), rule.channels.end(), Channel::email) == rule.channels.end())
    return std::nullopt;
  return Channel::email;
}

ContactPolicy contact_policy(const Event& event, Channel channel, const ContactConfig& contact) {
  ContactPolicy p;
  p.timezone = event.recipient.timezone;
  p.window = contact.window_for(channel);
  p.contact_anytime = event.recipient.contact_anytime;
  p.max_attempts_per_day = contact.max_attempts_per_day;
  p.max_days = contact.max_days;
  p.unavailable = event.recipient.unavailable;
  return p;
}

}  // namespace herald
