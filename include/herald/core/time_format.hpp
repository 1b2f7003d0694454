#pragma once
/// RFC 3339 timestamps in and out.
#include <optional>
#include <string>
#include <string_view>

#include "herald/core/clock.hpp"

namespace herald {

/// Parses an RFC 3339 date-time ("2026-11-22T10:15:00Z", "2026-11-22T10:15:00.250+01:00").
/// Returns nullopt for anything else, including out-of-range fields.
std::optional<Instant> parse_rfc3339(std::string_view text);

/// Formats an instant as RFC 3339 in UTC: "2026-11-23T09:00:00Z" (milliseconds shown only when
/// non-zero: "2026-11-23T09:00:00.250Z").
std::string format_rfc3339(Instant t);

}  // namespace herald
