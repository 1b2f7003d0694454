#include "herald/app/loaded_config.hpp"

#include <algorithm>
#include <cstdlib>

#include "herald/config/redis_url.hpp"

namespace herald {

std::optional<Config> load_config_with_env(const std::filesystem::path& file,
                                           std::vector<ConfigProblem>& problems, ConfigScope scope,
                                           std::optional<Config>* partial) {
  auto result = load_config(file, scope);
  problems.insert(problems.end(), result.problems.begin(), result.problems.end());
  if (!result.config) {
    if (partial) *partial = std::move(result.partial);
    return std::nullopt;
  }
  // The demo and containers point herald at another Redis without editing the file.
  if (const char* url = std::getenv("HERALD_REDIS_URL"); url && *url) {
    if (!parse_redis_url(url)) {
      problems.push_back({file, "redis.url", 0, "HERALD_REDIS_URL is not a valid redis:// URL"});
      return std::nullopt;
    }
    result.config->redis.url = url;
  }
  return std::move(result.config);
}

namespace {

// The templates a config with problems names, checked as far as it can be trusted: not when
// templates.dir has a problem (the directory is unknown), and only the rules' template names
// that are plain names (any other has its problem already, and is never opened as a path).
void check_templates_of(const Config& partial, const std::vector<ConfigProblem>& config_problems,
                        std::vector<ConfigProblem>& problems) {
  for (const auto& p : config_problems)
    if (p.key_path.starts_with("templates")) return;
  const auto plain = [](const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    });
  };
  std::vector<Rule> rules;
  for (const auto& rule : partial.rules)
    if (plain(rule.template_name)) rules.push_back(rule);
  if (rules.empty()) return;
  TemplateSet::load(partial.templates.dir, rules, kLanguages, problems, partial.sms.max_fragments);
}

}  // namespace

std::optional<LoadedConfig> load_config_and_templates(const std::filesystem::path& file,
                                                      std::vector<ConfigProblem>& problems) {
  const auto before = problems.size();
  std::optional<Config> partial;
  auto config = load_config_with_env(file, problems, ConfigScope::all, &partial);
  if (!config) {
    if (partial) {
      const std::vector<ConfigProblem> config_problems(problems.begin() + before, problems.end());
      check_templates_of(*partial, config_problems, problems);
    }
    return std::nullopt;
  }
  auto templates = TemplateSet::load(config->templates.dir, config->rules, kLanguages, problems,
                                     config->sms.max_fragments);
  if (problems.size() != before || !templates) return std::nullopt;
  return LoadedConfig{std::make_shared<const Config>(std::move(*config)), std::move(templates)};
}

}  // namespace herald
