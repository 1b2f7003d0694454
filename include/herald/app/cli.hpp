#pragma once
/// The `herald` command line (CONTRACT.md section 2).

namespace herald {

/// Runs `herald COMMAND ...`; returns the exit code: 0 success, 2 bad usage or invalid input,
/// 1 a runtime failure.
int run_cli(int argc, char** argv);

}  // namespace herald
