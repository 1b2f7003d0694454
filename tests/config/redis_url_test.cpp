#include "herald/config/redis_url.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(RedisUrl, ReadsHostPortAndDatabase) {
  auto e = parse_redis_url("redis://redis.internal:6380/3");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "redis.internal");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 3);
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->password, "");
}

TEST(RedisUrl, DefaultsPortAndDatabase) {
  for (auto url : {"redis://localhost", "redis://localhost/"}) {
    auto e = parse_redis_url(url);
    ASSERT_TRUE(e) << url;
    EXPECT_EQ(e->host, "localhost");
    EXPECT_EQ(e->port, 6379);
    EXPECT_EQ(e->db, 0);
  }
}

TEST(RedisUrl, ReadsPasswordAndUserWithPercentDecoding) {
  auto only_password = parse_redis_url("redis://:s3cret@127.0.0.1:6379/0");
  ASSERT_TRUE(only_password);
  EXPECT_EQ(only_password->username, "");
  EXPECT_EQ(only_password->password, "s3cret");

  auto both = parse_redis_url("redis://app%40ops:p%3Aa%2Fss%40word@10.0.0.5/15");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->username, "app@ops");
  EXPECT_EQ(both->password, "p:a/ss@word");
  EXPECT_EQ(both->host, "10.0.0.5");
  EXPECT_EQ(both->db, 15);
}

TEST(RedisUrl, ReadsBracketedIpv6Hosts) {
  auto e = parse_redis_url("redis://[::1]:7000/1");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7000);
  EXPECT_EQ(e->db, 1);
  auto no_port = parse_redis_url("redis://[2001:db8::5]");
  ASSERT_TRUE(no_port);
  EXPECT_EQ(no_port->host, "2001:db8::5");
  EXPECT_EQ(no_port->port, 6379);
}

TEST(RedisUrl, RefusesMalformedUrls) {
  for (auto url : {"",
                   "redis://",
                   "rediss://localhost",
                   "http://localhost:6379",
                   "localhost:6379",
                   "redis:/localhost",
                   "redis://localhost:0",
                   "redis://localhost:65536",
                   "redis://localhost:-1",
                   "redis://localhost:",
                   "redis://localhost:63a9",
                   "redis://localhost/16",
                   "redis://localhost/-1",
                   "redis://localhost/db",
                   "redis://localhost/0/1",
                   "redis://localhost/0?timeout=1",
                   "redis://:6379",
                   "redis://user@localhost",
                   "redis://:pa%zzss@localhost",
                   "redis://:pass%@localhost",
                   "redis://:p%00@localhost",
                   "redis://[::1",
                   "redis://[]:6379",
                   "redis://[zz]",
                   "redis://[::1]6379",
                   "redis://local host",
                   "redis://localhost#frag",
                   "redis://a:b@",
                   " redis://localhost",
                   "REDIS://localhost"})
    EXPECT_FALSE(parse_redis_url(url)) << url;
}

TEST(RedisUrl, RedactsThePassword) {
  EXPECT_EQ(redacted(*parse_redis_url("redis://:s3cret@127.0.0.1:6379/0")),
            "redis://:***@127.0.0.1:6379/0");
  EXPECT_EQ(redacted(*parse_redis_url("redis://ops:s3cret@db/2")), "redis://ops:***@db:6379/2");
  EXPECT_EQ(redacted(*parse_redis_url("redis://localhost")), "redis://localhost:6379/0");
  EXPECT_EQ(redacted(*parse_redis_url("redis://[::1]:7000")), "redis://[::1]:7000/0");
}

TEST(RedisUrl, RedactedFormParsesBackToTheSameEndpoint) {
  auto e = parse_redis_url("redis://we%20ird:x@[::1]:7000/4");
  ASSERT_TRUE(e);
  auto again = parse_redis_url(redacted(*e));
  ASSERT_TRUE(again) << redacted(*e);
  EXPECT_EQ(again->username, "we ird");
  EXPECT_EQ(again->host, "::1");
  EXPECT_EQ(again->port, 7000);
  EXPECT_EQ(again->db, 4);
}

}  // namespace
}  // namespace herald
