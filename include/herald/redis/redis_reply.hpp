#pragma once
/// A Redis reply, copied out of hiredis (hiredis frees its own when the callback returns).
#include <cstdint>
#include <string>
#include <vector>

namespace herald {

struct RedisReply {
  enum class Type { nil, string, integer, array, status, error };
  Type type = Type::nil;
  std::string str;  ///< string, status and error replies
  std::int64_t integer = 0;
  std::vector<RedisReply> elements;  ///< array replies

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
};

}  // namespace herald
