#pragma once
/// A credential (API key, auth token) that never prints its value.
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace herald {

/// Holds a secret loaded from the environment or a credentials file. Streams and formats as
/// "[secret]", so a secret that reaches a log line, an error or a test failure message by mistake
/// shows nothing; reveal() is the one way to the value, and easy to grep for. The value is
/// overwritten when the object goes.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
  Secret& operator=(const Secret& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
    }
    return *this;
  }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      other.wipe();
    }
    return *this;
  }
  ~Secret() { wipe(); }

  /// The value, for the one place that must send it (an Authorization header, an HMAC key).
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  /// Whether `candidate` is the secret, in a time that does not tell how much of it was right.
  bool matches(std::string_view candidate) const;

  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }
  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "[secret]"; }

 private:
  void wipe() {
    // volatile, so that the compiler cannot drop the stores to memory about to be freed.
    volatile char* p = value_.data();
    for (std::size_t i = 0; i < value_.size(); ++i) p[i] = 0;
    value_.clear();
  }

  std::string value_;
};

/// Whether `a` and `b` are equal, in a time that does not depend on where they differ: for
/// comparing what a caller presents (a token, a signature) with what it should be.
bool same_secret(std::string_view a, std::string_view b);

}  // namespace herald
