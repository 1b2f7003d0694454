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
// templates.dir has a problem (the directory is unknown), and not a rule's template that has a
// problem of its own (a name with a path in it is never opened). The loader keeps one rule per
// item of `rules`, so partial.rules[i] is `rules[i]`.
void check_templates_of(const Config& partial, const std::vector<ConfigProblem>& config_problems,
                        std::vector<ConfigProblem>& problems) {
  const auto has_problem = [&](const std::string& key) {
    return std::any_of(config_problems.begin(), config_problems.end(),
                       [&](const ConfigProblem& p) { return p.key_path.starts_with(key); });
  };
  if (has_problem("templates")) return;
  std::vector<Rule> rules;
  for (std::size_t i = 0; i < partial.rules.size(); ++i)
    if (!partial.rules[i].template_name.empty() &&
        !has_problem("rules[" + std::to_string(i) + "].template"))
      rules.push_back(partial.rules[i]);
  if (rules.empty()) return;
  TemplateSet::load(partial.templates.dir, rules, kLanguages, problems, partial.sms.max_fragments);
}

}  // namespace

std::optional<LoadedConfig> load_config_and_templates(const std::filesystem::path& file,
                                                      std::vector<ConfigProblem>& problems,
                                                      std::optional<Config>* partial) {
  const auto before = problems.size();
  std::optional<Config> read;
  auto config = load_config_with_env(file, problems, ConfigScope::all, &read);
  if (!config) {
    if (read) {
      const std::vector<ConfigProblem> config_problems(problems.begin() + before, problems.end());
      check_templates_of(*read, config_problems, problems);
      if (partial) *partial = std::move(read);
    }
    return std::nullopt;
  }
  auto templates = TemplateSet::load(config->templates.dir, config->rules, kLanguages, problems,
                                     config->sms.max_fragments);
  if (problems.size() != before || !templates) {
    if (partial) *partial = std::move(config);
    return std::nullopt;
  }
  return LoadedConfig{std::make_shared<const Config>(std::move(*config)), std::move(templates)};
}

}  // namespace herald
