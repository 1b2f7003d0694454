#pragma once
/// Loading config YAML into Config, collecting every problem instead of stopping at the first.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "herald/config/config.hpp"

namespace herald {

/// One thing wrong with a config or template file.
struct ConfigProblem {
  std::filesystem::path file;
  std::string key_path;  ///< "gateways.email.url", "rules[2].channels[0]"; "" for the whole file
  int line = 0;          ///< 1-based; 0 when unknown
  std::string message;
};

/// "FILE:LINE: KEY: MESSAGE" (LINE omitted when unknown).
std::string to_string(const ConfigProblem& problem);

struct ConfigLoadResult {
  std::optional<Config> config;  ///< set only when `problems` is empty
  std::vector<ConfigProblem> problems;
  /// With problems, what could be read of the file (a value with a problem may be missing or
  /// partly set), for checks that can still go on: the templates its rules name.
  std::optional<Config> partial;
};

/// What of a config file is read.
enum class ConfigScope {
  all,    ///< everything, as `run` and `check-config` need it
  redis,  ///< the `redis` section only (other sections are neither read nor checked), for the
          ///< operator commands that only read Redis: the gateways' secrets, which exist only
          ///< inside the service (LoadCredential=, EnvironmentFile=), are not needed there
};

/// Reads and validates `file`. Unknown keys, wrong types, bad values and missing required keys are
/// all reported, each with its key path and line. Does not load templates (see TemplateSet).
ConfigLoadResult load_config(const std::filesystem::path& file,
                             ConfigScope scope = ConfigScope::all);

/// Same, from YAML text; relative paths resolve against `base_dir`.
ConfigLoadResult load_config_from_string(const std::string& yaml, const std::filesystem::path& file,
                                         const std::filesystem::path& base_dir,
                                         ConfigScope scope = ConfigScope::all);

}  // namespace herald
