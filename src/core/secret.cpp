#include "herald/core/secret.hpp"

#include <openssl/crypto.h>

namespace herald {

bool Secret::matches(std::string_view candidate) const {
  return same_secret(value_, candidate);
}

bool same_secret(std::string_view a, std::string_view b) {
  // The length is not secret (a token's length is in the docs); the bytes are.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace herald
