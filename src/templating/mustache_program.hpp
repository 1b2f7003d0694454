#pragma once
// Mustache compiled to a flat list of steps, and a strict renderer over it.
//
// kainjow's parser does the parsing (and finds the syntax errors), but herald does not render
// with kainjow: its renderer prints a missing variable as "" and looks names up through one
// `basic_context::get` for variables, sections and inverted sections alike, so a custom context
// cannot tell "{{x}}" (missing is an error) from "{{^x}}" (missing is how a template says "if
// absent"), nor print a boolean as text while testing it as a condition. The parsed tree is
// flattened here instead, with the spec's standalone-line rule applied once at compile time, and
// rendered against a JSON value.
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

namespace herald {

/// One step of a compiled Mustache text.
struct MustacheOp {
  enum class Kind { text, variable, section, inverted_section };
  Kind kind = Kind::text;
  std::string text;               ///< text: the literal; otherwise the tag name as written
  std::vector<std::string> path;  ///< the name split at dots; empty for "{{.}}"
  bool escaped = true;            ///< variable: `{{x}}`, not `{{{x}}}` or `{{&x}}`
  std::size_t end = 0;            ///< sections: index one past the section's last step
};

/// A tag a text uses, for the checks made when templates load.
struct MustacheTag {
  std::string name;
  MustacheOp::Kind kind = MustacheOp::Kind::variable;
  bool escaped = true;
  std::size_t position = 0;
  /// The `{{#...}}` sections it is inside, outermost first: there a name may be relative to a
  /// section's value.
  std::vector<std::string> sections;
};

/// A compiled Mustache text. Immutable, so one may be rendered from several threads at once.
struct MustacheProgram {
  std::vector<MustacheOp> ops;
  std::vector<MustacheTag> tags;
};

/// Why a text does not compile; `position` is a byte offset into it.
struct MustacheSyntaxError {
  std::string message;
  std::size_t position = 0;
};

/// Parses `text` with kainjow's parser. Partials (`{{> x}}`) and empty tags are errors too.
std::variant<MustacheProgram, MustacheSyntaxError> compile_mustache(const std::string& text);

/// Why rendering stopped: a name the data lacks, or a group of values where text was needed.
struct MustacheRenderError {
  enum class Kind { missing, not_text };
  Kind kind = Kind::missing;
  std::string name;
};

/// A plain value as a template prints it: a string as it is, a number as its shortest decimal
/// text ("2.5", "1", "1e+21"), a boolean as true or false; nullopt for null, objects and lists.
/// Also the text a provider's own template gets (GOV.UK Notify's personalisation), so that its
/// ((x)) prints what {{x}} would.
std::optional<std::string> value_text(const boost::json::value& value);

/// Names compared by string_view as well as string.
using NameSet = std::set<std::string, std::less<>>;

/// Renders `program` against `root` (a JSON object), appending to `out`. A variable or section
/// whose name does not resolve is an error, except in an inverted section, and except a section
/// whose name is in `optional` (the template tests it with an inverted section elsewhere, so it
/// has said what happens when it is absent). null counts as absent; false, [] and "" are false.
/// With `html_escape`, `{{x}}` values are HTML-escaped; otherwise nothing is escaped.
std::optional<MustacheRenderError> render_mustache(const MustacheProgram& program,
                                                   const boost::json::value& root,
                                                   const NameSet& optional, bool html_escape,
                                                   std::string& out);

/// What `program` prints when every variable is empty: its literal text, with every inverted
/// section's content and no section's (an empty value is false). For checks at load time.
std::string render_with_empty_values(const MustacheProgram& program);

}  // namespace herald
