#include "support/http/test_certificate.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace herald::test {
namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, Deleter<X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

std::string pem_of(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

TestCertificate make_test_certificate() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "key generation");
  Certificate cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  check(X509_set_version(x, 2) == 1, "set version");
  unsigned char serial[8];
  check(RAND_bytes(serial, sizeof serial) == 1, "serial");
  serial[0] &= 0x7F;  // positive
  std::unique_ptr<BIGNUM, Deleter<BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) != nullptr, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "not before");
  check(X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) != nullptr, "not after");
  check(X509_set_pubkey(x, key.get()) == 1, "public key");
  X509_NAME* name = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("herald test server"), -1,
                                   -1, 0) == 1,
        "subject");
  check(X509_set_issuer_name(x, name) == 1, "issuer");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
      {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : extensions) {
    Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    check(ext != nullptr && X509_add_ext(x, ext.get(), -1) == 1, "extension");
  }
  check(X509_sign(x, key.get(), EVP_sha256()) > 0, "signing");

  Bio cert_bio(BIO_new(BIO_s_mem())), key_bio(BIO_new(BIO_s_mem()));
  check(cert_bio && key_bio, "BIO_new");
  check(PEM_write_bio_X509(cert_bio.get(), x) == 1, "certificate PEM");
  check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
            1,
        "key PEM");
  return {pem_of(cert_bio.get()), pem_of(key_bio.get())};
}

}  // namespace herald::test
