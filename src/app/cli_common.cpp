#include "cli_common.hpp"

#include <algorithm>
#include <iostream>

#include "herald/app/loaded_config.hpp"

namespace herald::cli {

po::variables_map parse(int argc, char** argv, const po::options_description& options,
                        const po::positional_options_description& positional) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(),
              vm);
    po::notify(vm);
  } catch (const po::too_many_positional_options_error&) {
    // Boost's message does not say which: name the first argument beyond those taken.
    std::vector<std::string> arguments;
    try {
      for (const auto& o : po::command_line_parser(argc, argv).options(options).run().options)
        if (o.position_key >= 0) arguments.insert(arguments.end(), o.value.begin(), o.value.end());
    } catch (const po::error&) {
    }
    const auto taken = static_cast<std::size_t>(positional.max_total_count());
    if (arguments.size() > taken)
      throw UsageError("unexpected argument '" + arguments[taken] + "'");
    throw UsageError("too many arguments");
  } catch (const po::unknown_option& e) {
    // "-ABC" may be meant as an argument (a case reference may start with '-').
    std::string hint;
    if (positional.max_total_count() > 0 && e.get_option_name().rfind("--", 0) != 0)
      hint = "; an argument that starts with '-' goes after '--'";
    throw UsageError(e.what() + hint);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

po::options_description common_options(const char* title, std::string& config, bool& help) {
  po::options_description o(title);
  o.add_options()("help,h", po::bool_switch(&help), "show this help")(
      "config,c", po::value(&config)->default_value(kDefaultConfig), "configuration file");
  return o;
}

std::optional<Config> load_for_redis(const std::string& path) {
  std::vector<ConfigProblem> problems;
  auto config = load_config_with_env(path, problems, ConfigScope::redis);
  for (const auto& p : problems) std::cerr << to_string(p) << '\n';
  return config;
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  }
}

std::string printable(std::string text) {
  for (auto& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return text;
}

}  // namespace herald::cli
