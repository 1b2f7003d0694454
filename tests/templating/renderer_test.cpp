#include "herald/templating/renderer.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "herald/core/time_zones.hpp"

namespace herald {
namespace {

namespace fs = std::filesystem;

TimeZones& zones() {
  static TimeZones instance;
  return instance;
}

Event make_event(std::string_view data_json = "{}") {
  Event event;
  event.id = "evt-2026-000123";
  event.case_ref = "GWF012345678";
  event.status = "decision_dispatched";
  event.occurred_at_text = "2026-11-22T10:15:00Z";
  event.recipient.name = "KATIE MCNALLY";
  event.recipient.title = "Ms";
  event.recipient.email = "katie@example.org";
  event.recipient.phone = "+447700900123";
  event.recipient.timezone_name = "Europe/London";
  event.recipient.timezone = zones().find("Europe/London");
  event.recipient.language = "en";
  event.data = boost::json::parse(data_json).as_object();
  return event;
}

std::shared_ptr<const TemplateSet> load_examples(const fs::path& dir) {
  std::vector<ConfigProblem> problems;
  std::vector<Rule> rules;
  for (const char* n : {"application_received", "documents_needed", "decision_dispatched"})
    rules.push_back({n, n, {Channel::email, Channel::sms}, false});
  auto loaded = TemplateSet::load(dir, rules, kLanguages, problems);
  if (!problems.empty()) throw std::runtime_error(dir.string() + " has problems");
  return loaded;
}

// The fixtures under data/templates, loaded as herald loads them.
const Template& fixture(const std::string& name) {
  static const auto set = load_examples(fs::path(HERALD_TEST_DATA_DIR) / "templates");
  const Template* tmpl = set->find(name);
  if (!tmpl) throw std::runtime_error("no fixture " + name);
  return *tmpl;
}

// The example templates herald ships in config/templates.
const Template& product(const std::string& name) {
  static const auto set = load_examples(HERALD_PRODUCT_TEMPLATES_DIR);
  const Template* tmpl = set->find(name);
  if (!tmpl) throw std::runtime_error("no product template " + name);
  return *tmpl;
}

// A template from YAML written in the test; only the channels and languages it has.
Template inline_template(const std::string& yaml) {
  std::vector<ConfigProblem> problems;
  auto tmpl = parse_template("inline", yaml, "inline.yaml", {}, kLanguages, problems);
  if (!tmpl) {
    std::string all;
    for (const auto& p : problems) all += p.key_path + ": " + p.message + "\n";
    throw std::runtime_error("inline template has problems:\n" + all);
  }
  return *tmpl;
}

Message rendered(const Template& tmpl, const Event& event, Channel channel) {
  auto result = render_message(tmpl, event, channel);
  if (auto* error = std::get_if<RenderError>(&result))
    throw std::runtime_error("render failed: " + error->reason);
  return std::get<Message>(result);
}

std::string failure(const Template& tmpl, const Event& event, Channel channel) {
  auto result = render_message(tmpl, event, channel);
  if (auto* error = std::get_if<RenderError>(&result)) return error->reason;
  ADD_FAILURE() << "rendered although it should not have";
  return "";
}

TEST(RenderMessage, WritesTheEnglishEmailWithTheSalutationAndCaseReference) {
  auto message = rendered(fixture("application_received"), make_event(), Channel::email);
  EXPECT_EQ(message.subject, "We have received your application GWF012345678");
  EXPECT_EQ(message.body,
            "Dear Ms McNally,\n\n"
            "Thank you for your application. Your reference number is GWF012345678.\n\n"
            "We will email you when there is news. You do not need to do anything now.\n");
  EXPECT_EQ(message.html, "");
}

TEST(RenderMessage, WritesInWelshToAWelshSpeaker) {
  auto event = make_event();
  event.recipient.language = "cy";
  event.recipient.name = "ŵyn ap dafydd";
  event.recipient.title = "mr";
  auto message = rendered(fixture("application_received"), event, Channel::email);
  EXPECT_EQ(message.language, "cy");
  EXPECT_EQ(message.subject, "Rydym wedi cael eich cais GWF012345678");
  EXPECT_EQ(message.body,
            "Annwyl Mr ap Dafydd,\n\n"
            "Diolch am eich cais. Eich cyfeirnod yw GWF012345678.\n\n"
            "Byddwn yn anfon e-bost atoch pan fydd newyddion. Nid oes angen i chi wneud dim byd "
            "nawr.\n");
  auto sms = rendered(fixture("application_received"), event, Channel::sms);
  EXPECT_EQ(sms.body,
            "Rydym wedi cael eich cais GWF012345678. Byddwn yn cysylltu â chi pan fydd newyddion.");
}

TEST(RenderMessage, GreetsByFirstNameAndSurnameWhenTheTitleIsNotAccepted) {
  auto event = make_event();
  event.recipient.name = "JO BLOGGS";
  event.recipient.title = "Mx";
  auto message = rendered(fixture("application_received"), event, Channel::email);
  EXPECT_TRUE(message.body.starts_with("Dear Jo Bloggs,\n")) << message.body;
}

TEST(RenderMessage, GreetsTheCustomerWhenTheEventHasNoName) {
  auto event = make_event();
  event.recipient.name = "";
  auto message = rendered(fixture("application_received"), event, Channel::email);
  EXPECT_TRUE(message.body.starts_with("Dear customer,\n")) << message.body;
}

TEST(RenderMessage, FillsEveryFieldOfAnEmail) {
  auto message = rendered(fixture("decision_dispatched"), make_event(), Channel::email);
  EXPECT_EQ(message.notification_id, "evt-2026-000123:email");
  EXPECT_EQ(message.channel, Channel::email);
  EXPECT_EQ(message.to, "katie@example.org");
  EXPECT_EQ(message.subject, "A decision on your application GWF012345678 is on its way");
  EXPECT_FALSE(message.body.empty());
  EXPECT_EQ(message.html,
            "<p>Dear Ms McNally,</p>\n<p>We have made a decision on your application "
            "<strong>GWF012345678</strong> and sent it to you.</p>\n");
  EXPECT_EQ(message.language, "en");
  EXPECT_EQ(message.template_name, "decision_dispatched");
  EXPECT_EQ(message.event_id, "evt-2026-000123");
  EXPECT_EQ(message.case_ref, "GWF012345678");
  EXPECT_EQ(message.status, "decision_dispatched");
}

TEST(RenderMessage, SendsAnSmsToThePhoneNumberWithoutSubjectOrHtml) {
  auto message = rendered(fixture("decision_dispatched"), make_event(), Channel::sms);
  EXPECT_EQ(message.notification_id, "evt-2026-000123:sms");
  EXPECT_EQ(message.channel, Channel::sms);
  EXPECT_EQ(message.to, "+447700900123");
  EXPECT_EQ(message.subject, "");
  EXPECT_EQ(message.html, "");
  EXPECT_EQ(message.body, "A decision on your application GWF012345678 is on its way to you.");
}

TEST(RenderMessage, WritesTheOptionalPartWhenTheDataIsThere) {
  auto event = make_event(R"({"vac_name": "London"})");
  auto email = rendered(fixture("decision_dispatched"), event, Channel::email);
  EXPECT_EQ(email.body,
            "Dear Ms McNally,\n\n"
            "We have made a decision on your application GWF012345678 and sent it to you.\n"
            "You can collect your documents from the London visa application centre.\n");
  auto sms = rendered(fixture("decision_dispatched"), event, Channel::sms);
  EXPECT_EQ(sms.body,
            "A decision on your application GWF012345678 is on its way to you. Collect your "
            "documents from the London visa application centre.");
}

TEST(RenderMessage, WritesTheInvertedSectionWhenTheDataIsAbsent) {
  auto event = make_event();
  event.recipient.language = "cy";
  auto email = rendered(fixture("decision_dispatched"), event, Channel::email);
  EXPECT_EQ(email.body,
            "Annwyl Ms McNally,\n\n"
            "Rydym wedi gwneud penderfyniad ar eich cais GWF012345678 ac wedi'i anfon atoch.\n"
            "Bydd eich dogfennau'n dod yn ôl atoch gyda'r penderfyniad.\n");
}

TEST(RenderMessage, RefusesAnEventThatLacksAVariableTheTemplateUses) {
  auto event = make_event(R"({"documents": ["passport"]})");
  event.recipient.language = "cy";
  auto reason = failure(fixture("documents_needed"), event, Channel::email);
  EXPECT_EQ(reason,
            "template documents_needed (email, cy) body uses data.documents_due, which the event "
            "lacks");
  EXPECT_EQ(failure(fixture("documents_needed"), event, Channel::sms),
            "template documents_needed (sms, cy) uses data.documents_due, which the event lacks");
}

TEST(RenderMessage, NeverPutsPersonalDataInAReason) {
  auto event = make_event(R"({"documents_due": {"day": "5 December"}})");
  auto reason = failure(fixture("documents_needed"), event, Channel::email);
  EXPECT_EQ(reason,
            "template documents_needed (email, en) body prints data.documents_due, which is a "
            "group of values, not text");
  for (const char* personal : {"McNally", "MCNALLY", "katie", "GWF012345678", "5 December"})
    EXPECT_EQ(reason.find(personal), std::string::npos) << personal;
}

TEST(RenderMessage, WritesAListFromData) {
  auto event = make_event(R"({"documents_due": "5 December 2026",
                              "documents": ["passport photo", "bank statement"]})");
  auto message = rendered(fixture("documents_needed"), event, Channel::email);
  EXPECT_EQ(message.subject, "Documents needed for your application GWF012345678");
  EXPECT_EQ(message.body,
            "Dear Ms McNally,\n\n"
            "We need more documents before we can carry on with your application GWF012345678:\n"
            "- passport photo\n"
            "- bank statement\n\n"
            "Please send them by 5 December 2026.\n");
}

TEST(RenderMessage, TreatsAnEmptyListAsAbsent) {
  auto event = make_event(R"({"documents_due": "5 December 2026", "documents": []})");
  auto message = rendered(fixture("documents_needed"), event, Channel::email);
  EXPECT_NE(message.body.find(":\nyour letter tells you which ones.\n\n"), std::string::npos)
      << message.body;
}

TEST(RenderMessage, RefusesASectionTheEventLacksUnlessTheTemplateSaysItIsOptional) {
  auto strict =
      inline_template(R"(sms: { en: "Hello{{#data.office}} at {{data.office}}{{/data.office}}" })");
  EXPECT_EQ(failure(strict, make_event(), Channel::sms),
            "template inline (sms, en) uses data.office, which the event lacks");
  auto optional = inline_template(
      R"(sms: { en: "Hello{{#data.office}} at {{data.office}}{{/data.office}}{{^data.office}}{{/data.office}}" })");
  EXPECT_EQ(rendered(optional, make_event(), Channel::sms).body, "Hello");
  EXPECT_EQ(rendered(optional, make_event(R"({"office": "Cardiff"})"), Channel::sms).body,
            "Hello at Cardiff");
}

// "Please send them by ." is the half-filled message CONTRACT.md section 7 rules out.
TEST(RenderMessage, CountsABlankValueAsAbsent) {
  for (const char* blank : {R"("")", R"("  ")", R"(" \n\t")"}) {
    auto event = make_event(std::string(R"({"documents_due": )") + blank + "}");
    EXPECT_EQ(failure(fixture("documents_needed"), event, Channel::sms),
              "template documents_needed (sms, en) uses data.documents_due, which the event lacks")
        << blank;
  }
  auto optional =
      inline_template(R"(sms: { en: "Hello{{^data.office}}, no office{{/data.office}}" })");
  EXPECT_EQ(rendered(optional, make_event(R"({"office": ""})"), Channel::sms).body,
            "Hello, no office");
}

TEST(RenderMessage, LeavesBlankItemsOutOfAList) {
  auto event = make_event(R"({"documents_due": "5 December 2026",
                              "documents": ["passport photo", "", " "]})");
  auto message = rendered(fixture("documents_needed"), event, Channel::email);
  EXPECT_NE(message.body.find(":\n- passport photo\n\nPlease"), std::string::npos) << message.body;
}

TEST(RenderMessage, CountsNullAsAbsent) {
  auto tmpl = inline_template(R"(sms: { en: "{{^data.office}}no office{{/data.office}}" })");
  EXPECT_EQ(rendered(tmpl, make_event(R"({"office": null})"), Channel::sms).body, "no office");
  auto strict = inline_template(R"(sms: { en: "{{data.office}}" })");
  EXPECT_EQ(failure(strict, make_event(R"({"office": null})"), Channel::sms),
            "template inline (sms, en) uses data.office, which the event lacks");
}

TEST(RenderMessage, EscapesHtmlOnlyInTheHtmlPart) {
  auto tmpl = inline_template(R"(email:
  en:
    subject: "{{data.note}}"
    body: "{{data.note}} {{recipient.name}}"
    html: "<p>{{data.note}} {{recipient.name}}</p>"
)");
  auto event = make_event(R"({"note": "Fish & <b>chips</b> \"now\""})");
  event.recipient.name = "Sean O'Brien";
  auto message = rendered(tmpl, event, Channel::email);
  EXPECT_EQ(message.subject, R"(Fish & <b>chips</b> "now")");
  EXPECT_EQ(message.body, R"(Fish & <b>chips</b> "now" Sean O'Brien)");
  EXPECT_EQ(message.html,
            "<p>Fish &amp; &lt;b&gt;chips&lt;/b&gt; &quot;now&quot; Sean O&#39;Brien</p>");
}

TEST(RenderMessage, PrintsMustacheInsideAValueLiterally) {
  auto tmpl = inline_template(R"(sms: { en: "Dear {{recipient.name}}, {{data.note}}" })");
  auto event = make_event(R"({"note": "{{#data.x}}{{/data.x}}", "secret": "s3cret"})");
  event.recipient.name = "{{data.secret}}";
  auto body = rendered(tmpl, event, Channel::sms).body;
  // The name is cased as a name, and neither value is expanded.
  EXPECT_EQ(body, "Dear {{Data.Secret}}, {{#data.x}}{{/data.x}}");
  EXPECT_EQ(body.find("s3cret"), std::string::npos);
}

TEST(RenderMessage, KeepsTheSubjectOnOneLine) {
  auto tmpl = inline_template(R"(email:
  en:
    subject: |
      Case {{case_ref}}: {{data.note}}
    body: "b"
)");
  auto event = make_event(R"({"note": "one\r\nBcc: someone@example.org\nthree"})");
  auto message = rendered(tmpl, event, Channel::email);
  EXPECT_EQ(message.subject, "Case GWF012345678: one  Bcc: someone@example.org three");
  // Every other character a relay may break a line at: VT, FF, ESC, NEL, U+2028, U+2029.
  event = make_event(
      R"({"note": "x\u000bBcc: a@b.c\u000cY\u001bQ\u0085Bcc: d@e.f\u2028Z\u2029W\ttab"})");
  EXPECT_EQ(rendered(tmpl, event, Channel::email).subject,
            "Case GWF012345678: x Bcc: a@b.c Y Q Bcc: d@e.f Z W\ttab");
}

// A template whose sections all fall away for an event rendered an empty subject, body or SMS,
// and it was sent (the SMS billed as one fragment).
TEST(RenderMessage, RefusesASubjectOrMessageThatIsEmptyForTheEvent) {
  auto tmpl = inline_template(R"(email:
  en:
    subject: "{{#data.s}}{{data.s}}{{/data.s}}{{^data.s}} {{/data.s}}"
    body: "{{#data.b}}{{data.b}}{{/data.b}}{{^data.b}}{{/data.b}} "
sms:
  en: "{{#data.b}}{{data.b}}{{/data.b}}{{^data.b}}{{/data.b}}"
)");
  auto event = make_event(R"({"b": "Hello"})");
  EXPECT_EQ(failure(tmpl, event, Channel::email),
            "template inline (email, en) subject is empty for this event");
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).body, "Hello");
  event = make_event(R"({"s": "Subject"})");
  EXPECT_EQ(failure(tmpl, event, Channel::email),
            "template inline (email, en) body is empty for this event");
  EXPECT_EQ(failure(tmpl, event, Channel::sms),
            "template inline (sms, en) is empty for this event");
  event = make_event(R"({"s": "Subject", "b": "Hello"})");
  EXPECT_EQ(rendered(tmpl, event, Channel::email).body, "Hello ");
}

TEST(RenderMessage, ReachesIntoNestedData) {
  auto tmpl = inline_template(R"(sms:
  en: "{{data.office.city}} {{#data.office}}{{postcode}} {{case_ref}}{{/data.office}} {{#data.slots}}[{{time}}]{{/data.slots}}"
)");
  auto event = make_event(R"({"office": {"city": "Cardiff", "postcode": "CF10 1AA"},
                              "slots": [{"time": "09:00"}, {"time": "10:30"}]})");
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).body,
            "Cardiff CF10 1AA GWF012345678 [09:00][10:30]");
}

TEST(RenderMessage, NamesTheVariableMissingInsideAList) {
  auto tmpl = inline_template(R"(sms: { en: "{{#data.slots}}[{{time}}]{{/data.slots}}" })");
  auto event = make_event(R"({"slots": [{"time": "09:00"}, {"place": "Cardiff"}]})");
  EXPECT_EQ(failure(tmpl, event, Channel::sms),
            "template inline (sms, en) uses time, which the event lacks");
}

TEST(RenderMessage, PrintsNumbersAndBooleansAsText) {
  auto tmpl = inline_template(
      R"(sms: { en: "{{data.count}} {{data.fee}} {{data.big}} {{data.paid}} {{data.urgent}}{{#data.urgent}} URGENT{{/data.urgent}}{{^data.urgent}} routine{{/data.urgent}}" })");
  auto event = make_event(
      R"({"count": 3, "fee": 12.5, "big": 18446744073709551615, "paid": true, "urgent": false})");
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).body,
            "3 12.5 18446744073709551615 true false routine");
}

TEST(RenderMessage, OffersEveryDocumentedVariable) {
  auto tmpl = inline_template(R"(sms:
  en: "{{case_ref}}|{{status}}|{{occurred_at}}|{{salutation}}|{{recipient.name}}|{{recipient.title}}|{{recipient.email}}|{{recipient.phone}}|{{recipient.language}}|{{recipient.timezone}}"
)");
  auto event = make_event();
  event.recipient.title = "Mx";
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).body,
            "GWF012345678|decision_dispatched|2026-11-22T10:15:00Z|Katie McNally|Katie "
            "McNally||katie@example.org|+447700900123|en|Europe/London");
}

TEST(RenderMessage, RefusesTheRecipientsMissingAddress) {
  auto event = make_event();
  event.recipient.phone.reset();
  EXPECT_EQ(failure(fixture("application_received"), event, Channel::sms),
            "the recipient has no phone number");
  event = make_event();
  event.recipient.email.reset();
  EXPECT_EQ(failure(fixture("application_received"), event, Channel::email),
            "the recipient has no email address");
}

TEST(RenderMessage, RefusesALanguageTheTemplateHasNoTextFor) {
  auto tmpl = inline_template(R"(sms: { en: "Hello" })");
  auto event = make_event();
  event.recipient.language = "cy";
  EXPECT_EQ(failure(tmpl, event, Channel::sms), "template inline has no cy text for sms");
  EXPECT_EQ(failure(tmpl, make_event(), Channel::email),
            "template inline has no en text for email");
}

TEST(RenderMessage, DropsTheLineBreakAtTheEndOfAnSms) {
  auto tmpl = inline_template("sms:\n  en: |\n    Hello {{case_ref}}\n");
  EXPECT_EQ(rendered(tmpl, make_event(), Channel::sms).body, "Hello GWF012345678");
}

TEST(RenderMessage, RendersATemplateBuiltByHand) {
  Template tmpl;
  tmpl.name = "by_hand";
  tmpl.texts[Channel::sms]["en"].body = "Case {{case_ref}}";
  EXPECT_EQ(rendered(tmpl, make_event(), Channel::sms).body, "Case GWF012345678");
  tmpl.texts[Channel::sms]["en"].body = "Case {{#case_ref}}";
  EXPECT_NE(failure(tmpl, make_event(), Channel::sms).find("Unclosed section"), std::string::npos);
}

TEST(RenderMessage, CountsTheFragmentsOfAnSmsAsItIsSent) {
  auto tmpl = inline_template(R"(sms:
  en: "Case {{case_ref}}: {{data.note}}"
  cy: "Achos {{case_ref}}: {{data.note}} ŵ"
)");
  auto event = make_event(R"({"note": "short"})");
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).fragments, 1u);
  event.data["note"] = std::string(160, 'x');
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).fragments, 2u);
  event.data["note"] = "short";
  event.recipient.language = "cy";
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).fragments, 1u);
  event.data["note"] = std::string(60, 'x');  // 81 UCS-2 characters with the Welsh ŵ
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).fragments, 2u);
  EXPECT_EQ(rendered(fixture("application_received"), make_event(), Channel::email).fragments, 0u);
}

