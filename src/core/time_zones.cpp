#include "herald/core/time_zones.hpp"

#include <cctype>
#include <stdexcept>

#include <date/tz.h>

namespace herald {
namespace {

// Debian's /usr/share/zoneinfo/localtime is a link to the server's /etc/localtime, and the date
// library lists it among the zones: a recipient given it would be contacted by the server's
// hours. (posixrules, Factory, posix/ and right/ it does not list; the tests hold it to that.)
bool is_not_a_zone(std::string_view name) {
  return name == "localtime";
}

}  // namespace

TimeZones::TimeZones() {
  (void)date::get_tzdb();
}

const date::time_zone* TimeZones::find(std::string_view name) {
  if (auto it = cache_.find(name); it != cache_.end()) return it->second;
  const date::time_zone* zone = nullptr;
  // A name is a path under /usr/share/zoneinfo in OS mode: refuse anything that is not an IANA
  // name before it reaches the filesystem.
  bool plausible = !name.empty() && name.size() <= 64 && name.front() != '/' &&
                   name.find("..") == std::string_view::npos && !is_not_a_zone(name);
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
