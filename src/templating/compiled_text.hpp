#pragma once
// A TemplateText compiled once, at load, so that rendering a message does no parsing.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/core/channel.hpp"
#include "herald/templating/template_set.hpp"
#include "mustache_program.hpp"

namespace herald {

/// The plain variables every template may use (renderer.cpp provides each of them).
inline constexpr std::string_view kEventVariables[] = {"case_ref", "status", "occurred_at",
                                                       "salutation"};
/// The fields a template may use as `recipient.<field>`.
inline constexpr std::string_view kRecipientFields[] = {"name",  "title",    "email",
                                                        "phone", "language", "timezone"};

struct CompiledText {
  MustacheProgram subject;  ///< email only
  MustacheProgram body;
  MustacheProgram html;  ///< email only; used when has_html
  bool has_html = false;
  /// Names the text tests with an inverted section (`{{^data.x}}`) anywhere in its parts: the
  /// template says what happens when they are absent, so `{{#data.x}}` may find them absent too.
  NameSet optional;
};

/// Something wrong in one part ("subject", "body", "html") of a text.
struct TextProblem {
  std::string part;
  std::size_t position = 0;  ///< byte offset into the part's text
  std::string message;
};

/// Compiles the parts `channel` uses (subject, body and html for email; body for SMS) and checks
/// every name used outside a section against the variables the renderer provides (section 7 of
/// CONTRACT.md), so that a typo shows up in `check-config` instead of in every event. Returns null
/// when anything was appended to `problems`.
std::shared_ptr<const CompiledText> compile_text(const TemplateText& text, Channel channel,
                                                 std::vector<TextProblem>& problems);

}  // namespace herald
