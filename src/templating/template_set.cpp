#include "herald/templating/template_set.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "compiled_text.hpp"
#include "herald/core/utf8.hpp"
#include "herald/templating/sms_length.hpp"

namespace herald {
namespace {

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "text";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Template names become file names: nothing that could leave the templates directory.
bool is_plain_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

class TemplateParser {
 public:
  TemplateParser(const std::string& source, const std::filesystem::path& file,
                 const std::vector<std::string>& languages, std::vector<ConfigProblem>& problems,
                 std::size_t max_sms_fragments)
      : source_(source),
        file_(file),
        languages_(languages),
        problems_(problems),
        max_sms_fragments_(max_sms_fragments) {}

  // Fills `tmpl.texts`; reports every problem on the way.
  void parse(const std::vector<Channel>& required, Template& tmpl) {
    YAML::Node root;
    try {
      root = YAML::Load(source_);
    } catch (const YAML::DeepRecursion& e) {  // its own message reads "bad file"
      problem(e.mark.line < 0 ? 0 : e.mark.line + 1, "",
              "not valid YAML: nested deeper than yaml-cpp reads (2000 levels)");
      return;
    } catch (const YAML::Exception& e) {
      problem(e.mark.line < 0 ? 0 : e.mark.line + 1, "", "not valid YAML: " + e.msg);
      return;
    }
    if (root.IsNull()) {
      problem(0, "", "the file is empty (expected the keys email and sms)");
      return;
    }
    if (!root.IsMap()) {
      problem(root, "", "expected a map with the keys email and sms, got " + kind_of(root));
      return;
    }
    std::set<std::string> seen;
    for (const auto& entry : root) {
      auto key = scalar_key(entry.first, "", seen);
      if (!key) continue;
      auto channel = channel_from_string(*key);
      if (!channel) {
        problem(entry.first, *key, "unknown key (expected one of: email, sms)");
        continue;
      }
      auto& texts = tmpl.texts[*channel];
      parse_channel(*channel, entry.second, required, texts);
    }
    for (auto channel : required) {
      if (!seen.contains(std::string(to_string(channel))))
        problem(0, std::string(to_string(channel)),
                "missing: a rule sends this template by " + std::string(to_string(channel)));
    }
  }

 private:
  static int line_of(const YAML::Node& node) {
    int line = node.Mark().line;
    return line < 0 ? 0 : line + 1;
  }

  void problem(int line, std::string path, std::string message) {
    problems_.push_back({file_, std::move(path), line, std::move(message)});
  }
  void problem(const YAML::Node& node, std::string path, std::string message) {
    problem(line_of(node), std::move(path), std::move(message));
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  // The key as text, or nullopt (after reporting why) when it is not usable.
  std::optional<std::string> scalar_key(const YAML::Node& key, const std::string& path,
                                        std::set<std::string>& seen) {
    if (!key.IsScalar()) {
      problem(key, path, "a key must be a plain name, got " + kind_of(key));
      return std::nullopt;
    }
    auto name = key.Scalar();
    if (!seen.insert(name).second) {
      problem(key, join(path, name), "repeated key");
      return std::nullopt;
    }
    return name;
  }

  // The text of a scalar value, or nullopt after reporting that it is not text.
  std::optional<std::string> text_of(const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) {
      problem(node, path, "expected text, got " + kind_of(node));
      return std::nullopt;
    }
    if (node.Scalar().empty()) {
      problem(node, path, "must not be empty");
      return std::nullopt;
    }
    return node.Scalar();
  }

  // The line of byte `position` of a scalar's text: exact for one-line values and literal
  // blocks (`|`), the line the value starts on otherwise.
  int line_at(const YAML::Node& node, const std::string& text, std::size_t position) const {
    int line = line_of(node);
    auto pos = node.Mark().pos;
    if (line > 0 && pos >= 0 && static_cast<std::size_t>(pos) < source_.size() &&
        source_[pos] == '|') {
      auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(position, text.size()));
      return line + 1 + static_cast<int>(std::count(text.begin(), end, '\n'));
    }
    return line;
  }

