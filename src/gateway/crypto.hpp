#pragma once
// Private to src/gateway: the few primitives provider authentication needs, from OpenSSL.
#include <string>
#include <string_view>

namespace herald::gateway_detail {

/// Standard base64 with padding (RFC 4648 section 4): HTTP Basic credentials.
std::string base64(std::string_view data);

/// base64url without padding (RFC 4648 section 5): the parts of a JSON Web Token.
std::string base64url(std::string_view data);

/// HMAC-SHA256 of `data` under `key`, as 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// HMAC-SHA1 of `data` under `key`, as 20 raw bytes: Twilio's request signatures.
std::string hmac_sha1(std::string_view key, std::string_view data);

}  // namespace herald::gateway_detail
