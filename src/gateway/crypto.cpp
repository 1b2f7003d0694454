#include "crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace herald::gateway_detail {

std::string base64(std::string_view data) {
  // EVP_EncodeBlock writes 4 bytes per 3 (rounded up) and a terminating NUL.
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=' && i + 2 >= text.size()) {
      ++padding;
    } else if (!letter || padding > 0) {
      return std::nullopt;  // not base64, or data after the padding
    }
  }
  // EVP_DecodeBlock writes 3 bytes per 4, the padding's zero bytes included.
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);
  return out;
}

std::string base64url(std::string_view data) {
  std::string out = base64(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

namespace {

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length))
    throw std::runtime_error("HMAC failed");  // only without memory: a bug, not a value
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
  return hmac(EVP_sha256(), key, data);
}

std::string hmac_sha1(std::string_view key, std::string_view data) {
  return hmac(EVP_sha1(), key, data);
}

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// The key, when `spki_der` is exactly one DER SubjectPublicKeyInfo of a P-256 key.
Pkey p256_key(std::string_view spki_der, std::string* why) {
  // A refused key leaves OpenSSL's per-thread error queue filled, and libcurl reads that queue
  // to explain a TLS failure on this thread: emptied before returning.
  struct ClearErrors {
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  const auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  Pkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  auto refuse = [&](const char* reason) {
    if (why) *why = reason;
    return Pkey();
  };
  if (!key) return refuse("not a DER public key");
  if (p != reinterpret_cast<const unsigned char*>(spki_der.data()) + spki_der.size())
    return refuse("more than one DER public key");
  char group[64] = {};
  std::size_t length = 0;
  if (!EVP_PKEY_is_a(key.get(), "EC") ||
      !EVP_PKEY_get_group_name(key.get(), group, sizeof group, &length) ||
      std::strcmp(group, "prime256v1") != 0)
    return refuse("not an ECDSA P-256 key");
  return key;
}

}  // namespace

std::string p256_public_key_problem(std::string_view spki_der) {
  std::string why;
  p256_key(spki_der, &why);
  return why;
}

bool ecdsa_p256_sha256_verify(std::string_view spki_der, std::string_view data,
                              std::string_view signature_der) {
  Pkey key = p256_key(spki_der, nullptr);
  if (!key) return false;
  struct ClearErrors {  // as in p256_key: a bad signature leaves errors queued
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature_der.data()),
                          signature_der.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

}  // namespace herald::gateway_detail
