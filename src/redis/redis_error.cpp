#include "herald/redis/redis_error.hpp"

#include <mutex>
#include <string>
#include <vector>

namespace herald {
namespace {

constexpr std::size_t kMaxTextBytes = 200;
// Texts differ by error and by script line, not by event: a handful in practice. The bounds
// only keep a misbehaving server from growing the table without end.
constexpr std::size_t kMaxTexts = 256;
constexpr std::size_t kMaxCodes = 64;
constexpr int kUnkept = 1;  // 0 is "no error"; kept texts are numbered from 2
constexpr const char* kUnkeptText = "Redis error reply";

// An error_code holds a number, not a string: the texts live here and the number indexes them.
// The table is shared by every thread that talks to Redis, hence the mutex.
class Texts {
 public:
  int intern(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (int v = find(text)) return v;
    if (texts_.size() < kMaxTexts) return add(text);
    const std::string code = text.substr(0, text.find(' '));  // OOM, READONLY, ERR, ...
    if (int v = find(code)) return v;
    if (texts_.size() < kMaxTexts + kMaxCodes) return add(code);
    return kUnkept;
  }

  std::string text(int value) const {
    std::lock_guard lock(mutex_);
    const auto i = static_cast<std::size_t>(value - 2);
    if (value < 2 || i >= texts_.size()) return kUnkeptText;
    return texts_[i];
  }

 private:
  int find(const std::string& text) const {
    for (std::size_t i = 0; i < texts_.size(); ++i)
      if (texts_[i] == text) return static_cast<int>(i) + 2;
    return 0;
  }
  int add(std::string text) {
    texts_.push_back(std::move(text));
    return static_cast<int>(texts_.size()) + 1;
  }

  mutable std::mutex mutex_;
  std::vector<std::string> texts_;
};

Texts& texts() {
  static Texts t;
  return t;
}

class RedisErrorCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "redis"; }
  std::string message(int value) const override { return texts().text(value); }
};

// The first line, plain ASCII, bounded.
std::string first_line(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, text.find_first_of("\r\n"))) {
    if (out.size() == kMaxTextBytes) break;
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  return out;
}

}  // namespace

const boost::system::error_category& redis_error_category() {
  static const RedisErrorCategory category;
  return category;
}

boost::system::error_code redis_error(std::string_view reply_text) {
  std::string text = first_line(reply_text);
  const int value = text.empty() ? kUnkept : texts().intern(text);
  return {value, redis_error_category()};
}

}  // namespace herald
