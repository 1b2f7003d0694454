#pragma once
// What every `herald` command shares: exit codes, usage errors, option parsing. Private to
// src/app: each command lives in its own cli_*.cpp and is dispatched from cli.cpp.
#include <stdexcept>
#include <string>

#include <boost/program_options.hpp>

namespace herald::cli {

namespace po = boost::program_options;

constexpr int kOk = 0;
constexpr int kRuntimeFailure = 1;
constexpr int kBadInput = 2;
constexpr const char* kDefaultConfig = "/etc/herald/herald.yaml";

/// A usage error: printed with the command's usage, exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses a command's arguments; a bad one throws UsageError.
po::variables_map parse(int argc, char** argv, const po::options_description& options,
                        const po::positional_options_description& positional);

/// `--help` and `--config FILE` (default /etc/herald/herald.yaml), under `title`.
po::options_description common_options(const char* title, std::string& config, bool& help);

/// `herald dead list|replay` (cli_dead.cpp).
int cmd_dead(int argc, char** argv);

}  // namespace herald::cli
