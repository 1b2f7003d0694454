#include "herald/app/loaded_config.hpp"

#include <cstdlib>

#include "herald/config/redis_url.hpp"

namespace herald {

std::optional<Config> load_config_with_env(const std::filesystem::path& file,
                                           std::vector<ConfigProblem>& problems,
                                           ConfigScope scope) {
  auto result = load_config(file, scope);
  problems.insert(problems.end(), result.problems.begin(), result.problems.end());
  if (!result.config) return std::nullopt;
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

std::optional<LoadedConfig> load_config_and_templates(const std::filesystem::path& file,
                                                      std::vector<ConfigProblem>& problems) {
  const auto before = problems.size();
  auto config = load_config_with_env(file, problems);
  if (!config) return std::nullopt;
  auto templates = TemplateSet::load(config->templates.dir, config->rules, kLanguages, problems,
                                     config->sms.max_fragments);
  if (problems.size() != before || !templates) return std::nullopt;
  return LoadedConfig{std::make_shared<const Config>(std::move(*config)), std::move(templates)};
}

}  // namespace herald
