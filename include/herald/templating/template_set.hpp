#pragma once
/// Message templates: one YAML file per template, every channel and language side by side
/// (CONTRACT.md section 7).
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "herald/config/config_loader.hpp"
#include "herald/core/channel.hpp"

namespace herald {

/// The parsed Mustache of one TemplateText (defined and used inside the templating module).
struct CompiledText;

/// The text of one channel in one language, in Mustache syntax. SMS uses `body` only.
struct TemplateText {
  std::string subject;
  std::string body;
  std::string html;  ///< optional HTML part of an email
  /// Set when loaded through TemplateSet or parse_template; a text built by hand is compiled
  /// when it is rendered.
  std::shared_ptr<const CompiledText> compiled;
};

/// One template file, parsed.
struct Template {
  std::string name;
  std::filesystem::path file;
  /// channel -> language ("en", "cy") -> text
  std::map<Channel, std::map<std::string, TemplateText>> texts;

  /// The text for `channel` in `language`, or nullptr.
  const TemplateText* find(Channel channel, const std::string& language) const;
};

/// All templates the rules name, loaded and syntax-checked once (at start and on reload).
class TemplateSet {
 public:
  /// Loads `<dir>/<name>.yaml` for every rule's template and checks that each has every channel
  /// the rule can use in every language in `languages` and that its Mustache parses. Every
  /// problem is appended to `problems` (file, key path, line); a template with problems is left
  /// out of the set. With `max_sms_fragments` > 0, an SMS text that is longer than that many
  /// fragments even with every variable empty is a problem too (sms.max_fragments).
  static std::shared_ptr<const TemplateSet> load(const std::filesystem::path& dir,
                                                 const std::vector<Rule>& rules,
                                                 const std::vector<std::string>& languages,
                                                 std::vector<ConfigProblem>& problems,
                                                 std::size_t max_sms_fragments = 0);

  /// The template called `name`, or nullptr.
  const Template* find(const std::string& name) const;

 private:
  std::map<std::string, Template> templates_;
};

/// Parses and compiles one template from its YAML text, with the checks `TemplateSet::load`
/// makes: unknown keys, each of `channels` present in each of `languages`, email subject and
/// body present, Mustache syntax, and names the renderer does not provide. Problems are appended
/// to `problems` with `file`, key path ("email.cy.subject") and line; the template is returned
/// only when there were none. `max_sms_fragments` as in TemplateSet::load.
std::optional<Template> parse_template(const std::string& name, const std::string& yaml,
                                       const std::filesystem::path& file,
                                       const std::vector<Channel>& channels,
                                       const std::vector<std::string>& languages,
                                       std::vector<ConfigProblem>& problems,
                                       std::size_t max_sms_fragments = 0);

/// The languages herald writes in.
inline const std::vector<std::string> kLanguages = {"en", "cy"};

}  // namespace herald