  void parse_channel(Channel channel, const YAML::Node& node, const std::vector<Channel>& required,
                     std::map<std::string, TemplateText>& texts) {
    std::string path(to_string(channel));
    if (!node.IsMap()) {
      problem(node, path,
              "expected a map of languages (" + list(languages_) + "), got " + kind_of(node));
      return;
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      auto language = scalar_key(entry.first, path, seen);
      if (!language) continue;
      auto language_path = join(path, *language);
      if (std::find(languages_.begin(), languages_.end(), *language) == languages_.end()) {
        problem(entry.first, language_path,
                "unknown language (expected one of: " + list(languages_) + ")");
        continue;
      }
      auto text = channel == Channel::email ? parse_email(entry.second, language_path)
                                            : parse_sms(entry.second, language_path);
      if (text) texts[*language] = std::move(*text);
    }
    if (std::find(required.begin(), required.end(), channel) == required.end()) return;
    for (const auto& language : languages_) {
      if (!seen.contains(language))
        problem(node, join(path, language),
                "missing: every template needs text in each language (" + list(languages_) + ")");
    }
  }

  std::optional<TemplateText> parse_email(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      problem(node, path, "expected a map {subject, body, html}, got " + kind_of(node));
      return std::nullopt;
    }
    TemplateText text;
    std::map<std::string, YAML::Node> parts;
    std::set<std::string> seen;
    bool complete = true;
    for (const auto& entry : node) {
      auto key = scalar_key(entry.first, path, seen);
      if (!key) {
        complete = false;
        continue;
      }
      std::string* target = *key == "subject" ? &text.subject
                            : *key == "body"  ? &text.body
                            : *key == "html"  ? &text.html
                                              : nullptr;
      if (!target) {
        problem(entry.first, join(path, *key),
                "unknown key (expected one of: subject, body, html)");
        complete = false;
        continue;
      }
      auto value = text_of(entry.second, join(path, *key));
      if (!value) {
        complete = false;
        continue;
      }
      *target = std::move(*value);
      parts[*key] = entry.second;
    }
    for (const char* required : {"subject", "body"}) {
      if (!seen.contains(required)) {
        problem(node, join(path, required), "required key missing");
        complete = false;
      }
    }
    // Compiled even when incomplete, so that its Mustache errors are reported in the same run.
    if (!compile(text, Channel::email, path, parts) || !complete) return std::nullopt;
    return text;
  }

  std::optional<TemplateText> parse_sms(const YAML::Node& node, const std::string& path) {
    auto value = text_of(node, path);
    if (!value) return std::nullopt;
    TemplateText text;
    text.body = std::move(*value);
    if (!compile(text, Channel::sms, path, {{"body", node}})) return std::nullopt;
    if (!fits(text, node, path)) return std::nullopt;
    return text;
  }

  // A text too long for sms.max_fragments however short its values is a mistake in the
  // template, found here rather than by every event that uses it.
  bool fits(const TemplateText& text, const YAML::Node& node, const std::string& path) {
    if (max_sms_fragments_ == 0 || !text.compiled) return true;
    std::string shortest = normalise_sms(render_with_empty_values(text.compiled->body));
    shortest.erase(std::min(shortest.size(), shortest.find_last_not_of(" \t\r\n") + 1));
    const SmsLength length = measure_sms(shortest);
    if (length.fragments <= max_sms_fragments_) return true;
    problem(node, path,
            "is " + std::to_string(length.fragments) + " text message fragments (" +
                std::to_string(length.units) + " " +
                (length.encoding == SmsEncoding::gsm7 ? "GSM-7 characters"
                                                      : "UCS-2 characters: it has a character "
                                                        "outside the GSM alphabet") +
                ") even with every variable empty; sms.max_fragments is " +
                std::to_string(max_sms_fragments_));
    return false;
  }

  bool compile(TemplateText& text, Channel channel, const std::string& path,
               const std::map<std::string, YAML::Node>& parts) {
    std::vector<TextProblem> found;
    text.compiled = compile_text(text, channel, found);
    for (const auto& p : found) {
      const auto& node = parts.at(p.part);
      const std::string& source = p.part == "subject" ? text.subject
                                  : p.part == "html"  ? text.html
                                                      : text.body;
      // An SMS text is the language's value itself ("sms.cy"), not a "body" key.
      auto part_path = channel == Channel::sms ? path : join(path, p.part);
      problem(line_at(node, source, p.position), part_path, p.message);
    }
    return found.empty();
  }

  const std::string& source_;
  const std::filesystem::path& file_;
  const std::vector<std::string>& languages_;
  std::vector<ConfigProblem>& problems_;
  std::size_t max_sms_fragments_;
};

}  // namespace

