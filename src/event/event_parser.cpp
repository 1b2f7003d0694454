#include "herald/event/event_parser.hpp"

#include <algorithm>

#include <boost/json/value.hpp>

#include "herald/core/time_format.hpp"
#include "herald/core/time_zones.hpp"
#include "herald/event/contact_details.hpp"
#include "strict_json.hpp"

namespace herald {
namespace {

namespace json = boost::json;

using event_detail::quoted;

constexpr std::size_t kMaxDepth = 32;
constexpr std::size_t kMaxUnavailable = 50;

std::size_t code_points(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

// C0, DEL and C1 controls (U+0080-U+009F, encoded as C2 80-C2 9F), and the bidirectional
// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: E2 80 AA-AE, E2 81 A6-A9),
// which would turn the rest of a greeting around on the reader's screen.
bool has_control_char(std::string_view utf8) {
  auto at = [&](std::size_t i) {
    return i < utf8.size() ? static_cast<unsigned char>(utf8[i]) : 0;
  };
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const unsigned char c = at(i);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && at(i + 1) >= 0x80 && at(i + 1) < 0xa0) return true;
    if (c == 0xe2 && at(i + 1) == 0x80 && at(i + 2) >= 0xaa && at(i + 2) <= 0xae) return true;
    if (c == 0xe2 && at(i + 1) == 0x81 && at(i + 2) >= 0xa6 && at(i + 2) <= 0xa9) return true;
  }
  return false;
}

std::string kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return "a string";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
    case json::kind::null:
      break;
  }
  return "null";
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

bool is_id_char(char c) {
  return c > 0x20 && c < 0x7f;
}
bool is_case_ref_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '_' || c == '-';
}
bool is_status_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// Reads the fields of a parsed event, stopping at the first problem.
class EventReader {
 public:
  EventReader(const EventParserOptions& options, TimeZones& zones)
      : options_(options), zones_(zones) {}

  std::variant<Event, EventError> read(const json::object& top);

 private:
  // The field `key` of `object` at `path` as a string; nullptr with the reason set when it is
  // absent (and required) or not a string. An optional field that is absent or null gives
  // nullptr and no reason.
  const json::string* string_field(const json::object& object, std::string_view path,
                                   std::string_view key, bool required) {
    const json::value* v = object.if_contains(key);
    if (!v || (v->is_null() && !required)) {
      if (required) fail(path, "required");
      return nullptr;
    }
    if (!v->is_string()) {
      fail(path, "expected a string, got " + kind_of(*v));
      return nullptr;
    }
    return &v->get_string();
  }

  bool fail(std::string_view path, std::string problem) {
    reason_ = std::string(path) + ": " + problem;
    return false;
  }

  bool only_known_keys(const json::object& object, std::string_view path,
                       std::initializer_list<std::string_view> known) {
    for (const auto& entry : object) {
      if (std::find(known.begin(), known.end(), entry.key()) == known.end()) {
        reason_ = (path.empty() ? std::string() : std::string(path) + ": ") + "unknown key" +
                  quoted(entry.key());
        return false;
      }
    }
    return true;
  }

  bool read_recipient(const json::object& object, Recipient& recipient);
  bool read_channels(const json::value& value, std::vector<Channel>& channels);
  bool read_unavailable(const json::value& value, std::vector<UnavailablePeriod>& periods);
  std::optional<Instant> read_instant(const json::object& object, const std::string& path,
                                      std::string_view key);

  const EventParserOptions& options_;
  TimeZones& zones_;
  std::string reason_;
};

