#include "herald/templating/renderer.hpp"

#include <algorithm>
#include <optional>

#include <boost/json.hpp>

#include "compiled_text.hpp"
#include "herald/core/utf8.hpp"
#include "herald/templating/names.hpp"
#include "herald/templating/sms_length.hpp"

namespace herald {
namespace {

bool is_blank(const boost::json::value& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_string();
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// `data` without its blank strings ("", "  "), in objects and lists at any depth: printed, such a
// value leaves a gap ("Please send them by ."), the half-filled message CONTRACT.md section 7
// rules out. Left out, it is missing like any absent value: a template printing it fails, and
// one that tests it ({{^x}}) sees it absent.
boost::json::value without_blanks(const boost::json::value& v) {
  if (v.is_object()) {
    boost::json::object out;
    out.reserve(v.get_object().size());
    for (const auto& [key, value] : v.get_object())
      if (!is_blank(value)) out.emplace(key, without_blanks(value));
    return out;
  }
  if (v.is_array()) {
    boost::json::array out;
    out.reserve(v.get_array().size());
    for (const auto& value : v.get_array())
      if (!is_blank(value)) out.push_back(without_blanks(value));
    return out;
  }
  return v;
}

// What a template sees (CONTRACT.md section 7): each name in kEventVariables and
// kRecipientFields, and `data`. Something the event does not have is left out rather than set
// to "", so that a template using it fails instead of printing a gap; the title is the one
// exception, because "no accepted title" is a fact a template may test.
boost::json::value variables_of(const Event& event) {
  boost::json::value root(boost::json::object_kind);
  auto& top = root.get_object();
  top.reserve(6);
  top.emplace("case_ref", event.case_ref);
  top.emplace("status", event.status);
  top.emplace("occurred_at", event.occurred_at_text);
  const Recipient& r = event.recipient;
  if (auto greeting = salutation(r.title, r.name); !greeting.empty())
    top.emplace("salutation", std::move(greeting));

  boost::json::object recipient;
  recipient.reserve(6);
  if (auto name = format_name(r.name); !name.empty()) recipient.emplace("name", std::move(name));
  recipient.emplace("title", accepted_title(r.title));
  if (r.email) recipient.emplace("email", *r.email);
  if (r.phone) recipient.emplace("phone", *r.phone);
  recipient.emplace("language", r.language);
  if (!r.timezone_name.empty()) recipient.emplace("timezone", r.timezone_name);
  top.emplace("recipient", std::move(recipient));
  top.emplace("data", without_blanks(event.data));
  return root;
}

// A subject is a mail header: a line break in it (from a value, or a YAML block scalar) could
// start another header. Not only CR and LF: a relay may split lines at any control character,
// NEL (U+0085) or the Unicode line and paragraph separators (Python's splitlines does), so each
// of them becomes a space too.
void flatten_subject(std::string& subject) {
  std::string flat;
  flat.reserve(subject.size());
  for (std::size_t i = 0; i < subject.size();) {
    char32_t c = 0;
    std::size_t n = utf8_char_at(subject, i, &c);
    if (n == 0) n = 1, c = static_cast<unsigned char>(subject[i]);  // rendered text is UTF-8
    const bool breaks =
        c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029;
    if (breaks && c != '\t')
      flat += ' ';
    else
      flat.append(subject, i, n);
    i += n;
  }
  subject = std::move(flat);
  auto first = subject.find_first_not_of(" \t");
  if (first == std::string::npos) {
    subject.clear();
    return;
  }
  subject.erase(subject.find_last_not_of(" \t") + 1);
  subject.erase(0, first);
}

// Message::variables: `value` under `name`, objects and lists of groups flattened with dots.
void flatten(const std::string& name, const boost::json::value& value, boost::json::object& out) {
  if (auto text = value_text(value)) {
    out[name] = *text;
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.get_object())
      flatten(name + "." + std::string(key), item, out);
  } else if (value.is_array()) {
    const auto& items = value.get_array();
    boost::json::array texts;
    for (const auto& item : items) {
      auto text = value_text(item);
      if (!text) break;
      texts.emplace_back(*text);
    }
    if (texts.size() == items.size()) {
      out[name] = std::move(texts);
      return;
    }
    for (std::size_t i = 0; i < items.size(); ++i)
      flatten(name + "." + std::to_string(i), items[i], out);
  }
}

boost::json::object flat_variables(const boost::json::object& variables) {
  boost::json::object out;
  for (const char* name : {"case_ref", "status", "occurred_at", "salutation"})
    if (auto* v = variables.if_contains(name)) flatten(name, *v, out);
  if (auto* data = variables.if_contains("data")) flatten("data", *data, out);
  return out;
}

void trim_end(std::string& text) {
  auto last = text.find_last_not_of(" \t\r\n");
  text.erase(last == std::string::npos ? 0 : last + 1);
}

}  // namespace

std::variant<Message, RenderError> render_message(const Template& tmpl, const Event& event,
                                                  Channel channel) {
  const std::string channel_name(to_string(channel));
  const std::string& language = event.recipient.language;
  // The event parser accepts only these; a hand-made event is told so without echoing its value.
  if (std::find(kLanguages.begin(), kLanguages.end(), language) == kLanguages.end())
    return RenderError{"the recipient's language is not one herald writes in"};
  const TemplateText* text = tmpl.find(channel, language);
  if (!text)
    return RenderError{"template " + tmpl.name + " has no " + language + " text for " +
                       channel_name};
  const std::string where = "template " + tmpl.name + " (" + channel_name + ", " + language + ")";

  const auto& address = channel == Channel::email ? event.recipient.email : event.recipient.phone;
  if (!address)
    return RenderError{channel == Channel::email ? "the recipient has no email address"
                                                 : "the recipient has no phone number"};

  std::shared_ptr<const CompiledText> compiled = text->compiled;
  if (!compiled) {
    std::vector<TextProblem> problems;
    compiled = compile_text(*text, channel, problems);
    if (!compiled)
      return RenderError{where + " " + problems.front().part + ": " + problems.front().message};
  }

  const auto variables = variables_of(event);
  auto render = [&](const MustacheProgram& program, const char* part, bool html,
                    std::string& out) -> std::optional<RenderError> {
    auto error = render_mustache(program, variables, compiled->optional, html, out);
    if (!error) return std::nullopt;
    std::string reason = where;
    if (channel == Channel::email) (reason += ' ') += part;
    if (error->kind == MustacheRenderError::Kind::missing)
      reason += " uses " + error->name + ", which the event lacks";
    else
      reason += " prints " + error->name + ", which is a group of values, not text";
    return RenderError{std::move(reason)};
  };

  Message message;
  message.notification_id = notification_id(event.id, channel);
  message.channel = channel;
  message.to = *address;
  message.language = language;
  message.template_name = tmpl.name;
  message.event_id = event.id;
  message.case_ref = event.case_ref;
  message.status = event.status;
  if (channel == Channel::email) {
    if (auto error = render(compiled->subject, "subject", false, message.subject)) return *error;
    flatten_subject(message.subject);
  }
  if (auto error = render(compiled->body, "body", false, message.body)) return *error;
  // What is counted is what is sent, whichever gateway sends it: a curly apostrophe would
  // otherwise make the whole message UCS-2. A YAML block scalar ends in a line break, which an
  // SMS would pay for.
  if (channel == Channel::sms) {
    message.body = normalise_sms(message.body);
    trim_end(message.body);
    message.fragments = measure_sms(message.body).fragments;
  }
  if (channel == Channel::email && compiled->has_html) {
    if (auto error = render(compiled->html, "html", true, message.html)) return *error;
  }
  // A template whose sections all fell away for this event: an empty subject or message would
  // still be sent (and an empty SMS billed).
  auto blank = [](const std::string& text) {
    return text.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  if (channel == Channel::email && blank(message.subject))
    return RenderError{where + " subject is empty for this event"};
  if (blank(message.body))
    return RenderError{where + (channel == Channel::email ? " body" : "") +
                       " is empty for this event"};
  message.variables = flat_variables(variables.get_object());
  return message;
}

}  // namespace herald
