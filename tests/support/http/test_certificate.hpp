#pragma once
/// A self-signed TLS certificate made at test time (OpenSSL), for HTTPS test servers.
#include <string>

namespace herald::test {

/// A certificate for 127.0.0.1 and localhost, valid from an hour ago for a day, and its key,
/// both PEM. Self-signed: trusted by nobody unless given as a CA file.
struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

/// Makes a fresh one (an ECDSA P-256 key); throws std::runtime_error if OpenSSL fails.
TestCertificate make_test_certificate();

}  // namespace herald::test