std::variant<Event, EventError> EventReader::read(const json::object& top) {
  auto invalid = [this] { return EventError{reason_}; };
  if (!only_known_keys(top, "", {"id", "case_ref", "status", "occurred_at", "recipient", "data"}))
    return invalid();
  Event event;

  const json::string* id = string_field(top, "id", "id", true);
  if (!id) return invalid();
  if (!is_valid_event_id(*id)) {
    fail("id", "must be 1-128 printable ASCII characters without spaces");
    return invalid();
  }
  event.id = *id;

  // A case reference identifies a person's case: never quoted back.
  const json::string* case_ref = string_field(top, "case_ref", "case_ref", true);
  if (!case_ref) return invalid();
  if (!is_valid_case_ref(*case_ref)) {
    fail("case_ref", "must be 1-64 characters of A-Z, a-z, 0-9, /, _ and -");
    return invalid();
  }
  event.case_ref = *case_ref;

  const json::string* status = string_field(top, "status", "status", true);
  if (!status) return invalid();
  if (!is_valid_status(*status)) {
    fail("status", "must be 1-64 characters of a-z, 0-9 and _");
    return invalid();
  }
  event.status = *status;

  const json::string* occurred_at = string_field(top, "occurred_at", "occurred_at", true);
  if (!occurred_at) return invalid();
  auto instant = parse_rfc3339(*occurred_at);
  if (!instant) {
    fail("occurred_at", "not an RFC 3339 date-time");
    return invalid();
  }
  event.occurred_at = *instant;
  event.occurred_at_text = *occurred_at;

  const json::value* recipient = top.if_contains("recipient");
  if (!recipient) {
    fail("recipient", "required");
    return invalid();
  }
  if (!recipient->is_object()) {
    fail("recipient", "expected an object, got " + kind_of(*recipient));
    return invalid();
  }
  if (!read_recipient(recipient->get_object(), event.recipient)) return invalid();

  if (const json::value* data = top.if_contains("data"); data && !data->is_null()) {
    if (!data->is_object()) {
      fail("data", "expected an object, got " + kind_of(*data));
      return invalid();
    }
    event.data = data->get_object();
  }
  return event;
}

bool EventReader::read_recipient(const json::object& object, Recipient& recipient) {
  if (!only_known_keys(object, "recipient",
                       {"name", "title", "email", "phone", "timezone", "language", "channels",
                        "contact_anytime", "unavailable"}))
    return false;

  // Reasons about name, email and phone say what is wrong, never what was given.
  if (const json::string* name = string_field(object, "recipient.name", "name", false)) {
    if (code_points(*name) > 200) return fail("recipient.name", "longer than 200 characters");
    if (has_control_char(*name)) return fail("recipient.name", "contains control characters");
    recipient.name = *name;
  } else if (!reason_.empty()) {
    return false;
  }

  if (const json::string* title = string_field(object, "recipient.title", "title", false)) {
    if (code_points(*title) > 64) return fail("recipient.title", "longer than 64 characters");
    if (has_control_char(*title)) return fail("recipient.title", "contains control characters");
    recipient.title = *title;
  } else if (!reason_.empty()) {
    return false;
  }

  if (const json::string* email = string_field(object, "recipient.email", "email", false)) {
    if (!is_valid_email(*email)) return fail("recipient.email", "not a valid email address");
    recipient.email = std::string(*email);
  } else if (!reason_.empty()) {
    return false;
  }

  if (const json::string* phone = string_field(object, "recipient.phone", "phone", false)) {
    auto e164 = normalize_phone(*phone, options_.default_region);
    if (!e164) return fail("recipient.phone", "not a valid phone number");
    recipient.phone = std::move(*e164);
  } else if (!reason_.empty()) {
    return false;
  }

  if (!recipient.email && !recipient.phone)
    return fail("recipient", "needs an email or a phone (neither was given)");

  if (const json::string* zone = string_field(object, "recipient.timezone", "timezone", false)) {
    recipient.timezone = zones_.find(*zone);
    if (!recipient.timezone) return fail("recipient.timezone", "unknown time zone" + quoted(*zone));
    recipient.timezone_name = *zone;
  } else if (!reason_.empty()) {
    return false;
  } else {
    recipient.timezone = zones_.find(options_.default_timezone);
    if (!recipient.timezone)
      return fail("recipient.timezone", "absent, and the default time zone" +
                                            quoted(options_.default_timezone) + " is unknown");
    recipient.timezone_name = options_.default_timezone;
  }

  if (const json::string* language =
          string_field(object, "recipient.language", "language", false)) {
    // A BCP 47 tag as case systems write it ("cy", "CY", "cy-GB", "en-GB"): its primary language
    // decides. Anything else is refused, never guessed: a Welsh speaker must not get English.
    const std::string_view tag = language->subview();
    const bool plain_tag = tag.size() <= 35 && std::all_of(tag.begin(), tag.end(), [](char c) {
                             return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                    (c >= '0' && c <= '9') || c == '-';
                           });
    std::string primary(plain_tag ? tag.substr(0, tag.find('-')) : std::string_view());
    std::transform(primary.begin(), primary.end(), primary.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 0x20) : c; });
    if (primary != "en" && primary != "cy")
      return fail("recipient.language", "must be \"en\" or \"cy\" (or a tag of either: cy-GB)");
    recipient.language = primary;
  } else if (!reason_.empty()) {
    return false;
  }

  if (const json::value* channels = object.if_contains("channels");
      channels && !channels->is_null()) {
    if (!read_channels(*channels, recipient.channels)) return false;
  }

  if (const json::value* anytime = object.if_contains("contact_anytime");
      anytime && !anytime->is_null()) {
    if (!anytime->is_bool())
      return fail("recipient.contact_anytime", "expected a boolean, got " + kind_of(*anytime));
    recipient.contact_anytime = anytime->get_bool();
  }

  if (const json::value* unavailable = object.if_contains("unavailable");
      unavailable && !unavailable->is_null()) {
    if (!read_unavailable(*unavailable, recipient.unavailable)) return false;
  }
  return true;
}

