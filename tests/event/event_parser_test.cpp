#include "herald/event/event_parser.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include <date/tz.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "herald/core/time_format.hpp"
#include "herald/core/time_zones.hpp"

namespace herald {
namespace {

namespace json = boost::json;

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(HERALD_EVENT_TEST_DATA) + "/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& valid_event() {
  static const std::string text = read_file("valid_event.json");
  return text;
}

// The valid event, changed by `edit`.
std::string edited(const std::function<void(json::object&)>& edit) {
  json::value v = json::parse(valid_event());
  edit(v.as_object());
  return json::serialize(v);
}

json::object& recipient(json::object& event) {
  return event["recipient"].as_object();
}

class EventParserTest : public testing::Test {
 protected:
  std::variant<Event, EventError> parse(std::string_view text) {
    return parse_event(text, options_, zones_);
  }
  Event parse_ok(std::string_view text) {
    auto result = parse(text);
    if (auto* error = std::get_if<EventError>(&result)) {
      ADD_FAILURE() << "unexpected error: " << error->reason;
      return {};
    }
    return std::get<Event>(std::move(result));
  }
  std::string reason_of(std::string_view text) {
    auto result = parse(text);
    if (auto* error = std::get_if<EventError>(&result)) return error->reason;
    ADD_FAILURE() << "the event was accepted";
    return "";
  }

  EventParserOptions options_;
  TimeZones zones_;
};

TEST_F(EventParserTest, ReadsEveryFieldOfTheContractExample) {
  Event e = parse_ok(valid_event());
  EXPECT_EQ(e.id, "evt-2026-000123");
  EXPECT_EQ(e.case_ref, "GWF012345678");
  EXPECT_EQ(e.status, "decision_dispatched");
  EXPECT_EQ(e.occurred_at, *parse_rfc3339("2026-11-22T10:15:00Z"));
  EXPECT_EQ(e.occurred_at_text, "2026-11-22T10:15:00Z");
  EXPECT_EQ(e.recipient.name, "Katie McNally");
  EXPECT_EQ(e.recipient.title, "Ms");
  EXPECT_EQ(e.recipient.email, "katie@example.org");
  EXPECT_EQ(e.recipient.phone, "+447700900123");
  ASSERT_NE(e.recipient.timezone, nullptr);
  EXPECT_EQ(e.recipient.timezone->name(), "Europe/London");
  EXPECT_EQ(e.recipient.timezone_name, "Europe/London");
  EXPECT_EQ(e.recipient.language, "en");
  EXPECT_EQ(e.recipient.channels, (std::vector<Channel>{Channel::email, Channel::sms}));
  EXPECT_FALSE(e.recipient.contact_anytime);
  EXPECT_TRUE(e.recipient.unavailable.empty());
  EXPECT_EQ(e.data, (json::object{{"vac_name", "London"}}));
}

TEST_F(EventParserTest, FillsDefaultsForAMinimalEvent) {
  options_.default_timezone = "America/New_York";
  Event e = parse_ok(R"({"id":"e1","case_ref":"C/1","status":"submitted",
    "occurred_at":"2026-03-01T08:00:00+01:00","recipient":{"phone":"07700 900123"}})");
  EXPECT_EQ(e.recipient.phone, "+447700900123");
  EXPECT_FALSE(e.recipient.email);
  EXPECT_EQ(e.recipient.name, "");
  EXPECT_EQ(e.recipient.title, "");
  ASSERT_NE(e.recipient.timezone, nullptr);
  EXPECT_EQ(e.recipient.timezone_name, "America/New_York");
  EXPECT_EQ(e.recipient.language, "en");
  EXPECT_TRUE(e.recipient.channels.empty());
  EXPECT_FALSE(e.recipient.contact_anytime);
  EXPECT_TRUE(e.data.empty());
  EXPECT_EQ(e.occurred_at, *parse_rfc3339("2026-03-01T07:00:00Z"));
}

TEST_F(EventParserTest, TreatsNullOptionalFieldsAsAbsent) {
  Event e = parse_ok(edited([](json::object& o) {
    for (auto key : {"name", "title", "phone", "timezone", "language", "channels",
                     "contact_anytime", "unavailable"})
      recipient(o)[key] = nullptr;
    o["data"] = nullptr;
  }));
  EXPECT_EQ(e.recipient.email, "katie@example.org");
  EXPECT_FALSE(e.recipient.phone);
  EXPECT_EQ(e.recipient.timezone_name, "Europe/London");
}

