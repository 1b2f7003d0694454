#include "herald/app/prepared_event.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "herald/event/event_parser.hpp"
#include "herald/rules/contact_plan.hpp"
#include "herald/templating/renderer.hpp"

namespace herald {

void read_event_identifiers(std::string_view json, PreparationError& error) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 32;
  auto value = boost::json::parse(json, ec, {}, options);
  if (ec || !value.is_object()) return;
  // Each only when it follows the event parser's rule for its field: anything else (a number
  // in case_ref, an address in status, a name in id) could carry personal data into the log,
  // the outcome and, through case_ref, a case's timeline key.
  auto take = [&](const char* key, bool (*valid)(std::string_view), std::string& out) {
    auto* v = value.as_object().if_contains(key);
    if (v && v->is_string() && valid(v->as_string())) out = std::string(v->as_string());
  };
  take("id", is_valid_event_id, error.event_id);
  take("case_ref", is_valid_case_ref, error.case_ref);
  take("status", is_valid_status, error.status);
}

std::optional<std::string> from_the_future(const Event& event, Instant now) {
  // A producer writing local time as UTC is hours off (up to 14), not days.
  constexpr auto kTolerance = std::chrono::hours(24);
  if (event.occurred_at <= now + kTolerance) return std::nullopt;
  return "occurred_at is more than a day ahead of herald's clock: " + event.occurred_at_text;
}

namespace {

std::string channel_list(const std::vector<Channel>& channels) {
  std::string out;
  for (auto c : channels) {
    if (!out.empty()) out += ", ";
    out += to_string(c);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::variant<PreparedEvent, PreparationError> prepare_event(std::string_view json,
                                                            const Config& config,
                                                            const TemplateSet& templates,
                                                            TimeZones& zones,
                                                            std::optional<Channel> channel) {
  EventParserOptions options;
  options.max_event_bytes = config.limits.max_event_bytes;
  options.default_timezone = config.contact.timezone;
  auto parsed = parse_event(json, options, zones);
  if (auto* error = std::get_if<EventError>(&parsed)) {
    PreparationError out{error->reason};
    if (json.size() <= config.limits.max_event_bytes) read_event_identifiers(json, out);
    return out;
  }
  PreparedEvent prepared{std::move(std::get<Event>(parsed))};
  const Event& event = prepared.event;
  auto fail = [&](std::string reason) {
    return PreparationError{std::move(reason), event.id, event.case_ref, event.status};
  };

  prepared.rule = config.rule_for(event.status);
  if (!prepared.rule) return fail("no rule for status '" + event.status + "'");
  const Rule& rule = *prepared.rule;

  std::vector<Channel> channels;
  if (channel) {
    const bool allowed =
        std::find(rule.channels.begin(), rule.channels.end(), *channel) != rule.channels.end();
    const bool reachable = *channel == Channel::email ? event.recipient.email.has_value()
                                                      : event.recipient.phone.has_value();
    if (!allowed || !reachable)
      return fail("channel " + std::string(to_string(*channel)) +
                  (allowed ? " has no contact details in the event" : " is no longer in the rule"));
    channels.push_back(*channel);
  } else {
    auto selection = select_channels(event, rule, config.sms);
    channels = std::move(selection.channels);
    prepared.left_out = std::move(selection.left_out);
    if (channels.empty()) {
      std::vector<Channel> held;
      if (event.recipient.email) held.push_back(Channel::email);
      if (event.recipient.phone) held.push_back(Channel::sms);
      std::string why = "no channel to send on: the rule allows " + channel_list(rule.channels) +
                        ", the recipient chose " +
                        channel_list(event.recipient.channels.empty() ? rule.channels
                                                                      : event.recipient.channels) +
                        " and has details for " + channel_list(held);
      for (const auto& [c, reason] : prepared.left_out) why += "; " + reason;
      return fail(std::move(why));
    }
  }

  const Template* tmpl = templates.find(rule.template_name);
  if (!tmpl) return fail("template '" + rule.template_name + "' is not loaded");
  for (auto c : channels) {
    auto rendered = render_message(*tmpl, event, c);
    if (auto* error = std::get_if<RenderError>(&rendered)) return fail(error->reason);
    // Never a silently truncated message: an SMS over the limit is not sent at all.
    if (const auto& m = std::get<Message>(rendered);
        c == Channel::sms && m.fragments > config.sms.max_fragments)
      return fail("template " + rule.template_name + " (sms, " + m.language + ") renders to " +
                  std::to_string(m.fragments) +
                  " text message fragments, over sms.max_fragments (" +
                  std::to_string(config.sms.max_fragments) + ")");
    prepared.messages.push_back(std::move(std::get<Message>(rendered)));
  }
  return prepared;
}

}  // namespace herald
