#pragma once
/// The config file and the templates it names, read and checked together: what `herald run`
/// starts with, what a reload (SIGHUP) swaps in, what `check-config` reports on.
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "herald/config/config_loader.hpp"
#include "herald/templating/template_set.hpp"

namespace herald {

/// A config and its templates, both valid.
struct LoadedConfig {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const TemplateSet> templates;
};

/// Reads `file` (with `HERALD_REDIS_URL`, when set, replacing `redis.url`) without the
/// templates; `scope` says how much of it (ConfigScope::redis for operator commands that only
/// talk to Redis). Appends every problem; with problems, what could be read goes to `partial`
/// when given (ConfigLoadResult::partial).
std::optional<Config> load_config_with_env(const std::filesystem::path& file,
                                           std::vector<ConfigProblem>& problems,
                                           ConfigScope scope = ConfigScope::all,
                                           std::optional<Config>* partial = nullptr);

/// Reads `file` as load_config_with_env does, then loads every template its rules name.
/// nullopt, with every problem appended, when anything is wrong. With problems in the config,
/// the templates are still checked as far as it names them (templates.dir when that has no
/// problem; the rules' template names that are plain names), so that every problem is said at
/// once. With problems, what of the config could be read goes to `partial` when given (all of
/// it when only the templates have problems).
std::optional<LoadedConfig> load_config_and_templates(const std::filesystem::path& file,
                                                      std::vector<ConfigProblem>& problems,
                                                      std::optional<Config>* partial = nullptr);

}  // namespace herald