// A Welsh speaker whose case system writes "cy-GB" gets Welsh, not a dead letter.
TEST_F(EventParserTest, ReadsTheLanguageFromATagOfEnglishOrWelsh) {
  for (auto [tag, language] : {std::pair{"cy", "cy"},
                               {"CY", "cy"},
                               {"cy-GB", "cy"},
                               {"Cy-gb", "cy"},
                               {"en-GB", "en"},
                               {"EN", "en"}}) {
    Event e = parse_ok(edited([tag = tag](json::object& o) { recipient(o)["language"] = tag; }));
    EXPECT_EQ(e.recipient.language, language) << tag;
  }
  for (const char* tag : {"fr", "fr-CY", "cym", "c", "", "cy GB", "cy_GB", "en-<b>"})
    EXPECT_EQ(reason_of(edited([tag](json::object& o) { recipient(o)["language"] = tag; })),
              "recipient.language: must be \"en\" or \"cy\" (or a tag of either: cy-GB)")
        << tag;
}

TEST_F(EventParserTest, ReadsWelshConsentAndUnavailablePeriods) {
  Event e = parse_ok(edited([](json::object& o) {
    recipient(o)["language"] = "cy";
    recipient(o)["contact_anytime"] = true;
    recipient(o)["channels"] = json::array{"sms"};
    recipient(o)["unavailable"] =
        json::array{json::object{{"from", "2026-11-23T00:00:00Z"}, {"to", "2026-11-25T00:00:00Z"}}};
    recipient(o)["timezone"] = "Asia/Kathmandu";
  }));
  EXPECT_EQ(e.recipient.language, "cy");
  EXPECT_TRUE(e.recipient.contact_anytime);
  EXPECT_EQ(e.recipient.channels, std::vector<Channel>{Channel::sms});
  ASSERT_EQ(e.recipient.unavailable.size(), 1u);
  EXPECT_EQ(e.recipient.unavailable[0].from, *parse_rfc3339("2026-11-23T00:00:00Z"));
  EXPECT_EQ(e.recipient.unavailable[0].to, *parse_rfc3339("2026-11-25T00:00:00Z"));
  EXPECT_EQ(e.recipient.timezone->name(), "Asia/Kathmandu");
}

TEST_F(EventParserTest, AcceptsAnEventOfExactlyTheSizeLimit) {
  std::string text = valid_event();
  options_.max_event_bytes = text.size();
  parse_ok(text);
  options_.max_event_bytes = text.size() - 1;
  EXPECT_EQ(reason_of(text), "event is " + std::to_string(text.size()) + " bytes; the limit is " +
                                 std::to_string(text.size() - 1));
}

TEST_F(EventParserTest, RefusesAnEventOverTheLimitBeforeReadingIt) {
  std::string text = valid_event();
  text.insert(text.size() - 2, std::string(70000 - text.size(), ' '));
  ASSERT_EQ(text.size(), 70000u);
  EXPECT_EQ(reason_of(text), "event is 70000 bytes; the limit is 65536");
}

// The event with `levels` nested objects as its data (the event itself is one level more).
std::string nested_data(int levels) {
  std::string inner = "1";
  for (int i = 0; i < levels; ++i) inner = "{\"a\":" + inner + "}";
  std::string text = valid_event();
  auto pos = text.find("{ \"vac_name\"");
  return text.substr(0, pos) + inner + "\n}\n";
}

TEST_F(EventParserTest, AcceptsNestingOfThirtyTwoLevelsAndNoMore) {
  Event e = parse_ok(nested_data(31));
  EXPECT_TRUE(e.data.contains("a"));
  EXPECT_NE(reason_of(nested_data(32)).find("nested deeper than 32"), std::string::npos);
  EXPECT_NE(reason_of(std::string(60000, '[')).find("nested deeper than 32"), std::string::npos);
}

TEST_F(EventParserTest, KeepsArbitraryTemplateDataAsGiven) {
  Event e = parse_ok(edited([](json::object& o) {
    o["data"] = json::object{{"n", 3},
                             {"list", json::array{1, "two", nullptr}},
                             {"ok", true},
                             {"nested", json::object{{"x", 1.5}}}};
  }));
  EXPECT_EQ(e.data.at("n"), 3);
  EXPECT_EQ(e.data.at("list").as_array().size(), 3u);
  EXPECT_EQ(e.data.at("nested").at("x"), 1.5);
}

