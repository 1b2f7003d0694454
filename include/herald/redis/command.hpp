#pragma once
/// Building Redis command arguments.
#include <string>
#include <utility>
#include <vector>

namespace herald {

/// The arguments of a command: `redis_args("XACK", stream, group, id)`. A function rather than a
/// braced list because GCC 12 rejects `{"a", s}` passed to a call inside a coroutine ("array
/// used as initializer").
template <class... Args>
std::vector<std::string> redis_args(Args&&... args) {
  std::vector<std::string> out;
  out.reserve(sizeof...(Args));
  (out.emplace_back(std::forward<Args>(args)), ...);
  return out;
}

}  // namespace herald
