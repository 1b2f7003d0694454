#include "herald/core/time_zones.hpp"

#include <gtest/gtest.h>

#include <date/tz.h>

namespace herald {
namespace {

TEST(TimeZones, FindsIanaZonesFromSystemTzdata) {
  TimeZones zones;
  const auto* london = zones.find("Europe/London");
  ASSERT_NE(london, nullptr);
  EXPECT_EQ(london->name(), "Europe/London");
  EXPECT_EQ(zones.find("Europe/London"), london);  // cached
  EXPECT_NE(zones.find("Asia/Kathmandu"), nullptr);
}

TEST(TimeZones, RefusesUnknownAndHostileNames) {
  TimeZones zones;
  for (auto bad : {"Mars/Olympus_Mons", "", "../../etc/passwd", "/etc/localtime", "Europe/London\n",
                   "Europe/../Europe/London", "UTC; rm -rf"})
    EXPECT_EQ(zones.find(bad), nullptr) << bad;
}

TEST(TimeZones, RefusesTheFilesOfZoneinfoThatAreNotARecipientsZone) {
  // /usr/share/zoneinfo/localtime is the server's own zone (a link to /etc/localtime): a
  // recipient given it would be contacted by the server's hours, not theirs.
  TimeZones zones;
  for (auto bad : {"localtime", "posixrules", "Factory", "posix/Europe/London",
                   "right/Europe/London", "zone.tab", "tzdata.zi"})
    EXPECT_EQ(zones.find(bad), nullptr) << bad;
  EXPECT_NE(zones.find("Etc/UTC"), nullptr);
  EXPECT_NE(zones.find("GB"), nullptr) << "an IANA link is an IANA name";
}

}  // namespace
}  // namespace herald