struct BadEvent {
  std::string name;
  std::string json;
  std::string reason_part;  // what the reason must say: the field and the problem
};

void PrintTo(const BadEvent& e, std::ostream* os) {
  *os << e.name;
}

using Edit = std::function<void(json::object&)>;

BadEvent bad(std::string name, const Edit& edit, std::string reason_part) {
  return {std::move(name), edited(edit), std::move(reason_part)};
}

std::string replaced(std::string_view from, std::string_view to) {
  std::string text = valid_event();
  auto pos = text.find(from);
  if (pos == std::string::npos) throw std::logic_error("no " + std::string(from) + " in event");
  return text.replace(pos, from.size(), to);
}

std::vector<BadEvent> bad_events() {
  auto set_top = [](const char* key, json::value v) {
    return [key, v](json::object& o) { o[key] = v; };
  };
  auto drop_top = [](const char* key) { return [key](json::object& o) { o.erase(key); }; };
  auto set_r = [](const char* key, json::value v) {
    return [key, v](json::object& o) { recipient(o)[key] = v; };
  };
  auto period = [](const char* from, const char* to) {
    return json::object{{"from", from}, {"to", to}};
  };
  json::array many_periods;
  for (int i = 0; i < 51; ++i)
    many_periods.push_back(period("2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z"));
  std::string big = valid_event();
  big.insert(big.size() - 2, std::string(70000, ' '));

  return {
      // not JSON at all, or not an object
      {"NotJson", "hello", "not valid JSON"},
      {"Empty", "", "not valid JSON"},
      {"Truncated", valid_event().substr(0, valid_event().size() / 2), "not valid JSON"},
      {"TrailingGarbage", valid_event() + "{}", "not valid JSON"},
      {"Comment", "// note\n" + valid_event(), "not valid JSON"},
      {"TrailingComma", replaced("\"London\" }", "\"London\", }"), "not valid JSON"},
      {"RawNewlineInString", replaced("Katie McNally", "Katie\nMcNally"), "not valid JSON"},
      {"LoneSurrogate", replaced("Katie McNally", "Katie \\ud800"), "not valid JSON"},
      {"Array", "[" + valid_event() + "]", "must be a JSON object, got an array"},
      {"String", "\"event\"", "must be a JSON object, got a string"},
      {"TooLarge", big, "bytes; the limit is 65536"},
      {"TooDeep", nested_data(40), "nested deeper than 32"},
      {"InvalidUtf8", replaced("Katie McNally", "Katie \xff McNally"), "not valid UTF-8"},
      {"OverlongUtf8", replaced("Katie McNally", "Katie \xc0\xaf"), "not valid UTF-8"},
      {"TruncatedUtf8", replaced("Katie McNally", "Katie \xe2\x82"), "not valid UTF-8"},
      {"EncodedSurrogateUtf8", replaced("Katie McNally", "Katie \xed\xa0\x80"), "not valid UTF-8"},
      {"NulInName", replaced("Katie McNally", "Katie\\u0000McNally"),
       "recipient.name: a string contains a NUL"},
      {"NulInDataKey", replaced("\"vac_name\"", "\"vac\\u0000name\""),
       "data: a key contains a NUL"},
      // repeated keys
      {"DuplicateTopLevelKey", replaced("\"status\"", "\"status\": \"withdrawn\", \"status\""),
       "repeated key 'status'"},
      {"DuplicateRecipientKey", replaced("\"phone\"", "\"email\": \"x@example.org\", \"phone\""),
       "recipient: repeated key 'email'"},
      {"DuplicateNestedDataKey",
       replaced("{ \"vac_name\": \"London\" }", R"({"a":[{"x":1,"x":2}]})"),
       "data.a[0]: repeated key 'x'"},
      // unknown keys
      {"UnknownTopLevelKey", bad("", set_top("priority", "high"), "").json,
       "unknown key 'priority'"},
      {"UnknownRecipientKey", bad("", set_r("mobile", "07700 900123"), "").json,
       "recipient: unknown key 'mobile'"},
      // id
      bad("MissingId", drop_top("id"), "id: required"),
      bad("IdNotString", set_top("id", 123), "id: expected a string, got a number"),
      bad("IdNull", set_top("id", nullptr), "id: expected a string, got null"),
      bad("IdEmpty", set_top("id", ""), "id: must be 1-128"),
      bad("IdWithSpace", set_top("id", "evt 1"), "id: must be 1-128"),
      bad("IdTooLong", set_top("id", json::string(129, 'x')), "id: must be 1-128"),
      // case_ref
      bad("MissingCaseRef", drop_top("case_ref"), "case_ref: required"),
      bad("CaseRefNotString", set_top("case_ref", true),
          "case_ref: expected a string, got a boolean"),
      bad("CaseRefBadCharacters", set_top("case_ref", "GWF<script>"), "case_ref: must be 1-64"),
      // status
      bad("MissingStatus", drop_top("status"), "status: required"),
      bad("StatusNotString", set_top("status", json::array{"a"}),
          "status: expected a string, got an array"),
      bad("StatusUppercase", set_top("status", "Decision_Dispatched"), "status: must be 1-64"),
      // occurred_at
      bad("MissingOccurredAt", drop_top("occurred_at"), "occurred_at: required"),
      bad("OccurredAtNotString", set_top("occurred_at", 1700000000),
          "occurred_at: expected a string, got a number"),
      bad("OccurredAtNotRfc3339", set_top("occurred_at", "yesterday"),
          "occurred_at: not an RFC 3339"),
      bad("OccurredAtWithoutZone", set_top("occurred_at", "2026-11-22T10:15:00"),
          "occurred_at: not an RFC 3339"),
      // recipient
      bad("MissingRecipient", drop_top("recipient"), "recipient: required"),
      bad("RecipientNotObject", set_top("recipient", "katie@example.org"),
          "recipient: expected an object, got a string"),
      bad(
          "NeitherEmailNorPhone",
          [](json::object& o) {
            recipient(o).erase("email");
            recipient(o).erase("phone");
          },
          "recipient: needs an email or a phone"),
      bad("NameNotString", set_r("name", 42), "recipient.name: expected a string, got a number"),
      bad("NameTooLong", set_r("name", json::string(201, 'a')), "recipient.name: longer than 200"),
      bad("NameWithControlCharacter", set_r("name", "Katie\x1b[31m"),
          "recipient.name: contains control characters"),
      bad("NameWithBidiOverride", set_r("name", "Jo\u202EBloggs"),
          "recipient.name: contains control characters"),
      bad("NameWithBidiIsolate", set_r("name", "Jo \u2067Bloggs\u2069"),
          "recipient.name: contains control characters"),
      bad("TitleNotString", set_r("title", json::object{}), "recipient.title: expected a string"),
      bad("EmailNotString", set_r("email", json::array{"katie@example.org"}),
          "recipient.email: expected a string, got an array"),
      bad("EmailInvalid", set_r("email", "katie.example.org"),
          "recipient.email: not a valid email"),
      bad("EmailHeaderInjection", set_r("email", "a@b.com\r\nBcc: x@y.com"),
          "recipient.email: not a valid email"),
      bad("EmailWithDisplayName", set_r("email", "Katie <katie@example.org>"),
          "recipient.email: not a valid email"),
      bad("PhoneNotString", set_r("phone", 447700900123), "recipient.phone: expected a string"),
      bad("PhoneInvalid", set_r("phone", "07700 9001"),
          "recipient.phone: not a valid phone number"),
      bad("PhoneLetters", set_r("phone", "call me"), "recipient.phone: not a valid phone number"),
      bad("UnknownTimezone", set_r("timezone", "Mars/Olympus_Mons"),
          "recipient.timezone: unknown time zone 'Mars/Olympus_Mons'"),
      bad("PathTraversalTimezone", set_r("timezone", "../../etc/passwd"),
          "recipient.timezone: unknown time zone"),
      bad("EmptyTimezone", set_r("timezone", ""), "recipient.timezone: unknown time zone"),
      bad("TimezoneNotString", set_r("timezone", 0), "recipient.timezone: expected a string"),
      bad("UnknownLanguage", set_r("language", "fr"),
          "recipient.language: must be \"en\" or \"cy\""),
      bad("LanguageNotString", set_r("language", true), "recipient.language: expected a string"),
      bad("ChannelsNotArray", set_r("channels", "email"), "recipient.channels: expected an array"),
      bad("ChannelsEmpty", set_r("channels", json::array{}),
          "recipient.channels: must name at least"),
      bad("UnknownChannel", set_r("channels", json::array{"email", "fax"}),
          "recipient.channels[1]: unknown channel 'fax'"),
      bad("RepeatedChannel", set_r("channels", json::array{"sms", "sms"}),
          "recipient.channels[1]: repeated channel"),
      bad("ChannelNotString", set_r("channels", json::array{1}),
          "recipient.channels[0]: expected a string"),
      bad("ContactAnytimeNotBool", set_r("contact_anytime", "yes"),
          "recipient.contact_anytime: expected a boolean, got a string"),
      bad("UnavailableNotArray",
          set_r("unavailable", period("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")),
          "recipient.unavailable: expected an array"),
      bad("UnavailableEntryNotObject", set_r("unavailable", json::array{"tomorrow"}),
          "recipient.unavailable[0]: expected an object"),
      bad("UnavailableFromAfterTo",
          set_r("unavailable", json::array{period("2026-11-25T00:00:00Z", "2026-11-23T00:00:00Z")}),
          "recipient.unavailable[0]: from must be before to"),
      bad("UnavailableEmptyPeriod",
          set_r("unavailable", json::array{period("2026-11-25T00:00:00Z", "2026-11-25T00:00:00Z")}),
          "recipient.unavailable[0]: from must be before to"),
      bad("UnavailableBadFrom",
          set_r("unavailable", json::array{period("2026-13-01T00:00:00Z", "2026-11-23T00:00:00Z")}),
          "recipient.unavailable[0].from: not an RFC 3339"),
      bad("UnavailableMissingTo",
          set_r("unavailable", json::array{json::object{{"from", "2026-11-25T00:00:00Z"}}}),
          "recipient.unavailable[0].to: required"),
      bad("UnavailableUnknownKey",
          set_r("unavailable", json::array{json::object{{"from", "2026-11-25T00:00:00Z"},
                                                        {"to", "2026-11-26T00:00:00Z"},
                                                        {"reason", "holiday"}}}),
          "recipient.unavailable[0]: unknown key 'reason'"),
      bad("TooManyUnavailablePeriods", set_r("unavailable", many_periods),
          "recipient.unavailable: more than 50"),
      bad("DataNotObject", set_top("data", json::array{1, 2}),
          "data: expected an object, got an array"),
  };
}

