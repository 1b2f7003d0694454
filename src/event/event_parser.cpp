#include "herald/event/event_parser.hpp"

#include <algorithm>
#include <set>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include "herald/core/time_format.hpp"
#include "herald/core/time_zones.hpp"
#include "herald/event/contact_details.hpp"

namespace herald {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxDepth = 32;
constexpr std::size_t kMaxUnavailable = 50;
constexpr std::size_t kMaxQuoted = 64;

// A value from the event, fit to appear in a reason: " 'Europe/Londn'". Only plain names are
// shown (letters, digits, / _ . -, few digits): a misplaced address, number or full name (with
// '@', '+', many digits or spaces) is never echoed into the dead-letter stream.
std::string quoted(std::string_view value) {
  std::size_t digits = 0;
  for (char c : value) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '/' || c == '_' || c == '.' || c == '-';
    if (!plain) return "";
    if (c >= '0' && c <= '9') ++digits;
  }
  if (value.empty() || value.size() > kMaxQuoted || digits >= 6) return "";
  return " '" + std::string(value) + "'";
}

// Offset of the first byte that is not part of well-formed UTF-8 (no overlong forms, no
// surrogates, nothing above U+10FFFF), or npos.
std::size_t invalid_utf8_at(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return i;
    }
    if (i + len > text.size()) return i;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return i;
    i += len;
  }
  return std::string_view::npos;
}

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

// Builds the json::value like json::parser does, and additionally refuses what json::parser lets
// through: a key repeated within one object (json::parser keeps one of them silently, so two
// readers of the same event could disagree on its recipient), NUL inside strings, and nesting
// beyond kMaxDepth. Stops at the first such problem with `failure` set.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;
  std::string failure;  ///< why the handler stopped the parse; empty when it did not

  bool on_document_begin(json::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code& ec) { return open(true, ec); }
  bool on_object_end(std::size_t n, json::error_code&) {
    frames_.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code& ec) { return open(false, ec); }
  bool on_array_end(std::size_t n, json::error_code&) {
    frames_.pop_back();
    stack.push_array(n);
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, nullptr, ec)) return false;
    key_.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, nullptr, ec)) return false;
    key_.append(s.data(), s.size());
    Frame& frame = frames_.back();
    if (!frame.keys.insert(key_).second) {
      return fail(prefix(frame.path) + "repeated key" + quoted(key_), ec);
    }
    // Keys come from outside: only plain ones are spelled out in a path.
    std::string shown = quoted(key_);
    frame.key = shown.empty() ? "<key>" : shown.substr(2, shown.size() - 3);
    key_.clear();
    stack.push_key(s);
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, "a string", ec)) return false;
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, "a string", ec)) return false;
    scalar();
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    scalar();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    scalar();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    scalar();
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    scalar();
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    scalar();
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Frame {
    bool object;
    std::string path;            // "recipient", "recipient.unavailable[0]"; "" at the top
    std::set<std::string> keys;  // objects: keys seen so far
    std::string key;             // objects: the key of the value being read, as shown in paths
    std::size_t count = 0;       // arrays: elements seen so far
  };

  static std::string prefix(const std::string& path) { return path.empty() ? "" : path + ": "; }

  // Where the next value goes, as a path.
  std::string child_path() const {
    if (frames_.empty()) return "";
    const Frame& parent = frames_.back();
    if (parent.object) return parent.path.empty() ? parent.key : parent.path + "." + parent.key;
    return parent.path + "[" + std::to_string(parent.count) + "]";
  }

  void scalar() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().count;
  }

  bool open(bool object, json::error_code& ec) {
    if (frames_.size() >= kMaxDepth)
      return fail("event is nested deeper than " + std::to_string(kMaxDepth) + " levels", ec);
    std::string path = child_path();
    scalar();
    frames_.push_back(Frame{object, std::move(path)});
    return true;
  }

  // `what` is "a string" for values; nullptr for keys, whose place is the enclosing object.
  bool no_nul(json::string_view s, const char* what, json::error_code& ec) {
    if (std::find(s.begin(), s.end(), '\0') == s.end()) return true;
    std::string where = what ? child_path() : frames_.back().path;
    return fail((where.empty() ? std::string() : where + ": ") + (what ? what : "a key") +
                    " contains a NUL character",
                ec);
  }

  bool fail(std::string reason, json::error_code& ec) {
    failure = std::move(reason);
    ec = json::error::syntax;
    return false;
  }

  std::vector<Frame> frames_;
  std::string key_;
};

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
  if (auto bad = invalid_utf8_at(json); bad != std::string_view::npos)
    return EventError{"event is not valid UTF-8 (at byte " + std::to_string(bad) + ")"};
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return EventError{"event is not valid JSON: it is empty"};

  json::parse_options parse_options;
  parse_options.max_depth = kMaxDepth;
  json::basic_parser<StrictHandler> parser(parse_options);
  json::error_code ec;
  std::size_t used = parser.write_some(false, json.data(), json.size(), ec);
  StrictHandler& handler = parser.handler();
  if (!handler.failure.empty()) return EventError{handler.failure};
  if (ec == json::error::too_deep)
    return EventError{"event is nested deeper than " + std::to_string(kMaxDepth) + " levels"};
  if (ec)
    return EventError{"event is not valid JSON: " + ec.message() + " (at byte " +
                      std::to_string(used) + ")"};
  if (used < json.size())
    return EventError{"event is not valid JSON: unexpected data after the value (at byte " +
                      std::to_string(used) + ")"};

  json::value value = handler.stack.release();
  if (!value.is_object()) return EventError{"event must be a JSON object, got " + kind_of(value)};
  return EventReader(options, zones).read(value.get_object());
}

}  // namespace herald
