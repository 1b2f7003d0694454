#pragma once
/// Message templates: one YAML file per template, every channel and language side by side
/// (CONTRACT.md section 7).
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "herald/config/config_loader.hpp"
#include "herald/core/channel.hpp"

namespace herald {

/// The text of one channel in one language, in Mustache syntax. SMS uses `body` only.
struct TemplateText {
  std::string subject;
  std::string body;
  std::string html;  ///< optional HTML part of an email
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
  /// problem is appended to `problems` (file, key path, line).
  static std::shared_ptr<const TemplateSet> load(const std::filesystem::path& dir,
                                                 const std::vector<Rule>& rules,
                                                 const std::vector<std::string>& languages,
                                                 std::vector<ConfigProblem>& problems);

  /// The template called `name`, or nullptr.
  const Template* find(const std::string& name) const;

 private:
  std::map<std::string, Template> templates_;
};

/// The languages herald writes in.
inline const std::vector<std::string> kLanguages = {"en", "cy"};

}  // namespace herald
