#include "mustache_program.hpp"

#include <charconv>

#include <boost/json.hpp>
#include <kainjow/mustache.hpp>

namespace herald {
namespace {

namespace km = kainjow::mustache;
using Component = km::component<std::string>;

// The parsed template as a flat token list, before standalone lines are removed.
struct Token {
  enum class Kind {
    text,
    newline,
    variable,
    section_begin,
    inverted_begin,
    section_end,
    invisible
  };
  Kind kind = Kind::text;
  std::string text;  ///< text, newline: the characters; tags: the name
  bool escaped = true;
  std::size_t position = 0;
  bool dropped = false;
};

bool is_standalone_tag(Token::Kind kind) {
  return kind == Token::Kind::section_begin || kind == Token::Kind::inverted_begin ||
         kind == Token::Kind::section_end || kind == Token::Kind::invisible;
}

bool is_blank(const Token& t) {
  return t.kind == Token::Kind::text && t.text.find_first_not_of(" \t") == std::string::npos;
}

std::optional<MustacheSyntaxError> flatten(const Component& parent, std::vector<Token>& out) {
  for (const Component& c : parent.children) {
    const auto& tag = c.tag;
    switch (tag.type) {
      case km::tag_type::text:
        out.push_back({c.is_newline() ? Token::Kind::newline : Token::Kind::text, c.text});
        break;
      case km::tag_type::variable:
      case km::tag_type::unescaped_variable:
        if (tag.name.empty()) return MustacheSyntaxError{"empty tag", c.position};
        out.push_back(
            {Token::Kind::variable, tag.name, tag.type == km::tag_type::variable, c.position});
        break;
      case km::tag_type::section_begin:
      case km::tag_type::section_begin_inverted: {
        if (tag.name.empty()) return MustacheSyntaxError{"section without a name", c.position};
        bool inverted = tag.type == km::tag_type::section_begin_inverted;
        out.push_back({inverted ? Token::Kind::inverted_begin : Token::Kind::section_begin,
                       tag.name, true, c.position});
        if (auto error = flatten(c, out)) return error;
        out.push_back({Token::Kind::section_end, tag.name, true, c.position});
        break;
      }
      case km::tag_type::partial:
        // Templates are self-contained files; a partial would render as nothing.
        return MustacheSyntaxError{"partials ({{> " + tag.name + "}}) are not supported",
                                   c.position};
      case km::tag_type::comment:
      case km::tag_type::set_delimiter:
        out.push_back({Token::Kind::invisible, {}, true, c.position});
        break;
      case km::tag_type::section_end:
        break;  // the parser has already matched and removed end tags
    }
  }
  return std::nullopt;
}

// The spec's rule: a line holding only section, comment or delimiter tags and whitespace
// disappears entirely, so that a template can put `{{#x}}` on a line of its own.
void drop_standalone_lines(std::vector<Token>& tokens) {
  std::size_t line_start = 0;
  for (std::size_t i = 0; i <= tokens.size(); ++i) {
    if (i < tokens.size() && tokens[i].kind != Token::Kind::newline) continue;
    bool has_tag = false;
    bool only_tags_and_blanks = true;
    for (std::size_t k = line_start; k < i && only_tags_and_blanks; ++k) {
      if (is_standalone_tag(tokens[k].kind))
        has_tag = true;
      else if (!is_blank(tokens[k]))
        only_tags_and_blanks = false;
    }
    if (has_tag && only_tags_and_blanks) {
      for (std::size_t k = line_start; k < i; ++k)
        if (is_blank(tokens[k])) tokens[k].dropped = true;
      if (i < tokens.size()) tokens[i].dropped = true;
    }
    line_start = i + 1;
  }
}

std::vector<std::string> split_name(const std::string& name) {
  std::vector<std::string> path;
  if (name == ".") return path;
  std::size_t start = 0;
  while (true) {
    auto dot = name.find('.', start);
    path.push_back(name.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return path;
}

// kainjow reports errors as "Unclosed tag at 12": take the offset out of the text.
MustacheSyntaxError parse_error(const std::string& message) {
  MustacheSyntaxError error{message, 0};
  auto at = message.rfind(" at ");
  if (at == std::string::npos) return error;
  std::size_t position = 0;
  const char* first = message.data() + at + 4;
  const char* last = message.data() + message.size();
  auto [end, ec] = std::from_chars(first, last, position);
  if (ec == std::errc{} && end == last) {
    error.message = message.substr(0, at);
    error.position = position;
  }
  return error;
}

void append_html_escaped(std::string_view text, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
}

bool is_true(const boost::json::value& v) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_array()) return !v.get_array().empty();
  if (v.is_string()) return !v.get_string().empty();
  return true;
}

class Renderer {
 public:
  Renderer(const boost::json::value& root, const NameSet& optional, bool html_escape,
           std::string& out)
      : optional_(optional), html_escape_(html_escape), out_(out) {
    stack_.push_back(&root);
  }

