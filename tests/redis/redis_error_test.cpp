// A Redis error reply as an error_code: what a log line of its message() shows.
#include "herald/redis/redis_error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

TEST(RedisError, SaysWhatRedisSaid) {
  auto ec = redis_error("OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_TRUE(ec);
  EXPECT_EQ(ec.message(), "OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_EQ(std::string(ec.category().name()), "redis");
  EXPECT_EQ(ec, redis_error("OOM command not allowed when used memory > 'maxmemory'."));
  EXPECT_NE(ec, redis_error("READONLY You can't write against a read only replica."));
}

TEST(RedisError, KeepsOnlyTheFirstLineInPlainTextAndAtMost200Bytes) {
  EXPECT_EQ(redis_error("ERR first\r\nsecond line").message(), "ERR first");
  EXPECT_EQ(redis_error("ERR a\tb\x1b[31m\xc5\xb5").message(), "ERR a?b?[31m??");
  EXPECT_EQ(redis_error("ERR " + std::string(500, 'x')).message().size(), 200u);
  EXPECT_EQ(redis_error("").message(), "Redis error reply");
  EXPECT_TRUE(redis_error(""));
}

}  // namespace
}  // namespace herald