TEST(RenderMessage, SendsACurlyApostropheAsAPlainOneAndCountsTheSmsAsGsm) {
  // 246 characters: four UCS-2 fragments with the curly apostrophe, two GSM-7 ones without.
  auto tmpl = inline_template(
      "sms:\n"
      "  en: \"We\u2019ve received your application {{case_ref}}. We will write to you within 20 "
      "working days to tell you our decision. If you need to send us more documents, please "
      "use the upload link in your email and quote your case reference when you contact us.\"\n");
  auto sms = rendered(tmpl, make_event(), Channel::sms);
  EXPECT_EQ(sms.body,
            "We've received your application GWF012345678. We will write to you within 20 "
            "working days to tell you our decision. If you need to send us more documents, please "
            "use the upload link in your email and quote your case reference when you contact us.");
  EXPECT_EQ(sms.fragments, 2u);
}

TEST(RenderMessage, ReplacesTypographicCharactersInValuesAndTrimsTheSpacesTheyBecome) {
  auto tmpl = inline_template(
      "sms: { en: \"Office: {{data.office}}\", cy: \"Mae\u2019r \u0175yr yn {{data.office}}\" }");
  auto event = make_event(
      "{\"office\": \"\u201CCardiff\u201D\u00A0\u2013 10:00\u2026\\tgov\u200B.uk\u00A0\"}");
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).body, "Office: \"Cardiff\" - 10:00... gov.uk");
  event.recipient.language = "cy";
  EXPECT_EQ(rendered(tmpl, event, Channel::sms).body,
            "Mae'r \u0175yr yn \"Cardiff\" - 10:00... gov.uk");
}

