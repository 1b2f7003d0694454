// libFuzzer target: the template renderer, on template text and event data together.
//
// Input: Mustache text, a line "%%", then a JSON object {"name", "title", "data"} for the
// recipient's name and title and the event's data (the parts of an event a producer controls
// that reach a template). Without the separator the whole input is the template.
//
// The text is rendered twice: through render_message (the public path, with the load-time name
// checks), and straight through compile_mustache/render_mustache, which renders any name, so
// that inputs the name checks turn away still exercise the renderer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json.hpp>

#include "herald/core/time_zones.hpp"
#include "herald/templating/names.hpp"
#include "herald/templating/renderer.hpp"
#include "mustache_program.hpp"

namespace {

herald::TimeZones& zones() {
  static herald::TimeZones instance;
  return instance;
}

herald::Event make_event(const boost::json::object* given) {
  herald::Event event;
  event.id = "evt-fuzz";
  event.case_ref = "GWF012345678";
  event.status = "case_update";
  event.occurred_at_text = "2026-11-23T08:00:00Z";
  event.recipient.name = "Katie McNally";
  event.recipient.title = "Ms";
  event.recipient.email = "katie@example.org";
  event.recipient.phone = "+447700900123";
  event.recipient.timezone = zones().find("Europe/London");
  event.recipient.timezone_name = "Europe/London";
  if (!given) return event;
  if (auto* name = given->if_contains("name"); name && name->is_string())
    event.recipient.name = name->get_string();
  if (auto* title = given->if_contains("title"); title && title->is_string())
    event.recipient.title = title->get_string();
  if (auto* language = given->if_contains("language"); language && language->is_string())
    event.recipient.language = language->get_string();
  if (auto* data = given->if_contains("data"); data && data->is_object())
    event.data = data->get_object();
  return event;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  const auto split = input.find("\n%%\n");
  const std::string text(input.substr(0, split));

  boost::json::value given;
  if (split != std::string_view::npos) {
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.max_depth = 32;
    given = boost::json::parse(input.substr(split + 4), ec, {}, options);
    if (ec) given = nullptr;
  }
  const herald::Event event = make_event(given.if_object());

  // Names come from events: any valid UTF-8 must be formatted without harm.
  (void)herald::format_name(event.recipient.name);
  (void)herald::salutation(event.recipient.title, event.recipient.name);
  (void)herald::accepted_title(event.recipient.title);

  herald::Template tmpl;
  tmpl.name = "fuzz";
  for (auto channel : {herald::Channel::email, herald::Channel::sms}) {
    herald::TemplateText t;
    t.subject = text;
    t.body = text;
    t.html = text;
    tmpl.texts[channel]["en"] = t;
    tmpl.texts[channel]["cy"] = t;
  }
  for (auto channel : {herald::Channel::email, herald::Channel::sms}) {
    auto rendered = herald::render_message(tmpl, event, channel);
    if (auto* message = std::get_if<herald::Message>(&rendered)) {
      // The subject is a mail header: never more than one line.
      if (message->subject.find_first_of("\r\n") != std::string::npos) std::abort();
      if (message->to.empty()) std::abort();
    } else if (std::get<herald::RenderError>(rendered).reason.empty()) {
      std::abort();
    }
  }

  auto program = herald::compile_mustache(text);
  if (auto* compiled = std::get_if<herald::MustacheProgram>(&program)) {
    boost::json::value root(boost::json::object_kind);
    root.get_object()["data"] = event.data;
    root.get_object()["recipient"] = boost::json::object{{"name", event.recipient.name}};
    if (given.is_object())
      for (const auto& [key, value] : given.get_object()) root.get_object()[key] = value;
    herald::NameSet optional;
    for (const auto& tag : compiled->tags)
      if (tag.kind == herald::MustacheOp::Kind::inverted_section) optional.insert(tag.name);
    for (bool html : {false, true}) {
      std::string out;
      (void)herald::render_mustache(*compiled, root, optional, html, out);
    }
  }
  return 0;
}
