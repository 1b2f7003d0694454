#include "herald/core/time_zones.hpp"

#include <cctype>
#include <stdexcept>

#include <date/tz.h>

namespace herald {

TimeZones::TimeZones() {
  (void)date::get_tzdb();
}

const date::time_zone* TimeZones::find(std::string_view name) {
  if (auto it = cache_.find(name); it != cache_.end()) return it->second;
  const date::time_zone* zone = nullptr;
  // A name is a path under /usr/share/zoneinfo in OS mode: refuse anything that is not an IANA
  // name before it reaches the filesystem.
  bool plausible = !name.empty() && name.size() <= 64 && name.front() != '/' &&
                   name.find("..") == std::string_view::npos;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
          c == '+'))
      plausible = false;
  if (plausible) {
    try {
      zone = date::locate_zone(name);
    } catch (const std::runtime_error&) {
      zone = nullptr;
    }
  }
  // Unknown names are cached too, but only plausible ones: the cache must not grow without bound
  // from hostile input.
  if (plausible && cache_.size() < 4096) cache_.emplace(std::string(name), zone);
  return zone;
}

}  // namespace herald