TEST(RenderMessage, CarriesTheTemplateVariablesFlatForProvidersThatRenderTheirOwn) {
  auto event = make_event(
      R"({"vac_name": "London", "office": {"city": "Cardiff", "floor": 2}, "urgent": true,
          "documents": ["photo", "statement"], "slots": [{"time": "09:00"}], "none": null})");
  auto message = rendered(fixture("decision_dispatched"), event, Channel::email);
  EXPECT_EQ(message.variables, boost::json::parse(R"({
      "case_ref": "GWF012345678", "status": "decision_dispatched",
      "occurred_at": "2026-11-22T10:15:00Z", "salutation": "Ms McNally",
      "data.vac_name": "London", "data.office.city": "Cardiff", "data.office.floor": "2",
      "data.urgent": "true", "data.documents": ["photo", "statement"],
      "data.slots.0.time": "09:00"})")
                                   .as_object());
  event.recipient.name.clear();
  EXPECT_FALSE(rendered(fixture("decision_dispatched"), event, Channel::sms)
                   .variables.contains("salutation"));
}

TEST(RenderMessage, GivesProvidersNumbersAsTheTemplateWouldPrintThem) {
  // A fee of 2.5 reached GOV.UK Notify's personalisation as "2.5E0" (Boost.JSON's text for a
  // double), so its template said "£2.5E0" where herald's own said "£2.5".
  auto tmpl = inline_template(
      "email:\n  en: { subject: \"{{case_ref}}\", body: \"{{data.fee}} {{data.one}} "
      "{{data.big}} {{data.small}} {{data.office.floor}}\" }\n"
      "  cy: { subject: \"{{case_ref}}\", body: \"{{data.fee}}\" }\n");
  auto event = make_event(
      R"({"fee": 2.5, "one": 1.0, "big": 1e21, "small": 0.1, "office": {"floor": 3.0},
          "list": [1.5, "a"]})");
  auto message = rendered(tmpl, event, Channel::email);
  EXPECT_EQ(message.body, "2.5 1 1e+21 0.1 3");
  EXPECT_EQ(message.variables.at("data.fee"), "2.5");
  EXPECT_EQ(message.variables.at("data.one"), "1");
  EXPECT_EQ(message.variables.at("data.big"), "1e+21");
  EXPECT_EQ(message.variables.at("data.small"), "0.1");
  EXPECT_EQ(message.variables.at("data.office.floor"), "3");
  EXPECT_EQ(message.variables.at("data.list"), boost::json::parse(R"(["1.5", "a"])"));
}

