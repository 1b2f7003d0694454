#include "support/provider/sendgrid_signer.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdexcept>
#include <vector>

namespace herald::test {
namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

struct SendgridSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

SendgridSigner::SendgridSigner() : key_(std::make_unique<Key>()) {
  key_->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key_->pkey) throw std::runtime_error("cannot make a P-256 key");
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key_->pkey, &der);
  if (length <= 0) throw std::runtime_error("cannot write the public key");
  verification_key_ = base64(der, static_cast<std::size_t>(length));
  OPENSSL_free(der);
}

SendgridSigner::~SendgridSigner() = default;

std::string SendgridSigner::sign(std::string_view timestamp, std::string_view body) const {
  std::string data(timestamp);
  data.append(body);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t size = 0;
  std::vector<unsigned char> signature;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1;
  if (ok) {
    signature.resize(size);
    ok = EVP_DigestSign(ctx, signature.data(), &size,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("cannot sign");
  return base64(signature.data(), size);
}

}  // namespace herald::test
