#include "cli_common.hpp"

namespace herald::cli {

po::variables_map parse(int argc, char** argv, const po::options_description& options,
                        const po::positional_options_description& positional) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(),
              vm);
    po::notify(vm);
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

}  // namespace herald::cli
