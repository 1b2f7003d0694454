// libFuzzer target: the config loader on arbitrary YAML text, and the template file parser on
// the same text. Both must report problems, never crash or throw: check-config is how an
// operator finds out what is wrong with a file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "herald/config/config_loader.hpp"
#include "herald/templating/template_set.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  auto loaded = herald::load_config_from_string(yaml, "fuzz.yaml", "/nonexistent-herald-fuzz");
  if (loaded.config.has_value() == !loaded.problems.empty()) std::abort();
  for (const auto& problem : loaded.problems)
    if (problem.message.empty()) std::abort();  // every problem says what is wrong
  if (loaded.config) {
    // A config that loads has what the daemon relies on.
    if (loaded.config->rules.empty()) std::abort();
  }

  std::vector<herald::ConfigProblem> problems;
  auto tmpl = herald::parse_template("fuzz", yaml, "fuzz.yaml",
                                     {herald::Channel::email, herald::Channel::sms},
                                     herald::kLanguages, problems);
  if (tmpl.has_value() == !problems.empty()) std::abort();
  return 0;
}