bool EventReader::read_channels(const json::value& value, std::vector<Channel>& channels) {
  constexpr std::string_view kPath = "recipient.channels";
  if (!value.is_array()) return fail(kPath, "expected an array, got " + kind_of(value));
  const json::array& array = value.get_array();
  if (array.empty()) return fail(kPath, "must name at least one channel");
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string path = std::string(kPath) + "[" + std::to_string(i) + "]";
    if (!array[i].is_string()) return fail(path, "expected a string, got " + kind_of(array[i]));
    const json::string& name = array[i].get_string();
    auto channel = channel_from_string(name);
    if (!channel) return fail(path, "unknown channel" + quoted(name) + " (expected email or sms)");
    if (std::find(channels.begin(), channels.end(), *channel) != channels.end())
      return fail(path, "repeated channel" + quoted(name));
    channels.push_back(*channel);
  }
  return true;
}

std::optional<Instant> EventReader::read_instant(const json::object& object,
                                                 const std::string& path, std::string_view key) {
  std::string key_path = path + "." + std::string(key);
  const json::string* text = string_field(object, key_path, key, true);
  if (!text) return std::nullopt;
  auto instant = parse_rfc3339(*text);
  if (!instant) fail(key_path, "not an RFC 3339 date-time");
  return instant;
}

bool EventReader::read_unavailable(const json::value& value,
                                   std::vector<UnavailablePeriod>& periods) {
  constexpr std::string_view kPath = "recipient.unavailable";
  if (!value.is_array()) return fail(kPath, "expected an array, got " + kind_of(value));
  const json::array& array = value.get_array();
  if (array.size() > kMaxUnavailable)
    return fail(kPath, "more than " + std::to_string(kMaxUnavailable) + " periods");
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string path = std::string(kPath) + "[" + std::to_string(i) + "]";
    if (!array[i].is_object())
      return fail(path, "expected an object {\"from\", \"to\"}, got " + kind_of(array[i]));
    const json::object& period = array[i].get_object();
    if (!only_known_keys(period, path, {"from", "to"})) return false;
    auto from = read_instant(period, path, "from");
    if (!from) return false;
    auto to = read_instant(period, path, "to");
    if (!to) return false;
    if (*from >= *to) return fail(path, "from must be before to");
    periods.push_back({*from, *to});
  }
  return true;
}

}  // namespace

bool is_valid_event_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && all_of(id, is_id_char);
}

bool is_valid_case_ref(std::string_view case_ref) {
  return !case_ref.empty() && case_ref.size() <= 64 && all_of(case_ref, is_case_ref_char);
}

bool is_valid_status(std::string_view status) {
  return !status.empty() && status.size() <= 64 && all_of(status, is_status_char);
}

std::variant<Event, EventError> parse_event(std::string_view json,
                                            const EventParserOptions& options, TimeZones& zones) {
  if (json.size() > options.max_event_bytes)
    return EventError{"event is " + std::to_string(json.size()) + " bytes; the limit is " +
                      std::to_string(options.max_event_bytes)};
  auto parsed = event_detail::parse_strict_json(json, kMaxDepth, "event");
  if (auto* reason = std::get_if<std::string>(&parsed)) return EventError{std::move(*reason)};
  json::value& value = std::get<json::value>(parsed);
  if (!value.is_object()) return EventError{"event must be a JSON object, got " + kind_of(value)};
  return EventReader(options, zones).read(value.get_object());
}

}  // namespace herald
