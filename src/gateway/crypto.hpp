#pragma once
// Private to src/gateway: the few primitives provider authentication needs, from OpenSSL.
#include <optional>
#include <string>
#include <string_view>

namespace herald::gateway_detail {

/// Standard base64 with padding (RFC 4648 section 4): HTTP Basic credentials.
std::string base64(std::string_view data);

/// Standard base64 decoded; nullopt unless `text` is base64 with padding and nothing else (no
/// whitespace, no line breaks).
std::optional<std::string> base64_decode(std::string_view text);

/// base64url without padding (RFC 4648 section 5): the parts of a JSON Web Token.
std::string base64url(std::string_view data);

/// HMAC-SHA256 of `data` under `key`, as 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// HMAC-SHA1 of `data` under `key`, as 20 raw bytes: Twilio's request signatures.
std::string hmac_sha1(std::string_view key, std::string_view data);

/// Why `spki_der` (a DER SubjectPublicKeyInfo) is not an ECDSA P-256 public key, or "".
std::string p256_public_key_problem(std::string_view spki_der);

/// Whether `signature_der` (a DER ECDSA signature) is the signature of SHA-256(`data`) under the
/// P-256 public key `spki_der`. False for a key or signature that cannot be read.
bool ecdsa_p256_sha256_verify(std::string_view spki_der, std::string_view data,
                              std::string_view signature_der);

}  // namespace herald::gateway_detail