const TemplateText* Template::find(Channel channel, const std::string& language) const {
  auto by_channel = texts.find(channel);
  if (by_channel == texts.end()) return nullptr;
  auto text = by_channel->second.find(language);
  return text == by_channel->second.end() ? nullptr : &text->second;
}

std::optional<Template> parse_template(const std::string& name, const std::string& yaml,
                                       const std::filesystem::path& file,
                                       const std::vector<Channel>& channels,
                                       const std::vector<std::string>& languages,
                                       std::vector<ConfigProblem>& problems,
                                       std::size_t max_sms_fragments) {
  auto before = problems.size();
  Template tmpl;
  tmpl.name = name;
  tmpl.file = file;
  TemplateParser(yaml, file, languages, problems, max_sms_fragments).parse(channels, tmpl);
  if (problems.size() != before) return std::nullopt;
  return tmpl;
}

namespace {

// Reads the file into `text`; returns the problem to report when it cannot. "Not found" only when
// the file does not exist (a dangling symlink, a missing directory on the way); any other failure
// (no permission, a symlink loop, an I/O error) names the system's reason, so that an operator is
// not sent looking for a file that is there.
std::optional<std::string> read_template_file(const std::filesystem::path& file,
                                              const std::string& name, std::string& text) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (status.type() == std::filesystem::file_type::not_found)  // ENOENT, ENOTDIR
    return "template file not found (named by a rule as '" + name + "')";
  if (ec) return "cannot read the template file: " + ec.message();
  if (!std::filesystem::is_regular_file(status))
    return "not a regular file (named by a rule as '" + name + "')";
  errno = 0;
  std::ifstream in(file, std::ios::binary);
  if (!in) return "cannot read the template file: " + std::string(std::strerror(errno));
  std::ostringstream out;
  errno = 0;
  out << in.rdbuf();  // a read error sets badbit on `out`, with errno from read(2)
  if (out.bad())
    return "cannot read the template file" +
           (errno != 0 ? ": " + std::string(std::strerror(errno)) : std::string());
  text = std::move(out).str();
  return std::nullopt;
}

}  // namespace

std::shared_ptr<const TemplateSet> TemplateSet::load(const std::filesystem::path& dir,
                                                     const std::vector<Rule>& rules,
                                                     const std::vector<std::string>& languages,
                                                     std::vector<ConfigProblem>& problems,
                                                     std::size_t max_sms_fragments) {
  // Several rules may share a template: it must then serve the channels of all of them.
  std::vector<std::string> names;
  std::map<std::string, std::vector<Channel>> channels;
  for (const auto& rule : rules) {
    if (!is_plain_name(rule.template_name)) {
      problems.push_back({dir, "", 0,
                          "the rule for status '" + rule.status + "' names template '" +
                              rule.template_name +
                              "', which is not a plain file name (letters, digits, _ and -)"});
      continue;
    }
    auto [it, inserted] = channels.try_emplace(rule.template_name);
    if (inserted) names.push_back(rule.template_name);
    const auto& rule_channels =
        rule.channels.empty()
            ? std::vector<Channel>(std::begin(kAllChannels), std::end(kAllChannels))
            : rule.channels;
    for (auto c : rule_channels)
      if (std::find(it->second.begin(), it->second.end(), c) == it->second.end())
        it->second.push_back(c);
  }

  auto set = std::make_shared<TemplateSet>();
  for (const auto& name : names) {
    auto file = dir / (name + ".yaml");
    std::string text;
    if (auto problem = read_template_file(file, name, text)) {
      problems.push_back({file, "", 0, std::move(*problem)});
      continue;
    }
    // yaml-cpp takes any bytes: a file saved as Latin-1 ("â" as one byte 0xE2) would reach the
    // citizen garbled, in a request body that is not valid JSON.
    if (auto fault = utf8_fault(text)) {
      problems.push_back({file, "", fault->line, std::move(fault->message)});
      continue;
    }
    auto tmpl =
        parse_template(name, text, file, channels[name], languages, problems, max_sms_fragments);
    if (tmpl) set->templates_.emplace(name, std::move(*tmpl));
  }
  return set;
}

const Template* TemplateSet::find(const std::string& name) const {
  auto it = templates_.find(name);
  return it == templates_.end() ? nullptr : &it->second;
}

}  // namespace herald
