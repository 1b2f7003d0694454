#include "support/provider/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>

namespace herald::test {

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;
  }
  while (standard.size() % 4 != 0) standard += '=';
  std::string out(standard.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(standard.data()),
                          static_cast<int>(standard.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding's zero bytes in: take them off again.
  std::size_t padding = 0;
  for (auto it = standard.rbegin(); it != standard.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::optional<boost::json::object> verify_hs256(std::string_view token, std::string_view secret) {
  auto first = token.find('.');
  auto second = token.find('.', first == std::string_view::npos ? 0 : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return std::nullopt;
  auto header = base64url_decode(token.substr(0, first));
  auto claims = base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !claims || !signature) return std::nullopt;
  boost::system::error_code ec;
  auto header_json = boost::json::parse(*header, ec);
  if (ec || header_json != boost::json::parse(R"({"typ":"JWT","alg":"HS256"})"))
    return std::nullopt;
  const std::string_view signed_part = token.substr(0, second);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), digest,
       &length);
  if (signature->size() != length || CRYPTO_memcmp(signature->data(), digest, length) != 0)
    return std::nullopt;
  auto claims_json = boost::json::parse(*claims, ec);
  if (ec || !claims_json.is_object()) return std::nullopt;
  return claims_json.get_object();
}

}  // namespace herald::test
