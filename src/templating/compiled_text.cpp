#include "compiled_text.hpp"

#include <algorithm>

namespace herald {
namespace {

template <class Range>
bool contains(const Range& names, std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

std::string known_names() {
  std::string out;
  for (auto name : kEventVariables) (out += name) += ", ";
  for (auto field : kRecipientFields) ((out += "recipient.") += field) += ", ";
  return out + "data.<name>";
}

// Whether a section over `name` can hold names of its own: a group (recipient, data, or a
// value in data, which may be an object or a list of them). The event's other variables and
// the recipient's fields are text, so inside their sections a name is looked up as outside.
bool may_hold_names(std::string_view name) {
  return name == "recipient" || name == "data" || name.starts_with("data.");
}

// Why `tag` names nothing the renderer provides, or "" when it is fine. Inside a section over a
// group, names may be relative to its value (an item of a list in data): those cannot be checked
// here.
std::string check_name(const MustacheTag& tag) {
  if (std::any_of(tag.sections.begin(), tag.sections.end(),
                  [](const std::string& s) { return may_hold_names(s); }))
    return "";
  std::string_view name = tag.name;
  if (name == ".") return tag.sections.empty() ? "'.' is only meaningful inside a section" : "";
  bool is_group = name == "recipient" || name == "data";
  if (is_group) {
    if (tag.kind != MustacheOp::Kind::variable) return "";
    return "'" + tag.name + "' is a group of values, not text; use " + tag.name + ".<name>";
  }
  if (contains(kEventVariables, name)) return "";
  if (name.starts_with("recipient.") && contains(kRecipientFields, name.substr(10))) return "";
  // A part of a data name cannot be empty ("data..x", "data.x."): it could never resolve.
  if (name.starts_with("data.") && name.size() > 5 && name.find("..") == std::string_view::npos &&
      !name.ends_with("."))
    return "";
  return "unknown variable '" + tag.name + "' (expected one of: " + known_names() + ")";
}

void compile_part(const std::string& part, const std::string& source, bool is_html,
                  MustacheProgram& program, NameSet& optional, std::vector<TextProblem>& problems) {
  auto compiled = compile_mustache(source);
  if (auto* error = std::get_if<MustacheSyntaxError>(&compiled)) {
    problems.push_back({part, error->position, "Mustache syntax: " + error->message});
    return;
  }
  program = std::move(std::get<MustacheProgram>(compiled));
  for (const auto& tag : program.tags) {
    if (auto why = check_name(tag); !why.empty()) problems.push_back({part, tag.position, why});
    // An unescaped value in HTML would let event data write markup into the message.
    if (is_html && !tag.escaped)
      problems.push_back({part, tag.position,
                          "{{{" + tag.name +
                              "}}} is not allowed in html: values are always "
                              "HTML-escaped there; write {{" +
                              tag.name + "}}"});
    if (tag.kind == MustacheOp::Kind::inverted_section) optional.insert(tag.name);
  }
}

}  // namespace

std::shared_ptr<const CompiledText> compile_text(const TemplateText& text, Channel channel,
                                                 std::vector<TextProblem>& problems) {
  auto before = problems.size();
  auto compiled = std::make_shared<CompiledText>();
  if (channel == Channel::email) {
    compile_part("subject", text.subject, false, compiled->subject, compiled->optional, problems);
    compile_part("body", text.body, false, compiled->body, compiled->optional, problems);
    if (!text.html.empty()) {
      compiled->has_html = true;
      compile_part("html", text.html, true, compiled->html, compiled->optional, problems);
    }
  } else {
    compile_part("body", text.body, false, compiled->body, compiled->optional, problems);
  }
  if (problems.size() != before) return nullptr;
  return compiled;
}

}  // namespace herald
