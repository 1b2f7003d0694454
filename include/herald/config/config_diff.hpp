#pragma once
/// Which differences between two configs a reload (SIGHUP) cannot apply.
#include <string>
#include <vector>

#include "herald/config/config.hpp"

namespace herald {

/// The key paths whose value differs between `running` and `next` and that only take effect on
/// a restart: the Redis connections, streams and keys (`redis.*`), the metrics listener
/// (`metrics.listen`), the in-flight bound (`limits.max_in_flight`) and the schedule loop
/// (`schedule.*`). Empty when a reload can apply `next` whole. Pure: no I/O.
std::vector<std::string> restart_only_changes(const Config& running, const Config& next);

}  // namespace herald
