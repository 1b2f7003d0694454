#pragma once
/// Logging: one named spdlog logger per module, `key=value` fields, never personal data.
///
/// Log lines carry event ids, notification ids, statuses, channels, gateways and reasons. They
/// never carry a name, an address, a phone number, a case reference or a message body: pass such
/// values to no logger. Values that come from outside go through `log_value` so that a hostile
/// event id cannot forge log lines.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

namespace herald {

/// The logger of `module` ("source", "dispatch", "scheduler", "gateway", "redis", "http", "app").
std::shared_ptr<spdlog::logger> logger(std::string_view module);

/// Sends every module's log to `sinks` at `level` ("info"; see LogConfig). Returns false for an
/// unknown level (nothing changes then).
bool configure_logging(std::vector<spdlog::sink_ptr> sinks, std::string_view level);

/// Changes the level of every module logger; false for an unknown level.
bool set_log_level(std::string_view level);

/// `value` as a logfmt value: as it is when it is plain, else double-quoted with `"`, `\` and
/// control characters escaped; cut to 200 bytes.
std::string log_value(std::string_view value);

}  // namespace herald
