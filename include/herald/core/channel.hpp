#pragma once
/// The two ways herald reaches a person.
#include <optional>
#include <string_view>

namespace herald {

enum class Channel { email, sms };

/// "email" or "sms".
constexpr std::string_view to_string(Channel c) {
  return c == Channel::email ? "email" : "sms";
}

/// The channel named `name`, or nullopt.
constexpr std::optional<Channel> channel_from_string(std::string_view name) {
  if (name == "email") return Channel::email;
  if (name == "sms") return Channel::sms;
  return std::nullopt;
}

inline constexpr Channel kAllChannels[] = {Channel::email, Channel::sms};

}  // namespace herald
