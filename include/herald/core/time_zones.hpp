#pragma once
/// IANA time zones from the system tzdata (date/tz in USE_OS_TZDB mode), looked up once each.
#include <map>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace herald {

/// Caches `date::locate_zone` by name. Not thread-safe: one per event loop.
class TimeZones {
 public:
  /// Loads the tz database now (the first lookup walks /usr/share/zoneinfo), so that start-up
  /// pays for it and not the first event.
  TimeZones();
  /// The zone called `name` ("Europe/London"), or nullptr when tzdata has no such zone.
  const date::time_zone* find(std::string_view name);

 private:
  std::map<std::string, const date::time_zone*, std::less<>> cache_;
};

}  // namespace herald