class MalformedEvent : public EventParserTest, public testing::WithParamInterface<BadEvent> {};

TEST_P(MalformedEvent, IsRefusedWithAReasonNamingTheFieldButNoPersonalData) {
  const BadEvent& c = GetParam();
  std::string reason = reason_of(c.json);
  EXPECT_NE(reason.find(c.reason_part), std::string::npos) << "reason: " << reason;
  for (auto personal : {"Katie", "McNally", "katie@", "7700", "GWF012345678"})
    EXPECT_EQ(reason.find(personal), std::string::npos) << "reason: " << reason;
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedEvent, testing::ValuesIn(bad_events()),
                         [](const testing::TestParamInfo<BadEvent>& info) {
                           return info.param.name;
                         });

TEST(EventParserTable, HasAtLeastFortyCases) {
  EXPECT_GE(bad_events().size(), 40u);
}

TEST_F(EventParserTest, ReasonsNeverRepeatTheNameAddressNumberOrCaseReference) {
  const std::string name = "Zebedee Quuxworth";
  const std::string email = "zebedee.quuxworth@example.org";
  const std::string phone = "+447700900777";
  const std::string case_ref = "GWF999888777";
  auto person = [&](const Edit& edit) {
    return edited([&](json::object& o) {
      o["case_ref"] = case_ref;
      recipient(o)["name"] = name;
      recipient(o)["email"] = email;
      recipient(o)["phone"] = phone;
      edit(o);
    });
  };
  parse_ok(person([](json::object&) {}));  // the person is valid as such

  const std::vector<std::string> events = {
      person([&](json::object& o) { recipient(o)["email"] = email + "\r\nBcc: " + email; }),
      person([&](json::object& o) { recipient(o)["email"] = name; }),
      person([&](json::object& o) { recipient(o)["phone"] = phone + "99"; }),
      person([&](json::object& o) { recipient(o)["phone"] = email; }),
      person([&](json::object& o) { recipient(o)["name"] = name + "\n" + std::string(300, 'x'); }),
      person([&](json::object& o) { recipient(o)["name"] = name + "\x07"; }),
      person([&](json::object& o) { o["case_ref"] = case_ref + " <" + email + ">"; }),
      person([&](json::object& o) { recipient(o)["timezone"] = "Mars/Base"; }),
      person([&](json::object& o) { recipient(o)["language"] = name; }),
      person([&](json::object& o) { recipient(o)["channels"] = json::array{phone}; }),
      person([&](json::object& o) { o["occurred_at"] = name; }),
      person([&](json::object& o) { o["id"] = name; }),
      person([&](json::object& o) { o["status"] = email; }),
      person([&](json::object& o) { recipient(o)["title"] = json::array{name}; }),
      person([&](json::object& o) { recipient(o)["unavailable"] = json::array{name}; }),
      replaced("\"name\": \"Katie McNally\"",
               "\"name\": \"" + name + "\", \"name\": \"" + name + "\""),
      replaced("\"email\": \"katie@example.org\"", "\"email\": \"" + email + "\\u0000\""),
      replaced("Katie McNally", name + "\xff"),
      replaced("katie@example.org\"", email + "\" \"" + phone + "\""),
  };
  for (const auto& text : events) {
    std::string reason = reason_of(text);
    EXPECT_FALSE(reason.empty());
    for (const std::string& personal :
         {std::string("Zebedee"), std::string("Quuxworth"), std::string("zebedee"),
          std::string("7700900777"), case_ref})
      EXPECT_EQ(reason.find(personal), std::string::npos) << "reason: " << reason;
  }
}