const char* const kExamples[] = {"application_received", "documents_needed", "decision_dispatched"};

TEST(ProductTemplates, RenderEveryChannelAndLanguageForARealisticEvent) {
  auto event = make_event(R"({"documents_due": "5 December 2026", "vac_name": "London",
                              "documents": ["a recent passport photo", "a bank statement"]})");
  for (const char* name : kExamples) {
    for (const auto& language : kLanguages) {
      event.recipient.language = language;
      for (auto channel : kAllChannels) {
        auto message = rendered(product(name), event, channel);
        EXPECT_EQ(message.body.find("{{"), std::string::npos) << name << " " << language;
        if (channel == Channel::sms) continue;
        EXPECT_NE(message.subject.find("GWF012345678"), std::string::npos)
            << name << " " << language;
        EXPECT_TRUE(message.body.starts_with(language == "en" ? "Dear Ms McNally,\n"
                                                              : "Annwyl Ms McNally,\n"))
            << message.body;
        EXPECT_TRUE(message.html.starts_with("<p>")) << name << " " << language;
      }
    }
  }
}

TEST(ProductTemplates, WriteTheListOfDocumentsOrPointToTheLetter) {
  auto event = make_event(R"({"documents_due": "5 December 2026",
                              "documents": ["a recent passport photo", "a bank statement"]})");
  auto listed = rendered(product("documents_needed"), event, Channel::email);
  EXPECT_NE(listed.body.find(":\n\n- a recent passport photo\n- a bank statement\n\nPlease"),
            std::string::npos)
      << listed.body;
  EXPECT_NE(
      listed.html.find("<ul>\n<li>a recent passport photo</li>\n<li>a bank statement</li>\n</ul>"),
      std::string::npos)
      << listed.html;
  auto unlisted = rendered(product("documents_needed"),
                           make_event(R"({"documents_due": "5 December 2026"})"), Channel::email);
  EXPECT_NE(unlisted.body.find(":\n\n- the documents listed in our letter\n\nPlease"),
            std::string::npos)
      << unlisted.body;
}

TEST(ProductTemplates, RefuseDocumentsNeededWithoutADueDate) {
  EXPECT_EQ(failure(product("documents_needed"), make_event(), Channel::sms),
            "template documents_needed (sms, en) uses data.documents_due, which the event lacks");
}

TEST(ProductTemplates, FitAnEnglishSmsInTwoGsmFragments) {
  // Long but realistic values; GSM-7 sends 153 characters per fragment of a long message.
  auto event = make_event(R"({"documents_due": "Wednesday 30 September 2026",
                              "vac_name": "Manchester Piccadilly"})");
  for (const char* name : kExamples) {
    auto body = rendered(product(name), event, Channel::sms).body;
    EXPECT_LE(body.size(), 2u * 153) << name;
    for (char c : body)
      EXPECT_TRUE(c >= ' ' && c <= '~' &&
                  std::string_view("`^{}\\[]~|").find(c) == std::string::npos)
          << name << " has a character outside GSM-7's basic set: " << c;
  }
}

}  // namespace
}  // namespace herald