  std::optional<MustacheRenderError> run(const std::vector<MustacheOp>& ops, std::size_t begin,
                                         std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const MustacheOp& op = ops[i];
      switch (op.kind) {
        case MustacheOp::Kind::text:
          out_ += op.text;
          break;
        case MustacheOp::Kind::variable: {
          const auto* value = resolve(op.path);
          if (!value) return MustacheRenderError{MustacheRenderError::Kind::missing, op.text};
          if (!print(*value, op.escaped))
            return MustacheRenderError{MustacheRenderError::Kind::not_text, op.text};
          break;
        }
        case MustacheOp::Kind::section: {
          const auto* value = resolve(op.path);
          if (!value) {
            if (!optional_.contains(op.text))
              return MustacheRenderError{MustacheRenderError::Kind::missing, op.text};
          } else if (is_true(*value)) {
            if (value->is_array()) {
              for (const auto& item : value->get_array())
                if (auto error = run_inside(item, ops, i + 1, op.end)) return error;
            } else if (auto error = run_inside(*value, ops, i + 1, op.end)) {
              return error;
            }
          }
          i = op.end - 1;
          break;
        }
        case MustacheOp::Kind::inverted_section: {
          const auto* value = resolve(op.path);
          if (!value || !is_true(*value))
            if (auto error = run(ops, i + 1, op.end)) return error;
          i = op.end - 1;
          break;
        }
      }
    }
    return std::nullopt;
  }

 private:
  std::optional<MustacheRenderError> run_inside(const boost::json::value& scope,
                                                const std::vector<MustacheOp>& ops,
                                                std::size_t begin, std::size_t end) {
    stack_.push_back(&scope);
    auto error = run(ops, begin, end);
    stack_.pop_back();
    return error;
  }

  // The spec's lookup: the first part of a dotted name is searched from the innermost scope
  // outwards; the other parts must then be found inside what it found.
  const boost::json::value* resolve(const std::vector<std::string>& path) const {
    if (path.empty()) return stack_.back();
    const boost::json::value* value = nullptr;
    for (auto it = stack_.rbegin(); it != stack_.rend() && !value; ++it) {
      if (const auto* object = (*it)->if_object()) value = object->if_contains(path.front());
    }
    for (std::size_t k = 1; value && k < path.size(); ++k) {
      const auto* object = value->if_object();
      value = object ? object->if_contains(path[k]) : nullptr;
    }
    return value && !value->is_null() ? value : nullptr;
  }

  bool print(const boost::json::value& value, bool escaped) {
    auto emit = [&](std::string_view text) {
      if (html_escape_ && escaped)
        append_html_escaped(text, out_);
      else
        out_ += text;
    };
    if (value.is_string()) {
      emit(value.get_string());
      return true;
    }
    auto text = value_text(value);
    if (!text) return false;  // an object or a list is not text
    emit(*text);
    return true;
  }