// The identifier rules are exported for what shows an invalid event's identifiers (its outcome,
// `herald dead list`): they must be the very rules parse_event applies.
TEST_F(EventParserTest, IdentifierRulesAreTheOnesTheParserApplies) {
  struct Case {
    const char* key;
    std::string value;
    bool (*valid)(std::string_view);
    bool expected;
  };
  const std::vector<Case> cases = {
      {"id", "evt-2026-000123", is_valid_event_id, true},
      {"id", "a:b/c@d", is_valid_event_id, true},
      {"id", std::string(128, 'x'), is_valid_event_id, true},
      {"id", std::string(129, 'x'), is_valid_event_id, false},
      {"id", "", is_valid_event_id, false},
      {"id", "Katie McNally +447700900123", is_valid_event_id, false},
      {"id", "evt\x7f", is_valid_event_id, false},
      {"id", "\xc3\xa9vt", is_valid_event_id, false},
      {"case_ref", "GWF012345678", is_valid_case_ref, true},
      {"case_ref", "C/1_a-B", is_valid_case_ref, true},
      {"case_ref", std::string(64, 'C'), is_valid_case_ref, true},
      {"case_ref", std::string(65, 'C'), is_valid_case_ref, false},
      {"case_ref", "", is_valid_case_ref, false},
      {"case_ref", "+447700900123", is_valid_case_ref, false},
      {"case_ref", "katie.pii@example.org", is_valid_case_ref, false},
      {"status", "decision_dispatched", is_valid_status, true},
      {"status", std::string(64, 's'), is_valid_status, true},
      {"status", std::string(65, 's'), is_valid_status, false},
      {"status", "", is_valid_status, false},
      {"status", "Decision_Dispatched", is_valid_status, false},
      {"status", "katie.pii@example.org", is_valid_status, false},
      {"status", "+447700900123", is_valid_status, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.valid(c.value), c.expected) << c.key << " '" << c.value << "'";
    auto result = parse(edited([&](json::object& o) { o[c.key] = c.value; }));
    const bool parsed = std::holds_alternative<Event>(result);
    EXPECT_EQ(parsed, c.expected) << c.key << " '" << c.value << "'";
  }
}

TEST_F(EventParserTest, RefusesARecipientWhenTheDefaultTimeZoneIsUnknown) {
  options_.default_timezone = "Nowhere/Special";
  std::string reason = reason_of(edited([](json::object& o) { recipient(o).erase("timezone"); }));
  EXPECT_NE(reason.find("recipient.timezone"), std::string::npos) << reason;
}

}  // namespace
}  // namespace herald
