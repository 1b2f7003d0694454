#pragma once
/// Checking a JSON Web Token as GOV.UK Notify does, with OpenSSL directly (independent of the
/// code under test).
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace herald::test {

/// base64url (no padding) decoded; nullopt when it is not base64url.
std::optional<std::string> base64url_decode(std::string_view text);

/// The claims of an HS256 token whose header is `{"typ":"JWT","alg":"HS256"}` and whose
/// signature verifies under `secret`; nullopt otherwise.
std::optional<boost::json::object> verify_hs256(std::string_view token, std::string_view secret);

}  // namespace herald::test