  const NameSet& optional_;
  bool html_escape_;
  std::string& out_;
  std::vector<const boost::json::value*> stack_;
};

}  // namespace

std::variant<MustacheProgram, MustacheSyntaxError> compile_mustache(const std::string& text) {
  Component root;
  std::string error;
  {
    km::context<std::string> unused;
    km::context_internal<std::string> context{unused};
    km::parser<std::string> parse{text, context, root, error};
  }
  if (!error.empty()) return parse_error(error);

  std::vector<Token> tokens;
  if (auto flatten_error = flatten(root, tokens)) return *flatten_error;
  drop_standalone_lines(tokens);

  MustacheProgram program;
  std::vector<std::size_t> open;         // indices of the sections not yet closed
  std::vector<std::string> open_normal;  // the names of those that are `{{#...}}`
  bool extend_text = false;              // the last step is text on the same side of every tag
  for (const Token& t : tokens) {
    if (t.dropped) continue;
    switch (t.kind) {
      case Token::Kind::text:
      case Token::Kind::newline:
        if (extend_text)
          program.ops.back().text += t.text;
        else
          program.ops.push_back({MustacheOp::Kind::text, t.text});
        extend_text = true;
        break;
      case Token::Kind::variable:
        program.tags.push_back(
            {t.text, MustacheOp::Kind::variable, t.escaped, t.position, open_normal});
        program.ops.push_back({MustacheOp::Kind::variable, t.text, split_name(t.text), t.escaped});
        extend_text = false;
        break;
      case Token::Kind::section_begin:
      case Token::Kind::inverted_begin: {
        auto kind = t.kind == Token::Kind::section_begin ? MustacheOp::Kind::section
                                                         : MustacheOp::Kind::inverted_section;
        program.tags.push_back({t.text, kind, true, t.position, open_normal});
        if (kind == MustacheOp::Kind::section) open_normal.push_back(t.text);
        open.push_back(program.ops.size());
        program.ops.push_back({kind, t.text, split_name(t.text)});
        extend_text = false;
        break;
      }
      case Token::Kind::section_end: {
        auto& section = program.ops[open.back()];
        section.end = program.ops.size();
        if (section.kind == MustacheOp::Kind::section) open_normal.pop_back();
        open.pop_back();
        extend_text = false;
        break;
      }
      case Token::Kind::invisible:
        break;
    }
  }
  return program;
}

std::optional<std::string> value_text(const boost::json::value& value) {
  char buffer[64];
  switch (value.kind()) {
    case boost::json::kind::string:
      return std::string(value.get_string());
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: {
      auto result =
          value.is_int64()    ? std::to_chars(buffer, buffer + sizeof buffer, value.get_int64())
          : value.is_uint64() ? std::to_chars(buffer, buffer + sizeof buffer, value.get_uint64())
                              : std::to_chars(buffer, buffer + sizeof buffer, value.get_double());
      return std::string(buffer, result.ptr);
    }
    case boost::json::kind::bool_:
      return std::string(value.get_bool() ? "true" : "false");
    default:
      return std::nullopt;
  }
}

std::optional<MustacheRenderError> render_mustache(const MustacheProgram& program,
                                                   const boost::json::value& root,
                                                   const NameSet& optional, bool html_escape,
                                                   std::string& out) {
  Renderer renderer(root, optional, html_escape, out);
  return renderer.run(program.ops, 0, program.ops.size());
}

std::string render_with_empty_values(const MustacheProgram& program) {
  std::string out;
  for (std::size_t i = 0; i < program.ops.size();) {
    const MustacheOp& op = program.ops[i];
    if (op.kind == MustacheOp::Kind::section) {
      i = op.end;  // skipped: its value is false
      continue;
    }
    if (op.kind == MustacheOp::Kind::text) out += op.text;
    ++i;  // an inverted section's steps follow it and are rendered in turn
  }
  return out;
}

}  // namespace herald
